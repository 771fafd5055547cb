// ONNX import through the public doors: importModel on bytes and importModelFrom on a path (the
// format from the .onnx extension or the option), and `fmnist import` as a user runs it (the built
// dist/). The model file written gives PyTorch's recorded probabilities; a refused file is exit 2 with
// one stderr line naming the file, the node and the reason, and nothing is written.
import { copyFile, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadFashionMnist } from '../../src/data/index.js';
import { ModelFileError } from '../../src/errors.js';
import { importModel, importModelFrom } from '../../src/interop/index.js';
import { ModelProto } from '../../src/interop/onnx-schema.js';
import { loadModel } from '../../src/models/save.js';
import { randomF32 } from '../helpers/random.js';
import { expectUsageError, fmnist } from '../helpers/cli.js';
import { ints, TorchGraph } from './onnx-import-graphs.js';
import { maxAbsDifference } from './peers.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/onnx/cnn-pytorch.onnx', import.meta.url));
const RECORDED = 100;

let dir: string;
let inputs: Float32Array;
let pytorch: Float32Array;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fmnist-onnx-'));
  const { test } = await loadFashionMnist({
    dir: process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist',
    limit: 1,
    testLimit: RECORDED,
  });
  inputs = Float32Array.from(test.images, (p) => p / 255);
  const recorded = await readFile(FIXTURE.replace(/\.onnx$/, '.probabilities.f32'));
  pytorch = new Float32Array(recorded.buffer.slice(recorded.byteOffset, recorded.byteOffset + recorded.byteLength));
});

function expectPytorchProbabilities(probabilities: Float32Array): void {
  const { max, index } = maxAbsDifference(pytorch, probabilities);
  expect(max, `largest |pytorch − ours| at output ${index}`).toBeLessThanOrEqual(1e-5);
}

/** A small CNN as PyTorch writes it, with `strides` on its Conv. */
function cnnWithStrides(strides: number): Uint8Array {
  const g = new TorchGraph({ input: [1, 28, 28] });
  const x = g.conv('input', 'conv1', randomF32(9, 1), undefined, [1, 1, 3, 3], [1, 1, 1, 1], [ints('strides', [strides, strides])]);
  return g.encode(g.linear(g.node('Flatten', [x], []), 'fc', randomF32(7840, 2, -0.01, 0.01), undefined, 10));
}

describe('importModel and importModelFrom', () => {
  it('take a .onnx file by its extension, or any name with format: onnx', async () => {
    const bytes = await readFile(FIXTURE);
    const fromBytes = await importModel([{ name: 'cnn-pytorch.onnx', bytes }]);
    expectPytorchProbabilities(fromBytes.predict(inputs, RECORDED).probabilities);
    const renamed = join(dir, 'model.bin');
    await copyFile(FIXTURE, renamed);
    const fromPath = await importModelFrom(renamed, { format: 'onnx' });
    expect(fromPath.predict(inputs, RECORDED).probabilities).toEqual(fromBytes.predict(inputs, RECORDED).probabilities);
    expect((await importModelFrom(FIXTURE)).getWeights()).toEqual(fromBytes.getWeights());
    fromBytes.dispose();
    fromPath.dispose();
  });

  it('refuse with a ModelFileError naming the file, and the node where one is at fault', async () => {
    await expect(importModel([{ name: 'strided.onnx', bytes: cnnWithStrides(2) }])).rejects.toThrow(
      new ModelFileError('strided.onnx', 'node "/conv1/Conv" (Conv): strides [2, 2]: only 1 is supported'),
    );
    await expect(importModelFrom(join(dir, 'missing.onnx'))).rejects.toThrow(/missing\.onnx: no such file/);
    await expect(importModelFrom(dir, { format: 'onnx' })).rejects.toThrow(ModelFileError);
  });
});

describe('fmnist import', () => {
  it('an ONNX file (format from the extension) becomes a model file that predicts as PyTorch did', async () => {
    const out = join(dir, 'sub', 'cnn.fmnist');
    const run = await fmnist('import', FIXTURE, '--out', out, '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      command: 'import',
      format: 'onnx',
      out,
      layers: ['Conv2D', 'MaxPooling2D', 'Flatten', 'Dense', 'BatchNormalization', 'Activation', 'Dense'],
    });
    const model = await loadModel(out);
    expectPytorchProbabilities(model.predict(inputs, RECORDED).probabilities);
    model.dispose();
  });

  it('--format onnx on another name', async () => {
    const source = join(dir, 'exported.model');
    await copyFile(FIXTURE, source);
    const run = await fmnist('import', '--format', 'onnx', source, '--out', join(dir, 'b.fmnist'));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/exported\.model → .*b\.fmnist: 7 layers, \d+ parameters/);
  });

  it('a refused file: exit 2, one line naming the file, the node and the reason, nothing written', async () => {
    const bad = join(dir, 'bad');
    await (await import('node:fs/promises')).mkdir(bad);
    const cases: [string, Uint8Array, RegExp][] = [
      ['strided.onnx', cnnWithStrides(2), /strided\.onnx: node "\/conv1\/Conv" \(Conv\): strides \[2, 2\]: only 1 is supported\n$/],
      ['truncated.onnx', (await readFile(FIXTURE)).subarray(0, 20000), /truncated\.onnx: not an ONNX model \(malformed protobuf: /],
      [
        'tanh.onnx',
        (() => {
          const model = ModelProto.toObject(ModelProto.decode(cnnWithStrides(1)), { arrays: true }) as {
            graph: { node: { opType: string }[] };
          };
          model.graph.node[1]!.opType = 'Tanh';
          return ModelProto.encode(ModelProto.fromObject(model)).finish();
        })(),
        /tanh\.onnx: node "\/Flatten" \(Tanh\): the op Tanh is not supported/,
      ],
    ];
    for (const [name, bytes, pattern] of cases) {
      const source = join(bad, name);
      await writeFile(source, bytes);
      const out = join(dir, 'refused', `${name}.fmnist`);
      expectUsageError(await fmnist('import', source, '--out', out), pattern);
      expect(await readdir(dir)).not.toContain('refused');
    }
  });
});
