// Where a training step's time goes, kernel by kernel, on 1 and N threads: every `core.kernels`
// function is wrapped with performance.now(), then one warm-up fit and one timed fit (the same
// images) run on our paper-reading model (sigmoid, plain SGD, as in the train family) at batch 64.
// The wrapper costs about 0.1 µs per call, the same on both sides. What it is for: a kernel that
// scales worse than the others on threads (it stays on the calling thread, or its split reads what
// the other core wrote) shows up as a low × here long before it shows in seconds per epoch.
import { loadCore } from '../src/core/index.js';
import { ARCHS } from './train.bench.js';
import { loadData, paperModel } from './train-worker.js';
import type { BenchOptions, BenchRow } from './types.js';

const BATCH = 64;

/** µs per training step spent in each kernel (calls per step beside it), and the step's wall time. */
export async function profileSteps(
  arch: (typeof ARCHS)[number],
  threads: number,
  images: number,
): Promise<{ stepMicros: number; kernels: Map<string, { micros: number; calls: number }> }> {
  const core = await loadCore({ threads, simd: 'strict' });
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
  const data = await loadData();
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

function round(x: number): number {
  return Number(x.toPrecision(3));
}

export async function run(options: BenchOptions): Promise<BenchRow[]> {
  const images = options.quick ? 640 : 19_200;
  const rows: BenchRow[] = [];
  const many = `${options.threads} threads µs/step`;
  for (const arch of ARCHS) {
    const one = await profileSteps(arch, 1, images);
    const spread = await profileSteps(arch, options.threads, images);
    rows.push({
      model: arch,
      kernel: 'whole step',
      'calls/step': '',
      '1 thread µs/step': round(one.stepMicros),
      [many]: round(spread.stepMicros),
      '×': round(one.stepMicros / spread.stepMicros),
    });
    const kernels = [...one.kernels].sort((a, b) => b[1].micros - a[1].micros);
    for (const [name, entry] of kernels) {
      const other = spread.kernels.get(name);
      if (entry.micros < 0.5 || other === undefined) continue;
      rows.push({
        model: arch,
        kernel: name,
        'calls/step': round(entry.calls),
        '1 thread µs/step': round(entry.micros),
        [many]: round(other.micros),
        '×': round(entry.micros / other.micros),
      });
    }
  }
  return rows;
}

export const legend =
  'Batch 64, the paper-reading models of the train family, one warm-up fit then one timed fit on the first ' +
  '19,200 training images (--quick: 640), strict SIMD. µs/step: time inside the kernel (each core.kernels call timed ' +
  'with performance.now()) per training step; "whole step" is the timed fit / steps. ×: 1 thread / N threads. ' +
  'Kernels under 0.5 µs/step are left out. One run of each: compare within a run.';
