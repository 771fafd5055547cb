/**
 * ONNX import, one op on the running tensor: its checks, the layer it becomes and its weights
 * converted to our layouts (the table in onnx-import-graph.ts). Every refusal names the node
 * (through `fail`) and says what was found and what is supported.
 */
import { namePrefixOf, type ActivationName, type LayerClassName, type LayerConfig } from '../layers/layer.js';
import { type Attributes, BATCH, count, quote, type ConstantTensor, type Dim, type Fail, type FloatTensor } from './onnx-import-values.js';

/** A layer of the import with its weights by local name (`kernel`, `bias`, `gamma`, …), in our layouts. */
export interface MappedLayer {
  config: LayerConfig;
  weights: { local: string; shape: number[]; values: Float32Array }[];
  /** The node it came from, as messages name it: `node "/fc1/Gemm" (Gemm)`. */
  node: string;
}

/** A layer config before it is named. */
type UnnamedConfig = { [K in LayerClassName]: Omit<Extract<LayerConfig, { className: K }>, 'name'> }[LayerClassName];

export type Layout = 'flat' | 'nchw' | 'nhwc';

/** The tensor flowing through the chain. */
export interface Running {
  kind: 'running';
  /** ONNX's per-sample dimensions (no batch axis). */
  dims: number[];
  layout: Layout;
  /** Flat only: the features of an [h, w, c] tensor of ours, which ONNX reads in C, H, W order. */
  chw?: { c: number; h: number; w: number };
  /** The layer whose output this is, unchanged since (for folding a bias or an activation into it). */
  producer?: number;
}

/** What the ops read and extend. */
export interface Chain {
  readonly layers: MappedLayer[];
  /** The graph input's first dimension: a number when fixed, else the symbol. */
  readonly batch: Dim;
  /** Per-sample input shape, ours; a Reshape before any layer may change it. */
  inputShape: number[];
}

/** A wasm32 core addresses 4 GiB: no tensor of ours can hold more f32 values per image than this. */
const MAX_VALUES = 2 ** 30;

/** Keras' automatic name for the next layer of `className` (dense_1, dense_2, …), as Sequential gives. */
export function layerName(layers: readonly MappedLayer[], className: LayerClassName): string {
  return `${namePrefixOf(className)}_${layers.filter((l) => l.config.className === className).length + 1}`;
}

/** A running tensor of `dims`, refused when it could never fit in a core. */
export function running(dims: number[], layout: Layout, fail: Fail, extra: Partial<Running> = {}): Running {
  if (dims.some((d) => !Number.isSafeInteger(d) || d <= 0)) fail(`a tensor of dimensions [N, ${dims.join(', ')}] is not supported`);
  if (count(dims) > MAX_VALUES) {
    fail(`a tensor of [N, ${dims.join(', ')}] (${count(dims)} values per image) is more than a wasm32 core can hold (4 GiB)`);
  }
  return { kind: 'running', dims, layout, ...extra };
}

/** Our per-sample shape of a running tensor. */
export function physical({ dims, layout }: Running): number[] {
  return layout === 'nchw' ? [dims[1]!, dims[2]!, dims[0]!] : [...dims];
}

/** The shortest decimal that is the same float32 (ONNX attributes are float32: 0.9 arrives as 0.8999999761581421). */
function shortestFloat32(value: number): number {
  for (let digits = 1; digits < 17; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === Math.fround(value)) return candidate;
  }
  return value;
}

export class LayerOps {
  constructor(
    private readonly chain: Chain,
    private readonly where: string,
    private readonly fail: Fail,
  ) {}

  private push(config: UnnamedConfig, weights: MappedLayer['weights'], next: Running): Running {
    const layers = this.chain.layers;
    layers.push({ config: { ...config, name: layerName(layers, config.className) } as LayerConfig, weights, node: this.where });
    return { ...next, producer: layers.length - 1 };
  }

  /** The layer that produced `x`, when it is the last one and nothing has changed its output since. */
  private producer(x: Running): LayerConfig | undefined {
    const layers = this.chain.layers;
    return x.producer !== undefined && x.producer === layers.length - 1 ? layers[x.producer]!.config : undefined;
  }

  private constant(value: ConstantTensor | undefined, what: string): FloatTensor {
    if (value === undefined) return this.fail(`${what} is missing`);
    if (value.kind !== 'float') this.fail(`${what} must be a float32 constant (an initializer), got int64`);
    return value as FloatTensor;
  }

