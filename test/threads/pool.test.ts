// loadCore's threads and SIMD options, the worker pool's life cycle and its error path. Processes
// are spawned where the runtime's flags matter (relaxed SIMD) or where the test is the exit itself.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { hasRelaxedSimd, loadCore, UnsupportedRuntimeError } from '../../src/core/index.js';
import { SPIN } from '../../src/core/board.js';
import { workerPool } from '../../src/core/pool.js';
import { splitPolicy } from '../../src/core/threads.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const saved = { ...splitPolicy };

/** Runs an ES module snippet with the sources (through tsx) in a fresh Node; returns its stdout lines. */
function node(script: string, flags: string[] = [], timeout = 120_000): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [...flags, '--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('loadCore threads and simd', () => {
  afterEach(() => Object.assign(splitPolicy, saved));

  it('defaults to os.availableParallelism() threads in Node and says so', async () => {
    const core = await loadCore();
    expect(core.threads).toBe(availableParallelism());
    expect(core.threadsReason).toMatch(/availableParallelism/);
    core.dispose();
  });

  it('refuses a thread count that is not a positive integer, naming the option', async () => {
    for (const threads of [0, -1, 1.5, Number.NaN, '2' as unknown as number]) {
      await expect(loadCore({ threads })).rejects.toThrow(RangeError);
      await expect(loadCore({ threads })).rejects.toThrow(/^threads: expected a positive integer/);
    }
    await expect(loadCore({ simd: 'fast' as never })).rejects.toThrow(/^simd: expected 'auto', 'strict' or 'relaxed'/);
  });

  it('refuses more than one thread on a build with its own memory', async () => {
    await expect(loadCore({ threads: 2, debug: true })).rejects.toThrow(/threads: the debug build runs on one thread/);
    const url = new URL('../../build/release.wasm', import.meta.url);
    await expect(loadCore({ threads: 2, url })).rejects.toThrow(/threads: 2 threads need a shared-memory build/);
    // Without an explicit count it falls back to one thread and says why.
    const core = await loadCore({ url });
    expect(core.threads).toBe(1);
    expect(core.threadsReason).toMatch(/not a shared-memory build/);
  });

  it('runs one thread on the own-memory build, more on the shared one, more threads than cores included', async () => {
    const one = await loadCore({ threads: 1 });
    expect(one.exports.memory.buffer).toBeInstanceOf(ArrayBuffer);
    const many = await loadCore({ threads: availableParallelism() + 2 });
    expect(many.exports.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(workerPool().size).toBeGreaterThanOrEqual(availableParallelism() + 1);
    many.dispose();
  });

  it('validates the relaxed SIMD probe against the relaxed build itself', () => {
    const relaxedBuild = readFileSync(new URL('../../build/release-relaxed.wasm', import.meta.url));
    expect(hasRelaxedSimd()).toBe(WebAssembly.validate(relaxedBuild));
  });

  it("loads the strict build by default even where relaxed SIMD exists; 'auto' and 'relaxed' pick the FMA build", () => {
    const script = `
      import { readFileSync } from 'node:fs';
      import { hasRelaxedSimd, loadCore } from './src/core/index.js';
      const byDefault = await loadCore({ threads: 2 });
      const auto = await loadCore({ threads: 2, simd: 'auto' });
      const strict = await loadCore({ threads: 2, simd: 'strict' });
      const single = await loadCore({ threads: 1, simd: 'relaxed' });
      const c = byDefault.matmul(new Float32Array([1, 2, 3, 4]), new Float32Array([5, 6, 7, 8]), 2, 2, 2);
      console.log(JSON.stringify({ probe: hasRelaxedSimd(), validates: WebAssembly.validate(readFileSync('build/release-relaxed.wasm')),
        byDefault: byDefault.simd, auto: auto.simd, strict: strict.simd, single: single.simd, threads: byDefault.threads, c: [...c] }));`;
    // Node 20 has relaxed SIMD behind a flag; Node >= 22 without one (CI runs this file on both).
    const result = node(script, hasRelaxedSimd() ? [] : ['--experimental-wasm-relaxed-simd']);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      probe: true,
      validates: true,
      byDefault: 'strict',
      auto: 'relaxed',
      strict: 'strict',
      single: 'relaxed',
      threads: 2,
      c: [19, 22, 43, 50],
    });
  });

  it("refuses simd: 'relaxed' on a runtime without relaxed SIMD", async () => {
    if (hasRelaxedSimd()) {
      expect((await loadCore({ simd: 'relaxed', threads: 1 })).simd).toBe('relaxed');
      return;
    }
    await expect(loadCore({ simd: 'relaxed' })).rejects.toThrow(UnsupportedRuntimeError);
    await expect(loadCore({ simd: 'relaxed' })).rejects.toThrow(/simd: 'relaxed' needs WebAssembly relaxed SIMD/);
    expect((await loadCore({ threads: 1 })).simd).toBe('strict');
  });
});

