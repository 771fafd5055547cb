// Cores in one process share the pool's workers without taking the CPU from each other: a worker
// spins after a task only for the next task of the core it worked for, a worker a task does not
// use sleeps at once, and a core that runs on the calling thread alone (one thread, a call too
// small to split, the typed-array copies) ends the other cores' workers' spin. The spin budget is
// raised for these tests so that "spinning" lasts until something ends it, whatever the machine's speed.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadCore, type Core } from '../../src/core/index.js';
import { SPIN } from '../../src/core/board.js';
import { workerPool } from '../../src/core/pool.js';
import { splitPolicy } from '../../src/core/threads.js';

type State = 'awake' | 'spinning' | 'sleeping';
const saved = { ...splitPolicy };

/** Lets the workers run until their states are `want` (at most `turns` turns of 10 ms); returns the last states. */
async function settle(want: State[], turns = 500): Promise<State[]> {
  let states = workerPool().workerStates();
  for (let i = 0; i < turns && JSON.stringify(states) !== JSON.stringify(want); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    states = workerPool().workerStates();
  }
  return states;
}

describe('cores sharing the workers', () => {
  const cores = new Map<number, Core>();
  let budget: number;
  const size = 64;
  const address = new Map<number, { a: number; b: number; c: number; workspace: number }>();

  /** A GEMM that splits on every core (the split threshold is lowered to 1 FLOP). */
  function gemm(threads: number): void {
    const { a, b, c, workspace } = address.get(threads)!;
    cores.get(threads)!.kernels.gemm_f32_nn(c, a, b, workspace, size, size, size, 0);
  }

  beforeAll(async () => {
    for (const threads of [1, 2, 3]) {
      const core = await loadCore({ threads, simd: 'strict' });
      cores.set(threads, core);
      const buffer = (name: string) => core.arena.allocateCommitted(name, [size * size]).byteOffset;
      const workspace = core.arena.allocateCommitted('workspace', [core.exports.gemm_f32_workspace_bytes()], 'u8').byteOffset;
      address.set(threads, { a: buffer('a'), b: buffer('b'), c: buffer('c'), workspace });
    }
    budget = workerPool().spinBudget;
    workerPool().spinBudget = 2 ** 31 - 1;
    splitPolicy.minPartFlops = 1;
  });

  afterEach(() => {
    splitPolicy.minPartElements = saved.minPartElements;
  });

  afterAll(() => {
    Object.assign(splitPolicy, saved);
    workerPool().spinBudget = budget;
    gemm(1); // ends the spin the raised budget would keep up
    for (const core of cores.values()) core.dispose();
  });

  it('starts with the spin budget of board.ts (a fresh board once read its own zero: no spin at all)', () => {
    expect(budget).toBe(SPIN);
  });

  it('lets the workers a task used spin for its core, and puts a worker it did not use to sleep', async () => {
    gemm(3);
    expect(await settle(['spinning', 'spinning'])).toEqual(['spinning', 'spinning']);
    gemm(2);
    expect(await settle(['spinning', 'sleeping'])).toEqual(['spinning', 'sleeping']);
    gemm(3);
    expect(await settle(['spinning', 'spinning'])).toEqual(['spinning', 'spinning']);
  });

  it('ends the spin when a core of one thread runs a kernel, or any core its typed-array functions', async () => {
    gemm(3);
    expect(await settle(['spinning', 'spinning'])).toEqual(['spinning', 'spinning']);
    gemm(1);
    expect(await settle(['sleeping', 'sleeping'])).toEqual(['sleeping', 'sleeping']);
    gemm(3);
    expect(await settle(['spinning', 'spinning'])).toEqual(['spinning', 'spinning']);
    // One thread's typed-array call: the copies and the kernel run on the calling thread alone.
    cores.get(1)!.softmax(new Float32Array([1, 2, 3, 4]), 2, 2);
    expect(await settle(['sleeping', 'sleeping'])).toEqual(['sleeping', 'sleeping']);
  });

  it("keeps a core's workers spinning through its own calls that stay on the calling thread", async () => {
    gemm(2);
    expect(await settle(['spinning', 'sleeping'])).toEqual(['spinning', 'sleeping']);
    const core = cores.get(2)!;
    const { a, c } = address.get(2)!;
    core.kernels.softmax_f32_forward(c, a, size, size); // never splits
    core.kernels.sigmoid_f32_forward(c, a, 16); // one range of 16: too small to split
    // Nothing ends the raised spin: after many turns of the event loop the worker still spins.
    expect(await settle(['sleeping', 'sleeping'], 20)).toEqual(['spinning', 'sleeping']);
    // Another core's call on the calling thread does.
    cores.get(3)!.kernels.softmax_f32_forward(address.get(3)!.c, address.get(3)!.a, size, size);
    expect(await settle(['sleeping', 'sleeping'])).toEqual(['sleeping', 'sleeping']);
  });
});
