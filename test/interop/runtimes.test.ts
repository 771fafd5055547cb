// Our exports in the real runtimes, on the real test images: each architecture, briefly trained
// (seeded, on a subset), predicts the same labels on 1,000 test images with TensorFlow.js (cpu
// backend) and ONNX Runtime Web (wasm) as here, and softmax outputs within 1e-5 absolute.
// 1e-5: both runtimes compute the same f32 graph in another summation order; with |w·x| terms of a
// few units summed over ≤ 784 inputs the logits differ by ~1e-6, and softmax is 1-Lipschitz.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadFashionMnist, type ImageSet } from '../../src/data/index.js';
import { exportModel } from '../../src/interop/index.js';
import { ModelProto } from '../../src/interop/onnx-schema.js';
import { createModel, MODERN_DEFAULTS, type ArchitectureName } from '../../src/models/architectures.js';
import { argmaxRows, loadInTfjs, maxAbsDifference, ortPredict, ortSession, tfjsPredict } from './peers.js';

const DIR = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
const TEST_IMAGES = 1000;
const TOLERANCE = 1e-5;

let train: ImageSet;
let inputs: Float32Array;
beforeAll(async () => {
  const data = await loadFashionMnist({ dir: DIR, limit: 3000, testLimit: TEST_IMAGES });
  train = data.train;
  // The scaling the exports' metadata prescribes, done once so every runtime sees the same f32 values.
  inputs = Float32Array.from(data.test.images, (pixel) => pixel / 255);
});

// A few hundred steps at most: 3,000 images (94 steps) for the MLPs, 1,000 (32 steps) for the CNN.
const trainingImages: Record<ArchitectureName, number> = { 'scratch-mlp': 3000, mlp: 3000, cnn: 1000 };

describe.each(['scratch-mlp', 'mlp', 'cnn'] as const)('%s, trained briefly, exported', (name) => {
  let ours: { labels: Int32Array; probabilities: Float32Array };
  let files: { tfjs: ReturnType<typeof exportModel>; onnx: ReturnType<typeof exportModel> };
  let shape: number[];

  beforeAll(async () => {
    const model = await createModel(name, { seed: 1 });
    const count = trainingImages[name];
    const subset = { ...train, images: train.images.subarray(0, count * 784), labels: train.labels.subarray(0, count), count };
    await model.fit(subset, { epochs: 1, batchSize: MODERN_DEFAULTS[name].batchSize, seed: 1 });
    ours = model.predict(inputs, TEST_IMAGES);
    shape = [...model.inputShape];
    files = { tfjs: exportModel(model, 'tfjs'), onnx: exportModel(model, 'onnx') };
    // Trained enough that the labels are a meaningful comparison (not one class everywhere).
    expect(new Set(ours.labels).size, `${name}: distinct predicted classes`).toBeGreaterThanOrEqual(8);
  });

  it('TensorFlow.js (cpu) gives the same labels and softmax within 1e-5', async () => {
    const tfModel = await loadInTfjs(files.tfjs);
    const theirs = tfjsPredict(tfModel, inputs, TEST_IMAGES, shape);
    const { max, index } = maxAbsDifference(theirs, ours.probabilities);
    expect(max, `${name}: largest |tfjs − ours| at output ${index}`).toBeLessThanOrEqual(TOLERANCE);
    expect(argmaxRows(theirs, 10)).toEqual(ours.labels);
    const metadata = tfModel.getUserDefinedMetadata() as { fmnist: { classNames: string[]; inputScale: number; inputShape: number[] } };
    expect(metadata.fmnist.classNames).toHaveLength(10);
    expect(metadata.fmnist.classNames[9]).toBe('Ankle boot');
    expect(metadata.fmnist.inputScale).toBe(1 / 255);
    expect(metadata.fmnist.inputShape).toEqual(shape);
    // The optimizer travels in trainingConfig; the summed loss of scratch-mlp has no TF.js form.
    if (name === 'scratch-mlp') {
      expect(tfModel.optimizer).toBeUndefined();
    } else {
      expect(tfModel.optimizer.getClassName()).toBe('Adam');
      expect(tfModel.optimizer.getConfig()).toMatchObject({ learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    }
    tfModel.dispose();
  });

  it('ONNX Runtime Web (wasm) gives the same labels and softmax within 1e-5', async () => {
    const session = await ortSession(files.onnx[0]!.bytes);
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['probabilities']);
    const theirs = await ortPredict(session, inputs, TEST_IMAGES, shape);
    const { max, index } = maxAbsDifference(theirs, ours.probabilities);
    expect(max, `${name}: largest |onnxruntime − ours| at output ${index}`).toBeLessThanOrEqual(TOLERANCE);
    expect(argmaxRows(theirs, 10)).toEqual(ours.labels);
    await session.release();
  });

  it('the ONNX file declares opset 13, the input shape and the metadata', () => {
    const decoded = ModelProto.toObject(ModelProto.decode(files.onnx[0]!.bytes), { longs: Number }) as {
      irVersion: number;
      opsetImport: { domain?: string; version: number }[];
      graph: { input: { name: string; type: { tensorType: { shape: { dim: { dimValue?: number; dimParam?: string }[] } } } }[] };
      metadataProps: { key: string; value: string }[];
    };
    expect(decoded.opsetImport).toEqual([{ version: 13 }]);
    expect(decoded.irVersion).toBe(7);
    expect(decoded.graph.input[0]!.type.tensorType.shape.dim).toEqual([{ dimParam: 'N' }, ...shape.map((d) => ({ dimValue: d }))]);
    const props = Object.fromEntries(decoded.metadataProps.map((p) => [p.key, p.value]));
    expect(JSON.parse(props.class_names!)).toHaveLength(10);
    expect(Number(props.input_scale)).toBe(1 / 255);
    expect(props.input_layout).toBe(shape.length === 3 ? 'NHWC' : 'features');
  });
});
