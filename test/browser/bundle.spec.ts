// The bundle an embedder ships: a Vite production build of a minimal page that imports fmnist-wasm,
// loads a model file and classifies one image builds without a warning, and the JS plus the wasm the
// page loads (gzip, as a server sends them) fit the budget. The page's probabilities are Node's, bit
// for bit: the inference build computes what the default build computes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build as viteBuild, createLogger } from 'vite';
import { createModel, loadCore, serializeModel, toModelInput } from '../../src/index.js';
import { expect, test } from './fixtures.js';
import { consumerAppDir, LEAN_OUT } from './pages.js';

/** gzip bytes of the JS and wasm a page loads, at most (issue 21's budget). */
const BUDGET = 40_000;

const LEAN_HTML = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>lean</title><link rel="icon" href="data:,"></head>
<body><output id="result">pending</output><script type="module" src="./main.js"></script></body></html>`;

// What an embedder writes: fetch a model, classify a drawn image (here a fixed pattern of RGBA pixels).
const LEAN_MAIN = `import { deserializeModel, loadCore, toModelInput } from 'fmnist-wasm';
const out = document.getElementById('result');
try {
  const core = await loadCore({ kernels: 'inference' });
  const model = await deserializeModel(new Uint8Array(await (await fetch('./model.fmnist')).arrayBuffer()), { core });
  const data = new Uint8ClampedArray(28 * 28 * 4).map((_, i) => (i * 37) % 251);
  const { label, probabilities } = model.classify(toModelInput({ data, width: 28, height: 28 }));
  out.textContent = JSON.stringify({ label, probabilities: Array.from(probabilities), kernels: core.kernelSet });
} catch (error) {
  out.textContent = 'error: ' + error.message;
}`;

test('a minimal classifying page built with Vite: no warnings, JS + wasm loaded within 40 KB gzip, Node bits', async ({
  page,
  pageErrors,
}) => {
  const app = consumerAppDir('lean-app');
  mkdirSync(join(app, 'public'));
  writeFileSync(join(app, 'index.html'), LEAN_HTML);
  writeFileSync(join(app, 'main.js'), LEAN_MAIN);
  // The CNN: the largest of the paper's models, seeded (its weights need not be trained to be compared).
  const model = await createModel('cnn', { core: await loadCore({ threads: 1 }), seed: 21 });
  writeFileSync(join(app, 'public', 'model.fmnist'), serializeModel(model));
  const data = new Uint8ClampedArray(28 * 28 * 4).map((_, i) => (i * 37) % 251);
  const expected = model.classify(toModelInput({ data, width: 28, height: 28 }));
  model.dispose();

  const warnings: string[] = [];
  const logger = createLogger('warn');
  logger.warn = (message) => warnings.push(message);
  logger.warnOnce = (message) => warnings.push(message);
  await viteBuild({
    root: app,
    base: '/lean/',
    configFile: false,
    customLogger: logger,
    build: {
      outDir: LEAN_OUT,
      emptyOutDir: true,
      target: 'es2022',
      rollupOptions: { onwarn: (warning) => warnings.push(warning.message) },
    },
  });
  expect(warnings).toEqual([]);

  const loaded = new Map<string, number>();
  page.on('response', async (response) => {
    const url = new URL(response.url());
    if (/\.(js|wasm)$/.test(url.pathname)) loaded.set(url.pathname, gzipSync(await response.body()).length);
  });
  await page.goto('/lean/');
  await expect(page.locator('#result')).not.toHaveText('pending', { timeout: 60_000 });
  const text = (await page.textContent('#result')) ?? '';
  expect(text).not.toMatch(/^error/);
  const result = JSON.parse(text);
  expect(result.kernels).toBe('inference');
  expect(result.label).toBe(expected.label);
  expect(result.probabilities).toEqual(Array.from(expected.probabilities));
  expect(pageErrors).toEqual([]);

  const wasm = [...loaded.keys()].filter((path) => path.endsWith('.wasm'));
  expect(wasm).toHaveLength(1);
  expect(wasm[0]).toMatch(/release-inference/);
  const total = [...loaded.values()].reduce((sum, bytes) => sum + bytes, 0);
  test.info().annotations.push({ type: 'gzip bytes loaded', description: JSON.stringify(Object.fromEntries(loaded)) });
  expect(total).toBeLessThanOrEqual(BUDGET);
});
