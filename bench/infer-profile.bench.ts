// Where one image's `model.predict(image, output)` goes (`npm run bench -- infer-profile`): the models of
// the infer family (bench/infer-models.ts), loaded from their files, on 1 and N threads. After a
// warm-up of single-image calls on other images, the same calls are timed twice: plain (the
// figure an app sees) and instrumented, each `core.kernels` function wrapped with performance.now()
// (profile.bench.ts's timeKernels, about 0.1 µs per kernel call, counted in the kernels' figures)
// and three methods of the model code wrapped from outside: Sequential.predict (the whole call),
// Inference.one (checks, the run lookup, the copy out) and Inference.pass (the upload and the layer
// loop). The differences split the call into:
//   outside Inference.one: Sequential.predict's dispatch and the Inference lookup;
//   Inference.one's own JS: the image and output checks, runs.inferenceFor, the copy of the output;
//   Inference.pass's own JS: the views' check, the pixels' copy, the layers' forward code around
//     their calls into core.kernels (and, on N threads, the dispatch wrappers around the kernels);
//   each kernel (µs per image, calls per image).
// Medians over the instrumented calls, part by part (on a shared machine a mean is its outliers'),
// so the parts add up only roughly; the plain call's median beside them.
// Then batches: predict of 1,000 images a call, each kernel's ms per call and the products'
// GFLOP/s against the peak probe measured right before (how close a batch runs to the machine).
import { availableParallelism } from 'node:os';
import { Inference } from '../src/models/inference.js';
import { Sequential } from '../src/models/sequential.js';
import { deserializeModel, loadCore } from '../src/public.js';
import { median, round } from './harness.js';
import { INFER_MODELS, inferData, trainInferModel } from './infer-models.js';
import { probeGflops } from './probe.js';
import { timeKernels } from './profile.bench.js';
import type { BenchOptions, BenchRow } from './types.js';

type Method = (this: unknown, ...args: unknown[]) => unknown;

/** Replaces `object[name]` with a wrapper timing each call into `into` (ms, with the kernel time inside); returns the undo. */
function wrapMethod(object: object, name: string, into: { ms: number; kernelMs: number }, kernelMs: () => number): () => void {
  const target = object as Record<string, Method>;
  const original = target[name]!;
  target[name] = function (this: unknown, ...args: unknown[]) {
    const k0 = kernelMs();
    const t0 = performance.now();
    try {
      return original.apply(this, args);
    } finally {
      into.ms += performance.now() - t0;
      into.kernelMs += kernelMs() - k0;
    }
  };
  return () => {
    target[name] = original;
  };
}

interface Split {
  plainMedianUs: number;
  totalUs: number;
  outsideExecutorUs: number;
  executorJsUs: number;
  forwardJsUs: number;
  kernels: [string, { micros: number; calls: number }][];
}

async function profileModel(bytes: Uint8Array, images: Uint8Array, threads: number, calls: number): Promise<Split> {
  const core = await loadCore({ threads, simd: 'strict' });
  const model = await deserializeModel(bytes, { core });
  const image = (i: number) => images.subarray(i * 784, (i + 1) * 784);
  try {
    const out = new Float32Array(10);
    for (let i = 0; i < 200; i++) model.predict(image(5000 + i), out);
    const plain = new Float64Array(calls);
    for (let i = 0; i < calls; i++) {
      const t0 = performance.now();
      model.predict(image(i), out);
      plain[i] = performance.now() - t0;
    }
    const kernels = timeKernels(core);
    const kernelMs = () => {
      let sum = 0;
      for (const entry of kernels.values()) sum += entry.micros;
      return sum / 1000;
    };
    const total = { ms: 0, kernelMs: 0 };
    const executor = { ms: 0, kernelMs: 0 };
    const forward = { ms: 0, kernelMs: 0 };
    const undo = [
      wrapMethod(Sequential.prototype, 'predict', total, kernelMs),
      wrapMethod(Inference.prototype, 'one', executor, kernelMs),
      wrapMethod(Inference.prototype, 'pass', forward, kernelMs),
    ];
    // Per call: the parts' deltas, so each part gets its own median (robust on a shared machine).
    const parts = { total: [] as number[], outside: [] as number[], executorJs: [] as number[], forwardJs: [] as number[] };
    const perKernel = new Map<string, number[]>();
    const snapshot = () => ({
      total: total.ms,
      executor: executor.ms,
      executorKernels: executor.kernelMs,
      forward: forward.ms,
      forwardKernels: forward.kernelMs,
      kernels: new Map([...kernels].map(([n, e]) => [n, e.micros])),
    });
    try {
      for (let i = 0; i < calls; i++) {
        const a = snapshot();
        model.predict(image(i), out);
        const b = snapshot();
        const d = (f: (x: typeof a) => number) => (f(b) - f(a)) * 1000;
        parts.total.push(d((x) => x.total));
        parts.outside.push(d((x) => x.total - x.executor));
        parts.executorJs.push(d((x) => x.executor - x.forward - (x.executorKernels - x.forwardKernels)));
        parts.forwardJs.push(d((x) => x.forward - x.forwardKernels));
        for (const [n, micros] of b.kernels) {
          if (!perKernel.has(n)) perKernel.set(n, []);
          perKernel.get(n)!.push(micros - (a.kernels.get(n) ?? 0));
        }
      }
    } finally {
      for (const u of undo) u();
    }
    return {
      plainMedianUs: median([...plain]) * 1000,
      totalUs: median(parts.total),
      outsideExecutorUs: median(parts.outside),
      executorJsUs: median(parts.executorJs),
      forwardJsUs: median(parts.forwardJs),
      kernels: [...perKernel]
        .map(
          ([name, list]) =>
            [name, { micros: median(list), calls: kernels.get(name)!.calls / calls }] as [string, { micros: number; calls: number }],
        )
        .sort((x, y) => y[1].micros - x[1].micros),
    };
  } finally {
    model.dispose();
  }
}

