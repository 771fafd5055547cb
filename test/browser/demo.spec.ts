// The demo page (src/web) in Chromium: it loads, trains in a worker, shows the results, loads a
// model saved by the CLI and predicts what Node predicts, classifies an uploaded picture and a
// drawing (with their latencies), stops a run, and says so when WebAssembly SIMD is missing. Each
// test opens its own page.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Page } from '@playwright/test';
import { PNG } from 'pngjs';
import { CLASS_NAMES } from '../../src/data/classes.js';
import { expect, test } from './fixtures.js';
import { cli, firstImages, OUT_DIR, REPO, testImagesIdx } from './pages.js';

const TRAIN_IMAGES = 10_000;
const COMPARED_IMAGES = 100;

/** Presses the mouse on the drawing pad and draws a T-shirt-like zig-zag, leaving the button down. */
async function strokeOnPad(page: Page): Promise<void> {
  // page.mouse works in the viewport: the pad, at the page's end, is scrolled into it first.
  await page.locator('#pad').scrollIntoViewIfNeeded();
  const pad = await page.locator('#pad').boundingBox();
  expect(pad).not.toBeNull();
  const { x, y, width, height } = pad ?? { x: 0, y: 0, width: 0, height: 0 };
  // A T-shirt-like zig-zag: across the shoulders, down the body, back and forth.
  const path = [
    [0.2, 0.2],
    [0.8, 0.2],
    [0.7, 0.5],
    [0.7, 0.85],
    [0.3, 0.85],
    [0.3, 0.5],
    [0.6, 0.5],
    [0.6, 0.75],
  ] as const;
  await page.mouse.move(x + path[0][0] * width, y + path[0][1] * height);
  await page.mouse.down();
  for (const [px, py] of path.slice(1)) await page.mouse.move(x + px * width, y + py * height, { steps: 8 });
}

/** The gray levels of a 28x28 preview canvas as drawn (views.ts's drawImage shows the model's pixels inverted). */
function previewGray(page: Page, selector: string): Promise<number[]> {
  return page.$eval(selector, (c) =>
    Array.from(
      (c as HTMLCanvasElement)
        .getContext('2d')
        ?.getImageData(0, 0, 28, 28)
        .data.filter((_, i) => i % 4 === 0) ?? [],
    ),
  );
}

/** A shown classification: its class named, the model's and the whole path's latencies finite, positive and in the text. */
async function expectLatency(page: Page, selector: string, className: string): Promise<void> {
  const element = page.locator(selector);
  await expect(element).toBeVisible();
  await expect(element).toHaveAttribute('data-class-name', className);
  const modelMs = Number(await element.getAttribute('data-latency-ms'));
  const totalMs = Number(await element.getAttribute('data-total-ms'));
  expect(Number.isFinite(modelMs) && modelMs > 0, `model latency ${modelMs}`).toBe(true);
  expect(Number.isFinite(totalMs) && totalMs >= modelMs, `total latency ${totalMs} (model ${modelMs})`).toBe(true);
  const text = (await element.textContent()) ?? '';
  const escaped = className.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  expect(text).toMatch(new RegExp(`^${escaped} \\(\\d+\\.\\d%\\) in \\d+\\.\\d+ ms \\(model\\) / \\d+\\.\\d+ ms \\(total\\)$`));
  test.info().annotations.push({ type: 'measured', description: `${selector}: ${text}` });
}

async function waitForState(page: Page, states: string[], timeout: number): Promise<string | undefined> {
  await page.waitForFunction((wanted) => wanted.includes(document.body.dataset.state ?? ''), states, { timeout });
  return page.evaluate(() => document.body.dataset.state);
}

test('the demo page loads: SIMD detected, form ready, three empty charts, no errors', async ({ page, pageErrors }) => {
  await page.goto('/');
  await page.waitForSelector('#charts svg');
  await expect(page.locator('#support')).toBeHidden();
  await expect(page.locator('#charts svg[role="img"]')).toHaveCount(3);
  await expect(page.locator('#start')).toBeEnabled();
  await expect(page.locator('#status')).toHaveAttribute('aria-live', 'polite');
  expect(pageErrors).toEqual([]);
});

