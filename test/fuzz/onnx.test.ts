// Seeded mutations of valid ONNX files (PyTorch-style graphs of onnx-import-graphs.ts and our own
// export): the byte edits of corpus.ts (truncations, bit flips, byte sets, cut or repeated ranges,
// trailing junk) and edits of the decoded protobuf's fields (dimensions, attributes, op types, input
// names, data types, nodes dropped or repeated), re-encoded. Each case must end in a ModelFileError
// (one line, naming the file) or in a model that computes what the file says: its predictions on a
// few test images agree with ONNX Runtime Web's on the same bytes. Never another exception, never a
// hang (the test's timeout). A failure names the seed, the case and the mutation.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCore } from '../../src/core/index.js';
import { loadFashionMnist } from '../../src/data/index.js';
import { ModelFileError } from '../../src/errors.js';
import { exportModel } from '../../src/interop/index.js';
import { buildOnnxModel, parseOnnx, type OnnxImport } from '../../src/interop/onnx-import.js';
import { ModelProto } from '../../src/interop/onnx-schema.js';
import { buildArchitecture } from '../../src/models/architectures.js';
import { randomF32, rng } from '../helpers/random.js';
import { int, type Loose, softmaxRows, TorchGraph } from '../interop/onnx-import-graphs.js';
import { ort, ortPredict, ortSession } from '../interop/peers.js';
import { mutate, type Mutant, type Random } from './corpus.js';

const CASES = 300;
const IMAGES = 8;
// Mutated weights can be huge (an exponent bit flipped): beyond this, two correct f32 evaluations in
// different summation orders may differ by more than rounding, so such successes are checked for
// their form only.
const COMPARABLE_WEIGHT = 1e3;

let inputs: Float32Array;
const samples: { name: string; bytes: Uint8Array; shape: number[] }[] = [];
// protobufjs encodes into a Node Buffer, whose slice() is a view: mutate() must get a plain array.
const plain = (bytes: Uint8Array) => new Uint8Array(bytes);
beforeAll(async () => {
  // Mutants make ORT warn about what it tolerates (unused initializers): not this test's subject.
  ort.env.logLevel = 'error';
  const { test } = await loadFashionMnist({
    dir: process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist',
    limit: 1,
    testLimit: IMAGES,
  });
  inputs = Float32Array.from(test.images, (p) => p / 255);
  // A CNN as PyTorch writes it: Conv → Relu → MaxPool → x.view(x.size(0), -1) → Linear, logits.
  const cnn = new TorchGraph({ input: [1, 28, 28] });
  let x = cnn.conv('input', 'conv1', randomF32(2 * 9, 1), randomF32(2, 2), [2, 1, 3, 3], [1, 1, 1, 1]);
  x = cnn.viewFlatten(cnn.maxPool(cnn.node('Relu', [x]), 4));
  samples.push({
    name: 'cnn.onnx',
    bytes: plain(cnn.encode(cnn.linear(x, 'fc', randomF32(10 * 98, 3, -0.1, 0.1), randomF32(10, 4), 10))),
    shape: [1, 28, 28],
  });
  // An MLP: MatMul + Add, BatchNormalization, Sigmoid, LogSoftmax (opset 11).
  const mlp = new TorchGraph({ input: [784], opset: 11 });
  let y = mlp.matmulAdd('input', 'fc1', randomF32(784 * 3, 5, -0.1, 0.1), randomF32(3, 6), 3);
  y = mlp.node('Sigmoid', [
    mlp.batchNorm(y, 'bn', [randomF32(3, 7, 0.5, 1.5), randomF32(3, 8), randomF32(3, 9), randomF32(3, 10, 0.5, 1.5)]),
  ]);
  y = mlp.node('LogSoftmax', [mlp.linear(y, 'fc2', randomF32(30, 11), randomF32(10, 12), 10)], [int('axis', 1)]);
  samples.push({ name: 'mlp.onnx', bytes: plain(mlp.encode(y)), shape: [784] });
  // Our own export (NHWC, Transposes around the convolution).
  const ours = buildArchitecture(await loadCore(), 'cnn', { filters: [2], hidden: [4], kernelSize: 3, seed: 3, compile: false });
  samples.push({ name: 'ours.onnx', bytes: plain(exportModel(ours, 'onnx')[0]!.bytes), shape: [28, 28, 1] });
  ours.dispose();
});

