/**
 * A tiny static server for the browser tests, on 127.0.0.1 and a free port:
 *   /data/*  Fashion-MNIST files (vite.config.ts' middleware, the same the demo server uses)
 *   /pkg/*   the package as a consumer would serve it: dist/, build/ and @assemblyscript/loader
 *   /embed.html  a plain <script type="module"> page using an import map (no bundler)
 *   mounts   extra prefix -> directory pairs, consulted at request time (tests add to it)
 *   else     the built demo, dist-web/
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { fashionMnistMiddleware } from '../../vite.config.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** Serves `root/relative` if it is a file strictly inside root; false otherwise. */
function serveFile(root: string, relative: string, res: import('node:http').ServerResponse): boolean {
  const path = normalize(join(root, decodeURIComponent(relative)));
  if (!path.startsWith(root.endsWith(sep) ? root : root + sep)) return false;
  if (!existsSync(path) || !statSync(path).isFile()) return false;
  res.writeHead(200, { 'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' });
  createReadStream(path).pipe(res);
  return true;
}

export interface TestServer {
  url: string;
  close(): Promise<void>;
}

export async function startServer(options: { repo: string; dataDir: string; embedHtml: string; mounts?: Map<string, string> }): Promise<TestServer> {
  const { repo, dataDir, embedHtml, mounts = new Map() } = options;
  const data = fashionMnistMiddleware(dataDir);
  const webRoot = join(repo, 'dist-web');
  const packageRoots: Record<string, string> = {
    'dist/': join(repo, 'dist'),
    'build/': join(repo, 'build'),
    'node_modules/@assemblyscript/loader/': join(repo, 'node_modules/@assemblyscript/loader'),
  };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    data(req, res, () => {
      if (path === '/embed.html') {
        res.writeHead(200, { 'Content-Type': TYPES['.html']! });
        res.end(embedHtml);
        return;
      }
      for (const [prefix, root] of mounts) {
        if (path.startsWith(prefix) && serveFile(root, path.slice(prefix.length) || 'index.html', res)) return;
      }
      if (path.startsWith('/pkg/')) {
        const rest = path.slice('/pkg/'.length);
        for (const [prefix, root] of Object.entries(packageRoots)) {
          if (rest.startsWith(prefix) && serveFile(root, rest.slice(prefix.length), res)) return;
        }
      } else if (serveFile(webRoot, path === '/' ? 'index.html' : path.slice(1), res)) {
        return;
      }
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
