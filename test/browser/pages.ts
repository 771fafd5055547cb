/** What the browser tests share: paths, the consumer pages, the test images, and the CLI as a user runs it. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { IDX_FILES } from '../../src/data/classes.js';
import { SYSTEM_DATA_DIR } from '../../src/data/locate.js';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OUT_DIR = join(REPO, 'test-output');
export const DATA_DIR = process.env.FASHION_MNIST_DIR || SYSTEM_DATA_DIR;
/** Where the Vite-app test builds the consumer app; preview.ts serves it at /consumer/. */
export const CONSUMER_OUT = join(OUT_DIR, 'browser', 'consumer');
/** Where the bundle test builds the minimal classifying page; preview.ts serves it at /lean/. */
export const LEAN_OUT = join(OUT_DIR, 'browser', 'lean');

/** A fresh app directory test-output/browser/<name> whose node_modules/fmnist-wasm is this repository. */
export function consumerAppDir(name: string): string {
  const app = join(OUT_DIR, 'browser', name);
  rmSync(app, { recursive: true, force: true });
  mkdirSync(join(app, 'node_modules'), { recursive: true });
  symlinkSync(REPO, join(app, 'node_modules', 'fmnist-wasm'), 'dir');
  return app;
}

/** A plain module-script page: the package's browser entry through an import map, no bundler. */
export const EMBED_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>embed</title><link rel="icon" href="data:,">
<script type="importmap">
{ "imports": {
  "fmnist-wasm": "/pkg/dist/browser.js",
  "@assemblyscript/loader": "/pkg/node_modules/@assemblyscript/loader/index.js"
} }
</script></head>
<body><output id="result">pending</output>
<script type="module">
  import { loadCore, createModel, hasWasmSimd, CLASS_NAMES } from 'fmnist-wasm';
  const out = document.getElementById('result');
  try {
    const core = await loadCore();
    const c = core.matmul(new Float32Array([1, 2, 3, 4, 5, 6]), new Float32Array([7, 8, 9, 10, 11, 12]), 2, 3, 2);
    const model = await createModel('mlp', { seed: 1 });
    const { labels, probabilities } = model.predict(new Uint8Array(2 * 784).fill(128), 2);
    out.textContent = JSON.stringify({ simd: hasWasmSimd(), matmul: Array.from(c), labels: Array.from(labels),
      sum: probabilities.slice(0, 10).reduce((a, b) => a + b, 0), classes: CLASS_NAMES.length });
  } catch (error) {
    out.textContent = 'error: ' + error.message;
  }
</script></body></html>`;

/** A Vite app as a user writes it: `import ... from 'fmnist-wasm'`, resolved through node_modules. */
export const CONSUMER_HTML = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>consumer</title><link rel="icon" href="data:,"></head>
<body><output id="result">pending</output><script type="module" src="./main.js"></script></body></html>`;
export const CONSUMER_MAIN = `import { loadCore, createModel, fetchFashionMnistSplit } from 'fmnist-wasm';
import wasmUrl from 'fmnist-wasm/release.wasm?url';
const out = document.getElementById('result');
try {
  // ?default: loadCore() finds the .wasm itself (Vite emitted it as an asset); else the ?url import.
  const core = await loadCore(location.search.includes('default') ? {} : { url: wasmUrl });
  const model = await createModel('scratch-mlp', { core });
  const test = await fetchFashionMnistSplit('/data/', 'test', { testLimit: 20 });
  const { labels } = model.predict(test.images, test.count);
  out.textContent = JSON.stringify({ count: test.count, labels: Array.from(labels) });
} catch (error) {
  out.textContent = 'error: ' + error.message;
}
`;

/** The test images file (raw bytes), decompressed. */
export function testImagesIdx(): Uint8Array {
  for (const name of [`${IDX_FILES.testImages}.gz`, IDX_FILES.testImages]) {
    const path = join(DATA_DIR, name);
    if (existsSync(path)) {
      const bytes = readFileSync(path);
      return name.endsWith('.gz') ? gunzipSync(bytes) : bytes;
    }
  }
  throw new Error(`no ${IDX_FILES.testImages}[.gz] in ${DATA_DIR} (apt-get install dataset-fashion-mnist, or set FASHION_MNIST_DIR)`);
}

/** An IDX image file holding the first `count` images of `idx`. */
export function firstImages(idx: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(16 + count * 784);
  out.set(idx.subarray(0, 16));
  new DataView(out.buffer).setUint32(4, count, false);
  out.set(idx.subarray(16, 16 + count * 784), 16);
  return out;
}

/** The CLI, as a user runs it; stdout parsed as its one JSON object. */
export function cli<T>(args: string[]): T {
  const result = spawnSync(process.execPath, [join(REPO, 'dist/cli/main.js'), ...args], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, FASHION_MNIST_DIR: DATA_DIR },
    maxBuffer: 64 << 20,
  });
  if (result.status !== 0) throw new Error(`fmnist ${args.join(' ')} exited ${result.status}: ${result.stderr.trim().split('\n').pop()}`);
  return JSON.parse(result.stdout) as T;
}

/** Static imports of an ES module file (import/export ... from '...'; not import()). */
export function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+['"]([^'"]+)['"]/gms)].map((m) => m[1] ?? '');
}
