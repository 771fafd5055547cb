// Inference speed (`npm run bench -- infer [--quick] [--rounds N] [--threads N] [--browser]`): how fast
// a trained model classifies Fashion-MNIST test images, ours against onnxruntime-web (ORT-web, on our
// ONNX export) and TF.js-wasm (on our TF.js export), in one process.
//
// Procedure, per model (bench/infer-models.ts: scratch-mlp, mlp, cnn and the `best` preset, each
// trained one epoch with seed 0 on the first training images):
// - one worker per implementation and thread count (ours and ORT-web on 1 and N threads, TF.js-wasm
//   on 1: it has no threads in Node), each loading the model from its file as an app would
//   (bench/infer-runner.ts; Node worker threads, or Web Workers in Chromium with --browser); only
//   one works at a time;
// - the first single-image call after loading is timed apart ("first call"), then 2,000 more single
//   images (--quick: 300), then 5,000 images in calls of 1,000 (--quick: 2,000) warm each runtime
//   up, untimed;
// - each round: every implementation in turn classifies `singles` test images one call per image,
//   then every implementation in turn classifies the 10,000 test images (--quick: 2,000) in calls of
//   1,000: single images first, as an app does;
// - single-image latency: median and p90 of the round's calls; images/s: 1,000 / the round's median
//   call time; both the median over rounds. Ratios are medians of per-round ratios: × ORT-web single =
//   ORT-web's median / ours (above 1: ours faster), × ORT-web batch = our images/s / ORT-web's;
//   × 1 thread compares our N threads with our 1 thread.
// - at the end, each peer's probabilities of the first 100 test images against ours (largest
//   difference, labels that differ): a wrong export would show here.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { median, round } from './harness.js';
import { INFER_MODELS, inferData, trainInferModel, type TrainedInferModel } from './infer-models.js';
import { RunnerClient, type InferHost, type InferImpl, type RunnerReply } from './infer-runner.js';
import type { BenchOptions, BenchRow } from './types.js';

/** One implementation at one thread count. */
interface Variant {
  impl: InferImpl;
  threads: number;
}

/**
 * A worker thread's first code: worker threads do not inherit tsx's loader (nor take `--import tsx`
 * in execArgv on Node 20), so it registers tsx itself, then imports the TypeScript worker.
 */
