/**
 * fmnist-wasm for browsers and Web Workers: the shared public API (public.ts) minus the Node-only
 * data readers (locate, download, the file readers), plus the fetch/File loaders of data/browser.ts.
 *
 * package.json maps the package root to this module under the `browser` export condition (Vite,
 * esbuild, webpack and Rollup's node-resolve pick it), so `import { loadCore, createModel } from
 * 'fmnist-wasm'` pulls no `node:*` module into a page. It is also reachable as
 * `fmnist-wasm/browser` for tools that do not use the condition (an import map, say).
 *
 * Nothing reachable from here imports a Node module statically: the few Node paths (reading the
 * .wasm from disk, zlib, saveModel/loadModel) load `node:*` lazily and are never taken in a browser.
 */
export * from './public.js';

// Data in a browser: fetch from a URL or read picked files (IDX, raw or gzip; CSV).
export { CSV_FILES, IDX_FILES } from './data/classes.js';
export {
  fetchFashionMnist,
  fetchFashionMnistSplit,
  parseIdxImagesAnyCompression,
  readFashionMnistFiles,
  type BrowserDataOptions,
  type BrowserFashionMnist,
  type FetchProgress,
} from './data/browser.js';
