/**
 * ONNX export: one `.onnx` file (IR version 7, opset 13, the default domain), written with protobufjs
 * and ONNX's schema (onnx-schema.ts).
 *
 * | ours                      | ONNX                                                                     |
 * |---------------------------|--------------------------------------------------------------------------|
 * | input [N, 784] / [N, 28, 28, 1] | graph input `input`, the same shape and layout (NHWC), N symbolic  |
 * | Dense                     | `Gemm` (kernel [in, units] as B, bias as C when present)                 |
 * | Conv2D                    | `Conv` on NCHW, kernel permuted HWIO → OIHW, explicit `pads` ('same': the extra row/column at the end, as TF) |
 * | MaxPooling2D              | `MaxPool` on NCHW, `kernel_shape`, `strides`, no padding                 |
 * | Flatten                   | `Flatten` (axis 1) on NHWC, so the Dense kernels keep their row order    |
 * | activations               | `Relu`, `Sigmoid`, `Softmax` (axis −1); linear adds nothing              |
 * | BatchNormalization        | `BatchNormalization` (inference: the moving statistics, `epsilon`), on NCHW after convolutions |
 * | Dropout                   | nothing: the identity in inference                                       |
 * | output                    | `probabilities` [N, 10] (softmax output), `output` if the model does not end in softmax |
 *
 * ONNX's Conv and MaxPool are NCHW while our tensors are NHWC: a `Transpose` (perm 0,3,1,2) goes in
 * before the first of a run of Conv/MaxPool nodes and one (perm 0,2,3,1) after the last, so the
 * graph takes and returns exactly what our model takes and returns.
 */
import { ArgumentError } from '../errors.js';
import { LAYER_CLASS_NAMES, type Layer, type LayerClassName, type LayerConfigOf } from '../layers/index.js';
import type { Sequential } from '../models/sequential.js';
import { exportMetadata, PRODUCER } from './metadata.js';
import { AttributeType, DataType, ModelProto } from './onnx-schema.js';
import { littleEndianBytes } from '../util/bytes.js';
import type { ModelFile } from './files.js';

export const ONNX_OPSET = 13;
/** The IR version that goes with opset 13 (ONNX's docs/Versioning.md). */
export const ONNX_IR_VERSION = 7;

const SUPPORTED_LAYERS = LAYER_CLASS_NAMES.join(', ');

interface Attribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  ints?: number[];
}

interface NodeObject {
  name: string;
  opType: string;
  input: string[];
  output: string[];
  attribute: Attribute[];
}

interface TensorObject {
  name: string;
  dims: number[];
  dataType: number;
  rawData: Uint8Array;
}

const ints = (name: string, values: number[]): Attribute => ({ name, type: AttributeType.INTS, ints: values });
const int = (name: string, value: number): Attribute => ({ name, type: AttributeType.INT, i: value });

/** Builds the node list; tracks whether the running tensor is NHWC (ours) or NCHW (ONNX's Conv). */
class GraphBuilder {
  readonly nodes: NodeObject[] = [];
  readonly initializers: TensorObject[] = [];
  current = 'input';
  private nchw = false;
  private rank: number;

  constructor(inputShape: readonly number[]) {
    this.rank = inputShape.length + 1;
  }

  add(name: string, opType: string, inputs: string[], attribute: Attribute[] = []): void {
    const output = `${name}/${opType}`;
    this.nodes.push({ name: output, opType, input: [this.current, ...inputs], output: [output], attribute });
    this.current = output;
  }

  weight(name: string, dims: number[], values: Float32Array): string {
    this.initializers.push({ name, dims, dataType: DataType.FLOAT, rawData: littleEndianBytes(values) });
    return name;
  }

  toNchw(name: string): void {
    if (this.rank !== 4 || this.nchw) return;
    this.add(name, 'Transpose', [], [ints('perm', [0, 3, 1, 2])]);
    this.nchw = true;
  }

  toNhwc(name: string): void {
    if (!this.nchw) return;
    this.add(name, 'Transpose', [], [ints('perm', [0, 2, 3, 1])]);
    this.nchw = false;
  }

