// A seeded training run gives the same weights, bit for bit, on 1, 2 and 3 threads (3 is more than
// the CI machines' cores), for the MLP and the CNN at the default split thresholds, and with the
// thresholds lowered so every kernel call splits (the batch-15 and partial-batch paths).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { relaxedSimdFlags } from '../../bench/train.bench.js';
import { loadCore } from '../../src/core/index.js';
import { createModel, type ArchitectureName } from '../../src/models/architectures.js';
import { workerPool } from '../../src/core/pool.js';
import { splitPolicy } from '../../src/core/threads.js';
import { expectSameBits, weightBits } from '../helpers/compare.js';
import { syntheticSet } from '../layers/helpers.js';

const saved = { ...splitPolicy };

/** Weights after `steps` full batches (and one partial batch) of seeded training, as raw bits. */
async function train(name: ArchitectureName, threads: number, batchSize: number, steps: number): Promise<Uint32Array[]> {
  const core = await loadCore({ threads, simd: 'strict' });
  expect(core.threads).toBe(threads);
  const model = await createModel(name, { core, seed: 3 });
  const set = syntheticSet(steps * batchSize + 5, 28, 28, 10, 11);
  const dispatches = workerPool().dispatches;
  await model.fit(set, { epochs: 1, batchSize, seed: 5 });
  // On threads the run must really have split work (else the comparison proves nothing).
  if (threads > 1) expect(workerPool().dispatches).toBeGreaterThan(dispatches + steps);
  const weights = weightBits(model.getWeights());
  core.dispose();
  return weights;
}

describe('seeded training on threads', () => {
  afterEach(() => Object.assign(splitPolicy, saved));

  it.each([
    ['mlp', 64],
    ['scratch-mlp', 15],
    ['cnn', 64],
  ] as const)('%s at batch %i: the same weights on 1, 2 and 3 threads', async (name, batchSize) => {
    const one = await train(name, 1, batchSize, 30);
    expectSameBits(await train(name, 2, batchSize, 30), one, `${name} 2 threads`);
    expectSameBits(await train(name, 3, batchSize, 30), one, `${name} 3 threads`);
  });

  it.each(['mlp', 'cnn'] as const)('%s with every call split: the same weights on 1 and 2 threads', async (name) => {
    const one = await train(name, 1, 15, 10);
    splitPolicy.minPartFlops = 1;
    splitPolicy.minPartElements = 1;
    expectSameBits(await train(name, 2, 15, 10), one, `${name} 2 threads, every call split`);
  });

  it('relaxed build (FMA): the same weights on 1 and 2 threads, in a Node that has relaxed SIMD', () => {
    const flags = relaxedSimdFlags();
    if (flags === undefined) return; // this Node has no relaxed SIMD at all: nothing to compare
    const script = `
      import { loadCore } from './src/core/index.js';
      import { createModel } from './src/models/architectures.js';
      import { syntheticSet } from './test/layers/helpers.js';
      const bits = [];
      for (const threads of [1, 2]) {
        const core = await loadCore({ threads, simd: 'relaxed' });
        const model = await createModel('cnn', { core, seed: 3 });
        await model.fit(syntheticSet(20 * 64 + 5, 28, 28, 10, 11), { epochs: 1, batchSize: 64, seed: 5 });
        bits.push(model.getWeights().map((w) => Array.from(new Uint32Array(w.values.buffer, w.values.byteOffset, w.values.length)).join(',')).join(';'));
        console.log(core.simd, core.threads);
      }
      console.log(bits[0] === bits[1] ? 'same' : 'different');`;
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const result = spawnSync(process.execPath, [...flags, '--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
      timeout: 300_000,
    });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n')).toEqual(['relaxed 1', 'relaxed 2', 'same']);
  });
});
