// Threads: the cost of one dispatch + join, and the heavy kernels on 1 and 2 threads (strict build;
// relaxed too when the runtime has it). Each timing is the median of samples of back-to-back calls
// (so a sample is long enough for the clock), alternating 1 and 2 threads sample by sample so the
// load of a shared machine hits both alike.
// Dispatch: sigmoid over 32 elements with the split threshold at 1 element, so 2 threads split it
// into two 16-element parts: 2 threads − 1 thread = what a dispatch and a join add to a call.
// The typed-array API: core.matmul (copies in, one kernel, copy out; a new result or `out`) on 1 and 2 threads. Sharing:
// cores of 1, 2 and 3 threads alive in one process, each core's core.matmul timed alone (a block of
// calls of that core) and in turn (one call of each core after the other), in rounds taking turns.
import { hasRelaxedSimd, loadCore, type Core } from '../src/core/index.js';
import { splitPolicy } from '../src/core/threads.js';
import { randomF32 } from '../test/helpers/random.js';
import { median, round } from './harness.js';
import type { BenchOptions, BenchRow } from './types.js';

export const legend =
  'µs: median per call over samples of back-to-back calls, 1 and 2 threads alternated sample by sample. ' +
  'dispatch + join: sigmoid of 32 elements split into two parts of 16 (threshold lowered for this row only) minus the same call on one thread. ' +
  "× 1 thread: 1-thread median / 2-thread median (above 1 = threads faster); best ×: the same with each side's fastest sample, " +
  'which on a shared machine approximates the samples where both threads had a core. ' +
  'Sharing rows: GFLOP/s of core.matmul (typed arrays, copies included) of a core of 1, 2 or 3 threads, medians over rounds of ' +
  'a block of its calls alone and of calls in turn with the other two cores; in turn × alone: median of the per-round ratios ' +
  '(1 = the other cores cost it nothing). Compare within a run.';

/** The paper's first dense layer at batch 128, as the typed-array rows multiply it. */
const MATMUL = { m: 128, k: 784, n: 300 } as const;
const matmulGflops = (ms: number) => (2 * MATMUL.m * MATMUL.k * MATMUL.n) / (ms * 1e6);

/** Best (lowest) sample of each function in the last `medians` call: µs per call. */
let best: number[] = [];

/**
 * Medians (µs per call) of `calls` calls of each function, sampled in turns. The best sample of
 * each goes to `best`: on a shared machine it approximates the times when both threads ran.
 */
function medians(fns: (() => void)[], calls: number, samples: number): number[] {
  const times: number[][] = fns.map(() => []);
  for (const fn of fns) for (let i = 0; i < calls; i++) fn(); // warm-up
  for (let s = 0; s < samples; s++) {
    fns.forEach((fn, f) => {
      const start = performance.now();
      for (let i = 0; i < calls; i++) fn();
      times[f]!.push(((performance.now() - start) * 1000) / calls);
    });
  }
  best = times.map((list) => Math.min(...list));
  return times.map((list) => list.sort((x, y) => x - y)[Math.floor(list.length / 2)]!);
}

/** Buffers of `lengths` f32 in the core's arena, filled with seeded values. */
function buffers(core: Core, lengths: number[]): number[] {
  return lengths.map((length, i) => {
    const buffer = core.arena.allocateCommitted(`bench/${i}`, [length]);
    core.arena.f32(buffer).set(randomF32(length, 100 + i));
    return buffer.byteOffset;
  });
}

/** A row of the table: medians of 1 and 2 threads, and the ratio of each side's fastest sample (`best`). */
function timedRow(simd: string, kernel: string, shape: string, t1: number, t2: number, note: string): BenchRow {
  return {
    simd,
    kernel,
    shape,
    '1 thread µs': round(t1),
    '2 threads µs': round(t2),
    '× 1 thread': round(t1 / t2),
    'best × 1 thread': round(best[0]! / best[1]!),
    note,
  };
}

/** timedRow whose note is each side's GFLOP/s for `flop` per call, then `suffix`. */
function gflopsRow(simd: string, kernel: string, shape: string, flop: number, t1: number, t2: number, suffix = ''): BenchRow {
  return timedRow(simd, kernel, shape, t1, t2, `${round(flop / (t1 * 1e3))} / ${round(flop / (t2 * 1e3))} GFLOP/s${suffix}`);
}

