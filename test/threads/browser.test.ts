// Threads in Chromium (Debian's /usr/bin/chromium through Playwright): a page served with
// COOP/COEP gets the default thread count, trains on a shared memory with Web Workers (its main
// thread spinning, never blocking) and gives the bits Node gives, strict build, 1, 3 and the
// default number of threads;
// the same page without the headers falls back to one thread and says why. The sources are served
// by Vite's dev server (TypeScript on the fly), so the test needs no build of dist/.
import { chromium, type Browser } from '@playwright/test';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCore } from '../../src/core/index.js';
import { createModel } from '../../src/models/architectures.js';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from '../browser/chromium.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const FLAGS = ['--headless', ...CHROMIUM_FLAGS];

/** What the page and Node both compute: a GEMM and 3 steps of CNN training, hashed to 32 bits. */
const WORKLOAD = `
export async function workload(loadCore, createModel, options) {
  const core = await loadCore(options);
  const hash = (values) => { let h = 0; for (const v of new Uint32Array(values.buffer, values.byteOffset, values.length)) h = (Math.imul(h, 31) + v) >>> 0; return h; };
  const a = new Float32Array(128 * 784).map((_, i) => Math.sin(i));
  const b = new Float32Array(784 * 300).map((_, i) => Math.cos(i));
  const product = hash(core.matmul(a, b, 128, 784, 300));
  const images = new Uint8Array(150 * 784).map((_, i) => (i * 7) % 256);
  const labels = new Uint8Array(150).map((_, i) => i % 10);
  const model = await createModel('cnn', { core, seed: 1 });
  await model.fit({ images, labels, count: 150, rows: 28, cols: 28 }, { epochs: 1, batchSize: 64 });
  const weights = model.getWeights().reduce((h, t) => (Math.imul(h, 31) + hash(t.values)) >>> 0, 0);
  return { threads: core.threads, reason: core.threadsReason, simd: core.simd, product, weights };
}`;

const PAGE = `<!doctype html><title></title><script type="module">
import { loadCore, createModel } from '/src/browser.ts';
import { workload } from '/@workload.js';
const results = {};
try {
  results.isolated = self.crossOriginIsolated;
  results.auto = await workload(loadCore, createModel, {});
  if (self.crossOriginIsolated) {
    results.one = await workload(loadCore, createModel, { simd: 'strict', threads: 1 });
    results.three = await workload(loadCore, createModel, { simd: 'strict', threads: 3 });
  }
} catch (error) {
  results.error = String(error && error.stack || error);
}
window.results = results;
</script>`;

type Workload = { threads: number; reason: string; simd: string; product: number; weights: number };

async function nodeWorkload(threads: number): Promise<Workload> {
  const { workload } = (await import(`data:text/javascript,${encodeURIComponent(WORKLOAD)}`)) as {
    workload: (l: typeof loadCore, c: typeof createModel, o: object) => Promise<Workload>;
  };
  return workload(loadCore, createModel, { simd: 'strict', threads });
}

describe('threads in Chromium', () => {
  let browser: Browser;
  const servers: ViteDevServer[] = [];

  async function serve(isolated: boolean): Promise<string> {
    const headers: Record<string, string> = isolated
      ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
      : {};
    const server = await createServer({
      root: ROOT,
      configFile: false,
      logLevel: 'silent',
      clearScreen: false,
      server: { port: 0, host: '127.0.0.1', headers },
      plugins: [
        {
          name: 'threads-test-page',
          configureServer(dev) {
            dev.middlewares.use((request, response, next) => {
              // This middleware answers before Vite's, which sets server.headers.
              for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
              if (request.url === '/threads-test.html') {
                response.setHeader('Content-Type', 'text/html');
                response.end(PAGE);
              } else if (request.url === '/@workload.js') {
                response.setHeader('Content-Type', 'text/javascript');
                response.end(WORKLOAD);
              } else {
                next();
              }
            });
          },
        },
      ],
    });
    await server.listen();
    servers.push(server);
    return `${server.resolvedUrls!.local[0]!}threads-test.html`;
  }

  async function run(url: string): Promise<Record<string, unknown>> {
    const page = await browser.newPage();
    try {
      await page.goto(url);
      await page.waitForFunction(() => (window as unknown as { results?: unknown }).results !== undefined, null, { timeout: 240_000 });
      return await page.evaluate(() => (window as unknown as { results: Record<string, unknown> }).results);
    } finally {
      await page.close();
    }
  }

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: FLAGS });
  });

  afterAll(async () => {
    await browser?.close();
    for (const server of servers) await server.close();
  });

  it('a cross-origin-isolated page trains on threads, bit-identical to Node', async () => {
    const results = await run(await serve(true));
    expect(results.error).toBeUndefined();
    expect(results.isolated).toBe(true);
    const auto = results.auto as Workload;
    expect(auto.threads).toBeGreaterThanOrEqual(1);
    expect(auto.reason).toMatch(/navigator\.hardwareConcurrency/);
    expect(auto.simd).toBe('strict');
    const node = await nodeWorkload(2);
    expect({ product: auto.product, weights: auto.weights }).toEqual({ product: node.product, weights: node.weights });
    expect(results.one).toMatchObject({ threads: 1, product: node.product, weights: node.weights });
    expect(results.three).toMatchObject({ threads: 3, product: node.product, weights: node.weights });
  });

  it('a page without the headers runs one thread and says why', async () => {
    const results = await run(await serve(false));
    expect(results.error).toBeUndefined();
    expect(results.isolated).toBe(false);
    expect(results.auto).toMatchObject({
      threads: 1,
      reason: expect.stringMatching(
        /not cross-origin isolated.*Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/,
      ),
    });
    const node = await nodeWorkload(1);
    expect((results.auto as Workload).weights).toBe(node.weights);
  });
});