  flattened(): void {
    this.rank = 2;
  }

  /** True while the running tensor is [N, h, w, c] (or its NCHW form). */
  get spatial(): boolean {
    return this.rank === 4;
  }
}

/**
 * The model as an ONNX file `<basename>.onnx`. Pure: works in browsers.
 * @throws ArgumentError naming the layer when it has no ONNX counterpart here.
 */
export function toOnnxFile(model: Sequential, basename = 'model'): ModelFile {
  const weights = new Map(model.getWeights().map((w) => [w.name, w]));
  const graph = new GraphBuilder(model.inputShape);
  let endsInSoftmax = false;
  for (const layer of model.layers) {
    endsInSoftmax = addLayer(graph, layer, weights);
  }
  graph.toNhwc('output');
  if (graph.nodes.length === 0) graph.add('output', 'Identity', []);
  const outputName = endsInSoftmax ? 'probabilities' : 'output';
  graph.nodes[graph.nodes.length - 1]!.output = [outputName];

  const metadata = exportMetadata(model);
  const tensorType = (shape: readonly number[]) => ({
    tensorType: {
      elemType: DataType.FLOAT,
      shape: { dim: [{ dimParam: 'N' }, ...shape.map((d) => ({ dimValue: d }))] },
    },
  });
  const modelObject = {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: PRODUCER,
    docString: `${model.name}: Fashion-MNIST classifier. Input: pixels / 255 (0 = background), ${model.inputShape.length === 3 ? 'NHWC' : 'flattened row-major'}.`,
    graph: {
      name: model.name,
      node: graph.nodes,
      initializer: graph.initializers,
      input: [{ name: 'input', type: tensorType(model.inputShape), docString: 'pixels / 255' }],
      output: [{ name: outputName, type: tensorType(model.outputShape) }],
    },
    metadataProps: [
      { key: 'class_names', value: JSON.stringify(metadata.classNames) },
      { key: 'input_scale', value: String(metadata.inputScale) },
      { key: 'input_shape', value: JSON.stringify(metadata.inputShape) },
      { key: 'input_layout', value: model.inputShape.length === 3 ? 'NHWC' : 'features' },
      { key: 'architecture', value: JSON.stringify(metadata.architecture) },
    ],
  };
  const bytes = ModelProto.encode(ModelProto.fromObject(modelObject)).finish();
  return { name: `${basename}.onnx`, bytes };
}

/** What a layer's writer works with: the graph, the layer, and its parameters by local name. */
interface LayerNodes<C extends LayerClassName> {
  graph: GraphBuilder;
  layer: Layer;
  config: LayerConfigOf<C>;
  /** The parameter `layer/local`. */
  param(local: string): { shape: number[]; values: Float32Array };
  /** Adds the parameter `layer/local` as an initializer (its own shape and values unless given); returns its name. */
  weight(local: string, shape?: number[], values?: Float32Array): string;
  /** The bias as an initializer, when the layer has one. */
  bias(): string[];
}

/**
 * Each layer class's ONNX nodes, appended to the graph; returns whether its output is a softmax. One
 * entry per registered layer class (layers/index.ts): the compiler asks for a new class's entry here.
 */
