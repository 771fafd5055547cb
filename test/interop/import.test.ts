// TF.js → here: a model built and trained with TensorFlow.js layers (cpu backend), saved with
// tf.io.withSaveHandler as model.json + weights.bin, imported: the same predictions within 1e-5 on
// 1,000 real test images, and one epoch of fit here keeps or improves its accuracy. Then the
// mappings off the three architectures' path ('same' padding, uneven kernels, pool strides,
// Activation layers, no biases) against both runtimes, and exports re-imported bit for bit.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCore } from '../../src/core/index.js';
import { loadFashionMnist, type ImageSet } from '../../src/data/index.js';
import { exportModel, importModel, type ModelFile } from '../../src/interop/index.js';
import { Activation, BatchNormalization, Conv2D, Dense, Dropout, Flatten, MaxPooling2D } from '../../src/layers/index.js';
import { buildArchitecture } from '../../src/models/architectures.js';
import { Sequential } from '../../src/models/sequential.js';
import { argmaxRows, loadInTfjs, maxAbsDifference, ortPredict, ortSession, tfCpu, tfjsModelFiles, tfjsPredict } from './peers.js';

const DIR = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
const TEST_IMAGES = 1000;
// See runtimes.test.ts for the derivation.
const TOLERANCE = 1e-5;

let train: ImageSet;
let test: ImageSet;
let inputs: Float32Array;
beforeAll(async () => {
  ({ train, test } = await loadFashionMnist({ dir: DIR, limit: 4000, testLimit: TEST_IMAGES }));
  inputs = Float32Array.from(test.images, (pixel) => pixel / 255);
});

function oneHot(labels: Uint8Array): Float32Array {
  const out = new Float32Array(labels.length * 10);
  labels.forEach((label, i) => {
    out[i * 10 + label] = 1;
  });
  return out;
}

