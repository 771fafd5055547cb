// predict and classify (issue 21): one image without a count, an output buffer that makes a loop
// allocate nothing, run buffers that fit every call (a small call never shrinks what a large one
// runs on; a call that fits plans nothing), the same bits alone and inside a batch, and bad input
// refused with an ArgumentError naming the argument before anything is written.
import { describe, expect, it } from 'vitest';
import type { CoreExports } from '../../src/core/abi.js';
import { loadCore, type Core } from '../../src/core/index.js';
import { CLASS_NAMES } from '../../src/data/classes.js';
import { toModelInput } from '../../src/data/image.js';
import { ArgumentError } from '../../src/errors.js';
import { Dense } from '../../src/layers/index.js';
import { createModel, type ArchitectureName } from '../../src/models/architectures.js';
import { Sequential } from '../../src/models/sequential.js';
import { syntheticSet } from '../layers/helpers.js';

const images = syntheticSet(300, 28, 28, 10, 4);

function bits(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

/** Counts the calls of the named kernels on `core.kernels` from now on. */
function countCalls(core: Core, names: readonly (keyof CoreExports)[]): Map<string, number> {
  const counts = new Map<string, number>(names.map((name) => [name, 0]));
  const kernels = core.kernels as unknown as Record<string, (...args: number[]) => unknown>;
  for (const name of names) {
    const kernel = kernels[name]!;
    kernels[name] = (...args) => {
      counts.set(name, counts.get(name)! + 1);
      return kernel(...args);
    };
  }
  return counts;
}

/** Counts planning in the core's arena (allocate, commit) and wasm memory growth from now on. */
function countPlanning(core: Core): { plans: number; grown: () => boolean } {
  const arena = core.arena;
  const result = { plans: 0, grown: () => core.arena.memory.buffer !== buffer };
  const buffer = arena.memory.buffer;
  const allocate = arena.allocate.bind(arena);
  const commit = arena.commit.bind(arena);
  arena.allocate = (...args) => {
    result.plans++;
    return allocate(...args);
  };
  arena.commit = () => {
    result.plans++;
    commit();
  };
  return result;
}

/** The `best` preset's network: two conv blocks with batch normalisation, Dense 256 and dropout. */
const BEST = { filters: [32, 64], padding: 'same', hidden: [256], batchNorm: true, dropout: 0.25 } as const;

describe('predict of one image and of batches', () => {
  it.each([
    ['scratch-mlp', 1],
    ['mlp', 1],
    ['cnn', 1],
    ['mlp', 2],
    ['cnn', 2],
    ['best', 1],
    ['best', 2],
  ] as const)('%s on %i thread(s): an image alone gives the bits of its row in a batch (u8 and f32)', async (name, threads) => {
    const core = await loadCore({ threads, simd: 'strict' });
    const create = (core: Core) =>
      name === 'best' ? createModel('cnn', { ...BEST, core, seed: 2 }) : createModel(name as ArchitectureName, { core, seed: 2 });
    const model = await create(core);
    const f32 = Float32Array.from(images.images, (v) => v / 255);
    // 300 images: a pass of 256 and one of 44.
    const batch = model.predict(images.images, images.count);
    const batchF32 = model.predict(f32, images.count);
    expect(bits(batchF32.probabilities)).toEqual(bits(batch.probabilities));
    const output = new Float32Array(10);
    for (const i of [0, 1, 255, 256, 299]) {
      const row = bits(batch.probabilities.subarray(i * 10, i * 10 + 10));
      expect(bits(model.predict(images.images.subarray(i * 784, (i + 1) * 784), output)), `${name} image ${i} u8`).toEqual(row);
      expect(bits(model.predict(f32.subarray(i * 784, (i + 1) * 784))), `${name} image ${i} f32`).toEqual(row);
      expect(batch.labels[i]).toBe(model.classify(images.images.subarray(i * 784, (i + 1) * 784)).label);
    }
    // A fresh model whose inference run holds one image gives the same bits.
    const fresh = await create(await loadCore({ threads, simd: 'strict' }));
    expect(bits(fresh.predict(images.images.subarray(299 * 784, 300 * 784)))).toEqual(bits(batch.probabilities.subarray(2990, 3000)));
    model.dispose();
    fresh.dispose();
  });

  it('a single image first never shrinks the passes of a later batch or evaluate', async () => {
    const core = await loadCore({ threads: 1, simd: 'strict' });
    const model = await createModel('cnn', { core, seed: 1, compile: { optimizer: 'sgd' } });
    model.predict(images.images.subarray(0, 784));
    const calls = countCalls(core, ['softmax_f32_forward', 'softmax_xent_f32_fused']);
    model.predict(images.images, 300);
    expect(calls.get('softmax_f32_forward')).toBe(2); // passes of 256 and 44, not 300 of one image
    model.evaluate(images);
    expect(calls.get('softmax_xent_f32_fused')).toBe(2); // evaluate's default batch of 256
    model.dispose();
  });

  it('runs the first layers of a convolutional model in slices of images, the dense layers on the whole pass', async () => {
    const core = await loadCore({ threads: 1, simd: 'strict' });
    const model = await createModel('cnn', { core, seed: 1 });
    const calls = countCalls(core, ['conv2d_f32_nhwc_forward', 'maxpool2d_f32_nhwc_forward', 'gemm_f32_nn']);
    model.predict(images.images, 300);
    // 26x26x32 floats (86 KB) an image: slices of 12 images (1 MiB); the 5408x200 Dense once a pass.
    expect(calls.get('conv2d_f32_nhwc_forward')).toBe(Math.ceil(256 / 12) + Math.ceil(44 / 12));
    expect(calls.get('maxpool2d_f32_nhwc_forward')).toBe(Math.ceil(256 / 12) + Math.ceil(44 / 12));
    expect(calls.get('gemm_f32_nn')).toBe(2);
    model.dispose();
    // An MLP's first Dense (784x300) is heavy: no slices.
    const mlp = await createModel('mlp', { core: await loadCore({ threads: 1, simd: 'strict' }), seed: 1 });
    const dense = countCalls(mlp.core, ['dense_f32_forward']);
    mlp.predict(images.images, 300);
    expect(dense.get('dense_f32_forward')).toBe(2 * 4);
    mlp.dispose();
  });

  it('a call that fits the kept inference run plans nothing, grows no memory and leaves the training run alone', async () => {
    const core = await loadCore({ threads: 1, simd: 'strict' });
    const model = await createModel('mlp', { core, seed: 1 });
    const train = { ...images, count: 100 };
    await model.fit(train, { epochs: 1, batchSize: 20 });
    const trainingBuffers = core.arena.buffers.map((b) => `${b.name}@${b.byteOffset}`);
    const output = new Float32Array(10);
    model.predict(images.images.subarray(0, 200 * 784), 200);
    const planning = countPlanning(core);
    for (let i = 0; i < 5; i++) {
      model.predict(images.images.subarray(i * 784, (i + 1) * 784), output);
      model.predict(
        Float32Array.from(images.images.subarray(0, 784), (v) => v / 255),
        output,
      );
      model.predict(images.images.subarray(0, 130 * 784), 130);
      model.classify(images.images.subarray(0, 784), output);
    }
    expect(planning.plans).toBe(0);
    expect(planning.grown()).toBe(false);
    // The training run is where fit left it, and a second fit of the same set and batch re-plans nothing.
    expect(core.arena.buffers.map((b) => `${b.name}@${b.byteOffset}`).slice(0, trainingBuffers.length)).toEqual(trainingBuffers);
    await model.fit(train, { epochs: 1, batchSize: 20 });
    expect(planning.plans).toBe(0);
    model.dispose();
  });

  it('returns the output buffer it is given, and a new array without one', async () => {
    const model = await createModel('scratch-mlp', { core: await loadCore({ simd: 'strict' }), seed: 1 });
    const image = images.images.subarray(0, 784);
    const output = new Float32Array(12).fill(7);
    expect(model.predict(image, output)).toBe(output);
    expect(Array.from(output.subarray(10))).toEqual([7, 7]); // only `classes` values written
    const fresh = model.predict(image);
    expect(fresh).not.toBe(output);
    expect(fresh).toEqual(output.subarray(0, 10));
    const probabilities = new Float32Array(30);
    const batch = model.predict(images.images.subarray(0, 3 * 784), 3, probabilities);
    expect(batch.probabilities).toBe(probabilities);
    expect(batch.labels).toHaveLength(3);
    model.dispose();
  });
});

describe('classify', () => {
  it('gives the argmax, its probability and Fashion-MNIST class names by default', async () => {
    const model = await createModel('mlp', { core: await loadCore({ simd: 'strict' }), seed: 3 });
    expect(model.classNames).toEqual(CLASS_NAMES);
    for (let i = 0; i < 20; i++) {
      const image = images.images.subarray(i * 784, (i + 1) * 784);
      const result = model.classify(image);
      const probabilities = model.predict(image);
      expect(result.probabilities).toEqual(probabilities);
      expect(result.probability).toBe(Math.max(...probabilities));
      expect(result.label).toBe(probabilities.indexOf(result.probability));
      expect(result.className).toBe(CLASS_NAMES[result.label]);
    }
    model.classNames = CLASS_NAMES.map((name) => name.toUpperCase());
    expect(model.classify(images.images.subarray(0, 784)).className).toBe(
      CLASS_NAMES[model.classify(images.images.subarray(0, 784)).label]!.toUpperCase(),
    );
    expect(() => {
      model.classNames = ['a', 'b'];
    }).toThrow(/^classNames: expected 10 strings/);
    model.dispose();
  });

  it('names the classes of a model that is not 10-way by their labels', async () => {
    const model = new Sequential(await loadCore(), { inputShape: [784], layers: [new Dense(4, { activation: 'softmax' })] });
    expect(model.classNames).toEqual(['0', '1', '2', '3']);
    expect(model.classify(images.images.subarray(0, 784)).className).toMatch(/^[0-3]$/);
    model.dispose();
  });

  it('takes an RGBA image (ImageData) through toModelInput', async () => {
    const model = await createModel('cnn', { core: await loadCore({ simd: 'strict' }), seed: 1 });
    const width = 56;
    const height = 42;
    const data = new Uint8ClampedArray(width * height * 4);
    for (let i = 0; i < data.length; i++) data[i] = (i * 37) % 256;
    const image = { data, width, height };
    expect(model.predict(image)).toEqual(model.predict(toModelInput(image)));
    expect(model.classify(image).label).toBe(model.classify(toModelInput(image)).label);
    expect(() => model.predict({ data, width: 0, height })).toThrow(ArgumentError);
    expect(() => model.predict({ data: data.subarray(0, 10), width, height })).toThrow(/^image: .*needs/);
    model.dispose();
  });
});

describe('bad input', () => {
  /** `call` throws an ArgumentError matching `message` and leaves `output` as it was. */
  function refused(output: Float32Array, call: () => unknown, message: RegExp): void {
    const before = output.slice();
    let error: unknown;
    try {
      call();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ArgumentError);
    expect((error as Error).message).toMatch(message);
    expect(output).toEqual(before);
  }

  it('refuses wrong sizes, types, non-finite values and small outputs, naming the argument, writing nothing', async () => {
    const model = await createModel('mlp', { core: await loadCore({ simd: 'strict' }), seed: 1 });
    const output = new Float32Array(40).fill(7);
    const one = new Float32Array(784).fill(0.5);
    refused(output, () => model.predict(new Uint8Array(783), output), /^image: expected one image of 784 values, got 783/);
    refused(output, () => model.predict(new Uint8Array(2 * 784), output), /predict\(images, count\)/);
    refused(output, () => model.predict(new Float64Array(784) as never, output), /^image: .*got a Float64Array of 784/);
    refused(output, () => model.predict('pixels' as never, output), /^image: /);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const image = one.slice();
      image[17] = bad;
      refused(output, () => model.predict(image, output), new RegExp(`^image: value 17 is ${bad}: inputs must be finite`));
      refused(output, () => model.classify(image, output), /^image: value 17/);
      const batch = new Float32Array(4 * 784).fill(0.25);
      batch[2 * 784 + 3] = bad;
      refused(output, () => model.predict(batch, 4, output), new RegExp(`^images: image 2 \\(value 3\\) is ${bad}`));
    }
    refused(output, () => model.predict(one, new Float32Array(9)), /^output: expected a Float32Array of at least 10 values/);
    refused(output, () => model.predict(one, [] as never), /^output: .*got an array of 0/);
    refused(output, () => model.predict(new Uint8Array(5 * 784), 5, output), /^output: expected a Float32Array of at least 50 values/);
    refused(output, () => model.predict(new Uint8Array(784), 0, output), /^count: expected a positive integer, got 0/);
    refused(output, () => model.predict(new Uint8Array(785), 1, output), /^images: expected 1 x 784 = 784 values, got 785/);
    model.dispose();
  });

  it('refuses an RGBA image for a model whose input is not 28x28', async () => {
    const model = new Sequential(await loadCore(), { inputShape: [16], layers: [new Dense(3, { activation: 'softmax' })] });
    const image = { data: new Uint8Array(4 * 4 * 4), width: 4, height: 4 };
    expect(() => model.predict(image)).toThrow(/^image: an RGBA image becomes 784 gray pixels; this model takes 16 values/);
    model.dispose();
  });
});
