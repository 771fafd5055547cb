// `fmnist export` and `fmnist import` as a user runs them (the built dist/, as `npm test` builds it
// first): the files they write load back, and bad input is one stderr line with exit code 2.
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCore } from '../../src/core/index.js';
import { expectUsageError, fmnist } from '../helpers/cli.js';
import { ModelProto } from '../../src/interop/onnx-schema.js';
import { buildArchitecture } from '../../src/models/architectures.js';
import { loadModel, saveModel } from '../../src/models/save.js';
import type { Sequential } from '../../src/models/sequential.js';

let dir: string;
let model: Sequential;
let saved: string;
const images = new Uint8Array(5 * 784).map((_, i) => (i * 31) % 256);
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fmnist-interop-'));
  model = buildArchitecture(await loadCore(), 'cnn', { filters: 3, hidden: [12], seed: 4 });
  saved = join(dir, 'cnn.fmnist');
  await saveModel(model, saved);
});

describe('fmnist export / import', () => {
  it('export --format onnx writes one ONNX file', async () => {
    const out = join(dir, 'cnn.onnx');
    const run = await fmnist('export', '--load', saved, '--format', 'onnx', '--out', out, '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ command: 'export', model: saved, format: 'onnx', files: [out] });
    const decoded = ModelProto.decode(await readFile(out)) as unknown as { graph: { node: { opType: string }[] } };
    expect(decoded.graph.node.map((n) => n.opType)).toEqual([
      'Transpose',
      'Conv',
      'Relu',
      'MaxPool',
      'Transpose',
      'Flatten',
      'Gemm',
      'Relu',
      'Gemm',
      'Softmax',
    ]);
  });

  it('export --format tfjs, then import, gives back the same model', async () => {
    const out = join(dir, 'tfjs', 'cnn.json');
    await mkdir(join(dir, 'tfjs'));
    const exported = await fmnist('export', '--load', saved, '--format', 'tfjs', '--out', out);
    expect(exported.code, exported.stderr).toBe(0);
    expect((await readdir(join(dir, 'tfjs'))).sort()).toEqual(['cnn.json', 'cnn.weights.bin']);
    const back = join(dir, 'back.fmnist');
    const imported = await fmnist('import', '--format', 'tfjs', out, '--out', back);
    expect(imported.code, imported.stderr).toBe(0);
    const reloaded = await loadModel(back);
    expect(reloaded.getWeights()).toEqual(model.getWeights());
    expect(reloaded.predict(images, 5).probabilities).toEqual(model.predict(images, 5).probabilities);
  });

  it('bad input: exit 2 and one line naming the option or file', async () => {
    expectUsageError(await fmnist('export', '--load', saved, '--format', 'keras', '--out', join(dir, 'x')), /--format.*keras.*tfjs, onnx/);
    expectUsageError(
      await fmnist('export', '--load', join(dir, 'missing.fmnist'), '--format', 'onnx', '--out', join(dir, 'x.onnx')),
      /missing\.fmnist: no such file/,
    );
    expectUsageError(
      await fmnist('export', '--load', saved, '--format', 'tfjs', '--out', join(dir, 'model.bin')),
      /^fmnist: --out: .*ending in \.json/,
    );
    expectUsageError(await fmnist('import', join(dir, 'missing.json'), '--out', join(dir, 'y.fmnist')), /missing\.json: no such file/);

    const json = join(dir, 'tfjs', 'cnn.json');
    const bin = join(dir, 'tfjs', 'cnn.weights.bin');
    await writeFile(bin, (await readFile(bin)).subarray(0, 100));
    expectUsageError(await fmnist('import', json, '--out', join(dir, 'y.fmnist')), /cnn\.weights\.bin: truncated/);
    const edited = JSON.parse(await readFile(json, 'utf8'));
    edited.modelTopology.config.layers[1].class_name = 'AveragePooling2D';
    await writeFile(json, JSON.stringify(edited));
    expectUsageError(
      await fmnist('import', json, '--out', join(dir, 'y.fmnist')),
      /cnn\.json: layer "max_pooling2d_1" \(AveragePooling2D\): the layer class is not supported/,
    );
  });
});
