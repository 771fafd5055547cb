// Files PyTorch itself wrote (test/fixtures/onnx/, made by make-fixtures.py there with torch 1.13's
// torch.onnx.export; the suite needs no Python): imported, they give PyTorch's own probabilities on
// the first 100 test images (recorded beside them) and ONNX Runtime Web's on 1,000, within 1e-5, with
// the same labels.
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadFashionMnist } from '../../src/data/index.js';
import { buildOnnxModel, parseOnnx } from '../../src/interop/onnx-import.js';
import { softmaxRows } from './onnx-import-graphs.js';
import { argmaxRows, maxAbsDifference, ortPredict, ortSession } from './peers.js';

const DIR = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
const FIXTURES = new URL('../fixtures/onnx/', import.meta.url);
const TEST_IMAGES = 1000;
const RECORDED = 100;
const TOLERANCE = 1e-5;

let inputs: Float32Array;
beforeAll(async () => {
  const { test } = await loadFashionMnist({ dir: DIR, limit: 1, testLimit: TEST_IMAGES });
  inputs = Float32Array.from(test.images, (pixel) => pixel / 255);
});

describe.each([
  ['mlp-pytorch', [784], 'logits', ['Dense(relu)', 'Dense(softmax)']],
  [
    'cnn-pytorch',
    [1, 28, 28],
    'log-softmax',
    ['Conv2D(relu)', 'MaxPooling2D', 'Flatten', 'Dense', 'BatchNormalization', 'Activation(relu)', 'Dense(softmax)'],
  ],
] as const)('%s.onnx, written by torch.onnx.export', (name, shape, ending, layers) => {
  let bytes: Uint8Array;
  let ours: { probabilities: Float32Array; labels: Int32Array };
  beforeAll(async () => {
    bytes = await readFile(new URL(`${name}.onnx`, FIXTURES));
    const parsed = parseOnnx(bytes, `${name}.onnx`);
    expect(parsed.ending).toBe(ending);
    expect(parsed.producer).toBe('pytorch 1.13.0');
    const model = await buildOnnxModel(parsed);
    expect(model.layers.map((l) => (l.activation === 'linear' ? l.className : `${l.className}(${l.activation})`))).toEqual(layers);
    expect(model.inputShape).toEqual(shape.length === 3 ? [28, 28, 1] : [784]);
    ours = model.predict(inputs, TEST_IMAGES);
    model.dispose();
  });

  it("gives PyTorch's probabilities on the first 100 test images", async () => {
    const recorded = await readFile(new URL(`${name}.probabilities.f32`, FIXTURES));
    const pytorch = new Float32Array(recorded.buffer.slice(recorded.byteOffset, recorded.byteOffset + recorded.byteLength));
    const mine = ours.probabilities.subarray(0, RECORDED * 10);
    const { max, index } = maxAbsDifference(pytorch, mine);
    expect(max, `${name}: largest |pytorch − ours| at output ${index}`).toBeLessThanOrEqual(TOLERANCE);
    expect(argmaxRows(pytorch, 10)).toEqual(ours.labels.subarray(0, RECORDED));
  });

  it("gives ONNX Runtime Web's on 1,000", async () => {
    const session = await ortSession(bytes);
    const raw = await ortPredict(session, inputs, TEST_IMAGES, shape);
    await session.release();
    const theirs = ending === 'log-softmax' ? raw.map(Math.exp) : softmaxRows(raw);
    const { max, index } = maxAbsDifference(theirs, ours.probabilities);
    expect(max, `${name}: largest |onnxruntime − ours| at output ${index}`).toBeLessThanOrEqual(TOLERANCE);
    expect(argmaxRows(theirs, 10)).toEqual(ours.labels);
    expect(new Set(ours.labels).size).toBeGreaterThanOrEqual(8);
  });
});
