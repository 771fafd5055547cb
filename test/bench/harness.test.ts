// Smoke test of the benchmark harness (bench/): one tiny benchmark of ours and of a tfjs peer runs
// for a few iterations and yields well-formed rows; one training configuration runs in its worker.
// Tests never time anything: no assertion here depends on a speed.
import { describe, expect, it } from 'vitest';
import { kernelRow, loadRelease, measure, measurements, median, WasmHeap, type Stats } from '../../bench/harness.js';
import { formatTable } from '../../bench/main.js';
import { measurePeers } from '../../bench/peers/tfjs.js';
import { failureCell, oursVariants, relaxedSimdFlags, runWorker, trainFlopPerImage } from '../../bench/train.bench.js';
import { run as runThreads } from '../../bench/threads.bench.js';
import { profileSteps } from '../../bench/profile.bench.js';
import { randomF32 } from '../helpers/random.js';

const quick = { quick: true, threads: 2, rounds: 1 };

function expectStats(t: unknown): asserts t is Stats {
  expect(typeof t).toBe('object');
  const s = t as Stats;
  expect(Number.isFinite(s.median) && s.median >= 0).toBe(true);
  expect(s.mad).toBeGreaterThanOrEqual(0);
  expect(s.p25).toBeLessThanOrEqual(s.p75);
  expect(s.samples).toBeGreaterThanOrEqual(1);
}