describe('the worker pool', () => {
  afterEach(() => Object.assign(splitPolicy, saved));

  it('surfaces a trap in a worker as an error of the call, naming the kernel, and stays usable', async () => {
    const core = await loadCore({ threads: 3 });
    splitPolicy.minPartElements = 1;
    const x = core.arena.allocateCommitted('x', [96]);
    core.arena.f32(x).set(Float32Array.from({ length: 96 }, (_, i) => i / 10 - 5));
    // Part 0 writes the last 128 bytes of the memory; parts 1 and 2 write past its end.
    const end = core.arena.memory.buffer.byteLength;
    const pool = workerPool();
    // Parts are claimed by whoever comes first: with the caller out of the race, workers fail.
    pool.callerClaims = false;
    try {
      expect(() => core.kernels.sigmoid_f32_forward(end - 128, x.byteOffset, 96)).toThrow(
        /^sigmoid_f32_forward failed in worker [12]: .*out of bounds/,
      );
    } finally {
      pool.callerClaims = true;
    }
    // With the caller in the race, whoever runs a bad part, the call fails naming the kernel.
    for (let i = 0; i < 20; i++) {
      expect(() => core.kernels.sigmoid_f32_forward(end - 128, x.byteOffset, 96)).toThrow(
        /^sigmoid_f32_forward failed (in worker [12]|on the calling thread): .*out of bounds/,
      );
    }
    const y = core.arena.allocateCommitted('y', [96]);
    core.kernels.sigmoid_f32_forward(y.byteOffset, x.byteOffset, 96);
    const expected = new Float32Array(96);
    core.exports.sigmoid_f32_forward(y.byteOffset + 0, x.byteOffset, 96);
    expected.set(core.arena.f32(y));
    core.arena.f32(y).fill(Number.NaN);
    core.kernels.sigmoid_f32_forward(y.byteOffset, x.byteOffset, 96);
    expect(core.arena.f32(y)).toEqual(expected);
    core.dispose();
  });

  it('serves cores loaded concurrently, with different thread counts, from one pool', async () => {
    const cores = await Promise.all([loadCore({ threads: 3 }), loadCore({ threads: 2 }), loadCore({ threads: 4 })]);
    expect(workerPool().size).toBeGreaterThanOrEqual(3);
    splitPolicy.minPartFlops = 1;
    const a = Float32Array.from({ length: 37 * 41 }, (_, i) => Math.sin(i));
    const b = Float32Array.from({ length: 41 * 29 }, (_, i) => Math.cos(i));
    const single = await loadCore({ threads: 1 });
    const expected = single.matmul(a, b, 37, 41, 29);
    const pool = workerPool();
    for (const callerClaims of [true, false]) {
      pool.callerClaims = callerClaims;
      try {
        for (const core of [...cores, ...cores]) expect(core.matmul(a, b, 37, 41, 29)).toEqual(expected);
      } finally {
        pool.callerClaims = true;
      }
    }
    for (const core of cores) core.dispose();
  });

  it('lets the workers use memory grown after they attached', async () => {
    const core = await loadCore({ threads: 3 });
    splitPolicy.minPartElements = 1;
    const before = core.arena.memory.buffer.byteLength;
    // More than the memory holds (a disposed core's memory, reused, may already be grown).
    const count = Math.ceil(before / 4) + 7;
    const x = core.arena.allocateCommitted('x', [count]);
    const y = core.arena.allocateCommitted('y', [count]);
    expect(core.arena.memory.buffer.byteLength).toBeGreaterThan(before);
    core.arena.f32(x).set(Float32Array.from({ length: count }, (_, i) => Math.sin(i) * 8));
    const pool = workerPool();
    pool.callerClaims = false;
    try {
      core.kernels.sigmoid_f32_forward(y.byteOffset, x.byteOffset, count);
    } finally {
      pool.callerClaims = true;
    }
    const got = core.arena.f32(y).slice();
    core.exports.sigmoid_f32_forward(y.byteOffset, x.byteOffset, count);
    expect(got).toEqual(core.arena.f32(y));
    core.dispose();
  });

  it('ends the workers once no core has used them for a while; a disposed core refuses calls', async () => {
    const pool = workerPool();
    const a = await loadCore({ threads: 2 });
    const b = await loadCore({ threads: 3 });
    expect(pool.size).toBeGreaterThanOrEqual(2);
    a.dispose();
    a.dispose();
    expect(() => a.kernels.gemm_f32_nn(0, 0, 0, 0, 1, 1, 1, 0)).toThrow(/this core was disposed/);
    expect(() => a.matmul(new Float32Array(1), new Float32Array(1), 1, 1, 1)).toThrow(/this core was disposed/);
    expect(b.matmul(new Float32Array([2]), new Float32Array([3]), 1, 1, 1)).toEqual(new Float32Array([6]));
    const workers = (pool as unknown as { workers: unknown[] }).workers.slice();
    b[Symbol.dispose]();
    // A core made right after the last one was disposed gets the same workers, not new ones.
    const c = await loadCore({ threads: 2 });
    expect((pool as unknown as { workers: unknown[] }).workers[0]).toBe(workers[0]);
    expect(c.matmul(new Float32Array([2]), new Float32Array([3]), 1, 1, 1)).toEqual(new Float32Array([6]));
    c.dispose();
    // The tests above disposed their cores: with none left, the workers end soon after.
    for (let i = 0; i < 300 && pool.size > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(pool.size).toBe(0);
    // The next generation's board keeps the spin budget.
    expect(pool.spinBudget).toBe(SPIN);
    const d = await loadCore({ threads: 2 });
    expect(pool.size).toBe(1);
    expect(d.matmul(new Float32Array([2]), new Float32Array([3]), 1, 1, 1)).toEqual(new Float32Array([6]));
    d.dispose();
  });

  it('replaces a worker that ended; a core that lost it fails its calls instead of hanging', async () => {
    const pool = workerPool();
    const first = await loadCore({ threads: 2 });
    // End the worker behind the pool's back, as a crash would, and wait until the pool has seen it.
    const workers = (pool as unknown as { workers: { terminate(): void; ended?: string }[] }).workers;
    workers[0]!.terminate();
    for (let i = 0; i < 200 && workers[0]!.ended === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(workers[0]!.ended).toBe('the worker exited');
    const second = await loadCore({ threads: 2 });
    expect(workers[0]!.ended).toBeUndefined();
    splitPolicy.minPartFlops = 1;
    const a = Float32Array.from({ length: 37 * 41 }, (_, i) => Math.sin(i));
    const b = Float32Array.from({ length: 41 * 29 }, (_, i) => Math.cos(i));
    const expected = (await loadCore({ threads: 1 })).matmul(a, b, 37, 41, 29);
    pool.callerClaims = false;
    try {
      expect(second.matmul(a, b, 37, 41, 29)).toEqual(expected);
      expect(() => first.matmul(a, b, 37, 41, 29)).toThrow(/failed in worker 1: worker 1 has no instance of core/);
    } finally {
      pool.callerClaims = true;
    }
    expect(second.matmul(a, b, 37, 41, 29)).toEqual(expected);
    first.dispose();
    second.dispose();
  });

  it('drops the workers of cores that were garbage-collected without dispose', () => {
    const script = `
      import { loadCore } from './src/core/index.js';
      import { workerPool } from './src/core/pool.js';
      for (let i = 0; i < 3; i++) (await loadCore({ threads: 2 })).matmul(new Float32Array(4), new Float32Array(4), 2, 2, 2);
      const before = workerPool().size;
      for (let i = 0; i < 40 && workerPool().size > 0; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 50)); }
      console.log(before, workerPool().size);`;
    const result = node(script, ['--expose-gc']);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('1 0');
  });

  it('refuses a typed-array call too large for wasm32 before growing the memory', async () => {
    const core = await loadCore({ threads: 2 });
    const before = core.arena.memory.buffer.byteLength;
    const a = new Float32Array(40_000);
    expect(() => core.matmul(a, a, 40_000, 1, 40_000)).toThrow(/matmul\/c: the plan needs .* over wasm32's 4 GiB/);
    expect(core.arena.memory.buffer.byteLength).toBe(before);
    core.dispose();
  });

  it('lets a Node process that trained on threads exit on its own, without dispose', () => {
    const script = `
      import { createModel } from './src/index.js';
      import { loadCore } from './src/core/index.js';
      const count = 200;
      const images = new Uint8Array(count * 784).map((_, i) => (i * 7) % 256);
      const labels = new Uint8Array(count).map((_, i) => i % 10);
      const model = await createModel('mlp', { core: await loadCore({ threads: 2 }) });
      const history = await model.fit({ images, labels, count, rows: 28, cols: 28 }, { epochs: 1, batchSize: 64 });
      console.log('trained', model.core.threads, history.history.loss.length);`;
    const started = Date.now();
    const result = node(script, [], 60_000);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('trained 2 1');
    expect(result.status).toBe(0);
    expect(Date.now() - started).toBeLessThan(60_000);
  });
});
