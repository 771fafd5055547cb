// A disposed core's wasm instance and memory go to the next loadCore of the same build (a memory
// lives outside the JS heap, where the collector frees it late): zeroed like a fresh memory, its
// static data as the module's, and a model trained on it gets the bits of one on a fresh core. The
// disposed core's exports, memory and arena views refuse to be used.
import { describe, expect, it } from 'vitest';
import { loadCore } from '../../src/core/index.js';
import { DisposedError } from '../../src/errors.js';
import { createModel } from '../../src/models/architectures.js';
import { expectSameBits, weightBits } from '../helpers/compare.js';
import { syntheticSet } from '../layers/helpers.js';

describe('a disposed core', () => {
  it.each([1, 2])('hands its memory to the next core of the build (%i thread(s)), zeroed as a fresh one is', async (threads) => {
    const first = await loadCore({ threads, simd: 'strict' });
    const memory = first.exports.memory;
    const base = first.exports.heap_base();
    first.arena.allocateCommitted('used', [100_000]);
    new Uint8Array(memory.buffer).fill(0xab, base);
    first.dispose();
    const second = await loadCore({ threads, simd: 'strict' });
    expect(second.exports.memory).toBe(memory);
    const bytes = new Uint8Array(second.exports.memory.buffer);
    expect(bytes.subarray(base).every((byte) => byte === 0)).toBe(true);
    // A third core, made while the second is alive, has a fresh memory: the same static data below the heap base.
    const fresh = await loadCore({ threads, simd: 'strict' });
    expect(fresh.exports.memory).not.toBe(memory);
    expect(bytes.subarray(0, base)).toEqual(new Uint8Array(fresh.exports.memory.buffer, 0, base));
    // And it computes as a fresh core does.
    const a = Float32Array.from({ length: 37 * 41 }, (_, i) => Math.sin(i));
    const b = Float32Array.from({ length: 41 * 29 }, (_, i) => Math.cos(i));
    expect(second.matmul(a, b, 37, 41, 29)).toEqual(fresh.matmul(a, b, 37, 41, 29));
    second.dispose();
    fresh.dispose();
  });

  it('bounds a loop of models made and disposed on the default core to one memory (issue 20 item 10)', async () => {
    const memories = new Set<WebAssembly.Memory>();
    for (let i = 0; i < 20; i++) {
      const model = await createModel('mlp', { seed: i });
      memories.add(model.core.exports.memory);
      model.dispose();
    }
    expect(memories.size).toBe(1);
  });

  it('refuses its raw exports, its memory and views through its arena', async () => {
    const core = await loadCore({ threads: 1, simd: 'strict' });
    const buffer = core.arena.allocateCommitted('x', [4]);
    const exports = core.exports;
    core.dispose();
    expect(() => exports.sigmoid_f32_forward(buffer.byteOffset, buffer.byteOffset, 4)).toThrow(DisposedError);
    expect(() => exports.memory).toThrow(DisposedError);
    expect(() => core.arena.f32(buffer)).toThrow(DisposedError);
  });

  it('lets a model train on the next core with the bits of a fresh core, on 1 and 2 threads', async () => {
    for (const threads of [1, 2]) {
      const set = syntheticSet(200, 28, 28, 10, 11);
      const train = async () => {
        const model = await createModel('mlp', { core: await loadCore({ threads, simd: 'strict' }), seed: 3 });
        await model.fit(set, { epochs: 1, batchSize: 64, seed: 5 });
        return { model, weights: weightBits(model.getWeights()), memory: model.core.exports.memory };
      };
      // Cores that take whatever earlier tests released, so the first model's core is a fresh one.
      const takers = await Promise.all([1, 2, 3, 4].map(() => loadCore({ threads, simd: 'strict' })));
      const fresh = await train();
      for (const taker of takers) taker.dispose();
      fresh.model.dispose();
      const reused = await train();
      expect(reused.memory).toBe(fresh.memory);
      expectSameBits(reused.weights, fresh.weights, `mlp on a reused ${threads}-thread core`);
      reused.model.dispose();
    }
  });
});
