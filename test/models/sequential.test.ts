// Sequential: summary, predict, evaluate, the weights API, the arena plan.
import { describe, expect, it } from 'vitest';
import { loadCore } from '../../src/core/index.js';
import { ArgumentError } from '../../src/errors.js';
import { Conv2D, Dense, Flatten, MaxPooling2D } from '../../src/layers/index.js';
import { buildArchitecture } from '../../src/models/architectures.js';
import { Sequential } from '../../src/models/sequential.js';
import { makeModel, syntheticSet } from '../layers/helpers.js';

describe('Sequential', () => {
  it('summary() prints a Keras-style table with the totals', async () => {
    const model = buildArchitecture(await loadCore(), 'cnn', { compile: false });
    expect(model.summary()).toBe(
      [
        'Model: "cnn"',
        '______________________________________________________________',
        ' Layer (type)                    Output Shape        Param #',
        '==============================================================',
        ' conv2d_1 (Conv2D)               (None, 26, 26, 32)      320',
        '______________________________________________________________',
        ' max_pooling2d_1 (MaxPooling2D)  (None, 13, 13, 32)        0',
        '______________________________________________________________',
        ' flatten_1 (Flatten)             (None, 5408)              0',
        '______________________________________________________________',
        ' dense_1 (Dense)                 (None, 200)         1081800',
        '______________________________________________________________',
        ' dense_2 (Dense)                 (None, 100)           20100',
        '______________________________________________________________',
        ' dense_3 (Dense)                 (None, 50)             5050',
        '______________________________________________________________',
        ' dense_4 (Dense)                 (None, 10)              510',
        '==============================================================',
        'Total params: 1,107,780 (4.23 MB)',
        'Trainable params: 1,107,780 (4.23 MB)',
        'Non-trainable params: 0 (0.00 B)',
        '______________________________________________________________',
      ].join('\n'),
    );
  });

  it('predict() gives the same answer for u8 pixels and for f32 pixels / 255, and matches evaluate()', async () => {
    const model = await makeModel(
      [4, 5, 1],
      [new Conv2D(3, 2, { activation: 'relu' }), new MaxPooling2D(), new Flatten(), new Dense(4, { activation: 'softmax' })],
    );
    const set = syntheticSet(37, 4, 5, 4, 1);
    const a = model.predict(set.images, set.count);
    const b = model.predict(
      Float32Array.from(set.images, (v) => Math.fround(v / 255)),
      set.count,
    );
    expect(a.labels).toEqual(b.labels);
    expect(a.probabilities).toEqual(b.probabilities);
    expect(a.probabilities).toHaveLength(37 * 4);
    for (let r = 0; r < 37; r++) {
      const row = a.probabilities.subarray(r * 4, r * 4 + 4);
      expect(Math.abs(row.reduce((s, p) => s + p, 0) - 1)).toBeLessThan(1e-6);
      expect(row[a.labels[r]!]).toBe(Math.max(...row));
    }
    const evaluation = model.evaluate(set, { batchSize: 8 });
    expect(evaluation.predictions).toEqual(a.labels);
    let loss = 0;
    let correct = 0;
    for (let r = 0; r < 37; r++) {
      loss -= Math.log(a.probabilities[r * 4 + set.labels[r]!]!);
      if (a.labels[r] === set.labels[r]) correct++;
    }
    expect(evaluation.accuracy).toBe(correct / 37);
    expect(evaluation.loss).toBeCloseTo(loss / 37, 5);
  });

  it('getWeights/setWeights round-trip and check lengths', async () => {
    const model = await makeModel([3], [new Dense(2, { activation: 'softmax' })]);
    const weights = model.getWeights();
    expect(weights.map((w) => [w.name, w.shape])).toEqual([
      ['dense_1/kernel', [3, 2]],
      ['dense_1/bias', [2]],
    ]);
    model.setWeights([new Float32Array([1, 2, 3, 4, 5, 6]), new Float32Array([7, 8])]);
    expect(Array.from(model.getWeights()[0]!.values)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => model.setWeights([new Float32Array(5), new Float32Array(2)])).toThrow(
      /^weights: dense_1\/kernel: expected shape \[3, 2\]/,
    );
    expect(() => model.setWeights([new Float32Array(5), new Float32Array(2)])).toThrow(ArgumentError);
    // Every length is checked before any is written.
    expect(() => model.setWeights([new Float32Array(6).fill(9), new Float32Array(3)])).toThrow(/^weights: dense_1\/bias/);
    expect(Array.from(model.getWeights()[0]!.values)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => model.setWeights([new Float32Array(6)])).toThrow(/^weights: expected 2 tensors/);
  });

  it('plans parameters, then gradients in the same layout, then optimizer state, then batch buffers', async () => {
    const model = await makeModel([6], [new Dense(3, { activation: 'relu' }), new Dense(2, { activation: 'softmax' })]);
    model.compile({ optimizer: 'adam' });
    await model.fit(syntheticSet(10, 2, 3, 2, 1), { batchSize: 4 });
    const names = model.core.arena.buffers.map((b) => b.name);
    expect(names.slice(0, 10)).toEqual([
      'dense_1/kernel',
      'dense_1/bias',
      'dense_2/kernel',
      'dense_2/bias',
      'dense_1/kernel/grad',
      'dense_1/bias/grad',
      'dense_2/kernel/grad',
      'dense_2/bias/grad',
      'adam/m',
      'adam/v',
    ]);
    expect(names).toContain('dense_1/output_grad');
    expect(names).toContain('workspace');
    expect(names).toContain('data/0/images');
    const byName = new Map(model.core.arena.buffers.map((b) => [b.name, b]));
    const shift = byName.get('dense_1/kernel/grad')!.byteOffset - byName.get('dense_1/kernel')!.byteOffset;
    for (const slot of model.parameterSlots) expect(slot.gradByteOffset - slot.byteOffset).toBe(shift);
    expect(byName.get('adam/v')!.byteOffset - byName.get('adam/m')!.byteOffset).toBe(shift);
  });

  it('refuses a core that already holds a model, and empty or re-used layers', async () => {
    const core = await loadCore();
    new Sequential(core, { inputShape: [4] });
    expect(() => new Sequential(core, { inputShape: [4] })).toThrow(/call loadCore\(\) once per model/);
    const empty = new Sequential(await loadCore(), { inputShape: [4] });
    expect(() => empty.build()).toThrow(ArgumentError);
    expect(() => new Sequential({} as never, { inputShape: [0] })).toThrow(/inputShape/);
    const dense = new Dense(2);
    const model = new Sequential(await loadCore(), { inputShape: [4], layers: [dense] });
    expect(() => model.add(dense)).toThrow(/already in this model/);
    model.build();
    expect(() => model.add(new Dense(3))).toThrow(/already built/);
  });

  it('predict() rejects wrong sizes and types', async () => {
    const model = await makeModel([6], [new Dense(2, { activation: 'softmax' })]);
    expect(() => model.predict(new Uint8Array(11), 2)).toThrow(/expected 2 x 6 = 12 values, got 11/);
    expect(() => model.predict(new Float64Array(12) as never, 2)).toThrow(ArgumentError);
    expect(() => model.predict(new Uint8Array(12), 0)).toThrow(/count/);
  });
});