describe('bench harness', () => {
  it('times a kernel of ours and a tfjs op and builds a kernel row', async () => {
    const core = await loadRelease();
    const heap = new WasmHeap(core);
    const n = 1000;
    const px = heap.put(randomF32(n, 1));
    const py = heap.nan(n);
    const label = { family: 'smoke', kernel: 'sigmoid_f32_forward', shape: `${n}` };
    const ours = await measure(() => core.sigmoid_f32_forward(py, px, n), quick, { ...label, impl: 'ours' });
    expectStats(ours);
    expect(measurements.some((m) => m.family === 'smoke' && m.impl === 'ours')).toBe(true);

    const x = randomF32(n, 2);
    const { timings, notes } = await measurePeers(
      {
        kernels: ['Sigmoid'],
        setup: (t) => {
          const tx = t.tensor1d(x);
          return { run: () => t.sigmoid(tx), dispose: () => tx.dispose() };
        },
        check: (values) => (values.length === n ? '' : `got ${values.length} values`),
      },
      quick,
      label,
    );
    expect(notes).toEqual([]);
    expectStats(timings['tfjs-wasm']);
    expectStats(timings['tfjs-cpu']);

    const row = kernelRow({ ...label, ours, peers: timings, bytes: 8 * n, note: 'smoke' });
    for (const column of ['kernel', 'shape', 'ours ms', 'tfjs-wasm ms', 'tfjs-cpu ms', 'ours GB/s', '× tfjs-wasm', '× tfjs-cpu', 'note']) {
      expect(row).toHaveProperty([column]);
    }
    expect(row['ours ms']).toMatch(/^\d+(\.\d+)? ±\d+%$/);
    expect(typeof row['× tfjs-wasm']).toBe('number');
    expect(formatTable([row]).split('\n')[0]).toContain('| kernel | shape | ours ms |');
  });

  it('reports a missing tfjs kernel instead of a time', async () => {
    const { timings } = await measurePeers(
      {
        kernels: ['NoSuchKernel'],
        setup: () => {
          throw new Error('not reached');
        },
      },
      quick,
      { family: 'smoke', kernel: 'none', shape: '1' },
    );
    expect(timings['tfjs-wasm']).toBe('no kernel (NoSuchKernel)');
    expect(failureCell("Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'")).toBe(
      'cannot train: Conv2DBackpropFilter missing',
    );
  });

  it('counts training FLOPs from the layer shapes', () => {
    // 3 × forward − the first layer's dX: 3·2·(784·300 + 300·10) − 2·784·300
    expect(trainFlopPerImage('scratch-mlp')).toBe(3 * 2 * (784 * 300 + 300 * 10) - 2 * 784 * 300);
    expect(trainFlopPerImage('cnn')).toBe(
      3 * (2 * 26 * 26 * 9 * 32 + 2 * (5408 * 200 + 200 * 100 + 100 * 50 + 50 * 10)) - 2 * 26 * 26 * 9 * 32,
    );
  });

  it('takes the median of rounds (the lower middle one for an even count)', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2);
    expect(median([5])).toBe(5);
    expect(median([])).toBeNaN();
  });

  it('runs one training configuration in a worker process', () => {
    const result = runWorker({ impl: 'ours', arch: 'scratch-mlp', batchSize: 15, budgetSeconds: 0.05, maxSteps: 2 }, 300);
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.steps).toBeGreaterThanOrEqual(1);
    expect(result.images).toBe(Math.min(result.steps * 15, result.epochImages));
    expect(Number.isFinite(result.secondsPerEpoch)).toBe(true);
    expect(result.peakRssMiB).toBeGreaterThan(0);
    expect(['fashion-mnist', 'random']).toContain(result.data);
  });

  it('runs ours on two threads, and on the relaxed build when the runtime allows it', () => {
    const flags = relaxedSimdFlags();
    expect(oursVariants(flags !== undefined).map((v) => v.label)).toEqual(
      flags === undefined ? ['ours', 'ours 2 threads'] : ['ours', 'ours 2 threads', 'ours relaxed', 'ours relaxed 2 threads'],
    );
    const result = runWorker(
      {
        impl: 'ours',
        arch: 'mlp',
        batchSize: 64,
        budgetSeconds: 0.05,
        maxSteps: 2,
        threads: 2,
        ...(flags ? { simd: 'relaxed' as const } : {}),
      },
      300,
      flags ?? [],
    );
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
  });

  it('profiles a training step kernel by kernel, seeing every call of the step', async () => {
    // 256 images at batch 64: 4 steps of scratch-mlp, each 2 dense forwards (784→300, 300→10), 2 dW
    // products with the SGD step folded in, 1 dX; no other parameter, so no separate SGD call.
    const { stepMicros, kernels } = await profileSteps('scratch-mlp', 2, 256);
    expect(stepMicros).toBeGreaterThan(0);
    expect(kernels.get('dense_f32_forward')?.calls).toBe(2);
    expect(kernels.get('gemm_f32_tn_sgd')?.calls).toBe(2);
    expect(kernels.get('gemm_f32_nt')?.calls).toBe(1);
    expect(kernels.get('sgd_f32_step')).toBeUndefined();
    expect(kernels.get('gather_batch_u8_f32')?.calls).toBe(1);
  });

  it('measures the threads family: a dispatch row, 1 vs 2 thread rows and the sharing rows', async () => {
    const rows = await runThreads(quick);
    expect(rows[0]!.kernel).toMatch(/^dispatch \+ join/);
    const sharing = rows.filter((row) => String(row.kernel).startsWith('sharing: '));
    for (const row of rows) {
      if (sharing.includes(row)) continue;
      expect(Number(row['1 thread µs'])).toBeGreaterThan(0);
      expect(Number(row['2 threads µs'])).toBeGreaterThan(0);
    }
    expect(rows.some((row) => row.kernel === 'gemm_f32_nn' && row.shape === '128x784x300')).toBe(true);
    expect(rows.some((row) => row.kernel === 'core.matmul (typed arrays)')).toBe(true);
    // Cores of 1, 2 and 3 threads, each timed alone and in turn with the others.
    expect(sharing.map((row) => String(row.kernel).match(/on (\d) thread/)?.[1])).toEqual(['1', '2', '3']);
    for (const row of sharing) {
      expect(Number(row['alone GFLOP/s'])).toBeGreaterThan(0);
      expect(Number(row['in turn GFLOP/s'])).toBeGreaterThan(0);
    }
  });
});
