// ONNX files written the way torch.onnx.export (1.13) writes them, with protobufjs and ONNX's schema:
// node names `/fc1/Gemm`, outputs `/fc1/Gemm_output_0`, weights as raw_data initializers named
// after the module (`fc1.weight`, PyTorch's [out, in] and OIHW layouts), Gemm with transB = 1 and
// explicit alpha/beta, Conv and MaxPool with every attribute spelled out, Unsqueeze's axes as an
// attribute before opset 13 and as a Constant input from 13 on, x.view(x.size(0), -1) as
// Shape → Gather → Unsqueeze → Concat → Reshape, a symbolic batch `batch` (dynamic_axes).
// Also the layout conversions the tests need to turn our trained weights into PyTorch's.
import { ModelProto } from '../../src/interop/onnx-schema.js';

/** A decoded ModelProto (or a part of one) edited freely by the tests. */
// biome-ignore lint/suspicious/noExplicitAny: protobufjs' plain objects, reached into by field name
export type Loose = Record<string, any>;

export type Attribute = { name: string; type: number; f?: number; i?: number; s?: Uint8Array; t?: unknown; ints?: number[] };

export const ints = (name: string, values: number[]): Attribute => ({ name, type: 7, ints: values });
export const int = (name: string, value: number): Attribute => ({ name, type: 2, i: value });
export const float = (name: string, value: number): Attribute => ({ name, type: 1, f: value });
export const string = (name: string, value: string): Attribute => ({ name, type: 3, s: new TextEncoder().encode(value) });

/** ONNX TensorProto data types used here. */
export const FLOAT = 1;
export const INT64 = 7;

function int64Bytes(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(8 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
  return out;
}

export interface TensorObject {
  name?: string;
  dims: number[];
  dataType: number;
  rawData?: Uint8Array;
  [field: string]: unknown;
}

export const floatTensor = (name: string, dims: number[], values: Float32Array): TensorObject => ({
  name,
  dims,
  dataType: FLOAT,
  rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)),
});
export const int64Tensor = (name: string, dims: number[], values: number[]): TensorObject => ({
  name,
  dims,
  dataType: INT64,
  rawData: int64Bytes(values),
});

export interface TorchGraphOptions {
  opset?: number;
  /** Per-sample input dimensions, e.g. [1, 28, 28] or [784]. */
  input: number[];
  /** A fixed batch size (no dynamic_axes); default symbolic. */
  batch?: number;
}

export class TorchGraph {
  readonly opset: number;
  readonly nodes: { name: string; opType: string; input: string[]; output: string[]; attribute: Attribute[] }[] = [];
  readonly initializers: TensorObject[] = [];
  metadata: { key: string; value: string }[] = [];
  private readonly counts = new Map<string, number>();
  private constants = 0;

  constructor(readonly options: TorchGraphOptions) {
    this.opset = options.opset ?? 13;
  }

  /** A node; returns its output's name. `scope` is the module name (`fc1`), else the op's count names it. */
  node(opType: string, inputs: string[], attribute: Attribute[] = [], scope?: string): string {
    const n = this.counts.get(opType) ?? 0;
    this.counts.set(opType, n + 1);
    const name = scope ? `/${scope}/${opType}` : `/${opType}${n === 0 ? '' : `_${n}`}`;
    const output = `${name}_output_0`;
    this.nodes.push({ name, opType, input: inputs, output: [output], attribute });
    return output;
  }

  weight(name: string, dims: number[], values: Float32Array): string {
    this.initializers.push(floatTensor(name, dims, values));
    return name;
  }

  constant(values: number[], dims: number[] = [values.length]): string {
    const n = this.constants++;
    const output = `/Constant${n === 0 ? '' : `_${n}`}_output_0`;
    this.nodes.push({
      name: `/Constant${n === 0 ? '' : `_${n}`}`,
      opType: 'Constant',
      input: [],
      output: [output],
      attribute: [{ name: 'value', type: 4, t: int64Tensor('', dims, values) }],
    });
    return output;
  }

  /** nn.Linear: Gemm(x, W [out, in], b) with transB = 1. */
  linear(x: string, scope: string, weight: Float32Array, bias: Float32Array | undefined, outFeatures: number, alpha = 1, beta = 1): string {
    const inputs = [x, this.weight(`${scope}.weight`, [outFeatures, weight.length / outFeatures], weight)];
    if (bias) inputs.push(this.weight(`${scope}.bias`, [outFeatures], bias));
    return this.node('Gemm', inputs, [float('alpha', alpha), float('beta', beta), int('transB', 1)], scope);
  }

  /** x @ W + b as MatMul + Add, W [in, out] (how PyTorch exports a matmul with a parameter). */
  matmulAdd(x: string, scope: string, weight: Float32Array, bias: Float32Array | undefined, outFeatures: number): string {
    const y = this.node('MatMul', [x, this.weight(`${scope}.weight`, [weight.length / outFeatures, outFeatures], weight)], [], scope);
    return bias ? this.node('Add', [y, this.weight(`${scope}.bias`, [outFeatures], bias)], [], scope) : y;
  }

