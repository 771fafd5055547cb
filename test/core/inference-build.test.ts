// The inference build (loadCore({ kernels: 'inference' }), build/release-inference.wasm): the forward
// kernels only, compiled from the same sources as the default build, so it must give the default
// build's bits: kernel by kernel through the typed-array API and model by model through predict.
// What it lacks says so (an ArgumentError naming `kernels`), and options that cannot go with it are
// refused.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCore, type Core } from '../../src/core/index.js';
import { KERNELS } from '../../src/core/kernel-table.js';
import { ArgumentError } from '../../src/errors.js';
import { createModel, type ArchitectureName, type ArchitectureOptions } from '../../src/models/architectures.js';
import { deserializeModel, serializeModel } from '../../src/models/save.js';
import { syntheticSet } from '../layers/helpers.js';
import { randomF32 } from '../helpers/random.js';

const bits = (values: Float32Array) => Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
const exportsOf = (build: string) =>
  WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(new URL(`../../build/${build}.wasm`, import.meta.url))))
    .map((e) => e.name)
    .sort();

describe("loadCore({ kernels: 'inference' })", () => {
  let full: Core;
  let inference: Core;
  beforeAll(async () => {
    full = await loadCore({ threads: 1 });
    inference = await loadCore({ kernels: 'inference' });
  });
  afterAll(() => {
    full.dispose();
    inference.dispose();
  });

  it('loads the inference build: strict, one thread, a subset of the default exports without the training kernels', () => {
    expect(inference.kernelSet).toBe('inference');
    expect(full.kernelSet).toBe('all');
    expect([inference.threads, inference.simd]).toEqual([1, 'strict']);
    const subset = exportsOf('release-inference');
    const all = exportsOf('release');
    expect(subset.filter((name) => !all.includes(name))).toEqual([]);
    for (const name of ['dense_f32_forward', 'conv2d_f32_nhwc_forward', 'softmax_f32_forward', 'gather_batch_u8_f32']) {
      expect(subset).toContain(name);
    }
    for (const name of [
      'adam_f32_step',
      'softmax_xent_f32_fused',
      'gemm_f32_tn',
      'conv2d_f32_nhwc_backward_data',
      'dense_f32_forward_part',
    ]) {
      expect(subset).not.toContain(name);
    }
  });

  it("gives the default build's bits for matmul (1 to 64 rows, the matrix-vector and GEMM routes), conv2d, maxPool2d and softmax", () => {
    for (const [m, k, n] of [
      [1, 784, 300],
      [2, 300, 10],
      [3, 37, 29],
      [7, 5408, 20],
      [9, 64, 65],
      [64, 200, 100],
    ] as const) {
      const a = randomF32(m * k, m + k);
      const b = randomF32(k * n, k + n);
      expect(bits(inference.matmul(a, b, m, k, n)), `${m}x${k}x${n}`).toEqual(bits(full.matmul(a, b, m, k, n)));
    }
    const shape = {
      batch: 3,
      height: 28,
      width: 28,
      inChannels: 1,
      kernelHeight: 3,
      kernelWidth: 3,
      outChannels: 32,
      padding: 'valid' as const,
    };
    const input = randomF32(3 * 28 * 28, 5);
    const filters = randomF32(9 * 32, 6);
    const bias = randomF32(32, 7);
    const conv = full.conv2d(input, filters, shape, bias);
    expect(bits(inference.conv2d(input, filters, shape, bias))).toEqual(bits(conv));
    const pool = { batch: 3, height: 26, width: 26, channels: 32, size: 2, stride: 2 };
    expect(bits(inference.maxPool2d(conv, pool))).toEqual(bits(full.maxPool2d(conv, pool)));
    const logits = randomF32(40 * 10, 8);
    expect(bits(inference.softmax(logits, 40, 10))).toEqual(bits(full.softmax(logits, 40, 10)));
  });

  it.each<[ArchitectureName, ArchitectureOptions]>([
    ['scratch-mlp', {}],
    ['mlp', {}],
    ['cnn', {}],
    ['cnn', { batchNorm: true, dropout: 0.25 }],
  ])('predicts what the default build predicts, bit for bit: %s %j', async (architecture, options) => {
    const set = syntheticSet(64, 28, 28, 10, 3);
    const trained = await createModel(architecture, { ...options, core: await loadCore({ threads: 1 }), seed: 5 });
    await trained.fit(set, { epochs: 1, batchSize: 16 });
    const model = await deserializeModel(serializeModel(trained), { core: await loadCore({ kernels: 'inference' }) });
    expect(bits(model.predict(set.images, set.count).probabilities)).toEqual(bits(trained.predict(set.images, set.count).probabilities));
    const one = set.images.subarray(784 * 5, 784 * 6);
    expect(bits(model.predict(one))).toEqual(bits(trained.predict(one)));
    expect(model.classify(one).label).toBe(trained.classify(one).label);
    trained.dispose();
    model.dispose();
  });

  it("says what it lacks: training and evaluate throw an ArgumentError naming 'kernels', as does every training kernel", async () => {
    const set = syntheticSet(8, 28, 28, 10, 1);
    const model = await createModel('mlp', { core: await loadCore({ kernels: 'inference' }) });
    await expect(model.fit(set, { epochs: 1 })).rejects.toThrow(/^kernels: this core was loaded with kernels: 'inference'/);
    expect(() => model.evaluate(set)).toThrow(ArgumentError);
    const kernels = inference.kernels as unknown as Record<string, () => unknown>;
    const missing = Object.keys(KERNELS).filter((name) => !exportsOf('release-inference').includes(name));
    expect(missing).toContain('adam_f32_step');
    for (const name of missing) {
      const error = (() => {
        try {
          kernels[name]!();
        } catch (caught) {
          return caught;
        }
      })();
      expect(error, name).toBeInstanceOf(ArgumentError);
      expect((error as ArgumentError).argument).toBe('kernels');
      expect((error as ArgumentError).message).toContain(name);
    }
    model.dispose();
  });

  it('refuses options that do not go with it, and an unknown kernel set', async () => {
    await expect(loadCore({ kernels: 'inference', threads: 2 })).rejects.toThrow(/^threads: 2 does not go with kernels: 'inference'/);
    await expect(loadCore({ kernels: 'inference', simd: 'relaxed' })).rejects.toThrow(/^simd: 'relaxed' does not go with/);
    await expect(loadCore({ kernels: 'inference', debug: true })).rejects.toThrow(/^debug: true does not go with/);
    await expect(loadCore({ kernels: 'training' as 'all' })).rejects.toThrow(/^kernels: expected 'all' or 'inference', got "training"/);
  });
});