test(`trains scratch-mlp for one epoch on ${TRAIN_IMAGES} images in a worker: test accuracy > 70%, charts, confusion matrix, report, grid`, async ({
  page,
  pageErrors,
}) => {
  await page.goto('/');
  await page.selectOption('#architecture', 'scratch-mlp');
  await page.fill('#train-limit', String(TRAIN_IMAGES));
  await page.fill('#epochs', '1');
  await page.click('#start');
  const state = await waitForState(page, ['done', 'error', 'stopped'], 300_000);
  expect(state, (await page.textContent('#status')) ?? '').toBe('done');
  const accuracyText = (await page.textContent('#test-accuracy')) ?? '';
  const accuracy = Number.parseFloat(accuracyText);
  test
    .info()
    .annotations.push({ type: 'measured', description: `test accuracy ${accuracyText}; ${await page.textContent('#m-speed')} images/s` });
  expect(accuracy).toBeGreaterThan(70);
  // Charts: points drawn in each, the accuracy chart has the per-epoch test point.
  const points = await page.$$eval('#charts svg', (svgs) => svgs.map((s) => Number((s as SVGElement).dataset.points)));
  expect(points).toHaveLength(3);
  expect(
    points.every((n) => n > 100),
    `chart points ${JSON.stringify(points)}`,
  ).toBe(true);
  const paths = await page.$$eval('#charts path.series', (ps) => ps.map((p) => (p.getAttribute('d') ?? '').length));
  expect(paths.filter((n) => n > 100).length).toBeGreaterThanOrEqual(4);
  expect(await page.locator('#charts circle').count()).toBeGreaterThanOrEqual(2);
  // Confusion matrix: 10x10 counts summing to the test set, the diagonal agreeing with the accuracy.
  const matrix = await page.$$eval('#confusion tbody tr', (rows) =>
    rows.map((r) => Array.from(r.querySelectorAll('td'), (td) => Number(td.textContent))),
  );
  expect(matrix.map((row) => row.length)).toEqual(new Array(10).fill(10));
  const total = matrix.flat().reduce((a, b) => a + b, 0);
  const diagonal = matrix.reduce((a, row, i) => a + (row[i] ?? 0), 0);
  expect(total).toBe(10_000);
  expect(Math.abs((diagonal / total) * 100 - accuracy)).toBeLessThan(0.006);
  const shaded = await page.$eval('#confusion tbody td', (td) => getComputedStyle(td).backgroundColor);
  expect(shaded).not.toBe('rgba(0, 0, 0, 0)');
  await expect(page.locator('#report tbody tr')).toHaveCount(11);
  // The grid: 60 drawn images, mistakes marked.
  await expect(page.locator('#samples li')).toHaveCount(60);
  const ink = await page.$eval('#samples canvas', (c) => {
    const data = (c as HTMLCanvasElement).getContext('2d')?.getImageData(0, 0, 28, 28).data ?? new Uint8ClampedArray();
    let dark = 0;
    for (let i = 0; i < data.length; i += 4) if ((data[i] ?? 255) < 128) dark++;
    return dark;
  });
  expect(ink).toBeGreaterThan(20);
  const wrong = await page.locator('#samples li.wrong').count();
  await expect(page.locator('#samples li.wrong b', { hasText: '✗' })).toHaveCount(wrong);
  await expect(page.locator('#use-trained')).toBeEnabled();
  // The page is cross-origin isolated (COOP/COEP from vite.config.ts), so the worker trained on every core.
  const { isolated, cores } = await page.evaluate(() => ({ isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency }));
  expect(isolated).toBe(true);
  await expect(page.locator('#m-threads')).toHaveText(new RegExp(`^${cores} threads?, (strict|relaxed) SIMD$`));
  await expect(page.locator('#threads-note')).toBeHidden();
  // The trained model is offered as TF.js (model.json + .bin) and ONNX beside the .fmnist.
  await page.waitForSelector('#download-exports:not([hidden])', { timeout: 60_000 });
  const files = await page.evaluate(async () =>
    Promise.all(
      ['download-tfjs-json', 'download-tfjs-bin', 'download-onnx'].map(async (id) => {
        const link = document.getElementById(id) as HTMLAnchorElement;
        const buffer = await (await fetch(link.href)).arrayBuffer();
        return {
          name: link.download,
          size: buffer.byteLength,
          bytes: Array.from(new Uint8Array(buffer, 0, 4)),
          text: new TextDecoder().decode(buffer),
        };
      }),
    ),
  );
  expect(files.map((f) => f.name)).toEqual(['scratch-mlp.json', 'scratch-mlp.weights.bin', 'scratch-mlp.onnx']);
  const [json, bin, onnx] = files as [(typeof files)[0], (typeof files)[0], (typeof files)[0]];
  const modelJson = JSON.parse(json.text) as { format: string; weightsManifest: { paths: string[] }[] };
  expect(modelJson.format).toBe('layers-model');
  expect(modelJson.weightsManifest[0]?.paths).toEqual([bin.name]);
  // scratch-mlp: 784·300 + 300·10 f32 weights, no biases.
  expect(bin.size).toBe(4 * (784 * 300 + 300 * 10));
  // An ONNX ModelProto starts with field 1 (ir_version, varint): tag 0x08, then 7.
  expect(onnx.bytes.slice(0, 2)).toEqual([0x08, 7]);
  expect(onnx.size).toBeGreaterThan(bin.size);
  // The worker's default core is the strict build: its model file is the one Node writes for the
  // same seeded settings, byte for byte (threads in the page, two in Node).
  const settings = await page.evaluate(() =>
    ['optimizer', 'learning-rate', 'batch-size', 'seed'].map((id) => (document.getElementById(id) as HTMLInputElement).value),
  );
  const pageFile = await page.evaluate(async () => {
    const link = document.getElementById('download-model') as HTMLAnchorElement;
    return Array.from(new Uint8Array(await (await fetch(link.href)).arrayBuffer()));
  });
  const [optimizer, learningRate, batchSize, seed] = settings as [string, string, string, string];
  const nodePath = join(mkdtempSync(join(tmpdir(), 'fmnist-demo-bits-')), 'node.fmnist');
  cli([
    'train',
    ...['--model', 'scratch-mlp', '--epochs', '1', '--limit', String(TRAIN_IMAGES), '--optimizer', optimizer, '--lr', learningRate],
    ...['--batch-size', batchSize, '--seed', seed, '--threads', '2', '--save', nodePath, '--json'],
  ]);
  const nodeFile = readFileSync(nodePath);
  rmSync(dirname(nodePath), { recursive: true, force: true });
  expect(pageFile.length).toBe(nodeFile.length);
  expect(Buffer.from(pageFile).equals(nodeFile), "the page's model file differs from Node's").toBe(true);
  expect(pageErrors).toEqual([]);

  await page.screenshot({ path: join(OUT_DIR, 'browser-trained.png'), fullPage: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(OUT_DIR, 'browser-demo.png'), fullPage: true });
  if (process.env.BROWSER_TEST_UPDATE_DOCS === '1') {
    mkdirSync(join(REPO, 'docs'), { recursive: true });
    // The README's picture: the training panel and the results (the page's first two sections).
    const box = await page.locator('#results').boundingBox();
    expect(box).not.toBeNull();
    const height = Math.ceil((box?.y ?? 0) + (box?.height ?? 0) + 16);
    await page.screenshot({ path: join(REPO, 'docs/demo.png'), fullPage: true, clip: { x: 0, y: 0, width: 1280, height } });
    // The drawing pad's picture: the model just trained classifies a stroke, with its latency.
    await page.click('#use-trained');
    await page.waitForFunction(() => document.body.dataset.model !== undefined, null, { timeout: 60_000 });
    await strokeOnPad(page);
    await page.mouse.up();
    await expect(page.locator('#pad-probabilities meter')).toHaveCount(10);
    await page.locator('#classify-draw').screenshot({ path: join(REPO, 'docs/demo-draw.png') });
  }
});

