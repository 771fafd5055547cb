// The inference benchmark's Chromium host (`npm run bench -- infer --browser`): the runners of
// bench/infer-runner.ts in Web Workers of one cross-origin-isolated page, driven from Node.
// - bench/infer-web-worker.ts is bundled with esbuild (Vite's) into a temporary directory;
// - a local HTTP server sends every response with COOP same-origin + COEP require-corp (so the page
//   has SharedArrayBuffer: our shared-memory build, ORT-web's and TF.js-wasm's threads) and serves
//   the page, the bundle, our build/ .wasm files, ORT-web's and TF.js-wasm's dist/ files, and the
//   models' and test images' bytes (registered per runner, fetched by the page);
// - Chromium (/usr/bin/chromium through Playwright, test/browser/chromium.ts's flags, headless, a
//   fresh profile) opens the page; each runner is one Web Worker; requests go in through
//   page.evaluate and replies come back through an exposed binding (typed arrays as plain arrays).
// Timing happens inside the workers, so the driver's round trips are not in any figure.
// performance.now() in a cross-origin-isolated page has a 5 µs resolution (Chromium).
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from '../test/browser/chromium.js';
import { RunnerClient, type InferHost, type RunnerReply, type RunnerRequest, type RunnerSetup } from './infer-runner.js';

const REPO = fileURLToPath(new URL('../', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

/** The page: starts a worker per runner and relays messages (window.__reply is the driver's binding). */
const PAGE = `<!doctype html><meta charset="utf-8"><title>fmnist-wasm inference bench</title>
<script type="module">
const workers = new Map();
const bytes = async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer());
const plain = (v) => (v instanceof Float64Array ? { f64: Array.from(v) } : v instanceof Float32Array ? { f32: Array.from(v) } : v);
window.__start = async (id, spec) => {
  const setup = {
    impl: spec.impl, threads: spec.threads, assets: spec.assets, images: await bytes(spec.images),
    model: {
      name: spec.model.name, inputShape: spec.model.inputShape, ours: await bytes(spec.model.ours), onnx: await bytes(spec.model.onnx),
      tfjs: await Promise.all(spec.model.tfjs.map(async (f) => ({ name: f.name, bytes: await bytes(f.url) }))),
    },
  };
  const worker = new Worker('/bundle/infer-web-worker.js', { type: 'module' });
  worker.onmessage = (event) => window.__reply(id, { ...event.data, result: plain(event.data.result) });
  worker.onerror = (event) => window.__reply(id, { failed: 'worker error: ' + event.message });
  workers.set(id, worker);
  worker.postMessage(setup);
};
window.__send = (id, message) => workers.get(id).postMessage(message);
window.__stopAll = () => { for (const worker of workers.values()) worker.terminate(); workers.clear(); };
</script>`;

/** Bundles the worker (esbuild: Vite's dependency) into `dir`. */
async function bundleWorker(dir: string): Promise<void> {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(REPO, 'bench/infer-web-worker.ts')],
    outfile: join(dir, 'infer-web-worker.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // Node-only branches of our loader and of the peers are never taken in a page.
    external: ['node:*', 'fs', 'path', 'os', 'crypto', 'worker_threads', 'perf_hooks', 'url', 'module'],
    logLevel: 'error',
  });
}

/** A file strictly inside `root`, or undefined. */
function inside(root: string, relative: string): string | undefined {
  const path = normalize(join(root, decodeURIComponent(relative)));
  if (!path.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined;
  try {
    return statSync(path).isFile() ? path : undefined;
  } catch {
    return undefined;
  }
}

function serve(bundleDir: string, blobs: Map<string, Uint8Array>): Server {
  const mounts: [string, string][] = [
    ['/bundle/', bundleDir],
    ['/build/', join(REPO, 'build')],
    ['/ort/', join(REPO, 'node_modules/onnxruntime-web/dist')],
    ['/tfjs/', join(REPO, 'node_modules/@tensorflow/tfjs-backend-wasm/dist')],
  ];
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    };
    let body: Uint8Array | string | undefined;
    let type = 'application/octet-stream';
    if (path === '/') {
      body = PAGE;
      type = TYPES['.html']!;
    } else if (blobs.has(path)) {
      body = blobs.get(path);
    } else {
      for (const [prefix, root] of mounts) {
        const file = path.startsWith(prefix) ? inside(root, path.slice(prefix.length)) : undefined;
        if (file) {
          body = readFileSync(file);
          type = TYPES[extname(file)] ?? type;
          break;
        }
      }
    }
    if (body === undefined) {
      res.writeHead(404, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': type }).end(body);
  });
}