  /** Our feature index p → ONNX's, for a flat tensor (identity unless it was flattened from NCHW). */
  private logicalFeature(x: Running): (p: number) => number {
    const chw = x.chw;
    if (chw === undefined) return (p) => p;
    const { c, h, w } = chw;
    return (p) => {
      const channel = p % c;
      const position = (p - channel) / c;
      return channel * h * w + position;
    };
  }

  /** A per-channel vector [n] in our feature order. */
  private channelVector(x: Running, values: Float32Array): Float32Array {
    const logical = this.logicalFeature(x);
    return x.chw === undefined ? values : Float32Array.from(values, (_, p) => values[logical(p)]!);
  }

  /** A constant that broadcasts over the units of a Dense ([], [1], [n], [1, n]) or the channels of a Conv ([n, 1, 1], [1, n, 1, 1]). */
  private perUnit(t: FloatTensor, units: number, spatial: boolean, what: string): Float32Array {
    const dims = [...t.dims];
    while (dims.length > 0 && dims[0] === 1 && count(dims) > 1) dims.shift();
    if (count(dims) === 1) return new Float32Array(units).fill(t.values[0]!);
    const wanted = spatial ? [units, 1, 1] : [units];
    if (dims.join(',') !== wanted.join(',')) {
      this.fail(
        `${what} has dimensions [${t.dims.join(', ')}]: expected one value per ${spatial ? 'channel ([C, 1, 1])' : 'unit ([units])'} or a scalar`,
      );
    }
    return Float32Array.from(t.values);
  }

  activation(activation: ActivationName, x: Running): Running {
    const layers = this.chain.layers;
    const before = this.producer(x);
    const foldable = (config: LayerConfig | undefined) =>
      (config?.className === 'Dense' || config?.className === 'Conv2D') && config.activation === 'linear';
    // ReLU and sigmoid are monotone, so they commute with a max pool: conv → pool → relu is conv(relu) → pool.
    const target = foldable(before)
      ? before
      : before?.className === 'MaxPooling2D' && x.producer! > 0
        ? layers[x.producer! - 1]!.config
        : undefined;
    if (foldable(target)) {
      (target as { activation: ActivationName }).activation = activation;
      // A new value: the tensor before the activation is not its output (a second use of it is a branch).
      return { ...x };
    }
    return this.push({ className: 'Activation', activation }, [], x);
  }

  dense(op: 'Gemm' | 'MatMul', x: Running, constants: (ConstantTensor | undefined)[], attributes: Attributes): Running {
    if (x.layout !== 'flat') this.fail(`${op} on an image-shaped tensor [N, ${x.dims.join(', ')}]: flatten it first`);
    const features = x.dims[0]!;
    const b = this.constant(constants[1], 'B (input 1)');
    if (b.dims.length !== 2) this.fail(`B has dimensions [${b.dims.join(', ')}]: expected a matrix`);
    let transB = 0;
    let alpha = 1;
    let beta = 1;
    if (op === 'Gemm') {
      if (attributes.int('transA', 0) !== 0) this.fail('transA = 1 (a transposed batch) is not supported');
      transB = attributes.int('transB', 0);
      alpha = attributes.float('alpha', 1);
      beta = attributes.float('beta', 1);
    }
    const [rows, cols] = b.dims as [number, number];
    const [inputs, units] = transB ? [cols, rows] : [rows, cols];
    if (inputs !== features) {
      this.fail(`B is [${rows}, ${cols}]${transB ? ' with transB' : ''}: ${inputs} inputs, but the tensor before has ${features} features`);
    }
    // Gemm: Y = alpha·A·B' + beta·C. Our kernel is [in, out] (B' itself), rows in our feature order.
    const logical = this.logicalFeature(x);
    const kernel = new Float32Array(features * units);
    for (let p = 0; p < features; p++) {
      const f = logical(p);
      for (let u = 0; u < units; u++) kernel[p * units + u] = alpha * b.values[transB ? u * features + f : f * units + u]!;
    }
    const weights: MappedLayer['weights'] = [{ local: 'kernel', shape: [features, units], values: kernel }];
    const c = constants[2];
    if (c !== undefined && beta !== 0) {
      const bias = this.perUnit(this.constant(c, 'C (input 2)'), units, false, 'C');
      weights.push({ local: 'bias', shape: [units], values: beta === 1 ? bias : bias.map((v) => beta * v) });
    }
    const config = {
      className: 'Dense',
      units,
      activation: 'linear',
      useBias: weights.length === 2,
      kernelInitializer: 'glorotUniform',
    } as const;
    return this.push(config, weights, running([units], 'flat', this.fail));
  }

