/**
 * ONNX import, the graph as a chain of our layers. Nodes are visited in file order (ONNX requires
 * a topological order); one tensor, the running one, flows from the graph input to its output and
 * every op that computes on it becomes a layer or changes how its layout is read. The rest is
 * constants (folded: onnx-import-values.ts). A second use of an older running tensor is a branch,
 * which a Sequential cannot express.
 *
 * Layouts. ONNX convolves NCHW; our tensors are NHWC. An image-shaped running tensor is tracked with
 * its ONNX dimensions and which of the two they are: `nchw` (PyTorch's) is our [H, W, C] read as
 * [C, H, W]; `nhwc` (our own export, between its Transposes) is ours as it is. A Transpose between
 * the two only relabels. Flattening an `nchw` tensor orders the features C, H, W in ONNX but H, W, C
 * here, so the running tensor remembers that (`chw`) and the next Dense (or BatchNormalization)
 * takes its weights in our row order. One channel, NCHW and NHWC are the same bytes: a
 * [N, 1, 28, 28] input is our [28, 28, 1].
 *
 * | ONNX                                   | ours                                                      |
 * |----------------------------------------|-----------------------------------------------------------|
 * | Gemm (transB, alpha, beta), MatMul      | Dense: kernel [in, out] = alpha·B (transposed when transB), bias beta·C |
 * | Add of a constant after Gemm/MatMul/Conv | added to that layer's bias                                |
 * | Conv (stride, dilation, group 1)       | Conv2D: OIHW → HWIO; pads none → 'valid', TF's 'same' → 'same' |
 * | MaxPool (square window = stride)       | MaxPooling2D                                              |
 * | Relu, Sigmoid                          | the activation of the Dense/Conv2D before (also across a MaxPool, which commutes with them), else Activation |
 * | BatchNormalization (inference)         | BatchNormalization (scale, B, mean, var → gamma, beta, moving mean, moving variance; epsilon, momentum as Keras') |
 * | Flatten, Reshape to [N, -1]            | Flatten                                                   |
 * | Softmax, LogSoftmax (last)             | softmax as the output activation                          |
 * | Dropout, Identity, layout Transposes   | nothing                                                   |
 */
import { cut } from '../util/schema.js';
import { LayerOps, physical, running, type Chain, type MappedLayer, type Running } from './onnx-import-layers.js';
import {
  Attributes,
  constantInts,
  constantValue,
  decodeTensor,
  foldConstant,
  normalizeAxis,
  opName,
  quote,
  type ConstantTensor,
  type Dim,
  type Fail,
  type IntTensor,
  type NodeObject,
  type TensorObject,
} from './onnx-import-values.js';

/** How the graph ended: in probabilities, in log-probabilities, or in anything else (logits). */
export type GraphEnding = 'softmax' | 'log-softmax' | 'logits';

export interface GraphMapping {
  /** Per-sample input shape, ours: [features] or [height, width, channels]. */
  inputShape: number[];
  layers: MappedLayer[];
  ending: GraphEnding;
  /** The output's size per image: the number of classes. */
  classes: number;
}

export interface GraphSource {
  nodes: NodeObject[];
  initializers: TensorObject[];
  /** The images: the graph input's name and dimensions, the first one the batch. */
  input: { name: string; dims: Dim[] };
  /** Our export says NHWC in its metadata; PyTorch's graphs are NCHW. */
  inputLayout: 'nchw' | 'nhwc' | undefined;
  output: string;
  opset: number;
}

type Value = Running | ConstantTensor | { kind: 'initializer'; tensor: TensorObject };

/**
 * The ops we map, with the inputs they take and the attributes they may carry (ONNX's schemas for
 * opsets 9-22); `shape` marks those that only compute shapes (folded, never a layer).
 */
