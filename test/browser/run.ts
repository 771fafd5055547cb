/**
 * Browser tests in real Chromium (Debian's /usr/bin/chromium, driven by playwright-core; no browser
 * download). Run with `npm run test:browser` (it builds the demo first). Writes
 * test-output/browser.json = {"passed": N, "failed": M} for .ci/summarize.mjs, screenshots into
 * test-output/, and docs/demo.png. Exit code 1 when a test fails.
 *
 * Environment: CHROMIUM (default /usr/bin/chromium), FASHION_MNIST_DIR (default
 * /usr/share/datasets/fashion-mnist), BROWSER_TEST_UPDATE_DOCS=1 to also refresh docs/demo.png.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { build as viteBuild } from 'vite';
import { startServer } from './server.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = join(repo, 'test-output');
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const dataDir = process.env.FASHION_MNIST_DIR || '/usr/share/datasets/fashion-mnist';
/** TOOLCHAIN.md's flags; the fresh --user-data-dir is launchPersistentContext's first argument. */
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TRAIN_IMAGES = 10_000;
const COMPARED_IMAGES = 100;

// ---- a minimal runner: named async tests, counted, never aborting the rest ----------------------

interface Test { name: string; fn: () => Promise<void> }
const tests: Test[] = [];
const test = (name: string, fn: () => Promise<void>) => tests.push({ name, fn });

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

function writeResult(passed: number, failed: number): void {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'browser.json'), `${JSON.stringify({ passed, failed })}\n`);
}

// ---- setup -----------------------------------------------------------------------------------------

function ensureBuilt(): void {
  const run = (script: string) => {
    process.stderr.write(`browser tests: npm run ${script}\n`);
    execFileSync('npm', ['run', script], { cwd: repo, stdio: ['ignore', 'inherit', 'inherit'] });
  };
  if (!existsSync(join(repo, 'build/release.wasm'))) run('asbuild:release');
  if (!existsSync(join(repo, 'dist/cli/main.js')) || !existsSync(join(repo, 'dist/browser.js'))) run('build:ts');
  if (!existsSync(join(repo, 'dist-web/index.html'))) run('build:web');
}

/** The test images file (raw bytes), decompressed. */
function testImagesIdx(): Uint8Array {
  for (const name of ['t10k-images-idx3-ubyte.gz', 't10k-images-idx3-ubyte']) {
    const path = join(dataDir, name);
    if (existsSync(path)) {
      const bytes = readFileSync(path);
      return name.endsWith('.gz') ? gunzipSync(bytes) : bytes;
    }
  }
  throw new Error(`no t10k-images-idx3-ubyte[.gz] in ${dataDir} (apt-get install dataset-fashion-mnist, or set FASHION_MNIST_DIR)`);
}

/** An IDX image file holding the first `count` images of `idx`. */
function firstImages(idx: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(16 + count * 784);
  out.set(idx.subarray(0, 16));
  new DataView(out.buffer).setUint32(4, count, false);
  out.set(idx.subarray(16, 16 + count * 784), 16);
  return out;
}

/** The CLI, as a user runs it; stdout parsed as its one JSON object. */
function cli(args: string[]): any {
  const result = spawnSync(process.execPath, [join(repo, 'dist/cli/main.js'), ...args], {
    cwd: repo, encoding: 'utf8', env: { ...process.env, FASHION_MNIST_DIR: dataDir }, maxBuffer: 64 << 20,
  });
  if (result.status !== 0) throw new Error(`fmnist ${args.join(' ')} exited ${result.status}: ${result.stderr.trim().split('\n').pop()}`);
  return JSON.parse(result.stdout);
}