describe('a TF.js-trained model imported here', () => {
  it.each([
    ['CNN (Conv2D, MaxPooling2D, Flatten, Dense)', [28, 28, 1], 512],
    ['MLP (Dense, Activation)', [784], 2000],
  ] as const)('%s: the same predictions within 1e-5, then one epoch of fit keeps or improves accuracy', async (kind, shape, count) => {
    const tf = await tfCpu();
    const tfModel = tf.sequential();
    if (shape.length === 3) {
      tfModel.add(
        tf.layers.conv2d({
          inputShape: [...shape],
          filters: 4,
          kernelSize: 3,
          activation: 'relu',
          kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
        }),
      );
      tfModel.add(tf.layers.maxPooling2d({ poolSize: 2 }));
      tfModel.add(tf.layers.flatten());
      tfModel.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
    } else {
      tfModel.add(tf.layers.dense({ inputShape: [784], units: 32, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
      tfModel.add(tf.layers.activation({ activation: 'sigmoid' }));
      tfModel.add(tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
      tfModel.add(tf.layers.activation({ activation: 'softmax' }));
    }
    tfModel.compile({ optimizer: tf.train.adam(0.003), loss: 'categoricalCrossentropy' });
    const x = tf.tensor(
      Float32Array.from(train.images.subarray(0, count * 784), (p) => p / 255),
      [count, ...shape],
    );
    const y = tf.tensor(oneHot(train.labels.subarray(0, count)), [count, 10]);
    await tfModel.fit(x, y, { epochs: 1, batchSize: 32, shuffle: false, verbose: 0 });
    x.dispose();
    y.dispose();
    const theirs = tfjsPredict(tfModel, inputs, TEST_IMAGES, shape);

    // The CNN is saved with its optimizer (trainingConfig and Adam's state, which import skips).
    const withOptimizer = shape.length === 3;
    const model = await importModel(await tfjsModelFiles(tfModel, { includeOptimizer: withOptimizer }));
    expect(model.layers.map((l) => l.className)).toEqual(tfModel.layers.map((l) => l.getClassName()));
    if (withOptimizer) {
      expect(model.compileOptions?.optimizer).toMatchObject({ type: 'adam', learningRate: 0.003 });
    } else {
      expect(model.compileOptions).toBeUndefined();
    }
    expect(model.inputShape).toEqual([...shape]);
    const ours = model.predict(inputs, TEST_IMAGES);
    const { max, index } = maxAbsDifference(ours.probabilities, theirs);
    expect(max, `${kind}: largest |ours − tfjs| at output ${index}`).toBeLessThanOrEqual(TOLERANCE);
    expect(ours.labels).toEqual(argmaxRows(theirs, 10));

    const before = model.evaluate(test).accuracy;
    model.compile({ optimizer: { type: 'adam', learningRate: 0.001 } });
    await model.fit(train, { epochs: 1, batchSize: 32, seed: 1 });
    const after = model.evaluate(test).accuracy;
    expect(after, `${kind}: test accuracy ${before} imported, ${after} after one epoch here`).toBeGreaterThanOrEqual(before);
    tfModel.dispose();
  });
});

describe('mappings beyond the three architectures', () => {
  async function unusualCnn(): Promise<Sequential> {
    const model = new Sequential(await loadCore(), {
      inputShape: [28, 28, 1],
      seed: 5,
      name: 'unusual',
      layers: [
        new Conv2D(3, [2, 3], { padding: 'same', activation: 'sigmoid' }),
        new MaxPooling2D({ poolSize: 3, strides: 2 }),
        new Conv2D(5, 4, { padding: 'same', useBias: false }),
        new Activation('relu'),
        new MaxPooling2D({ poolSize: 2, strides: 1 }),
        new Flatten(),
        new Dense(16, { useBias: false, kernelInitializer: 'heNormal' }),
        new Activation('relu'),
        new Dense(10),
        new Activation('softmax'),
      ],
    });
    // Biases are zeros at initialisation: give them values so a mislaid bias shows.
    model.setWeights(model.getWeights().map((w) => (w.name.endsWith('/bias') ? w.values.map((_, i) => 0.1 * Math.sin(i + 1)) : w.values)));
    return model;
  }

  it('TF.js and ONNX Runtime agree with us on a CNN with same padding, uneven kernels and pool strides', async () => {
    const model = await unusualCnn();
    const ours = model.predict(inputs.subarray(0, 100 * 784), 100);
    const tfModel = await loadInTfjs(exportModel(model, 'tfjs'));
    const viaTfjs = maxAbsDifference(tfjsPredict(tfModel, inputs.subarray(0, 100 * 784), 100, [28, 28, 1]), ours.probabilities);
    expect(viaTfjs.max, `tfjs at output ${viaTfjs.index}`).toBeLessThanOrEqual(TOLERANCE);
    const session = await ortSession(exportModel(model, 'onnx')[0]!.bytes);
    const viaOrt = maxAbsDifference(await ortPredict(session, inputs.subarray(0, 100 * 784), 100, [28, 28, 1]), ours.probabilities);
    expect(viaOrt.max, `onnxruntime at output ${viaOrt.index}`).toBeLessThanOrEqual(TOLERANCE);
    await session.release();
    tfModel.dispose();
  });

  it('BatchNormalization (after a conv and a Dense) and Dropout export to both runtimes and re-import bit for bit', async () => {
    const model = new Sequential(await loadCore(), {
      inputShape: [28, 28, 1],
      seed: 6,
      name: 'regularised',
      layers: [
        new Conv2D(4, 3, { activation: 'relu' }),
        new BatchNormalization({ momentum: 0.9, epsilon: 1e-2 }),
        new MaxPooling2D(),
        new Flatten(),
        new Dense(16, { activation: 'relu' }),
        new BatchNormalization(),
        new Dropout(0.4),
        new Dense(10, { activation: 'softmax' }),
      ],
    });
    model.compile({ optimizer: 'adam' });
    // Trained: moving statistics away from 0 and 1, gamma and beta away from 1 and 0, so a mislaid one shows.
    await model.fit({ ...train, count: 500 }, { batchSize: 50, seed: 2 });
    const named = (suffix: string) => model.getWeights().filter((w) => w.name.endsWith(suffix));
    expect(named('/moving_mean').every((w) => w.values.some((v) => Math.abs(v) > 1e-3))).toBe(true);
    const ours = model.predict(inputs.subarray(0, 100 * 784), 100);
    const tfModel = await loadInTfjs(exportModel(model, 'tfjs'));
    const viaTfjs = maxAbsDifference(tfjsPredict(tfModel, inputs.subarray(0, 100 * 784), 100, [28, 28, 1]), ours.probabilities);
    expect(viaTfjs.max, `tfjs at output ${viaTfjs.index}`).toBeLessThanOrEqual(TOLERANCE);
    tfModel.dispose();
    const onnx = exportModel(model, 'onnx')[0]!.bytes;
    const session = await ortSession(onnx);
    const viaOrt = maxAbsDifference(await ortPredict(session, inputs.subarray(0, 100 * 784), 100, [28, 28, 1]), ours.probabilities);
    expect(viaOrt.max, `onnxruntime at output ${viaOrt.index}`).toBeLessThanOrEqual(TOLERANCE);
    await session.release();
    const back = await importModel(exportModel(model, 'tfjs'));
    expect(back.layers.map((l) => l.getConfig())).toEqual(model.layers.map((l) => l.getConfig()));
    expect(back.getWeights()).toEqual(model.getWeights());
  });

  it('an export is deterministic and re-imports bit for bit: the same layers, weights and predictions', async () => {
    const model = await unusualCnn();
    expect(exportModel(model, 'tfjs')).toEqual(exportModel(model, 'tfjs'));
    expect(exportModel(model, 'onnx')).toEqual(exportModel(model, 'onnx'));
    const back = await importModel(exportModel(model, 'tfjs'));
    expect(back.layers.map((l) => l.getConfig())).toEqual(model.layers.map((l) => l.getConfig()));
    expect(back.getWeights()).toEqual(model.getWeights());
    expect(back.predict(inputs.subarray(0, 10 * 784), 10).probabilities).toEqual(
      model.predict(inputs.subarray(0, 10 * 784), 10).probabilities,
    );
  });

  it("an InputLayer first (batch_input_shape, or Keras 3's batch_shape) gives the input shape", async () => {
    const model = await unusualCnn();
    const [json, bin] = exportModel(model, 'tfjs') as [ModelFile, ModelFile];
    for (const key of ['batch_input_shape', 'batch_shape']) {
      const edited = JSON.parse(new TextDecoder().decode(json.bytes));
      const layers = edited.modelTopology.config.layers;
      delete layers[0].config.batch_input_shape;
      layers.unshift({ class_name: 'InputLayer', config: { name: 'input_1', [key]: [null, 28, 28, 1], dtype: 'float32' } });
      const back = await importModel([{ name: json.name, bytes: new TextEncoder().encode(JSON.stringify(edited)) }, bin]);
      expect(back.inputShape, key).toEqual([28, 28, 1]);
      expect(
        back.layers.map((l) => l.getConfig()),
        key,
      ).toEqual(model.layers.map((l) => l.getConfig()));
      expect(back.getWeights(), key).toEqual(model.getWeights());
    }
  });

  it('the optimizer travels in trainingConfig (a mean loss), not for the summed loss of scratch-mlp', async () => {
    const mlp = buildArchitecture(await loadCore(), 'mlp', {
      hidden: [8],
      compile: { optimizer: { type: 'momentum', learningRate: 0.05, momentum: 0.8 } },
    });
    expect((await importModel(exportModel(mlp, 'tfjs'))).compileOptions).toEqual(mlp.compileOptions);
    const scratch = buildArchitecture(await loadCore(), 'scratch-mlp', { hidden: 8 });
    const [json] = exportModel(scratch, 'tfjs');
    expect(JSON.parse(new TextDecoder().decode(json!.bytes)).trainingConfig).toBeUndefined();
    expect((await importModel(exportModel(scratch, 'tfjs'))).compileOptions).toBeUndefined();
  });
});