const ONNX_LAYERS: { readonly [C in LayerClassName]: (at: LayerNodes<C>) => boolean } = {
  Dense: ({ graph, config, weight, bias }) => {
    graph.toNhwc(config.name);
    graph.add(config.name, 'Gemm', [weight('kernel'), ...bias()]);
    return addActivation(graph, config.name, config.activation);
  },
  Conv2D: ({ graph, config, param, weight, bias }) => {
    graph.toNchw(config.name);
    const { shape, values } = param('kernel');
    const [kh, kw, cin, cout] = shape as [number, number, number, number];
    const kernel = weight('kernel', [cout, cin, kh, kw], hwioToOihw(values, kh, kw, cin, cout));
    // TF's 'same' (stride 1): k − 1 padding, the odd one at the end (bottom/right).
    const [top, left] = config.padding === 'same' ? [Math.floor((kh - 1) / 2), Math.floor((kw - 1) / 2)] : [0, 0];
    const [bottom, right] = config.padding === 'same' ? [kh - 1 - top, kw - 1 - left] : [0, 0];
    graph.add(
      config.name,
      'Conv',
      [kernel, ...bias()],
      [
        ints('kernel_shape', [kh, kw]),
        ints('strides', [1, 1]),
        ints('dilations', [1, 1]),
        ints('pads', [top, left, bottom, right]),
        int('group', 1),
      ],
    );
    return addActivation(graph, config.name, config.activation);
  },
  MaxPooling2D: ({ graph, config }) => {
    graph.toNchw(config.name);
    graph.add(
      config.name,
      'MaxPool',
      [],
      [
        ints('kernel_shape', [config.poolSize, config.poolSize]),
        ints('strides', [config.strides, config.strides]),
        ints('pads', [0, 0, 0, 0]),
      ],
    );
    return false;
  },
  Flatten: ({ graph, config }) => {
    graph.toNhwc(config.name);
    graph.add(config.name, 'Flatten', [], [int('axis', 1)]);
    graph.flattened();
    return false;
  },
  Dropout: () => false,
  BatchNormalization: ({ graph, config, layer, weight }) => {
    // ONNX normalises axis 1: channels of NCHW, features of [N, C].
    if (layer.inputShape!.length === 3) graph.toNchw(config.name);
    else graph.toNhwc(config.name);
    const inputs = ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((local) => weight(local));
    graph.add(config.name, 'BatchNormalization', inputs, [{ name: 'epsilon', type: AttributeType.FLOAT, f: config.epsilon }]);
    return false;
  },
  Activation: ({ graph, config }) => {
    if (config.activation === 'softmax' && graph.spatial) {
      throw new ArgumentError(
        'model',
        `layer ${JSON.stringify(config.name)}: a softmax over an image-shaped tensor cannot be exported to ONNX (add a Flatten before it)`,
      );
    }
    return addActivation(graph, config.name, config.activation);
  },
};

/** Appends a layer's nodes; returns whether its output is a softmax. */
function addLayer(graph: GraphBuilder, layer: Layer, weights: Map<string, { shape: number[]; values: Float32Array }>): boolean {
  const config = layer.getConfig();
  if (!Object.hasOwn(ONNX_LAYERS, config.className)) {
    throw new ArgumentError(
      'model',
      `layer ${JSON.stringify(layer.name)} (${String((config as { className?: unknown }).className)}) cannot be exported to ONNX: supported layers are ${SUPPORTED_LAYERS}`,
    );
  }
  const name = config.name;
  const param = (local: string) => weights.get(`${name}/${local}`)!;
  const weight = (local: string, shape?: number[], values?: Float32Array) =>
    graph.weight(`${name}/${local}`, shape ?? param(local).shape, values ?? param(local).values);
  const bias = () => (weights.has(`${name}/bias`) ? [weight('bias')] : []);
  // One entry per class: TypeScript cannot pair the union's members with the table's keys itself.
  const write = ONNX_LAYERS[config.className] as (at: LayerNodes<LayerClassName>) => boolean;
  return write({ graph, layer, config, param, weight, bias });
}

function addActivation(graph: GraphBuilder, name: string, activation: string): boolean {
  switch (activation) {
    case 'relu':
      graph.add(name, 'Relu', []);
      return false;
    case 'sigmoid':
      graph.add(name, 'Sigmoid', []);
      return false;
    case 'softmax':
      graph.add(name, 'Softmax', [], [int('axis', -1)]);
      return true;
    default:
      return false;
  }
}

/** [kh, kw, cin, cout] → [cout, cin, kh, kw]. */
function hwioToOihw(values: Float32Array, kh: number, kw: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < cin; i++) {
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = values[((y * kw + x) * cin + i) * cout + o]!;
      }
    }
  }
  return out;
}