test.describe('a model saved by the CLI', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'fmnist-browser-'));
  const modelPath = join(scratch, 'scratch-mlp.fmnist');
  const idx = testImagesIdx();
  let nodeLabels: number[] = [];

  test.beforeAll(() => {
    const firstIdxPath = join(scratch, `first-${COMPARED_IMAGES}-idx3-ubyte`);
    writeFileSync(firstIdxPath, firstImages(idx, COMPARED_IMAGES));
    cli(['train', '--model', 'scratch-mlp', '--epochs', '1', '--limit', '5000', '--save', modelPath, '--json']);
    const node = cli<{ predictions: { label: number }[] }>(['predict', '--load', modelPath, '--json', firstIdxPath]);
    nodeLabels = node.predictions.map((p) => p.label);
  });
  test.afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  async function loadModel(page: Page): Promise<void> {
    await page.goto('/');
    await page.setInputFiles('#model-file', modelPath);
    await page.waitForFunction(() => document.body.dataset.model !== undefined, null, { timeout: 60_000 });
    expect(await page.evaluate(() => document.body.dataset.model), (await page.textContent('#model-status')) ?? '').toBe('loaded');
  }

  test(`loads in the page and predicts the same labels as Node for the first ${COMPARED_IMAGES} test images`, async ({
    page,
    pageErrors,
  }) => {
    expect(nodeLabels).toHaveLength(COMPARED_IMAGES);
    await loadModel(page);
    await page.fill('#test-start', '0');
    await page.fill('#test-count', String(COMPARED_IMAGES));
    await page.click('#classify-test');
    await page.waitForSelector('#classify-summary[data-predictions]', { timeout: 120_000 });
    const browserLabels = ((await page.getAttribute('#classify-summary', 'data-predictions')) ?? '').split(',').map(Number);
    expect(browserLabels).toEqual(nodeLabels);
    await expect(page.locator('#classify-grid li')).toHaveCount(COMPARED_IMAGES);
    expect(pageErrors).toEqual([]);
  });

  test('classifies an uploaded picture as Node classifies the same test image, shown as the network sees it (28x28)', async ({ page }) => {
    await loadModel(page);
    // Test image 0, dark on light and 4x larger: the page's area resize and auto-invert give back its exact pixels.
    const scale = 4;
    const png = new PNG({ width: 28 * scale, height: 28 * scale });
    for (let y = 0; y < 28 * scale; y++) {
      for (let x = 0; x < 28 * scale; x++) {
        const v = 255 - (idx[16 + Math.floor(y / scale) * 28 + Math.floor(x / scale)] ?? 0);
        png.data.fill(v, (y * 28 * scale + x) * 4, (y * 28 * scale + x) * 4 + 3);
        png.data[(y * 28 * scale + x) * 4 + 3] = 255;
      }
    }
    const pngPath = join(scratch, 'test-image-0.png');
    writeFileSync(pngPath, PNG.sync.write(png));
    await page.setInputFiles('#upload-image', pngPath);
    await page.waitForSelector('#upload-prediction[data-predicted]', { timeout: 30_000 });
    expect(Number(await page.getAttribute('#upload-prediction', 'data-predicted'))).toBe(nodeLabels[0]);
    const preview = await previewGray(page, '#upload-preview');
    const mismatches = preview.filter((v, i) => v !== 255 - (idx[16 + i] ?? 0)).length;
    expect(preview).toHaveLength(784);
    expect(mismatches).toBe(0);
    await expect(page.locator('#upload-probabilities meter')).toHaveCount(10);
    await expectLatency(page, '#upload-prediction', CLASS_NAMES[nodeLabels[0]!]!);
  });

  test('the drawing pad: a mouse stroke is classified while drawn and when it ends, as Node classifies its 28x28 pixels, with its latency; Clear resets it', async ({
    page,
    pageErrors,
  }) => {
    await loadModel(page);
    await strokeOnPad(page);
    // Still drawing: classified on an animation frame, the probability bars left for the stroke's end.
    await page.waitForSelector('#pad-prediction[data-predicted][aria-busy="true"]', { timeout: 30_000 });
    await page.mouse.up();
    await expect(page.locator('#pad-prediction')).toHaveAttribute('aria-busy', 'false');
    await expect(page.locator('#pad-probabilities meter')).toHaveCount(10);
    const predicted = Number(await page.getAttribute('#pad-prediction', 'data-predicted'));
    expect(CLASS_NAMES[predicted]).toBeDefined();
    await expectLatency(page, '#pad-prediction', CLASS_NAMES[predicted]!);
    // The 28x28 preview is what the model saw (drawn inverted): Node's CLI gives the same class for those pixels.
    const seen = (await previewGray(page, '#pad-preview')).map((v) => 255 - v);
    expect(seen).toHaveLength(784);
    expect(seen.filter((v) => v > 128).length, 'ink in the 28x28 drawing').toBeGreaterThan(40);
    const drawnIdx = firstImages(idx, 1);
    drawnIdx.set(seen, 16);
    const drawnPath = join(scratch, 'drawn-idx3-ubyte');
    writeFileSync(drawnPath, drawnIdx);
    const node = cli<{ predictions: { label: number }[] }>(['predict', '--load', modelPath, '--json', drawnPath]);
    expect(predicted).toBe(node.predictions[0]?.label);
    await page.locator('#classify').screenshot({ path: join(OUT_DIR, 'browser-draw.png') });

    await page.click('#pad-clear');
    const ink = await page.$eval('#pad', (c) => {
      const canvas = c as HTMLCanvasElement;
      const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? new Uint8ClampedArray(1);
      let lit = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] !== 0 || data[i + 1] !== 0 || data[i + 2] !== 0) lit++;
      return lit;
    });
    expect(ink).toBe(0);
    await expect(page.locator('#pad-result')).toBeHidden();
    await expect(page.locator('#pad-prediction')).not.toHaveAttribute('data-predicted');
    await expect(page.locator('#pad-prediction')).not.toHaveAttribute('data-latency-ms');
    await expect(page.locator('#pad-prediction')).toHaveText(/^Draw on the pad/);
    expect(pageErrors).toEqual([]);
  });
});