  /** An Add of a constant: the bias of the Dense or Conv2D just before (PyTorch's MatMul + Add). */
  bias(x: Running, operand: ConstantTensor): Running {
    const before = this.producer(x);
    if ((before?.className !== 'Dense' && before?.className !== 'Conv2D') || before.activation !== 'linear') {
      this.fail('an Add is only supported as the bias of the Gemm, MatMul or Conv right before it');
    }
    const layer = this.chain.layers[x.producer!]!;
    const units = before.className === 'Dense' ? before.units : before.filters;
    const add = this.perUnit(this.constant(operand, 'the added constant'), units, before.className === 'Conv2D', 'the added constant');
    const existing = layer.weights.find((w) => w.local === 'bias');
    if (existing) existing.values = existing.values.map((v, i) => v + add[i]!);
    else layer.weights.push({ local: 'bias', shape: [units], values: add });
    before.useBias = true;
    return { ...x };
  }

  conv(x: Running, constants: (ConstantTensor | undefined)[], attributes: Attributes): Running {
    if (x.layout !== 'nchw') {
      this.fail(
        x.layout === 'flat'
          ? 'Conv on a flat tensor'
          : 'Conv on an NHWC tensor: ONNX convolves NCHW (a Transpose [0, 3, 1, 2] comes first)',
      );
    }
    const [channels, height, width] = x.dims as [number, number, number];
    const w = this.constant(constants[1], 'W (input 1)');
    if (w.dims.length !== 4) this.fail(`W has dimensions [${w.dims.join(', ')}]: expected [out, in, kh, kw] (a 2-D convolution)`);
    const [filters, inChannels, kh, kw] = w.dims as [number, number, number, number];
    const group = attributes.int('group', 1);
    if (group !== 1) this.fail(`group ${group}: only group 1 is supported (no grouped or depthwise convolutions)`);
    if (inChannels !== channels) this.fail(`W is [${w.dims.join(', ')}]: ${inChannels} input channels, but the tensor has ${channels}`);
    const kernelShape = attributes.ints('kernel_shape');
    if (kernelShape !== undefined && kernelShape.join(',') !== `${kh},${kw}`)
      this.fail(`kernel_shape [${kernelShape.join(', ')}] does not match W [${w.dims.join(', ')}]`);
    this.ones(attributes, 'strides');
    this.ones(attributes, 'dilations');
    // TF's (and our) 'same' for stride 1: k − 1 padding, the odd one at the end (bottom/right).
    const top = Math.floor((kh - 1) / 2);
    const left = Math.floor((kw - 1) / 2);
    const same = [top, left, kh - 1 - top, kw - 1 - left];
    const padding = this.padding(attributes, same, kh % 2 === 1 && kw % 2 === 1);
    const [outHeight, outWidth] = padding === 'same' ? [height, width] : [height - kh + 1, width - kw + 1];
    if (outHeight < 1 || outWidth < 1) this.fail(`a ${kh}x${kw} kernel without padding does not fit the ${height}x${width} input`);
    // OIHW → HWIO.
    const kernel = new Float32Array(w.values.length);
    for (let o = 0; o < filters; o++) {
      for (let i = 0; i < inChannels; i++) {
        for (let y = 0; y < kh; y++) {
          for (let z = 0; z < kw; z++)
            kernel[((y * kw + z) * inChannels + i) * filters + o] = w.values[((o * inChannels + i) * kh + y) * kw + z]!;
        }
      }
    }
    const weights: MappedLayer['weights'] = [{ local: 'kernel', shape: [kh, kw, inChannels, filters], values: kernel }];
    if (constants[2] !== undefined) {
      const bias = this.constant(constants[2], 'B (input 2)');
      if (bias.dims.join(',') !== String(filters)) this.fail(`B has dimensions [${bias.dims.join(', ')}], expected [${filters}]`);
      weights.push({ local: 'bias', shape: [filters], values: bias.values });
    }
    const config: UnnamedConfig = {
      className: 'Conv2D',
      filters,
      kernelSize: [kh, kw],
      padding,
      activation: 'linear',
      useBias: weights.length === 2,
      kernelInitializer: 'glorotUniform',
    };
    return this.push(config, weights, running([filters, outHeight, outWidth], 'nchw', this.fail));
  }

