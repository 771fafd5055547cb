/**
 * The browser tests' server: `vite preview` of the built demo (dist-web/, with /data/ served by
 * vite.config.ts) plus the pages a package consumer would serve:
 *   /embed.html   a plain <script type="module"> page using an import map (no bundler)
 *   /pkg/*        the package: dist/, build/ and @assemblyscript/loader
 *   /consumer/*   the Vite app a test builds into test-output/browser/consumer (read at request time)
 *   /lean/*       the minimal classifying page bundle.spec.ts builds into test-output/browser/lean
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { preview, type Plugin } from 'vite';
import { CONSUMER_OUT, EMBED_HTML, LEAN_OUT, REPO } from './pages.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** Serves `root/relative` if it is a file strictly inside root; false otherwise. */
function serveFile(root: string, relative: string, res: ServerResponse): boolean {
  const path = normalize(join(root, decodeURIComponent(relative)));
  if (!path.startsWith(root.endsWith(sep) ? root : root + sep)) return false;
  if (!existsSync(path) || !statSync(path).isFile()) return false;
  res.writeHead(200, { 'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' });
  createReadStream(path).pipe(res);
  return true;
}

function testPages(): Plugin {
  const mounts: [string, string][] = [
    ['/pkg/dist/', join(REPO, 'dist')],
    ['/pkg/build/', join(REPO, 'build')],
    ['/pkg/node_modules/@assemblyscript/loader/', join(REPO, 'node_modules/@assemblyscript/loader')],
    ['/consumer/', CONSUMER_OUT],
    ['/lean/', LEAN_OUT],
  ];
  return {
    name: 'fmnist-test-pages',
    configurePreviewServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = (req.url ?? '/').split('?')[0] ?? '/';
        if (path === '/embed.html') {
          res.writeHead(200, { 'Content-Type': TYPES['.html'] ?? 'text/html' });
          res.end(EMBED_HTML);
          return;
        }
        for (const [prefix, root] of mounts) {
          if (path.startsWith(prefix) && serveFile(root, path.slice(prefix.length) || 'index.html', res)) return;
        }
        next();
      });
    },
  };
}

const port = Number(process.env.BROWSER_TEST_PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error(`BROWSER_TEST_PORT: expected a port, got ${process.env.BROWSER_TEST_PORT}`);
const server = await preview({ plugins: [testPages()], preview: { port, strictPort: true, host: '127.0.0.1' } });
server.printUrls();