export async function run(options: BenchOptions): Promise<BenchRow[]> {
  const samples = options.quick ? 9 : 25;
  const rows: BenchRow[] = [];
  const modes = hasRelaxedSimd() ? (['strict', 'relaxed'] as const) : (['strict'] as const);
  for (const simd of modes) {
    const cores = [await loadCore({ threads: 1, simd }), await loadCore({ threads: 2, simd })];

    // Dispatch + join.
    const tiny = cores.map((core) => buffers(core, [32, 32]));
    const saved = splitPolicy.minPartElements;
    splitPolicy.minPartElements = 1;
    const [one, two] = medians(
      cores.map((core, c) => () => core.kernels.sigmoid_f32_forward(tiny[c]![0]!, tiny[c]![1]!, 32)),
      2000,
      samples,
    );
    splitPolicy.minPartElements = saved;
    rows.push({
      simd,
      kernel: 'dispatch + join (sigmoid 32 → 2 x 16)',
      shape: '32',
      '1 thread µs': round(one!),
      '2 threads µs': round(two!),
      '× 1 thread': '',
      note: `dispatch + join ≈ ${round(two! - one!)} µs`,
    });

    // The typed-array API: what an embedder calling core.matmul sees, copies included; a new
    // result array each call, then the result into a kept one (`out`).
    {
      const { m, k, n } = MATMUL;
      const a = randomF32(m * k, 1);
      const b = randomF32(k * n, 2);
      const outs = cores.map(() => new Float32Array(m * n));
      for (const [kernel, call] of [
        ['core.matmul (typed arrays)', (core: Core) => core.matmul(a, b, m, k, n)],
        ['core.matmul (typed arrays, into out)', (core: Core, c: number) => core.matmul(a, b, m, k, n, outs[c])],
      ] as const) {
        const [t1, t2] = medians(
          cores.map((core, c) => () => call(core, c)),
          options.quick ? 5 : 20,
          samples,
        );
        rows.push(gflopsRow(simd, kernel, `${m}x${k}x${n}`, 2 * m * k * n, t1!, t2!, ', copies included'));
      }
    }

    // GEMM at the paper's shapes, and the elementwise / optimizer kernels at an MLP's sizes.
    const gemms = [
      { kernel: 'gemm_f32_nn', m: 128, k: 784, n: 300 },
      { kernel: 'gemm_f32_tn', m: 784, k: 128, n: 300 },
      { kernel: 'gemm_f32_nt', m: 128, k: 300, n: 784 },
      { kernel: 'gemm_f32_nn', m: 15, k: 784, n: 300 },
      { kernel: 'gemm_f32_nn', m: 64, k: 300, n: 200 },
    ] as const;
    for (const { kernel, m, k, n } of gemms) {
      const addresses = cores.map((core) => {
        const [a, b, c] = buffers(core, [m * k, k * n, m * n]);
        const workspace = core.arena.allocateCommitted('bench/workspace', [core.exports.gemm_f32_workspace_bytes()], 'u8').byteOffset;
        return { a: a!, b: b!, c: c!, workspace };
      });
      // About 50 ms per sample at 40 GFLOP/s: the worker stays warm (spinning) through a sample, as in
      // a training step, instead of every sample measuring a wake-up from Atomics.wait.
      const calls = Math.max(10, Math.round(2e9 / (2 * m * k * n)));
      const [t1, t2] = medians(
        cores.map((core, i) => {
          const { a, b, c, workspace } = addresses[i]!;
          const fn = core.kernels[kernel];
          return () => fn(c, a, b, workspace, m, k, n, 0);
        }),
        calls,
        samples,
      );
      rows.push(gflopsRow(simd, kernel, `${m}x${k}x${n}`, 2 * m * k * n, t1!, t2!));
    }
    // The CNN's first layer and its pooling at batch 64 (bench/shapes.ts' conv shape).
    {
      const [batch, size, cin, kernelSize, cout] = [64, 28, 1, 3, 32];
      const out = size - kernelSize + 1;
      const pooled = Math.floor(out / 2);
      const shape = [batch, size, size, cin, kernelSize, kernelSize, cout, 0] as const;
      const flop = 2 * batch * out * out * kernelSize * kernelSize * cin * cout;
      const addresses = cores.map((core) => {
        const [input, filters, bias, output, dinput, dfilters, dbias, doutput, pool, dpool] = buffers(core, [
          batch * size * size * cin,
          kernelSize * kernelSize * cin * cout,
          cout,
          batch * out * out * cout,
          batch * size * size * cin,
          kernelSize * kernelSize * cin * cout,
          cout,
          batch * out * out * cout,
          batch * pooled * pooled * cout,
          batch * pooled * pooled * cout,
        ]);
        const argmax = core.arena.allocateCommitted('bench/argmax', [batch * pooled * pooled * cout], 'i32').byteOffset;
        const workspace = core.arena.allocateCommitted(
          'bench/workspace',
          [core.exports.conv2d_f32_workspace_bytes(...shape)],
          'u8',
        ).byteOffset;
        core.kernels.maxpool2d_f32_nhwc_forward(pool!, argmax, output!, batch, out, out, cout, 2, 2);
        return {
          input: input!,
          filters: filters!,
          bias: bias!,
          output: output!,
          dinput: dinput!,
          dfilters: dfilters!,
          dbias: dbias!,
          doutput: doutput!,
          pool: pool!,
          dpool: dpool!,
          argmax,
          workspace,
        };
      });
      const tag = `${batch}x${size}x${size}x${cin} ${kernelSize}x${kernelSize}->${cout} valid`;
      const convs: [string, string, number | undefined, (core: Core, x: (typeof addresses)[number]) => void][] = [
        [
          'conv2d_f32_nhwc_forward',
          tag,
          flop,
          (core, x) => core.kernels.conv2d_f32_nhwc_forward(x.output, x.input, x.filters, x.bias, x.workspace, ...shape),
        ],
        [
          'conv2d_f32_nhwc_backward_data',
          tag,
          flop,
          (core, x) => core.kernels.conv2d_f32_nhwc_backward_data(x.dinput, x.doutput, x.filters, x.workspace, ...shape),
        ],
        [
          'conv2d_f32_nhwc_backward_filter',
          tag,
          flop,
          (core, x) => core.kernels.conv2d_f32_nhwc_backward_filter(x.dfilters, x.dbias, x.input, x.doutput, x.workspace, ...shape, 0),
        ],
        [
          'maxpool2d_f32_nhwc_forward',
          `${batch}x${out}x${out}x${cout} 2x2`,
          undefined,
          (core, x) => core.kernels.maxpool2d_f32_nhwc_forward(x.pool, x.argmax, x.output, batch, out, out, cout, 2, 2),
        ],
        [
          'maxpool2d_f32_nhwc_backward',
          `${batch}x${out}x${out}x${cout} 2x2`,
          undefined,
          (core, x) => core.kernels.maxpool2d_f32_nhwc_backward(x.doutput, x.dpool, x.argmax, batch, out, out, cout, 2, 2),
        ],
      ];
      for (const [kernel, shapeText, flops, call] of convs) {
        const [t1, t2] = medians(
          cores.map((core, i) => () => call(core, addresses[i]!)),
          40,
          samples,
        );
        rows.push(
          flops === undefined ? timedRow(simd, kernel, shapeText, t1!, t2!, '') : gflopsRow(simd, kernel, shapeText, flops, t1!, t2!),
        );
      }
    }
    for (const count of [19_200, 266_200]) {
      const addresses = cores.map((core) => buffers(core, [count, count]));
      const [t1, t2] = medians(
        cores.map((core, i) => () => core.kernels.sgd_f32_step(addresses[i]![0]!, addresses[i]![1]!, count, 1e-9)),
        1000,
        samples,
      );
      rows.push(timedRow(simd, 'sgd_f32_step', String(count), t1!, t2!, ''));
    }
    // Batch norm after the best preset's first convolution (batch 64, 28x28, 32 channels): by columns.
    {
      const [rowsCount, cols] = [64 * 28 * 28, 32];
      const addresses = cores.map((core) => {
        const [x, y, dy, dx, mean, invstd, movingMean, movingVar, gamma, beta, dgamma, dbeta] = buffers(core, [
          ...[rowsCount * cols, rowsCount * cols, rowsCount * cols, rowsCount * cols],
          ...Array.from({ length: 8 }, () => cols),
        ]);
        const workspace = core.arena.allocateCommitted('bench/bn-workspace', [core.exports.batchnorm_f32_workspace_bytes(cols)], 'u8');
        return { x, y, dy, dx, mean, invstd, movingMean, movingVar, gamma, beta, dgamma, dbeta, workspace: workspace.byteOffset };
      });
      const calls: [string, (core: Core, a: (typeof addresses)[number]) => void][] = [
        [
          'batchnorm_f32_forward_train',
          (core, a) =>
            core.kernels.batchnorm_f32_forward_train(
              a.y!,
              a.mean!,
              a.invstd!,
              a.movingMean!,
              a.movingVar!,
              a.x!,
              a.gamma!,
              a.beta!,
              a.workspace,
              rowsCount,
              cols,
              0.99,
              1e-3,
            ),
        ],
        [
          'batchnorm_f32_backward',
          (core, a) =>
            core.kernels.batchnorm_f32_backward(a.dx!, a.dgamma!, a.dbeta!, a.dy!, a.x!, a.mean!, a.invstd!, a.gamma!, rowsCount, cols),
        ],
      ];
      for (const [kernel, call] of calls) {
        const [t1, t2] = medians(
          cores.map((core, i) => () => call(core, addresses[i]!)),
          40,
          samples,
        );
        rows.push(timedRow(simd, kernel, `${rowsCount}x${cols}`, t1!, t2!, ''));
      }
    }
    for (const core of cores) core.dispose();
  }
  rows.push(...(await sharingRows('strict', options.quick ? 3 : 9, options.quick ? 5 : 20)));
  return rows;
}