const OPS: Readonly<Record<string, { inputs: [number, number]; attributes: string[]; shape?: true }>> = {
  Gemm: { inputs: [2, 3], attributes: ['alpha', 'beta', 'transA', 'transB'] },
  MatMul: { inputs: [2, 2], attributes: [] },
  Add: { inputs: [2, 2], attributes: [] },
  Conv: { inputs: [2, 3], attributes: ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'] },
  MaxPool: { inputs: [1, 1], attributes: ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides'] },
  Relu: { inputs: [1, 1], attributes: [] },
  Sigmoid: { inputs: [1, 1], attributes: [] },
  Softmax: { inputs: [1, 1], attributes: ['axis'] },
  LogSoftmax: { inputs: [1, 1], attributes: ['axis'] },
  Flatten: { inputs: [1, 1], attributes: ['axis'] },
  Reshape: { inputs: [2, 2], attributes: ['allowzero'] },
  BatchNormalization: { inputs: [5, 5], attributes: ['epsilon', 'momentum', 'training_mode', 'spatial'] },
  Dropout: { inputs: [1, 3], attributes: ['ratio', 'seed'] },
  Identity: { inputs: [1, 1], attributes: [] },
  Transpose: { inputs: [1, 1], attributes: ['perm'] },
  Shape: { inputs: [1, 1], attributes: ['start', 'end'], shape: true },
  Constant: {
    inputs: [0, 0],
    attributes: ['value', 'value_float', 'value_floats', 'value_int', 'value_ints', 'value_string', 'value_strings', 'sparse_value'],
    shape: true,
  },
  Gather: { inputs: [2, 2], attributes: ['axis'], shape: true },
  Unsqueeze: { inputs: [1, 2], attributes: ['axes'], shape: true },
  Squeeze: { inputs: [1, 2], attributes: ['axes'], shape: true },
  Concat: { inputs: [1, Number.POSITIVE_INFINITY], attributes: ['axis'], shape: true },
  Cast: { inputs: [1, 1], attributes: ['to', 'saturate'], shape: true },
};
const SUPPORTED = `${Object.keys(OPS)
  .filter((op) => !OPS[op]!.shape)
  .join(', ')}; ${Object.keys(OPS)
  .filter((op) => OPS[op]!.shape)
  .join(', ')} for shapes`;

/**
 * The graph as a chain of layers.
 * @throws what `failFile` throws (ModelFileError), naming the node and the reason.
 */
export function mapGraph(source: GraphSource, failFile: Fail): GraphMapping {
  return new ChainMapper(source, failFile).run();
}

class ChainMapper implements Chain {
  readonly layers: MappedLayer[] = [];
  inputShape: number[];
  readonly batch: Dim;
  private readonly values = new Map<string, Value>();
  private current: Running;
  private ending: GraphEnding = 'logits';
  private readonly opset: number;

  constructor(
    private readonly source: GraphSource,
    private readonly failFile: Fail,
  ) {
    for (const tensor of source.initializers) this.values.set(tensor.name ?? '', { kind: 'initializer', tensor });
    const [batch, ...dims] = source.input.dims;
    this.batch = batch!;
    this.opset = source.opset;
    const what = `the input ${quote(source.input.name)} [${source.input.dims.join(', ')}]`;
    if (dims.length === 1) {
      this.current = running(dims as number[], 'flat', failFile);
    } else if (dims.length === 3) {
      const layout = source.inputLayout ?? (this.firstUse()?.opType === 'Transpose' && this.firstUseIsToNchw() ? 'nhwc' : 'nchw');
      const [c] = dims as number[];
      if (layout === 'nchw' && c !== 1) {
        failFile(`${what} is NCHW with ${c} channels: our models take NHWC images, and only with one channel are the two the same bytes`);
      }
      this.current = running(dims as number[], layout, failFile);
    } else {
      failFile(`${what}: expected [N, features], [N, 1, H, W] (NCHW) or [N, H, W, C] (NHWC)`);
    }
    this.inputShape = physical(this.current);
    this.values.set(source.input.name, this.current);
  }

  run(): GraphMapping {
    this.source.nodes.forEach((node, index) => this.visit(node, index));
    const output = this.values.get(this.source.output);
    if (output !== this.current) {
      this.failFile(`the graph output ${quote(this.source.output)} is not the end of the chain of layers`);
    }
    const { dims, layout, chw } = this.current;
    if (layout !== 'flat' || (chw !== undefined && chw.c > 1 && chw.h * chw.w > 1)) {
      this.failFile(
        `the graph output is [N, ${dims.join(', ')}]${layout === 'flat' ? ' in another feature order than ours' : ''}: expected [N, classes]`,
      );
    }
    return { inputShape: this.inputShape, layers: this.layers, ending: this.ending, classes: dims[0]! };
  }

  private firstUse(): NodeObject | undefined {
    return this.source.nodes.find((n) => n.input.includes(this.source.input.name));
  }

  private firstUseIsToNchw(): boolean {
    const perm = this.firstUse()
      ?.attribute.find((a) => a.name === 'perm')
      ?.ints.map(Number);
    return perm?.join(',') === '0,3,1,2';
  }

  private visit(node: NodeObject, index: number): void {
    const op = node.opType ?? '';
    const label = node.name ? quote(node.name) : `#${index}`;
    const where = `node ${label} (${op ? opName(op) : 'no op_type'})`;
    const fail: Fail = (reason) => this.failFile(`${where}: ${reason}`);
    if (node.domain !== undefined && node.domain !== '' && node.domain !== 'ai.onnx') {
      fail(`ops of domain ${quote(node.domain)} are not supported`);
    }
    const name = node.output[0];
    if (name === undefined || name === '') fail('the node has no output');
    if (this.values.has(name)) fail(`its output ${quote(name)} is already defined (ONNX names each value once)`);
    this.values.set(name, this.evaluate(node, op, where, fail));
  }

  /** The value of the node's first output (its others, such as MaxPool's indices, are never computed). */
  private evaluate(node: NodeObject, op: string, where: string, fail: Fail): Value {
    const spec = Object.hasOwn(OPS, op) ? OPS[op]! : fail(`the op ${opName(op)} is not supported (supported: ${SUPPORTED})`);
    const [min, max] = spec.inputs;
    if (node.input.length < min || node.input.length > max) {
      fail(`it has ${node.input.length} inputs, ${op} takes ${min === max ? min : `${min} to ${max}`}`);
    }
    const attributes = new Attributes(node, fail);
    const unknown = attributes.unknown(spec.attributes);
    if (unknown.length > 0) fail(`${op} has no attribute ${cut(unknown.map(quote).join(', '), 200)}`);
    if (op === 'Constant') return constantValue(attributes, fail);
    const inputs = node.input.map((name) => (name === '' ? undefined : this.lookup(name, fail)));
    const runningInputs = inputs.filter((v): v is Running => v?.kind === 'running');
    if (runningInputs.length === 0) {
      const folded = foldConstant(op, inputs as (ConstantTensor | undefined)[], attributes, this.opset, fail);
      if (folded !== undefined) return folded;
      return fail(
        spec.shape ? 'its inputs must be constants or a Shape' : 'its first input must be the output of the layer before, not a constant',
      );
    }
    if (op === 'Shape') return this.shapeOf(runningInputs[0]!, attributes);
    if (runningInputs.length > 1) fail('it combines two tensors of the graph: only a chain of layers can be imported');
    const x = runningInputs[0]!;
    if (x !== this.current) {
      const input = quote(node.input[inputs.indexOf(x)]);
      fail(`its input ${input} is used again after a later layer: the graph branches, and only a chain of layers can be imported`);
    }
    if (op !== 'Add' && inputs[0] !== x) fail('the running tensor must be its first input');
    const constants = inputs.map((v, i) => (i === inputs.indexOf(x) || v === undefined ? undefined : (v as ConstantTensor)));
    if (this.ending !== 'logits' && !['Identity', 'Dropout'].includes(op)) {
      fail(`it follows the graph's ${this.ending === 'softmax' ? 'Softmax' : 'LogSoftmax'}, which must be the last op`);
    }
    this.current = this.apply(op, x, constants, attributes, where, fail);
    return this.current;
  }

  private lookup(name: string, fail: Fail): Value {
    const value =
      this.values.get(name) ?? fail(`input ${quote(name)} is not the output of an earlier node, an initializer or the graph input`);
    if (value.kind !== 'initializer') return value;
    const decoded = decodeTensor(value.tensor, `initializer ${quote(name)}`, fail);
    this.values.set(name, decoded);
    return decoded;
  }

  private shapeOf(x: Running, attributes: Attributes): IntTensor {
    const full: Dim[] = [this.batch, ...x.dims];
    const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + full.length : i, 0), full.length);
    const values = full.slice(clamp(attributes.int('start', 0)), clamp(attributes.int('end', full.length)));
    return { kind: 'int', dims: [values.length], values };
  }

  private apply(
    op: string,
    x: Running,
    constants: (ConstantTensor | undefined)[],
    attributes: Attributes,
    where: string,
    fail: Fail,
  ): Running {
    const ops = new LayerOps(this, where, fail);
    switch (op) {
      case 'Identity':
      case 'Dropout': {
        const training = constants[2];
        if (op === 'Dropout' && training !== undefined && constantInts(training, 'training_mode', fail).some((v) => v !== 0)) {
          fail('training_mode is true: only inference graphs can be imported');
        }
        return x;
      }
      case 'Relu':
      case 'Sigmoid':
        return ops.activation(op === 'Relu' ? 'relu' : 'sigmoid', x);
      case 'Softmax':
      case 'LogSoftmax': {
        if (x.layout !== 'flat') fail(`a softmax over an image-shaped tensor [N, ${x.dims.join(', ')}] is not supported`);
        const axis = normalizeAxis(attributes.int('axis', this.opset >= 13 ? -1 : 1), 2, fail);
        if (axis !== 1) fail(`axis ${axis}: only the class axis (1 or -1) is supported`);
        this.ending = op === 'Softmax' ? 'softmax' : 'log-softmax';
        // A new value: the logits before it are not its output.
        return { ...x };
      }
      case 'Gemm':
      case 'MatMul':
        return ops.dense(op, x, constants, attributes);
      case 'Add':
        return ops.bias(x, constants.find((c) => c !== undefined) ?? fail('a constant operand is missing'));
      case 'Conv':
        return ops.conv(x, constants, attributes);
      case 'MaxPool':
        return ops.maxPool(x, attributes);
      case 'BatchNormalization':
        return ops.batchNorm(x, constants, attributes);
      case 'Flatten': {
        const axis = normalizeAxis(attributes.int('axis', 1), x.dims.length + 1, fail);
        if (axis !== 1) fail(`axis ${axis}: only flattening everything but the batch axis (axis 1) is supported`);
        return ops.flatten(x);
      }
      case 'Reshape':
        return ops.reshape(x, constants[1] ?? fail('the shape (input 1) is missing'), attributes);
      case 'Transpose':
        return ops.transpose(x, attributes);
      default:
        return fail(`${op} only computes shapes here, not on the images`);
    }
  }
}
