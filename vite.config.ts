/**
 * The browser demo (src/web) with Vite 7: `npm run demo` (dev server), `npm run build:web`
 * (static build into dist-web/). The dev and preview servers serve Fashion-MNIST at /data/ from
 * FASHION_MNIST_DIR, else /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist); the
 * data is never bundled or copied. Only the dataset's own file names are served from there.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { CSV_FILES, IDX_FILES } from './src/data/classes.js';
import { SYSTEM_DATA_DIR } from './src/data/locate.js';

const here = fileURLToPath(new URL('.', import.meta.url));
/** The files a data directory may hold (DESIGN.md), each raw or .gz. */
const DATA_FILES = new Set([...Object.values(IDX_FILES), ...Object.values(CSV_FILES)].flatMap((name) => [name, `${name}.gz`]));

type Next = (error?: unknown) => void;

/**
 * Connect middleware serving the dataset files of `dir` under `prefix` (as bytes: a .gz file is
 * sent as application/gzip WITHOUT Content-Encoding, so the page decompresses it itself). 404 for
 * any other name, so nothing else on the disk is reachable.
 */
function fashionMnistMiddleware(dir: string, prefix = '/data/') {
  return (req: IncomingMessage, res: ServerResponse, next: Next): void => {
    const path = (req.url ?? '').split('?')[0]!;
    if (!path.startsWith(prefix)) {
      next();
      return;
    }
    const name = decodeURIComponent(path.slice(prefix.length));
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.statusCode = 405;
      res.end();
      return;
    }
    let size = -1;
    if (DATA_FILES.has(name)) {
      try {
        const stat = statSync(join(dir, name));
        if (stat.isFile()) size = stat.size;
      } catch {
        // absent: 404 below
      }
    }
    if (size < 0) {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end(`${name} is not in ${dir}\n`);
      return;
    }
    res.statusCode = 200;
    res.setHeader(
      'Content-Type',
      name.endsWith('.gz') ? 'application/gzip' : name.endsWith('.csv') ? 'text/csv' : 'application/octet-stream',
    );
    res.setHeader('Content-Length', String(size));
    res.setHeader('Cache-Control', 'no-cache');
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(join(dir, name)).on('error', next).pipe(res);
  };
}

/**
 * The library's Node-only paths (reading the .wasm from disk, zlib, saveModel's atomic write) load
 * `node:*` modules lazily, behind `typeof process` checks, and never run in a page. Vite's default
 * stub for a builtin exports no names, so a named import in such a module fails the build; this
 * plugin stubs each builtin with its real export names (listed from Node at build time), each a
 * function that throws when called.
 */
function nodeBuiltinStubs(): Plugin {
  const PREFIX = '\0fmnist-node-stub:';
  return {
    name: 'fmnist-node-builtin-stubs',
    enforce: 'pre',
    config(_config, env) {
      // An alias rewrites the specifier before any resolver sees it (Vite's own externalizes builtins).
      if (env.isSsrBuild) return;
      return { resolve: { alias: [{ find: /^node:(.+)$/, replacement: `${PREFIX}node:$1` }] } };
    },
    resolveId(id) {
      return id.startsWith(PREFIX) ? id : null;
    },
    async load(id) {
      if (!id.startsWith(PREFIX)) return null;
      const name = id.slice(PREFIX.length);
      const names = Object.keys(await import(name)).filter((key) => key !== 'default' && /^[A-Za-z_$][\w$]*$/.test(key));
      const thrower = `function unavailable(what) { return function () { throw new Error(what + ' is not available in a browser'); }; }`;
      return [
        thrower,
        ...names.map((key) => `export const ${key} = unavailable(${JSON.stringify(`${name}.${key}`)});`),
        `export default {};`,
      ].join('\n');
    },
  };
}

/** Vite plugin: the middleware above on the dev and the preview server. */
function fashionMnistData(dir = process.env.FASHION_MNIST_DIR || SYSTEM_DATA_DIR): Plugin {
  return {
    name: 'fmnist-data',
    configureServer(server) {
      server.middlewares.use(fashionMnistMiddleware(dir));
      server.httpServer?.once('listening', () => {
        const found = [...DATA_FILES].some((name) => existsSync(join(dir, name)));
        if (found) server.config.logger.info(`  fashion-mnist: serving ${dir} at /data/`);
        else
          server.config.logger.warn(
            `  fashion-mnist: no dataset files in ${dir}: set FASHION_MNIST_DIR, apt-get install dataset-fashion-mnist, or pick the files in the page`,
          );
      });
    },
    configurePreviewServer(server) {
      server.middlewares.use(fashionMnistMiddleware(dir));
    },
  };
}

export default defineConfig({
  root: join(here, 'src/web'),
  base: './',
  // The demo imports the library's TypeScript sources (src/browser.ts) directly; the .wasm is
  // emitted as an asset through `new URL('../../build/release.wasm', import.meta.url)`.
  plugins: [nodeBuiltinStubs(), fashionMnistData()],
  server: { host: '127.0.0.1', port: 5173, fs: { allow: [here] } },
  preview: { host: '127.0.0.1', port: 4173 },
  // The worker bundle has its own plugin list.
  worker: { format: 'es', plugins: () => [nodeBuiltinStubs()] },
  build: {
    outDir: join(here, 'dist-web'),
    emptyOutDir: true,
    target: 'es2022',
    // Keep the .wasm a separate file (never inlined as base64).
    assetsInlineLimit: (file) => (file.endsWith('.wasm') ? false : undefined),
  },
});