/** Where the FLOPs of the products are: m, k, n of dense_f32_forward and gemm_f32_nn by argument position. */
const PRODUCT_SIZES: Record<string, readonly [number, number, number]> = { dense_f32_forward: [5, 6, 7], gemm_f32_nn: [4, 5, 6] };

interface BatchSplit {
  plainMs: number;
  /** Per kernel: ms and calls per 1,000 images, and the products' FLOPs per 1,000 images. */
  kernels: [string, { ms: number; calls: number; flop: number }][];
}

/**
 * predict of 1,000 images a call (`calls` calls over the test set, after a warm-up): the plain call's
 * median, then per kernel its time per call (instrumented calls, medians) and, for the products,
 * their FLOPs: the batch profile that shows where a batch's time goes and how close the products
 * run to the machine's f32x4 peak.
 */
async function profileBatch(bytes: Uint8Array, images: Uint8Array, threads: number, calls: number): Promise<BatchSplit> {
  const core = await loadCore({ threads, simd: 'strict' });
  const model = await deserializeModel(bytes, { core });
  const batch = (i: number) => images.subarray(((i * 1000) % 10_000) * 784, (((i * 1000) % 10_000) + 1000) * 784);
  const out = new Float32Array(10_000);
  try {
    for (let i = 0; i < 5; i++) model.predict(batch(i), 1000, out);
    const plain: number[] = [];
    for (let i = 0; i < calls; i++) {
      const t0 = performance.now();
      model.predict(batch(i), 1000, out);
      plain.push(performance.now() - t0);
    }
    const totals = timeKernels(core);
    const flop = new Map<string, number>();
    const table = core.kernels as unknown as Record<string, (...args: number[]) => unknown>;
    for (const [name, [m, k, n]] of Object.entries(PRODUCT_SIZES)) {
      const timed = table[name]!;
      table[name] = (...args: number[]) => {
        flop.set(name, (flop.get(name) ?? 0) + 2 * args[m]! * args[k]! * args[n]!);
        return timed(...args);
      };
    }
    const perKernel = new Map<string, number[]>();
    for (let i = 0; i < calls; i++) {
      const before = new Map([...totals].map(([name, e]) => [name, e.micros]));
      model.predict(batch(i), 1000, out);
      for (const [name, e] of totals) {
        if (!perKernel.has(name)) perKernel.set(name, []);
        perKernel.get(name)!.push((e.micros - (before.get(name) ?? 0)) / 1000);
      }
    }
    return {
      plainMs: median(plain),
      kernels: [...perKernel]
        .map(
          ([name, list]) =>
            [name, { ms: median(list), calls: totals.get(name)!.calls / calls, flop: (flop.get(name) ?? 0) / calls }] as [
              string,
              { ms: number; calls: number; flop: number },
            ],
        )
        .sort((x, y) => y[1].ms - x[1].ms),
    };
  } finally {
    model.dispose();
  }
}