test('Stop ends a long run within seconds and the partial model is evaluated', async ({ page }) => {
  await page.goto('/?limit=60000&epochs=5&model=mlp');
  await page.click('#start');
  await page.waitForFunction(
    () => document.body.dataset.state === 'training' && Number(document.querySelector('#charts svg')?.getAttribute('data-points')) > 20,
    null,
    { timeout: 180_000 },
  );
  const t0 = Date.now();
  await page.click('#stop');
  const state = await waitForState(page, ['stopped', 'done', 'error'], 30_000);
  expect(state, (await page.textContent('#status')) ?? '').toBe('stopped');
  test.info().annotations.push({ type: 'measured', description: `stopped and evaluated in ${((Date.now() - t0) / 1000).toFixed(1)} s` });
  await expect(page.locator('#results')).toBeVisible();
  await expect(page.locator('#status')).toHaveText(/stopped/i);
});

test('without WebAssembly SIMD the page says so and disables training', async ({ page }) => {
  await page.addInitScript(() => {
    WebAssembly.validate = () => false;
  });
  await page.goto('/');
  await page.waitForSelector('#support:not([hidden])');
  await expect(page.locator('#support')).toHaveText(/SIMD/);
  await expect(page.locator('#start')).toBeDisabled();
  await expect(page.locator('#support')).toHaveAttribute('role', 'alert');
});

test('without the COOP/COEP headers the page trains on one thread and says why', async ({ page, pageErrors }) => {
  // The same server, with the two isolation headers taken off every response.
  await page.route('**/*', async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers() };
    delete headers['cross-origin-opener-policy'];
    delete headers['cross-origin-embedder-policy'];
    await route.fulfill({ response, headers });
  });
  await page.goto('/');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
  await page.selectOption('#architecture', 'scratch-mlp');
  await page.fill('#train-limit', '2000');
  await page.fill('#epochs', '1');
  await page.click('#start');
  const state = await waitForState(page, ['done', 'error', 'stopped'], 120_000);
  expect(state, (await page.textContent('#status')) ?? '').toBe('done');
  await expect(page.locator('#m-threads')).toHaveText(/^1 thread, (strict|relaxed) SIMD$/);
  await expect(page.locator('#threads-note')).toBeVisible();
  await expect(page.locator('#threads-note')).toHaveText(
    /one thread.*cross-origin isolated.*Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/,
  );
  expect(pageErrors).toEqual([]);
});
