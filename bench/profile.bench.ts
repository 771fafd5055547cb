// Where a training step's time goes, kernel by kernel, on 1 and N threads: every `core.kernels`
// function is wrapped with performance.now(), then one warm-up fit and one timed fit (the same
// images) run on our paper-reading model (sigmoid, plain SGD, as in the train family) at batch 64.
// The wrapper costs about 0.1 µs per call, the same on both sides. What it is for: a kernel that
// scales worse than the others on threads (it stays on the calling thread, or its split reads what
// the other core wrote) shows up as a low × here long before it shows in seconds per epoch.
import { loadCore, type Core } from '../src/core/index.js';
import { median, round } from './harness.js';
import { ARCHS } from './train.bench.js';
import { loadData, paperModel, type Data } from './train-worker.js';
import type { BenchOptions, BenchRow } from './types.js';

const BATCH = 64;
/** The training images, read once per process (every profile run uses a prefix of them). */
let dataset: Promise<Data> | undefined;

/** µs per training step spent in each kernel (calls per step beside it), and the step's wall time. */
interface Profile {
  stepMicros: number;
  kernels: Map<string, { micros: number; calls: number }>;
}

/**
 * Wraps every `core.kernels` function with performance.now() (about 0.1 µs per call) and returns the
 * running totals, µs and calls per kernel name; clear it to start a measurement.
 */
export function timeKernels(core: Core): Map<string, { micros: number; calls: number }> {
  const totals = new Map<string, { micros: number; calls: number }>();
  const table = core.kernels as unknown as Record<string, unknown>;
  for (const name of Object.keys(table)) {
    const kernel = table[name];
    if (typeof kernel !== 'function' || name.endsWith('_bytes')) continue;
    table[name] = (...args: number[]) => {
      const start = performance.now();
      const result = (kernel as (...a: number[]) => unknown)(...args);
      const entry = totals.get(name) ?? { micros: 0, calls: 0 };
      entry.micros += (performance.now() - start) * 1000;
      entry.calls++;
      totals.set(name, entry);
      return result;
    };
  }
  return totals;
}

export async function profileSteps(arch: (typeof ARCHS)[number], threads: number, images: number): Promise<Profile> {
  const core = await loadCore({ threads, simd: 'strict' });
  const totals = timeKernels(core);
  dataset ??= loadData();
  const data = await dataset;
  const set = { ...data, count: images, images: data.images.subarray(0, images * 784), labels: data.labels.subarray(0, images) };
  const model = await paperModel(core, arch);
  await model.fit(set, { epochs: 1, batchSize: BATCH }); // warm-up: planning, uploads, compilation
  totals.clear();
  const start = performance.now();
  await model.fit(set, { epochs: 1, batchSize: BATCH });
  const steps = Math.ceil(images / BATCH);
  const stepMicros = ((performance.now() - start) * 1000) / steps;
  for (const entry of totals.values()) {
    entry.micros /= steps;
    entry.calls /= steps;
  }
  core.dispose();
  return { stepMicros, kernels: totals };
}

export async function run(options: BenchOptions): Promise<BenchRow[]> {
  const images = options.quick ? 640 : 19_200;
  const rows: BenchRow[] = [];
  const many = `${options.threads} threads µs/step`;
  for (const arch of ARCHS) {
    // Rounds take turns (1 thread, then N), so a slow minute of a shared machine hits both sides.
    const rounds: { one: Profile; spread: Profile }[] = [];
    for (let round = 0; round < options.rounds; round++) {
      rounds.push({ one: await profileSteps(arch, 1, images), spread: await profileSteps(arch, options.threads, images) });
    }
    const row = (kernel: string, calls: number | '', micros: (p: Profile) => number | undefined): BenchRow | undefined => {
      const one = rounds.map((r) => micros(r.one));
      const spread = rounds.map((r) => micros(r.spread));
      if (one.some((x) => x === undefined) || spread.some((x) => x === undefined)) return undefined;
      return {
        model: arch,
        kernel,
        'calls/step': calls,
        '1 thread µs/step': round(median(one as number[])),
        [many]: round(median(spread as number[])),
        '×': round(median(one.map((x, i) => x! / spread[i]!))),
      };
    };
    rows.push(row('whole step', '', (p) => p.stepMicros)!);
    const first = rounds[0]!.one.kernels;
    for (const [name, entry] of [...first].sort((a, b) => b[1].micros - a[1].micros)) {
      if (entry.micros < 0.5) continue;
      const kernelRow = row(name, round(entry.calls), (p) => p.kernels.get(name)?.micros);
      if (kernelRow) rows.push(kernelRow);
    }
  }
  return rows;
}

export const legend =
  'Batch 64, the paper-reading models of the train family, one warm-up fit then one timed fit on the first ' +
  '19,200 training images (--quick: 640), strict SIMD. µs/step: time inside the kernel (each core.kernels call timed ' +
  'with performance.now()) per training step; "whole step" is the timed fit / steps. With --rounds N, 1 and N threads ' +
  'take turns N times: µs are medians, × the median of the per-round ratios (1 thread / N threads). ' +
  'Kernels under 0.5 µs/step are left out. Compare within a run.';