export async function run(options: BenchOptions): Promise<BenchRow[]> {
  const calls = options.quick ? 300 : 2000;
  const data = await inferData();
  const rows: BenchRow[] = [];
  const many = options.threads;
  for (const name of INFER_MODELS) {
    const model = await trainInferModel(name, data, options.quick ? 640 : 3200, Math.min(2, availableParallelism()));
    const threadCounts = many > 1 ? [1, many] : [1];
    // Rounds take turns between the thread counts; µs are medians over rounds.
    const splits = new Map<number, Split[]>(threadCounts.map((t) => [t, []]));
    for (let r = 0; r < options.rounds; r++) {
      for (const t of threadCounts) splits.get(t)!.push(await profileModel(model.ours, data.test.images, t, calls));
    }
    for (const t of threadCounts) {
      const s = splits.get(t)!;
      const m = (f: (x: Split) => number) => round(median(s.map(f)));
      const row = (part: string, us: number, callsPerImage: number | '' = '') => ({
        model: name,
        threads: t,
        part,
        'calls/image': callsPerImage,
        'µs/image': us,
      });
      rows.push(
        row(
          'predict(image, output), plain: median',
          m((x) => x.plainMedianUs),
        ),
      );
      rows.push(
        row(
          'predict(image, output), instrumented',
          m((x) => x.totalUs),
        ),
      );
      rows.push(
        row(
          '  outside Inference.one (predict dispatch, inference lookup)',
          m((x) => x.outsideExecutorUs),
        ),
      );
      rows.push(
        row(
          '  Inference.one JS (checks, run lookup, copy out)',
          m((x) => x.executorJsUs),
        ),
      );
      rows.push(
        row(
          '  Inference.pass JS (views, upload, layer loop, calls into core.kernels)',
          m((x) => x.forwardJsUs),
        ),
      );
      const kernelSum = m((x) => x.kernels.reduce((sum, [, e]) => sum + e.micros, 0));
      rows.push(row('  kernels, sum of the medians', kernelSum));
      for (const [kernel, entry] of s[0]!.kernels) {
        const micros = m((x) => x.kernels.find(([n]) => n === kernel)?.[1].micros ?? 0);
        rows.push(row(`    ${kernel}`, micros, round(entry.calls)));
      }
    }
    // Batches: predict of 1,000 images a call; the probe measured right before each profile.
    for (const t of threadCounts) {
      const probes: number[] = [];
      const batches: BatchSplit[] = [];
      for (let r = 0; r < options.rounds; r++) {
        probes.push(probeGflops());
        batches.push(await profileBatch(model.ours, data.test.images, t, options.quick ? 5 : 20));
      }
      const probe = median(probes);
      const row = (part: string, ms: number | '', callsPerBatch: number | '' = '', gflops: number | '' = '') => ({
        model: name,
        threads: t,
        part,
        'calls/1,000': callsPerBatch,
        'ms/1,000': ms,
        'GFLOP/s': gflops,
        '% of probe': gflops === '' ? '' : round((100 * gflops) / (t * probe)),
      });
      rows.push(row('predict(1,000 images), plain: median', round(median(batches.map((b) => b.plainMs)))));
      for (const [kernel, entry] of batches[0]!.kernels) {
        const ms = median(batches.map((b) => b.kernels.find(([n]) => n === kernel)?.[1].ms ?? 0));
        rows.push(row(`    ${kernel}`, round(ms), round(entry.calls), entry.flop > 0 ? round(entry.flop / (ms * 1e6)) : ''));
      }
      rows.push(row(`    (peak_f32x4_probe ${round(probe)} GFLOP/s a thread, measured before each round)`, ''));
    }
  }
  return rows;
}

export const legend =
  'Single-image rows (µs/image): one image per predict(image, output) call, u8 pixels, strict build; the models of the infer family loaded from their files. ' +
  'plain: median of uninstrumented calls; the other rows are medians, part by part, of instrumented calls (kernels ' +
  'wrapped with performance.now(), about 0.1 µs each, counted in the kernel rows), split as the file header says. With --rounds N ' +
  'the thread counts take turns and the figures are medians over rounds. ' +
  'Batch rows (ms/1,000): predict(pixels, 1000, output) over the test set; plain: median call; per kernel: medians over instrumented calls; ' +
  'GFLOP/s of the products (2·m·k·n per call) and their % of the peak probe times the thread count.';