  private ones(attributes: Attributes, name: string): void {
    const values = attributes.ints(name);
    if (values?.some((v) => v !== 1)) this.fail(`${name} [${values.join(', ')}]: only 1 is supported`);
  }

  /** 'valid' or 'same' from pads/auto_pad, where `same` is the pads TF's 'same' means. */
  private padding(attributes: Attributes, same: number[], odd: boolean): 'valid' | 'same' {
    const autoPad = attributes.string('auto_pad', 'NOTSET');
    if (autoPad === 'VALID') return 'valid';
    if (autoPad === 'SAME_UPPER' || (autoPad === 'SAME_LOWER' && odd)) return 'same';
    if (autoPad !== 'NOTSET')
      this.fail(`auto_pad ${quote(autoPad)} is not supported (only NOTSET, VALID, SAME_UPPER, and SAME_LOWER with odd kernels)`);
    const pads = attributes.ints('pads') ?? [0, 0, 0, 0];
    if (pads.every((p) => p === 0)) return 'valid';
    if (pads.join(',') === same.join(',')) return 'same';
    return this.fail(`pads [${pads.join(', ')}]: only none or [${same.join(', ')}] (the 'same' padding) are supported`);
  }

  maxPool(x: Running, attributes: Attributes): Running {
    if (x.layout !== 'nchw') this.fail(`MaxPool on ${x.layout === 'flat' ? 'a flat' : 'an NHWC'} tensor: expected NCHW`);
    const [channels, height, width] = x.dims as [number, number, number];
    const window = attributes.ints('kernel_shape') ?? this.fail('kernel_shape is missing');
    const strides = attributes.ints('strides') ?? [1, 1];
    if (window.length !== 2 || window[0] !== window[1] || strides.join(',') !== window.join(',')) {
      this.fail(
        `kernel_shape [${window.join(', ')}] with strides [${strides.join(', ')}]: only a square window equal to its stride is supported`,
      );
    }
    const size = window[0]!;
    if (this.padding(attributes, [0, 0, 0, 0], true) !== 'valid') this.fail('padding is not supported');
    this.ones(attributes, 'dilations');
    if (attributes.int('ceil_mode', 0) !== 0 && (height % size !== 0 || width % size !== 0)) {
      this.fail(`ceil_mode 1 on a ${height}x${width} input with a window of ${size} is not supported (only whole windows)`);
    }
    if (height < size || width < size) this.fail(`a ${size}x${size} window does not fit the ${height}x${width} input`);
    const next = running([channels, Math.floor(height / size), Math.floor(width / size)], 'nchw', this.fail);
    return this.push({ className: 'MaxPooling2D', poolSize: size, strides: size }, [], next);
  }

  batchNorm(x: Running, constants: (ConstantTensor | undefined)[], attributes: Attributes): Running {
    if (x.layout === 'nhwc') this.fail('BatchNormalization on an NHWC tensor: ONNX normalises axis 1, the channels of NCHW');
    const channels = x.dims[0]!;
    if (attributes.int('training_mode', 0) !== 0) this.fail('training_mode 1: only inference graphs can be imported');
    const names = ['scale', 'B', 'mean', 'var'];
    const [gamma, beta, mean, variance] = names.map((name, i) => {
      const t = this.constant(constants[i + 1], `${name} (input ${i + 1})`);
      if (t.dims.join(',') !== String(channels)) this.fail(`${name} has dimensions [${t.dims.join(', ')}], expected [${channels}]`);
      return this.channelVector(x, t.values);
    }) as [Float32Array, Float32Array, Float32Array, Float32Array];
    const negative = variance.findIndex((v) => v < 0);
    if (negative >= 0) this.fail(`var[${negative}] is ${variance[negative]}: a variance cannot be negative`);
    const epsilon = attributes.float('epsilon', 1e-5);
    const momentum = attributes.float('momentum', 0.9);
    if (!(epsilon > 0 && Number.isFinite(epsilon))) this.fail(`epsilon ${epsilon}: expected a positive number`);
    if (!(momentum >= 0 && momentum <= 1)) this.fail(`momentum ${momentum}: expected a number in [0, 1]`);
    const shape = [channels];
    const weights = [
      { local: 'gamma', shape, values: gamma },
      { local: 'beta', shape, values: beta },
      { local: 'moving_mean', shape, values: mean },
      { local: 'moving_variance', shape, values: variance },
    ];
    // ONNX's momentum is Keras' (running = momentum·running + (1 − momentum)·batch); PyTorch writes 1 − its own.
    const config = { className: 'BatchNormalization', momentum: shortestFloat32(momentum), epsilon: shortestFloat32(epsilon) } as const;
    return this.push(config, weights, x);
  }