/** Typed arrays come back from the page as { f64 } / { f32 } plain arrays. */
function revive(result: unknown): unknown {
  if (result && typeof result === 'object') {
    const r = result as { f64?: number[]; f32?: number[] };
    if (r.f64) return Float64Array.from(r.f64);
    if (r.f32) return Float32Array.from(r.f32);
  }
  return result;
}

export async function browserHost(): Promise<InferHost> {
  const bundleDir = mkdtempSync(join(tmpdir(), 'fmnist-infer-'));
  await bundleWorker(bundleDir);
  const blobs = new Map<string, Uint8Array>();
  const server = serve(bundleDir, blobs);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const profile = mkdtempSync(join(tmpdir(), 'fmnist-infer-chromium-'));
  let browser: BrowserContext | undefined;
  let page: Page;
  const clients = new Map<number, RunnerClient>();
  try {
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_FLAGS });
    page = await browser.newPage();
    await page.exposeBinding('__reply', (_source, id: number, reply: RunnerReply & { failed?: string }) => {
      const client = clients.get(id);
      if (!client) return;
      if (reply.failed !== undefined) client.fail(new Error(reply.failed));
      else client.receive({ ...reply, result: revive(reply.result) });
    });
    await page.goto(`${origin}/`);
    if (!(await page.evaluate(() => crossOriginIsolated))) throw new Error('the bench page is not cross-origin isolated');
  } catch (error) {
    await browser?.close();
    server.close();
    throw error;
  }
  const version = browser.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent.match(/Chrome\/([\d.]+)/)?.[1] ?? '?'));
  let next = 1;
  return {
    name: `Chromium ${version}`,
    assets: {
      ours: { single: `${origin}/build/release.wasm`, shared: `${origin}/build/release-shared.wasm` },
      ort: `${origin}/ort/`,
      tfjs: `${origin}/tfjs/`,
    },
    start(setup) {
      const id = next++;
      const send = (message: RunnerSetup | RunnerRequest) => {
        if ('op' in message) {
          void page.evaluate(([to, m]) => (window as unknown as { __send(id: number, m: unknown): void }).__send(to, m), [
            id,
            message,
          ] as const);
          return;
        }
        const { model } = message;
        const at = (name: string, bytes: Uint8Array) => {
          const path = `/data/${id}/${name}`;
          blobs.set(path, bytes);
          return `${origin}${path}`;
        };
        blobs.set('/data/images.bin', message.images);
        const spec = {
          impl: message.impl,
          threads: message.threads,
          assets: message.assets,
          images: `${origin}/data/images.bin`,
          model: {
            name: model.name,
            inputShape: model.inputShape,
            ours: at('model.fmnist', model.ours),
            onnx: at('model.onnx', model.onnx),
            tfjs: model.tfjs.map((f) => ({ name: f.name, url: at(f.name, f.bytes) })),
          },
        };
        void page.evaluate(([to, s]) => (window as unknown as { __start(id: number, s: unknown): Promise<void> }).__start(to, s), [
          id,
          spec,
        ] as const);
      };
      const client = new RunnerClient(setup, send);
      clients.set(id, client);
      return client;
    },
    async stopAll() {
      await page.evaluate(() => (window as unknown as { __stopAll(): void }).__stopAll());
      for (const client of clients.values()) client.fail(new Error('stopped'));
      clients.clear();
      for (const key of [...blobs.keys()]) if (key !== '/data/images.bin') blobs.delete(key);
    },
    async close() {
      await browser?.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(bundleDir, { recursive: true, force: true });
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