const WORKER_BOOT = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then(({ register }) => { register(); return import(${JSON.stringify(new URL('./infer-worker.ts', import.meta.url).href)}); })
  .catch((error) => { console.error(error); process.exit(1); });`;

/** Node worker threads running bench/infer-worker.ts. */
export function nodeHost(): InferHost {
  const workers: Worker[] = [];
  const dist = (pkg: string) => new URL(`../node_modules/${pkg}/dist/`, import.meta.url).pathname;
  return {
    name: `Node ${process.versions.node}`,
    assets: { ort: dist('onnxruntime-web'), tfjs: dist('@tensorflow/tfjs-backend-wasm') },
    start(setup) {
      const worker = new Worker(WORKER_BOOT, { eval: true });
      workers.push(worker);
      const client = new RunnerClient(setup, (message) => worker.postMessage(message));
      worker.on('message', (reply: RunnerReply) => client.receive(reply));
      worker.on('error', (error) => client.fail(error));
      worker.on('exit', (code) => client.fail(new Error(`worker exited (${code})`)));
      return client;
    },
    async stopAll() {
      await Promise.all(workers.splice(0).map((w) => w.terminate()));
    },
    async close() {
      await this.stopAll();
    },
  };
}

/** Per-round figures of one variant. */
interface Rounds {
  firstMs: number;
  singleMedian: number[];
  singleP90: number[];
  imagesPerSecond: number[];
  error?: string;
}

/**
 * A pause before each variant's turn: a runtime that just worked may keep its threads spinning for
 * a while, which on 2 cores slows the next one (ours 2.5 ms; ORT-web's 2-thread pool 150-200 ms
 * here, measured with process.cpuUsage: after a 20 ms pause, our next single images ran 1.6x slower).
 */
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Measures every variant on one model; rounds take turns. */
async function measureModel(
  host: InferHost,
  model: TrainedInferModel,
  images: Uint8Array,
  variants: readonly Variant[],
  options: BenchOptions,
): Promise<{ rounds: Map<Variant, Rounds>; notes: string[] }> {
  const singles = options.quick ? 100 : 500;
  const batchImages = options.quick ? 2000 : images.length / 784;
  const rounds = new Map<Variant, Rounds>();
  const clients = new Map<Variant, RunnerClient>();
  const notes: string[] = [];
  try {
    for (const variant of variants) {
      const client = host.start({ ...variant, model, images, assets: host.assets });
      const figures: Rounds = { firstMs: Number.NaN, singleMedian: [], singleP90: [], imagesPerSecond: [] };
      rounds.set(variant, figures);
      try {
        await client.ready;
        await settle();
        figures.firstMs = (await client.singles(0, 1))[0]!;
        // Warm-up, single images only (a batch first would change what ours plans for the singles):
        // V8 moves hot wasm and JS to its optimizing tier only after many calls (ORT-web's single
        // image took 100 µs in its first 300 calls and 58 µs after 3,000 here).
        await client.singles(1, options.quick ? 300 : 2000);
        // Then batches, untimed, after the singles as an app would: the first batch call plans
        // buffers for it (ours) and the batch path needs its own tier-up, neither a steady cost.
        await client.batches(0, options.quick ? 2000 : 5000, 1000);
        clients.set(variant, client);
      } catch (error) {
        figures.error = (error as Error).message.split('\n')[0]!.slice(0, 120);
        process.stderr.write(`infer: ${model.name} ${variant.impl} ${variant.threads} threads: ${(error as Error).message}\n`);
      }
    }
    for (let r = 0; r < options.rounds; r++) {
      const start = 1 + ((r * singles) % (batchImages - singles));
      for (const [variant, client] of clients) {
        await settle();
        const times = (await client.singles(start, singles)).sort();
        rounds.get(variant)!.singleMedian.push(quantile(times, 0.5));
        rounds.get(variant)!.singleP90.push(quantile(times, 0.9));
      }
      for (const [variant, client] of clients) {
        await settle();
        // The median call, not the total: on a shared machine a round's total is its worst calls'.
        const times = (await client.batches(0, batchImages, 1000)).sort();
        rounds.get(variant)!.imagesPerSecond.push((1000 * 1000) / quantile(times, 0.5));
      }
    }
    const reference = [...clients].find(([v]) => v.impl === 'ours' && v.threads === 1)?.[1];
    if (reference) {
      const want = await reference.probabilities(0, 100);
      for (const [variant, client] of clients) {
        if (variant.impl === 'ours') continue;
        const got = await client.probabilities(0, 100);
        notes.push(`${variant.impl === 'onnxruntime-web' ? 'ORT' : 'TF.js'} ${variant.threads}t ${agreement(got, want)}`);
      }
    }
  } finally {
    await host.stopAll();
  }
  return { rounds, notes };
}

/** "Δp ≤ 4e-7, labels 100/100": a peer's probabilities of the first images against ours. */
function agreement(got: Float32Array, want: Float32Array): string {
  let max = 0;
  let same = 0;
  const rows = want.length / 10;
  for (let r = 0; r < rows; r++) {
    let a = 0;
    let b = 0;
    for (let c = 0; c < 10; c++) {
      max = Math.max(max, Math.abs(got[r * 10 + c]! - want[r * 10 + c]!));
      if (got[r * 10 + c]! > got[r * 10 + a]!) a = c;
      if (want[r * 10 + c]! > want[r * 10 + b]!) b = c;
    }
    if (a === b) same++;
  }
  return `Δp ≤ ${max.toExponential(0)}, labels ${same}/${rows}`;
}

/** Median over rounds of f(round i of a, round i of b). */
function perRound(a: Rounds | undefined, b: Rounds | undefined, f: (a: Rounds, b: Rounds, i: number) => number): number | string {
  if (!a || !b || a.error || b.error || a.singleMedian.length === 0) return '';
  return round(median(a.singleMedian.map((_, i) => f(a, b, i))));
}

function rowsOf(model: TrainedInferModel, measured: Map<Variant, Rounds>, many: number): BenchRow[] {
  const find = (impl: InferImpl, threads: number) => [...measured].find(([v]) => v.impl === impl && v.threads === threads)?.[1];
  const rows: BenchRow[] = [];
  for (const [variant, r] of measured) {
    const row: BenchRow = {
      model: model.name,
      threads: variant.threads,
      impl: variant.impl,
      'first call ms': r.error ? r.error : round(r.firstMs),
      'single µs': r.error ? '' : round(median(r.singleMedian) * 1000),
      'single p90 µs': r.error ? '' : round(median(r.singleP90) * 1000),
      'batch 1,000 images/s': r.error ? '' : Math.round(median(r.imagesPerSecond)),
    };
    if (variant.impl === 'ours') {
      const ort = find('onnxruntime-web', variant.threads);
      const tfjs = find('tfjs-wasm', 1);
      row['× ORT-web single'] = perRound(r, ort, (a, b, i) => b.singleMedian[i]! / a.singleMedian[i]!);
      row['× ORT-web batch'] = perRound(r, ort, (a, b, i) => a.imagesPerSecond[i]! / b.imagesPerSecond[i]!);
      row['× TF.js single'] = perRound(r, tfjs, (a, b, i) => b.singleMedian[i]! / a.singleMedian[i]!);
      row['× TF.js batch'] = perRound(r, tfjs, (a, b, i) => a.imagesPerSecond[i]! / b.imagesPerSecond[i]!);
    }
    if (variant.threads === many && many > 1) {
      const one = find(variant.impl, 1);
      row['× 1 thread single'] = perRound(r, one, (a, b, i) => b.singleMedian[i]! / a.singleMedian[i]!);
      row['× 1 thread batch'] = perRound(r, one, (a, b, i) => a.imagesPerSecond[i]! / b.imagesPerSecond[i]!);
    }
    rows.push(row);
  }
  return rows;
}

export async function run(options: BenchOptions): Promise<BenchRow[]> {
  const host = options.browser ? await (await import('./infer-browser.js')).browserHost() : nodeHost();
  const many = options.threads;
  const variants: Variant[] = [
    { impl: 'ours', threads: 1 },
    { impl: 'onnxruntime-web', threads: 1 },
    { impl: 'tfjs-wasm', threads: 1 },
  ];
  if (many > 1) {
    variants.push({ impl: 'ours', threads: many }, { impl: 'onnxruntime-web', threads: many });
    // TF.js-wasm has threads only in a cross-origin-isolated page.
    if (options.browser) variants.push({ impl: 'tfjs-wasm', threads: many });
  }
  const rows: BenchRow[] = [];
  try {
    const data = await inferData();
    const images = data.test.images;
    for (const name of INFER_MODELS) {
      process.stderr.write(`infer: training ${name}…\n`);
      const model = await trainInferModel(name, data, options.quick ? 640 : 3200, Math.min(2, availableParallelism()));
      process.stderr.write(`infer: ${name} (${(100 * model.accuracy).toFixed(1)}% on 1,000 test images) on ${host.name}…\n`);
      const { rounds, notes } = await measureModel(host, model, images, variants, options);
      const modelRows = rowsOf(model, rounds, many);
      modelRows[0]!.note = `accuracy ${(100 * model.accuracy).toFixed(1)}% after ${model.trainImages} images; vs ours: ${notes.join('; ')}`;
      rows.push(...modelRows);
    }
  } finally {
    await host.close();
  }
  return rows;
}

export const legend =
  'One process (Node worker threads; with --browser, Web Workers of one cross-origin-isolated Chromium page), one ' +
  'worker per implementation and thread count, one working at a time. A call: an image (or 1,000) in, probabilities ' +
  'out, read back; ours takes u8 pixels, the peers f32 values (x/255) converted before timing. first call: the first single-image call ' +
  'after loading the model. single: one call per test image, median and p90 of a round; batch: 1,000 images a call ' +
  'over the test set, after the single images (as an app does), images/s of the median call. Medians over rounds; × columns: medians of per-round ' +
  'ratios, above 1 = ours faster (× 1 thread: N threads against 1, of the same implementation). Ours: ' +
  "`model.predict(image, output)` for one image (into a kept buffer), `model.predict(pixels, count)` for 1,000; the note gives the brief training and the peers' agreement with ours.";