function pick<T>(random: Random, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

/** An edit of one field of the decoded model, re-encoded. */
function mutateFields(bytes: Uint8Array, random: Random): Mutant {
  const model = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, arrays: true }) as Loose;
  const graph = model.graph;
  const node = pick(random, graph.node) as Loose;
  const tensor = pick(random, graph.initializer) as Loose;
  const extremes = [0, 1, 2, 3, -1, -2, 7, 28, 2 ** 31 - 1, 2 ** 31, 2 ** 40, -(2 ** 40)];
  let how: string;
  switch (Math.floor(random() * 9)) {
    case 0: {
      const i = Math.floor(random() * Math.max(1, tensor.dims.length));
      const value = pick(random, extremes);
      tensor.dims[i] = value;
      how = `initializer ${tensor.name} dims[${i}] = ${value}`;
      break;
    }
    case 1: {
      const attribute: Loose | undefined = node.attribute.length > 0 ? pick(random, node.attribute) : undefined;
      if (attribute === undefined) return mutateFields(bytes, random);
      const value = pick(random, extremes);
      if (attribute.ints?.length > 0) attribute.ints[Math.floor(random() * attribute.ints.length)] = value;
      else if (attribute.type === 1) attribute.f = pick(random, [0, -1, 1e30, Number.NaN, 0.5]);
      else attribute.i = value;
      how = `node ${node.name} attribute ${attribute.name} = ${value}`;
      break;
    }
    case 2: {
      const op = pick(random, [
        'Relu',
        'Sigmoid',
        'Tanh',
        'Gemm',
        'MatMul',
        'Conv',
        'MaxPool',
        'Flatten',
        'Reshape',
        'Identity',
        'Softmax',
        'Add',
        'Shape',
        'Concat',
        '',
        'Re\nlu',
        'X'.repeat(5000),
      ]);
      how = `node ${node.name} op ${node.opType} → ${JSON.stringify(op.slice(0, 20))}`;
      node.opType = op;
      // Names and op types are the file's: a newline or a long one must not break the one-line message.
      if (random() < 0.3) node.name = pick(random, ['', 'a\nb', 'n'.repeat(5000)]);
      break;
    }
    case 3: {
      const names = [
        ...graph.node.flatMap((n: { output: string[] }) => n.output),
        ...graph.initializer.map((t: { name: string }) => t.name),
        'input',
        '',
      ];
      if (node.input.length === 0) return mutateFields(bytes, random);
      const i = Math.floor(random() * node.input.length);
      node.input[i] = pick(random, names);
      how = `node ${node.name} input ${i} = ${node.input[i]}`;
      break;
    }
    case 4: {
      tensor.dataType = pick(random, [0, 2, 6, 7, 10, 11, 16, 99]);
      how = `initializer ${tensor.name} data type ${tensor.dataType}`;
      break;
    }
    case 5: {
      const i = graph.node.indexOf(node);
      graph.node.splice(i, 1);
      how = `node ${node.name} dropped`;
      break;
    }
    case 6: {
      const i = graph.node.indexOf(node);
      graph.node.splice(i + 1, 0, structuredClone(node));
      how = `node ${node.name} repeated`;
      break;
    }
    case 7: {
      const dim = graph.input[0].type.tensorType.shape.dim;
      const i = Math.floor(random() * dim.length);
      const value = pick(random, extremes);
      dim[i] = random() < 0.3 ? { dimParam: 'n' } : { dimValue: value };
      how = `input dim ${i} = ${JSON.stringify(dim[i])}`;
      break;
    }
    default: {
      model.opsetImport[0].version = pick(random, [1, 8, 9, 10, 12, 14, 16, 18, 21, 22, 23, 100]);
      how = `opset ${model.opsetImport[0].version}`;
    }
  }
  let out: Uint8Array;
  try {
    out = plain(ModelProto.encode(ModelProto.fromObject(model)).finish());
  } catch {
    return mutateFields(bytes, random); // a value protobufjs cannot encode: not a file anyone can write
  }
  return { bytes: out, how };
}

