// ONNX files we refuse: each a ModelFileError whose message names the file, the node (name and
// op_type) where one is at fault, and the reason; checked on parseOnnx, which runs before any core
// is touched. The files are small PyTorch-style graphs (onnx-import-graphs.ts) with one thing wrong.
import { describe, expect, it } from 'vitest';
import { ModelFileError } from '../../src/errors.js';
import { parseOnnx } from '../../src/interop/onnx-import.js';
import { ModelProto } from '../../src/interop/onnx-schema.js';
import { randomF32 } from '../helpers/random.js';
import { float, int, ints, int64Tensor, string, TorchGraph, type Attribute, type Loose, type TensorObject } from './onnx-import-graphs.js';

const FILE = 'bad.onnx';

function refusal(bytes: Uint8Array): ModelFileError {
  let error: unknown;
  try {
    parseOnnx(bytes, FILE);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ModelFileError);
  const e = error as ModelFileError;
  expect(e.file).toBe(FILE);
  expect(e.message).not.toMatch(/\n/);
  expect(e.message.length).toBeLessThanOrEqual(1000);
  return e;
}

/** An MLP 784 → 16 → 10; `middle` may put nodes between the two Linears. */
function mlp(
  options: { opset?: number; middle?: (g: TorchGraph, x: string) => string; first?: (g: TorchGraph) => string } = {},
): Uint8Array {
  const g = new TorchGraph({ input: [784], opset: options.opset });
  const x = options.first?.(g) ?? g.linear('input', 'fc1', randomF32(16 * 784, 1, -0.05, 0.05), randomF32(16, 2), 16);
  const y = options.middle ? options.middle(g, x) : g.node('Relu', [x]);
  return g.encode(g.linear(y, 'fc2', randomF32(10 * 16, 3), randomF32(10, 4), 10));
}

/** A CNN [1, 28, 28] → Conv 4x3x3 (pads 1) → Relu → MaxPool 2 → flatten → Linear 10. */
function cnn(
  options: {
    conv?: { pads?: number[]; extra?: Attribute[] };
    pool?: (g: TorchGraph, x: string) => string;
    flatten?: (g: TorchGraph, x: string) => string;
    input?: number[];
  } = {},
): Uint8Array {
  const input = options.input ?? [1, 28, 28];
  const g = new TorchGraph({ input });
  const c = input[0]!;
  let x = g.conv(
    'input',
    'conv1',
    randomF32(4 * c * 9, 5),
    randomF32(4, 6),
    [4, c, 3, 3],
    options.conv?.pads ?? [1, 1, 1, 1],
    options.conv?.extra,
  );
  x = g.node('Relu', [x]);
  x = options.pool ? options.pool(g, x) : g.maxPool(x, 2);
  x = options.flatten ? options.flatten(g, x) : g.viewFlatten(x);
  return g.encode(g.linear(x, 'fc', randomF32(10 * 4 * 14 * 14, 7, -0.05, 0.05), randomF32(10, 8), 10));
}

/** The file decoded, edited as a plain object, encoded again. */
function edit(bytes: Uint8Array, change: (model: Loose) => void): Uint8Array {
  const model = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, arrays: true }) as Loose;
  change(model);
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

const initializer = (model: Loose, name: string): TensorObject => model.graph.initializer.find((t: TensorObject) => t.name === name);