  /** nn.Conv2d, stride 1: W OIHW [out, in, kh, kw]. */
  conv(
    x: string,
    scope: string,
    weight: Float32Array,
    bias: Float32Array | undefined,
    dims: [number, number, number, number],
    pads: number[],
    extra: Attribute[] = [],
  ): string {
    const inputs = [x, this.weight(`${scope}.weight`, dims, weight)];
    if (bias) inputs.push(this.weight(`${scope}.bias`, [dims[0]], bias));
    const defaults = [
      ints('dilations', [1, 1]),
      int('group', 1),
      ints('kernel_shape', [dims[2], dims[3]]),
      ints('pads', pads),
      ints('strides', [1, 1]),
    ];
    const names = new Set(extra.map((a) => a.name));
    return this.node('Conv', inputs, [...defaults.filter((a) => !names.has(a.name)), ...extra], scope);
  }

  maxPool(x: string, size: number, stride = size): string {
    return this.node(
      'MaxPool',
      [x],
      [int('ceil_mode', 0), ints('kernel_shape', [size, size]), ints('pads', [0, 0, 0, 0]), ints('strides', [stride, stride])],
    );
  }

  batchNorm(x: string, scope: string, [gamma, beta, mean, variance]: Float32Array[], epsilon = 1e-5, momentum = 0.9): string {
    const c = gamma!.length;
    const inputs = [
      x,
      ...(['weight', 'bias', 'running_mean', 'running_var'] as const).map((w, i) =>
        this.weight(`${scope}.${w}`, [c], [gamma, beta, mean, variance][i]!),
      ),
    ];
    const attributes = [float('epsilon', epsilon), float('momentum', momentum)];
    if (this.opset >= 15) attributes.push(int('training_mode', 0));
    return this.node('BatchNormalization', inputs, attributes, scope);
  }

  /** x.view(x.size(0), -1). */
  viewFlatten(x: string): string {
    const shape = this.node('Shape', [x]);
    const batch = this.node('Gather', [shape, this.constant([0], [])], [int('axis', 0)]);
    const unsqueezed =
      this.opset >= 13 ? this.node('Unsqueeze', [batch, this.constant([0])]) : this.node('Unsqueeze', [batch], [ints('axes', [0])]);
    const target = this.node('Concat', [unsqueezed, this.constant([-1])], [int('axis', 0)]);
    return this.node('Reshape', [x, target]);
  }

  /** The file, with `output` as the graph output [batch, classes]. */
  encode(output: string, classes = 10): Uint8Array {
    const last = this.nodes.find((n) => n.output[0] === output);
    if (last) last.output[0] = 'output';
    for (const node of this.nodes) node.input = node.input.map((name) => (name === output ? 'output' : name));
    const batch = this.options.batch === undefined ? { dimParam: 'batch' } : { dimValue: this.options.batch };
    const tensorType = (dims: number[]) => ({
      tensorType: { elemType: FLOAT, shape: { dim: [batch, ...dims.map((d) => ({ dimValue: d }))] } },
    });
    const model = {
      irVersion: this.opset >= 15 ? 8 : this.opset >= 13 ? 7 : 6,
      opsetImport: [{ domain: '', version: this.opset }],
      producerName: 'pytorch',
      producerVersion: '1.13.0',
      graph: {
        name: 'torch_jit',
        node: this.nodes,
        initializer: this.initializers,
        input: [{ name: 'input', type: tensorType(this.options.input) }],
        output: [{ name: 'output', type: tensorType([classes]) }],
      },
      metadataProps: this.metadata,
    };
    return ModelProto.encode(ModelProto.fromObject(model)).finish();
  }
}

/** Our Dense kernel [in, out] as PyTorch's Linear weight [out, in]. */
export function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c]!;
  return out;
}

/** Our Conv2D kernel HWIO [kh, kw, in, out] as PyTorch's OIHW [out, in, kh, kw]. */
export function hwioToOihw(values: Float32Array, kh: number, kw: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = values[((y * kw + x) * cin + i) * cout + o]!;
  return out;
}

/** Rows of a Dense kernel after a Flatten of ours (H, W, C order) reordered as PyTorch flattens NCHW (C, H, W). */
export function rowsToChw(kernel: Float32Array, h: number, w: number, c: number, units: number): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ch = 0; ch < c; ch++) {
        const ours = (y * w + x) * c + ch;
        const theirs = (ch * h + y) * w + x;
        out.set(kernel.subarray(ours * units, (ours + 1) * units), theirs * units);
      }
  return out;
}

/** Row-wise softmax in f64 (the reference for graphs that end in logits). */
export function softmaxRows(logits: Float32Array, classes = 10): Float32Array {
  const out = new Float32Array(logits.length);
  for (let r = 0; r < logits.length / classes; r++) {
    const row = Array.from(logits.subarray(r * classes, (r + 1) * classes));
    const max = Math.max(...row);
    const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
    row.forEach((v, c) => {
      out[r * classes + c] = Math.exp(v - max) / sum;
    });
  }
  return out;
}