/** The graph input's fixed batch size, if it has one. */
function fixedBatch(bytes: Uint8Array): number | undefined {
  const model = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number }) as Loose;
  return model.graph.input[0].type.tensorType.shape.dim[0].dimValue;
}

/** ONNX Runtime's probabilities for the file on `rows` images, or the reason it refuses the file. */
async function ortProbabilities(bytes: Uint8Array, shape: number[], rows: number, parsed: OnnxImport): Promise<Float32Array | string> {
  let raw: Float32Array;
  try {
    const session = await ortSession(bytes);
    raw = await ortPredict(session, inputs.subarray(0, rows * 784), rows, shape);
    await session.release();
  } catch (error) {
    return (error as Error).message;
  }
  if (parsed.ending === 'softmax') return raw;
  return parsed.ending === 'log-softmax' ? raw.map(Math.exp) : softmaxRows(raw, raw.length / rows);
}

describe('fuzzed ONNX files', () => {
  it.each([0, 1, 2])('sample %i: ModelFileError, or a model that predicts what ONNX Runtime predicts', async (index) => {
    const sample = samples[index]!;
    const random = rng(100 + index);
    const outcome = { errors: 0, compared: 0, fixedBatch: 0, large: 0 };
    for (let i = 0; i < CASES; i++) {
      const mutant =
        i % 2 === 0 ? mutate({ name: sample.name, bytes: sample.bytes, fields: [] }, random) : mutateFields(sample.bytes, random);
      const where = `seed ${100 + index}, case ${i}: ${mutant.how}`;
      let parsed: OnnxImport;
      try {
        parsed = parseOnnx(mutant.bytes, sample.name);
      } catch (error) {
        if (!(error instanceof ModelFileError)) throw new Error(`${where}: threw ${String(error)}`, { cause: error });
        expect(error.message, where).not.toMatch(/\n/);
        expect(error.message.length, where).toBeLessThanOrEqual(1000);
        expect(error.file, where).toBe(sample.name);
        outcome.errors++;
        continue;
      }
      const model = await buildOnnxModel(parsed);
      const ours = model.predict(inputs, IMAGES);
      model.dispose();
      // A fixed batch size in the file: ORT runs only that many images (ours takes any number).
      const rows = fixedBatch(mutant.bytes) ?? IMAGES;
      if (rows > IMAGES) {
        outcome.fixedBatch++;
        continue;
      }
      const theirs = await ortProbabilities(mutant.bytes, sample.shape, rows, parsed);
      if (typeof theirs === 'string') throw new Error(`${where}: we import it, ONNX Runtime refuses it: ${theirs}`);
      const expected = ours.probabilities.subarray(0, theirs.length);
      expect(theirs.length, where).toBe(rows * parsed.classNames.length);
      const largest = Math.max(...parsed.weights.map((w) => w.values.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
      if (largest > COMPARABLE_WEIGHT) {
        outcome.large++;
        continue;
      }
      // NaN where ORT has NaN (e.g. an overflow both compute), else within 1e-5.
      const at = theirs.findIndex((p, j) => !(Number.isNaN(p) && Number.isNaN(expected[j]!)) && !(Math.abs(p - expected[j]!) <= 1e-5));
      expect(at, `${where}: output ${at}: ORT ${theirs[at]}, ours ${expected[at]}`).toBe(-1);
      outcome.compared++;
    }
    expect(outcome.errors).toBeGreaterThan(CASES / 4);
    expect(outcome.compared).toBeGreaterThan(CASES / 10);
  });
});