describe('parseOnnx refuses, naming the file, the node and the reason', () => {
  it.each([
    [
      'an op we do not compute (Tanh)',
      () => mlp({ middle: (g, x) => g.node('Tanh', [x]) }),
      'node "/Tanh" (Tanh): the op Tanh is not supported (supported: Gemm, MatMul',
    ],
    [
      'an LSTM',
      () => mlp({ first: (g) => g.node('LSTM', ['input'], [int('hidden_size', 16)], 'lstm') }),
      'node "/lstm/LSTM" (LSTM): the op LSTM is not supported',
    ],
    [
      'an op of another domain',
      () =>
        edit(mlp(), (m) => {
          m.graph.node[1].domain = 'com.microsoft';
        }),
      'node "/Relu" (Relu): ops of domain "com.microsoft" are not supported',
    ],
    [
      'Conv strides 2',
      () => cnn({ conv: { extra: [ints('strides', [2, 2])] } }),
      'node "/conv1/Conv" (Conv): strides [2, 2]: only 1 is supported',
    ],
    [
      'Conv dilations 2',
      () => cnn({ conv: { extra: [ints('dilations', [2, 2])] } }),
      'node "/conv1/Conv" (Conv): dilations [2, 2]: only 1 is supported',
    ],
    [
      'Conv group 2',
      () => cnn({ conv: { extra: [int('group', 2)] } }),
      'node "/conv1/Conv" (Conv): group 2: only group 1 is supported (no grouped or depthwise convolutions)',
    ],
    [
      'Conv pads that are neither none nor same',
      () => cnn({ conv: { pads: [0, 0, 1, 1] } }),
      'node "/conv1/Conv" (Conv): pads [0, 0, 1, 1]: only none or [1, 1, 1, 1] (the \'same\' padding) are supported',
    ],
    [
      'Conv auto_pad SAME_LOWER with an even kernel',
      () =>
        edit(cnn(), (m) => {
          const conv = m.graph.node[0];
          conv.attribute = conv.attribute.filter((a: { name: string }) => a.name !== 'pads').concat(string('auto_pad', 'SAME_LOWER'));
          const w = initializer(m, 'conv1.weight');
          w.dims = [4, 1, 2, 4];
          conv.attribute = conv.attribute.filter((a: { name: string }) => a.name !== 'kernel_shape');
          w.rawData = w.rawData!.slice(0, 4 * 32);
        }),
      'node "/conv1/Conv" (Conv): auto_pad "SAME_LOWER" is not supported',
    ],
    [
      'MaxPool window 3, stride 2',
      () => cnn({ pool: (g, x) => g.maxPool(x, 3, 2) }),
      'node "/MaxPool" (MaxPool): kernel_shape [3, 3] with strides [2, 2]: only a square window equal to its stride is supported',
    ],
    [
      'MaxPool without strides (ONNX default 1)',
      () => cnn({ pool: (g, x) => g.node('MaxPool', [x], [ints('kernel_shape', [2, 2])]) }),
      'node "/MaxPool" (MaxPool): kernel_shape [2, 2] with strides [1, 1]: only a square window',
    ],
    [
      'a Reshape that is not a flatten',
      () => cnn({ flatten: (g, x) => g.node('Reshape', [x, g.constant([0, 4, -1])]) }),
      'node "/Reshape" (Reshape): a Reshape of [N, 4, 14, 14] to [N, 4, 196] is not supported',
    ],
    [
      'a shape whose first entry is not the batch',
      () =>
        cnn({
          flatten: (g, x) => {
            const channels = g.node('Unsqueeze', [
              g.node('Gather', [g.node('Shape', [x]), g.constant([1], [])], [int('axis', 0)]),
              g.constant([0]),
            ]);
            return g.node('Reshape', [x, g.node('Concat', [channels, g.constant([-1])], [int('axis', 0)])]);
          },
        }),
      'node "/Reshape" (Reshape): the shape [4, -1] does not keep the batch axis first',
    ],
    [
      'a shape computed by an op we do not fold (Mul)',
      () =>
        cnn({
          flatten: (g, x) => {
            const batch = g.node('Gather', [g.node('Shape', [x]), g.constant([0], [])], [int('axis', 0)]);
            const doubled = g.node('Mul', [batch, g.constant([2], [])]);
            return g.node('Reshape', [
              x,
              g.node('Concat', [g.node('Unsqueeze', [doubled, g.constant([0])]), g.constant([-1])], [int('axis', 0)]),
            ]);
          },
        }),
      'node "/Mul" (Mul): the op Mul is not supported',
    ],
    [
      'a Transpose that is not a layout change',
      () => cnn({ pool: (g, x) => g.node('Transpose', [g.maxPool(x, 2)], [ints('perm', [0, 1, 3, 2])]) }),
      'node "/Transpose" (Transpose): perm [0, 1, 3, 2] on an NCHW tensor: only a change between NCHW and NHWC is supported',
    ],
    [
      'float64 weights',
      () =>
        edit(mlp(), (m) => {
          const w = initializer(m, 'fc1.weight');
          w.dataType = 11;
          w.rawData = new Uint8Array(8 * 16 * 784);
        }),
      'node "/fc1/Gemm" (Gemm): initializer "fc1.weight" is float64: only float32 weights (and int64 or int32 shapes) are supported',
    ],
    [
      'float16 weights',
      () =>
        edit(mlp(), (m) => {
          initializer(m, 'fc2.weight').dataType = 10;
        }),
      'node "/fc2/Gemm" (Gemm): initializer "fc2.weight" is float16: only float32 weights',
    ],
    [
      'int64 weights',
      () =>
        edit(mlp(), (m) => {
          Object.assign(
            initializer(m, 'fc2.bias'),
            int64Tensor(
              'fc2.bias',
              [10],
              Array.from({ length: 10 }, (_, i) => i),
            ),
          );
        }),
      'node "/fc2/Gemm" (Gemm): C (input 2) must be a float32 constant (an initializer), got int64',
    ],
    [
      'external data',
      () =>
        edit(mlp(), (m) => {
          const w = initializer(m, 'fc1.weight');
          delete w.rawData;
          w.dataLocation = 1;
          w.externalData = [{ key: 'location', value: 'weights.bin' }];
        }),
      'node "/fc1/Gemm" (Gemm): initializer "fc1.weight" is stored in a separate file (ONNX external data), which is not supported',
    ],
    [
      'raw data shorter than the dimensions',
      () =>
        edit(mlp(), (m) => {
          const w = initializer(m, 'fc1.weight');
          w.rawData = w.rawData!.slice(0, 100);
        }),
      'node "/fc1/Gemm" (Gemm): initializer "fc1.weight": its dimensions [16, 784] need 12544 values, raw_data holds 100 bytes (25 float32 values)',
    ],
    [
      'a NaN weight',
      () =>
        edit(mlp(), (m) => {
          const w = initializer(m, 'fc1.weight');
          new DataView(w.rawData!.buffer, w.rawData!.byteOffset).setFloat32(4 * 5, Number.NaN, true);
        }),
      'node "/fc1/Gemm" (Gemm): the weight dense_1/kernel[80] is NaN: weights must be finite numbers',
    ],
    [
      'a weight matrix that does not match the features',
      () => mlp({ first: (g) => g.linear('input', 'fc1', randomF32(16 * 100, 1), randomF32(16, 2), 16) }),
      'node "/fc1/Gemm" (Gemm): B is [16, 100] with transB: 100 inputs, but the tensor before has 784 features',
    ],
    [
      'Gemm transA = 1',
      () =>
        edit(mlp(), (m) => {
          m.graph.node[0].attribute.push(int('transA', 1));
        }),
      'node "/fc1/Gemm" (Gemm): transA = 1 (a transposed batch) is not supported',
    ],
    [
      'a residual connection',
      () => mlp({ middle: (g, x) => g.node('Add', [x, g.node('Relu', [x])]) }),
      'node "/Add" (Add): it combines two tensors of the graph: only a chain of layers can be imported',
    ],
    [
      'a branch',
      () =>
        mlp({
          middle: (g, x) => {
            g.node('Relu', [x]);
            return g.node('Sigmoid', [x]);
          },
        }),
      'node "/Sigmoid" (Sigmoid): its input "/fc1/Gemm_output_0" is used again after a later layer: the graph branches',
    ],
    [
      'an input that nothing defines',
      () => mlp({ middle: (g) => g.node('Relu', ['nowhere']) }),
      'node "/Relu" (Relu): input "nowhere" is not the output of an earlier node, an initializer or the graph input',
    ],
    [
      'a Softmax before the last layer',
      () => mlp({ middle: (g, x) => g.node('Softmax', [x], [int('axis', -1)]) }),
      'node "/fc2/Gemm" (Gemm): it follows the graph\'s Softmax, which must be the last op',
    ],
    [
      'an attribute the op does not have',
      () => mlp({ middle: (g, x) => g.node('Sigmoid', [x], [int('axis', 1)]) }),
      'node "/Sigmoid" (Sigmoid): Sigmoid has no attribute "axis"',
    ],
    [
      'an attribute without a type',
      () =>
        edit(mlp(), (m) => {
          delete m.graph.node[0].attribute[0].type;
        }),
      'node "/fc1/Gemm" (Gemm): attribute "alpha" has no type',
    ],
    [
      'more inputs than the op takes',
      () => mlp({ middle: (g, x) => g.node('Identity', [x, 'fc1.bias']) }),
      'node "/Identity" (Identity): it has 2 inputs, Identity takes 1',
    ],
    [
      'a value defined twice',
      () =>
        edit(mlp(), (m) => {
          m.graph.node.splice(1, 0, structuredClone(m.graph.node[0]));
        }),
      'node "/fc1/Gemm" (Gemm): its output "/fc1/Gemm_output_0" is already defined (ONNX names each value once)',
    ],
    [
      'a negative variance',
      () =>
        mlp({ middle: (g, x) => g.batchNorm(x, 'bn', [randomF32(16, 1), randomF32(16, 2), randomF32(16, 3), randomF32(16, 4, -1, -0.5)]) }),
      'node "/bn/BatchNormalization" (BatchNormalization): var[0] is -0.',
    ],
    [
      'batch normalisation in training mode',
      () =>
        mlp({
          opset: 15,
          middle: (g, x) => {
            const y = g.batchNorm(
              x,
              'bn',
              [1, 2, 3, 4].map((s) => randomF32(16, s, 0.5, 1)),
            );
            g.nodes[g.nodes.length - 1]!.attribute = [float('epsilon', 1e-5), float('momentum', 0.9), int('training_mode', 1)];
            return y;
          },
        }),
      'node "/bn/BatchNormalization" (BatchNormalization): training_mode 1: only inference graphs can be imported',
    ],
  ] as const)('%s', (_title, make, expected) => {
    expect(refusal(make()).message).toContain(`${FILE}: ${expected}`);
  });

  it.each([
    [
      'NCHW with 3 channels',
      () => cnn({ input: [3, 28, 28] }),
      'the input "input" [batch, 3, 28, 28] is NCHW with 3 channels: our models take NHWC images',
    ],
    ['opset 8', () => mlp({ opset: 8 }), 'opset 8 is not supported (9 to 22; PyTorch writes 11 to 17 by default)'],
    ['opset 23', () => mlp({ opset: 23 }), 'opset 23 is not supported'],
    [
      'two inputs',
      () =>
        edit(mlp(), (m) => {
          m.graph.input.push({ ...m.graph.input[0], name: 'mask' });
        }),
      'the graph has 2 inputs ("input", "mask"): expected one, the images',
    ],
    [
      'a symbolic dimension besides the batch',
      () =>
        edit(mlp(), (m) => {
          m.graph.input[0].type.tensorType.shape.dim[1] = { dimParam: 'features' };
        }),
      'the input "input": dimension 1 is symbolic ("features"): only the batch dimension may be',
    ],
    [
      'int64 images',
      () =>
        edit(mlp(), (m) => {
          m.graph.input[0].type.tensorType.elemType = 7;
        }),
      'the input "input" is int64: expected float32',
    ],
    [
      'sparse initializers',
      () =>
        edit(mlp(), (m) => {
          m.graph.sparseInitializer = [{ dims: [10] }];
        }),
      'sparse initializers are not supported',
    ],
    [
      'an output that is not the end of the chain',
      () =>
        edit(mlp(), (m) => {
          m.graph.output[0].name = '/Relu_output_0';
        }),
      'the graph output "/Relu_output_0" is not the end of the chain of layers',
    ],
    ['an empty file', () => new Uint8Array(0), 'not an ONNX model: it has no graph'],
    ['bytes that are not protobuf', () => new TextEncoder().encode('{"format": "layers-model"}'), 'not an ONNX model (malformed protobuf:'],
    ['a truncated file', () => mlp().slice(0, 30000), 'not an ONNX model (malformed protobuf:'],
  ] as const)('%s (naming the file)', (_title, make, expected) => {
    expect(refusal(make()).message).toContain(`${FILE}: ${expected}`);
  });

  describe('dimensions whose memory exceeds a wasm32 core, before anything is allocated', () => {
    /** [1, size, size] → Conv `filters`x3x3 (pads 1) → MaxPool over everything → Flatten → Linear 10. */
    const big = (size: number, filters: number) => {
      const g = new TorchGraph({ input: [1, size, size] });
      const x = g.conv('input', 'conv1', randomF32(filters * 9, 1), undefined, [filters, 1, 3, 3], [1, 1, 1, 1]);
      const flat = g.node('Flatten', [g.maxPool(x, size)], [int('axis', 1)]);
      return g.encode(g.linear(flat, 'fc', randomF32(10 * filters, 2), undefined, 10));
    };

    it('the tensors of one image (naming the node past the limit)', () => {
      // 16384² values in, 4 filters out, as an inference run plans them (models/plan.ts, plannedSizes):
      // 1 GiB of f32 input + 4 GiB of output + 0.25 GiB of u8 staging pixels.
      expect(refusal(big(16384, 4)).message).toBe(
        'bad.onnx: node "/conv1/Conv" (Conv): the model needs 5.3 GiB up to here (36 parameters with their gradients, and one image\'s tensors), more than the 4 GiB a wasm32 core can address',
      );
    });

    it('a single tensor', () => {
      expect(refusal(big(16384, 8)).message).toContain(
        'bad.onnx: node "/conv1/Conv" (Conv): a tensor of [N, 8, 16384, 16384] (2147483648 values per image) is more than a wasm32 core can hold (4 GiB)',
      );
    });

    it('the input', () => {
      expect(refusal(big(65536, 1)).message).toContain(
        'bad.onnx: a tensor of [N, 1, 65536, 65536] (4294967296 values per image) is more than a wasm32 core can hold',
      );
    });
  });
});