/** A plain module-script page: the package's browser entry through an import map, no bundler. */
const EMBED_HTML = `<!doctype html>
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
const CONSUMER_HTML = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>consumer</title><link rel="icon" href="data:,"></head>
<body><output id="result">pending</output><script type="module" src="./main.js"></script></body></html>`;
const CONSUMER_MAIN = `import { loadCore, createModel, fetchFashionMnistSplit } from 'fmnist-wasm';
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

/** Static imports of an ES module file (import/export ... from '...'; not import()). */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+['"]([^'"]+)['"]/gms)].map((m) => m[1]!);
}

// ---- the tests -------------------------------------------------------------------------------------

async function main(): Promise<void> {
  ensureBuilt();
  mkdirSync(outDir, { recursive: true });
  const scratch = mkdtempSync(join(tmpdir(), 'fmnist-browser-'));
  const userDataDir = mkdtempSync(join(tmpdir(), 'fmnist-chromium-'));
  const modelPath = join(scratch, 'scratch-mlp.fmnist');
  const idx = testImagesIdx();
  const firstIdxPath = join(scratch, `first-${COMPARED_IMAGES}-idx3-ubyte`);
  writeFileSync(firstIdxPath, firstImages(idx, COMPARED_IMAGES));

  const mounts = new Map<string, string>();
  const server = await startServer({ repo, dataDir, embedHtml: EMBED_HTML, mounts });
  let context: BrowserContext | undefined;
  let passed = 0;
  let failed = 0;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath, headless: true, args: FLAGS, viewport: { width: 1280, height: 900 },
    });
    const pageErrors: string[] = [];
    const newPage = async (): Promise<Page> => {
      const page = await context!.newPage();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') pageErrors.push(`${message.text()} (${message.location().url})`);
      });
      page.on('response', (response) => {
        if (response.status() >= 400) pageErrors.push(`HTTP ${response.status()} for ${response.url()}`);
      });
      return page;
    };
    let demo: Page | undefined;
    let trained = false;

    test('dist/browser.js imports no Node module statically (directly or through its imports)', async () => {
      const root = join(repo, 'dist');
      const seen = new Set<string>();
      const queue = [join(root, 'browser.js')];
      while (queue.length > 0) {
        const file = queue.pop()!;
        if (seen.has(file)) continue;
        seen.add(file);
        for (const specifier of staticImports(file)) {
          if (specifier === '@assemblyscript/loader') continue; // browser-safe ES module
          assert(specifier.startsWith('.'), `${file.slice(root.length + 1)} imports ${specifier} statically`);
          queue.push(join(dirname(file), specifier));
        }
      }
      assert(seen.size > 10, `only ${seen.size} modules reached`);
    });

    test('package.json maps the root to the browser entry under the "browser" condition', async () => {
      const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
      assert(pkg.exports['.'].browser?.default === './dist/browser.js', 'exports["."].browser.default is not ./dist/browser.js');
      assert(pkg.exports['./browser']?.default === './dist/browser.js', 'exports["./browser"] is missing');
    });

    test('a plain <script type="module"> page imports fmnist-wasm (import map), loads the core and predicts', async () => {
      const page = await newPage();
      await page.goto(`${server.url}/embed.html`);
      await page.waitForFunction(() => document.getElementById('result')?.textContent !== 'pending', null, { timeout: 60_000 });
      const text = (await page.textContent('#result'))!;
      assert(!text.startsWith('error'), text);
      const result = JSON.parse(text);
      assert(result.simd === true, 'hasWasmSimd() is false in Chromium');
      assert(JSON.stringify(result.matmul) === JSON.stringify([58, 64, 139, 154]), `matmul gave ${JSON.stringify(result.matmul)}`);
      assert(result.labels.length === 2 && Math.abs(result.sum - 1) < 1e-4, `predict gave ${text}`);
      await page.close();
    });

    test('a Vite app importing "fmnist-wasm" gets the browser entry, builds, and runs (default wasm URL and ?url)', async () => {
      const app = join(scratch, 'vite-app');
      mkdirSync(join(app, 'node_modules'), { recursive: true });
      symlinkSync(repo, join(app, 'node_modules', 'fmnist-wasm'), 'dir');
      writeFileSync(join(app, 'index.html'), CONSUMER_HTML);
      writeFileSync(join(app, 'main.js'), CONSUMER_MAIN);
      const outDir = join(app, 'out');
      await viteBuild({ root: app, base: '/consumer/', configFile: false, logLevel: 'error', build: { outDir, emptyOutDir: true, target: 'es2022' } });
      // fetchFashionMnistSplit exists only in the browser entry: the build resolving it proves the condition worked.
      assert(readdirSync(join(outDir, 'assets')).some((f) => f.endsWith('.wasm')), 'Vite emitted no .wasm asset');
      mounts.set('/consumer/', outDir);
      for (const query of ['', '?default']) {
        const page = await newPage();
        await page.goto(`${server.url}/consumer/${query}`);
        await page.waitForFunction(() => document.getElementById('result')?.textContent !== 'pending', null, { timeout: 60_000 });
        const text = (await page.textContent('#result'))!;
        assert(!text.startsWith('error'), `${query || 'url'}: ${text}`);
        const result = JSON.parse(text);
        assert(result.count === 20 && result.labels.length === 20, `${query || 'url'}: ${text}`);
        await page.close();
      }
    });

    test('the demo page loads: SIMD detected, form ready, three empty charts, no errors', async () => {
      demo = await newPage();
      await demo.goto(`${server.url}/`);
      await demo.waitForSelector('#charts svg');
      assert(await demo.isHidden('#support'), 'the no-SIMD message is visible in Chromium');
      assert((await demo.locator('#charts svg[role="img"]').count()) === 3, 'expected three charts');
      assert(await demo.isEnabled('#start'), 'Train is disabled');
      assert((await demo.getAttribute('#status', 'aria-live')) === 'polite', '#status is not aria-live');
      assert(pageErrors.length === 0, `page errors: ${pageErrors.join(' | ')}`);
    });

    test(`trains scratch-mlp for one epoch on ${TRAIN_IMAGES} images in a worker: test accuracy > 70%, charts, confusion matrix, report, grid`, async () => {
      assert(demo, 'no demo page');
      await demo.selectOption('#architecture', 'scratch-mlp');
      await demo.fill('#train-limit', String(TRAIN_IMAGES));
      await demo.fill('#epochs', '1');
      await demo.click('#start');
      await demo.waitForFunction(() => ['done', 'error', 'stopped'].includes(document.body.dataset.state!), null, { timeout: 300_000 });
      const state = await demo.evaluate(() => document.body.dataset.state);
      assert(state === 'done', `state ${state}: ${await demo.textContent('#status')}`);
      const accuracyText = (await demo.textContent('#test-accuracy'))!;
      const accuracy = Number.parseFloat(accuracyText);
      process.stderr.write(`  shown test accuracy: ${accuracyText}; ${await demo.textContent('#m-speed')} images/s\n`);
      assert(accuracy > 70, `shown test accuracy ${accuracyText} is not above 70%`);
      // Charts: points drawn in each, the accuracy chart has the per-epoch test point.
      const points = await demo.$$eval('#charts svg', (svgs) => svgs.map((s) => Number((s as SVGElement).dataset.points)));
      assert(points.length === 3 && points.every((n) => n > 100), `chart points ${JSON.stringify(points)}`);
      const paths = await demo.$$eval('#charts path.series', (ps) => ps.map((p) => (p.getAttribute('d') ?? '').length));
      assert(paths.filter((n) => n > 100).length >= 4, `series paths ${JSON.stringify(paths)}`);
      assert((await demo.locator('#charts circle').count()) >= 2, 'no per-epoch test points drawn');
      // Confusion matrix: 10x10 counts summing to the test set, the diagonal dominant.
      const matrix = await demo.$$eval('#confusion tbody tr', (rows) => rows.map((r) => Array.from(r.querySelectorAll('td'), (td) => Number(td.textContent))));
      assert(matrix.length === 10 && matrix.every((r) => r.length === 10), 'the confusion matrix is not 10x10');
      const total = matrix.flat().reduce((a, b) => a + b, 0);
      const diagonal = matrix.reduce((a, r, i) => a + r[i]!, 0);
      assert(total === 10_000, `confusion counts sum to ${total}`);
      assert(Math.abs(diagonal / total * 100 - accuracy) < 0.006, `diagonal ${diagonal} disagrees with ${accuracyText}`);
      const shaded = await demo.$eval('#confusion tbody td', (td) => getComputedStyle(td).backgroundColor);
      assert(shaded !== 'rgba(0, 0, 0, 0)', 'confusion cells are not shaded');
      assert((await demo.locator('#report tbody tr').count()) === 11, 'the report does not have 10 classes + avg/total');
      // The grid: 60 drawn images, mistakes marked.
      assert((await demo.locator('#samples li').count()) === 60, 'expected 60 sample images');
      const ink = await demo.$eval('#samples canvas', (c) => {
        const data = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 28, 28).data;
        let dark = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i]! < 128) dark++;
        return dark;
      });
      assert(ink > 20, `the first sample canvas is blank (${ink} dark pixels)`);
      const wrong = await demo.locator('#samples li.wrong').count();
      const marked = await demo.locator('#samples li.wrong b', { hasText: '✗' }).count();
      assert(wrong === marked, `${wrong} wrong predictions but ${marked} marked`);
      assert(await demo.isEnabled('#use-trained'), '"Use the model just trained" is disabled');
      trained = true;
      await demo.screenshot({ path: join(outDir, 'browser-trained.png'), fullPage: true });
    });

    test('offers the trained model as TF.js (model.json + .bin) and ONNX downloads', async () => {
      assert(demo && trained, 'no trained model');
      await demo.waitForSelector('#download-exports:not([hidden])', { timeout: 60_000 });
      const files = await demo.evaluate(async () => Promise.all(['download-tfjs-json', 'download-tfjs-bin', 'download-onnx'].map(async (id) => {
        const link = document.getElementById(id) as HTMLAnchorElement;
        const buffer = await (await fetch(link.href)).arrayBuffer();
        return { name: link.download, size: buffer.byteLength, bytes: Array.from(new Uint8Array(buffer, 0, 4)), text: new TextDecoder().decode(buffer) };
      })));
      const [json, bin, onnx] = files as [typeof files[0], typeof files[0], typeof files[0]];
      assert(json.name === 'scratch-mlp.json' && bin.name === 'scratch-mlp.weights.bin' && onnx.name === 'scratch-mlp.onnx', `names ${files.map((f) => f.name).join(', ')}`);
      const modelJson = JSON.parse(json.text);
      assert(modelJson.format === 'layers-model', `model.json format ${modelJson.format}`);
      assert(JSON.stringify(modelJson.weightsManifest[0].paths) === JSON.stringify([bin.name]), 'the manifest does not name the .bin link');
      // scratch-mlp: 784·300 + 300·10 f32 weights, no biases.
      assert(bin.size === 4 * (784 * 300 + 300 * 10), `.bin has ${bin.size} bytes`);
      // An ONNX ModelProto starts with field 1 (ir_version, varint): tag 0x08, then 7.
      assert(onnx.bytes[0] === 0x08 && onnx.bytes[1] === 7 && onnx.size > bin.size, `onnx starts ${onnx.bytes.join(',')}, ${onnx.size} bytes`);
    });

    let nodeLabels: number[] = [];
    test(`a model saved by the CLI loads in the page and predicts the same labels as Node for the first ${COMPARED_IMAGES} test images`, async () => {
      assert(demo, 'no demo page');
      cli(['train', '--model', 'scratch-mlp', '--epochs', '1', '--limit', '5000', '--save', modelPath, '--json']);
      const node = cli(['predict', '--load', modelPath, '--json', firstIdxPath]);
      nodeLabels = node.predictions.map((p: { label: number }) => p.label);
      assert(nodeLabels.length === COMPARED_IMAGES, `node predicted ${nodeLabels.length} images`);
      await demo.setInputFiles('#model-file', modelPath);
      await demo.waitForFunction(() => document.body.dataset.model !== undefined, null, { timeout: 60_000 });
      assert((await demo.evaluate(() => document.body.dataset.model)) === 'loaded', (await demo.textContent('#model-status'))!);
      await demo.fill('#test-start', '0');
      await demo.fill('#test-count', String(COMPARED_IMAGES));
      await demo.click('#classify-test');
      await demo.waitForSelector('#classify-summary[data-predictions]', { timeout: 120_000 });
      const browserLabels = (await demo.getAttribute('#classify-summary', 'data-predictions'))!.split(',').map(Number);
      const differ = browserLabels.map((label, i) => (label === nodeLabels[i] ? -1 : i)).filter((i) => i >= 0);
      assert(browserLabels.length === COMPARED_IMAGES, `the page predicted ${browserLabels.length} images`);
      assert(differ.length === 0, `labels differ at ${differ.length} images, first at ${differ[0]}: page ${browserLabels[differ[0]!]}, node ${nodeLabels[differ[0]!]}`);
      assert((await demo.locator('#classify-grid li').count()) === COMPARED_IMAGES, 'the classify grid is incomplete');
      process.stderr.write(`  page and Node agree on all ${COMPARED_IMAGES} labels (${await demo.textContent('#classify-summary')})\n`);
    });

    test('an uploaded picture is shown as the network sees it (28x28) and classified like the same test image in Node', async () => {
      assert(demo, 'no demo page');
      assert(nodeLabels.length > 0, 'needs the CLI model test');
      // Test image 0, dark on light and 4x larger: the page's area resize and auto-invert give back its exact pixels.
      const scale = 4;
      const png = new PNG({ width: 28 * scale, height: 28 * scale });
      for (let y = 0; y < 28 * scale; y++) {
        for (let x = 0; x < 28 * scale; x++) {
          const v = 255 - idx[16 + Math.floor(y / scale) * 28 + Math.floor(x / scale)]!;
          const o = (y * 28 * scale + x) * 4;
          png.data[o] = v;
          png.data[o + 1] = v;
          png.data[o + 2] = v;
          png.data[o + 3] = 255;
        }
      }
      const pngPath = join(scratch, 'test-image-0.png');
      writeFileSync(pngPath, PNG.sync.write(png));
      await demo.setInputFiles('#upload-image', pngPath);
      await demo.waitForSelector('#upload-prediction[data-predicted]', { timeout: 30_000 });
      const predicted = Number(await demo.getAttribute('#upload-prediction', 'data-predicted'));
      assert(predicted === nodeLabels[0], `the page predicts ${predicted} for the picture, Node ${nodeLabels[0]} for test image 0`);
      const preview = await demo.$eval('#upload-preview', (c) => Array.from((c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 28, 28).data.filter((_, i) => i % 4 === 0)));
      const mismatches = preview.filter((v, i) => v !== 255 - idx[16 + i]!).length;
      assert(mismatches === 0, `the 28x28 preview differs from test image 0 at ${mismatches} pixels`);
      assert((await demo.locator('#upload-probabilities meter').count()) === 10, 'no probability bars');
    });

    test('screenshot of the demo (test-output/browser-demo.png, docs/demo.png)', async () => {
      assert(demo && trained, 'needs the training test');
      await demo.evaluate(() => window.scrollTo(0, 0));
      await demo.screenshot({ path: join(outDir, 'browser-demo.png'), fullPage: true });
      if (process.env.BROWSER_TEST_UPDATE_DOCS === '1') {
        mkdirSync(join(repo, 'docs'), { recursive: true });
        // The README's picture: the training panel and the results (the page's first two sections).
        const box = await demo.locator('#results').boundingBox();
        assert(box, 'no results section');
        await demo.screenshot({ path: join(repo, 'docs/demo.png'), fullPage: true, clip: { x: 0, y: 0, width: 1280, height: Math.ceil(box.y + box.height + 16) } });
      }
      assert(pageErrors.length === 0, `page errors: ${pageErrors.join(' | ')}`);
    });

    test('Stop ends a long run within seconds and the partial model is evaluated', async () => {
      const page = await newPage();
      await page.goto(`${server.url}/?limit=60000&epochs=5&model=mlp`);
      await page.click('#start');
      await page.waitForFunction(() => document.body.dataset.state === 'training' && Number(document.querySelector('#charts svg')?.getAttribute('data-points')) > 20,
        null, { timeout: 180_000 });
      const t0 = Date.now();
      await page.click('#stop');
      await page.waitForFunction(() => ['stopped', 'done', 'error'].includes(document.body.dataset.state!), null, { timeout: 30_000 });
      const state = await page.evaluate(() => document.body.dataset.state);
      assert(state === 'stopped', `state ${state}: ${await page.textContent('#status')}`);
      const seconds = (Date.now() - t0) / 1000;
      assert(await page.isVisible('#results'), 'no results after stopping');
      assert(/stopped/i.test((await page.textContent('#status'))!), 'the status does not say stopped');
      process.stderr.write(`  stopped and evaluated in ${seconds.toFixed(1)} s\n`);
      await page.close();
    });

    test('without WebAssembly SIMD the page says so and disables training', async () => {
      const page = await newPage();
      await page.addInitScript(() => {
        WebAssembly.validate = () => false;
      });
      await page.goto(`${server.url}/`);
      await page.waitForSelector('#support:not([hidden])');
      const text = (await page.textContent('#support'))!;
      assert(/SIMD/.test(text), `message: ${text}`);
      assert(await page.isDisabled('#start'), 'Train is enabled');
      assert((await page.getAttribute('#support', 'role')) === 'alert', 'the message is not an alert');
      await page.close();
    });

    for (const { name, fn } of tests) {
      const t0 = Date.now();
      try {
        await fn();
        passed++;
        process.stderr.write(`✓ ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
      } catch (error) {
        failed++;
        process.stderr.write(`✗ ${name}\n    ${(error as Error).message}\n`);
      }
    }
  } catch (error) {
    // Setup failed (no Chromium, no server): every test counts as failed.
    process.stderr.write(`browser tests: setup failed: ${(error as Error).message}\n`);
    failed = Math.max(tests.length, 1) - passed;
  } finally {
    await context?.close().catch(() => undefined);
    await server.close();
    rmSync(userDataDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
  writeResult(passed, failed);
  console.log(`browser: ${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`browser tests: ${(error as Error).stack ?? String(error)}\n`);
  writeResult(0, 1);
  process.exitCode = 1;
});
