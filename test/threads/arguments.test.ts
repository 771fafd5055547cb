// core.kernels checks every kernel's pointers, sizes and flags (from the kernel table) before it
// runs or dispatches anything, on one thread and on several: a bad argument is an ArgumentError
// naming the kernel and the argument, never a hang (an undefined size once made a 2-thread GEMM
// wait forever for parts nobody ran). A disposed core throws DisposedError.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KERNELS } from '../../src/core/kernel-table.js';
import { type ActivationCode, loadCore, type Core } from '../../src/core/index.js';
import { workerPool } from '../../src/core/pool.js';
import { ArgumentError, DisposedError } from '../../src/errors.js';
import { createModel } from '../../src/models/architectures.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
type Spec = { args: readonly { name: string; kind: string; values?: readonly number[]; min?: number }[] };
const TABLE = KERNELS as unknown as Record<string, Spec>;

describe('core.kernels argument checks', () => {
  const cores = new Map<number, Core>();
  beforeAll(async () => {
    for (const threads of [1, 2]) cores.set(threads, await loadCore({ threads, simd: 'strict' }));
  });
  afterAll(() => {
    for (const core of cores.values()) core.dispose();
  });

  it('returns from an undefined or NaN GEMM size on 2 threads with an ArgumentError (it used to hang)', () => {
    // In a child with a timeout: a regression is a hang, which must fail the test rather than stall the run.
    const script = `
      import { loadCore } from './src/core/index.js';
      const core = await loadCore({ threads: 2, simd: 'strict' });
      const out = [];
      for (const n of [undefined, Number.NaN]) {
        try { core.kernels.gemm_f32_nn(0, 0, 0, 0, 512, 512, n, 0); out.push('returned'); }
        catch (error) { out.push(error.name + ': ' + error.message); }
      }
      console.log(JSON.stringify(out));`;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.signal).toBeNull();
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual([
      'ArgumentError: gemm_f32_nn(n): expected a size (an integer from 1 to 2147483647), got undefined',
      'ArgumentError: gemm_f32_nn(n): expected a size (an integer from 1 to 2147483647), got NaN',
    ]);
  });

  it('refuses a bad pointer, size or flag of every kernel in the table, naming it, before anything runs', () => {
    for (const [threads, core] of cores) {
      const dispatches = workerPool().dispatches;
      const kernels = core.kernels as unknown as Record<string, (...args: unknown[]) => unknown>;
      let refused = 0;
      for (const [name, spec] of Object.entries(TABLE)) {
        spec.args.forEach((arg, i) => {
          if (arg.kind === 'value') return;
          const bad =
            arg.kind === 'flag'
              ? [Math.max(...arg.values!) + 1, -1, 0.5]
              : [Number.NaN, (arg.min ?? 0) - 1, 2.5, undefined, arg.kind === 'size' ? 2 ** 31 : 2 ** 32];
          for (const value of bad) {
            // Every other argument valid (pointer 0, size 1, flag 0): only `value` can be refused.
            const args = spec.args.map((other, j) => (j === i ? value : other.kind === 'size' ? 1 : 0));
            const call = () => kernels[name]!(...args);
            expect(call, `${name}(${arg.name}) = ${String(value)} on ${threads} thread(s)`).toThrow(ArgumentError);
            expect(call).toThrow(new RegExp(`^${name}\\(${arg.name}\\): expected `));
            refused++;
          }
        });
      }
      expect(refused).toBeGreaterThan(200);
      expect(workerPool().dispatches).toBe(dispatches);
    }
  });

  it('passes valid calls through: pointers up to 2³² − 1, sizes from their minimum, numbers as given', () => {
    for (const core of cores.values()) {
      const params = core.arena.allocateCommitted('params', [3]);
      const grads = core.arena.allocateCommitted('grads', [3]);
      core.arena.f32(params).set([1, 2, 3]);
      core.arena.f32(grads).set([4, 5, 6]);
      core.kernels.sgd_f32_step(params.byteOffset, grads.byteOffset, 3, 0.5);
      expect([...core.arena.f32(params)]).toEqual([-1, -0.5, 0]);
      // The largest pointer passes the check and reaches the kernel, which traps on it.
      expect(() => core.kernels.sgd_f32_step(0xfffffff0, grads.byteOffset, 3, 0.5)).toThrow(WebAssembly.RuntimeError);
      expect(() => core.kernels.dense_f32_forward(0, 0, 0, 0, 0, 1, 1, 1, 3 as ActivationCode)).toThrow(
        /^dense_f32_forward\(activation\): expected one of 0, 1, 2, got 3$/,
      );
      expect(() => core.kernels.gather_batch_augment_u8_f32(0, 0, 0, 0, 0, 1, 1, 1, 1, -1, 0, 0)).toThrow(
        /^gather_batch_augment_u8_f32\(maxShift\): expected a size \(an integer from 0 to 2147483647\), got -1$/,
      );
    }
  });
});

describe('a disposed core', () => {
  it('throws DisposedError from its kernels and its typed-array functions, on any thread count', async () => {
    for (const threads of [1, 2]) {
      const core = await loadCore({ threads, simd: 'strict' });
      const kernels = core.kernels;
      core.dispose();
      expect(() => kernels.gemm_f32_nn(0, 0, 0, 0, 1, 1, 1, 0)).toThrow(DisposedError);
      expect(() => core.kernels.softmax_f32_forward(0, 0, 1, 1)).toThrow(
        /^core: this core was disposed; load a new one with loadCore\(\)$/,
      );
      expect(() => core.matmul(new Float32Array(1), new Float32Array(1), 1, 1, 1)).toThrow(DisposedError);
    }
  });
});

describe('a disposed core given to a model', () => {
  it('is refused as disposed, not as held by another model (issue 20 item 11)', async () => {
    const model = await createModel('mlp', { core: await loadCore({ threads: 1, simd: 'strict' }) });
    model.dispose();
    await expect(createModel('mlp', { core: model.core })).rejects.toThrow(DisposedError);
    await expect(createModel('mlp', { core: model.core })).rejects.toThrow(
      /^core: this core was disposed; load a new one with loadCore\(\)$/,
    );
    const unused = await loadCore({ threads: 1, simd: 'strict' });
    unused.dispose();
    await expect(createModel('mlp', { core: unused })).rejects.toThrow(DisposedError);
  });
});

describe('loadCore threads', () => {
  it('shows the value it refuses as given (NaN, not null)', async () => {
    await expect(loadCore({ threads: Number.NaN })).rejects.toThrow(/^threads: expected a positive integer, got NaN$/);
    await expect(loadCore({ threads: Number.POSITIVE_INFINITY })).rejects.toThrow(/got Infinity$/);
  });
});