  flatten(x: Running): Running {
    if (x.layout === 'flat') return x;
    const [c, h, w] = x.layout === 'nchw' ? (x.dims as [number, number, number]) : [x.dims[2]!, x.dims[0]!, x.dims[1]!];
    // NCHW flattens C, H, W; ours H, W, C: the same order only with one channel or one position.
    const chw = x.layout === 'nchw' && c > 1 && h * w > 1 ? { c, h, w } : undefined;
    return this.push({ className: 'Flatten' }, [], running([c * h * w], 'flat', this.fail, { chw }));
  }

  reshape(x: Running, shape: ConstantTensor, attributes: Attributes): Running {
    if (shape.kind !== 'int' || shape.dims.length !== 1) this.fail('the shape (input 1) must be an int64 vector');
    const full: Dim[] = [this.chain.batch, ...x.dims];
    const allowZero = attributes.int('allowzero', 0) !== 0;
    const entries = (shape.values as Dim[]).map((e, i) =>
      e === 0 && !allowZero ? (full[i] ?? this.fail(`shape entry ${i} copies a dimension the input does not have`)) : e,
    );
    const text = `[${entries.join(', ')}]`;
    const [first, ...rest] = entries;
    const minus = rest.filter((e) => e === -1).length;
    if (rest.some((e) => e === BATCH || (e !== -1 && (e as number) <= 0)) || minus > 1 || first === undefined) {
      this.fail(`the shape ${text} is not supported (the batch first, then at most one -1 and positive sizes)`);
    }
    if (first !== this.chain.batch && !(first === -1 && minus === 0)) this.fail(`the shape ${text} does not keep the batch axis first`);
    const perSample = count(x.dims);
    const known = count(rest.filter((e) => e !== -1) as number[]);
    if ((minus === 1 && perSample % known !== 0) || (minus === 0 && known !== perSample)) {
      this.fail(`the shape ${text} does not hold the ${perSample} values per image of [N, ${x.dims.join(', ')}]`);
    }
    const target = rest.map((e) => (e === -1 ? perSample / known : (e as number)));
    if (target.join(',') === x.dims.join(',')) return x;
    if (target.length === 1) return this.flatten(x);
    // [N, H·W] → [N, 1, H, W] before any layer: the same bytes as our [H, W, 1] input.
    if (x.layout === 'flat' && target.length === 3 && target[0] === 1 && this.chain.layers.length === 0) {
      this.chain.inputShape = [target[1]!, target[2]!, 1];
      return running(target, 'nchw', this.fail);
    }
    return this.fail(
      `a Reshape of [N, ${x.dims.join(', ')}] to [N, ${target.join(', ')}] is not supported (only a flatten to [N, -1], or [N, H·W] to [N, 1, H, W] as the first op)`,
    );
  }

  transpose(x: Running, attributes: Attributes): Running {
    const rank = x.dims.length + 1;
    const perm = attributes.ints('perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
    const text = perm.join(',');
    if (text === Array.from({ length: rank }, (_, i) => i).join(',')) return x;
    if (x.layout === 'nchw' && text === '0,2,3,1') return { ...x, dims: [x.dims[1]!, x.dims[2]!, x.dims[0]!], layout: 'nhwc' };
    if (x.layout === 'nhwc' && text === '0,3,1,2') return { ...x, dims: [x.dims[2]!, x.dims[0]!, x.dims[1]!], layout: 'nchw' };
    return this.fail(
      `perm [${perm.join(', ')}] on ${x.layout === 'flat' ? 'a flat' : `an ${x.layout.toUpperCase()}`} tensor: only a change between NCHW and NHWC is supported`,
    );
  }
}