/**
 * Cores of 1, 2 and 3 threads alive in one process, sharing the pool's workers: each core's
 * core.matmul timed alone (a block of `calls` calls of that core only) and in turn (`calls`
 * rounds of one call of each core), the two taking turns `rounds` times. In turn, each core should
 * run about as fast as alone: the workers a core does not use must not take the CPU from it.
 */
export async function sharingRows(simd: 'strict' | 'relaxed', rounds: number, calls: number): Promise<BenchRow[]> {
  const { m, k, n } = MATMUL;
  const a = randomF32(m * k, 1);
  const b = randomF32(k * n, 2);
  const cores = [await loadCore({ threads: 1, simd }), await loadCore({ threads: 2, simd }), await loadCore({ threads: 3, simd })];
  const call = (core: Core) => core.matmul(a, b, m, k, n);
  for (const core of cores) for (let i = 0; i < 3; i++) call(core);
  const alone: number[][] = cores.map(() => []);
  const inTurn: number[][] = cores.map(() => []);
  for (let r = 0; r < rounds; r++) {
    cores.forEach((core, c) => {
      const start = performance.now();
      for (let i = 0; i < calls; i++) call(core);
      alone[c]!.push((performance.now() - start) / calls);
    });
    const sums = cores.map(() => 0);
    for (let i = 0; i < calls; i++) {
      cores.forEach((core, c) => {
        const start = performance.now();
        call(core);
        sums[c]! += performance.now() - start;
      });
    }
    sums.forEach((sum, c) => inTurn[c]!.push(sum / calls));
  }
  for (const core of cores) core.dispose();
  return cores.map((core, c) => ({
    simd,
    kernel: `sharing: core.matmul on ${core.threads} thread${core.threads === 1 ? '' : 's'} (cores of 1, 2, 3 alive)`,
    shape: `${m}x${k}x${n}`,
    'alone GFLOP/s': round(matmulGflops(median(alone[c]!))),
    'in turn GFLOP/s': round(matmulGflops(median(inTurn[c]!))),
    'in turn × alone': round(median(alone[c]!.map((t, r) => t / inTurn[c]![r]!))),
  }));
}
