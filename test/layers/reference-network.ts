// f64 reference of a whole Sequential network: plain loops over plain arrays, no tricks, the same
// layouts as the wasm layers (Dense kernel [in, out], Conv2D HWIO, NHWC), the same loss (softmax +
// categorical cross-entropy, mean or sum over the batch) and Keras' update rules. Used to replay a
// few training steps and compare the weights with the wasm model's.

export type Act = 'linear' | 'sigmoid' | 'relu' | 'softmax';

export type RefLayer =
  | { kind: 'dense'; inputs: number; units: number; act: Act; bias: boolean }
  | {
      kind: 'conv';
      height: number;
      width: number;
      channels: number;
      kh: number;
      kw: number;
      filters: number;
      same: boolean;
      act: Act;
      bias: boolean;
    }
  | { kind: 'pool'; height: number; width: number; channels: number; size: number; stride: number }
  | { kind: 'flatten' }
  | { kind: 'act'; act: Act };

export interface RefOptimizer {
  type: 'sgd' | 'momentum' | 'adam';
  learningRate: number;
  momentum?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Parameters per layer: [kernel, bias?] for dense/conv, [] otherwise. */
export type RefParams = Float64Array[][];

function actForward(act: Act, z: Float64Array): Float64Array {
  if (act === 'sigmoid') return z.map((v) => 1 / (1 + Math.exp(-v)));
  if (act === 'relu') return z.map((v) => Math.max(v, 0));
  return z.slice(); // linear; softmax is fused with the loss
}

function actBackward(act: Act, dy: Float64Array, y: Float64Array): Float64Array {
  if (act === 'sigmoid') return dy.map((g, i) => g * y[i]! * (1 - y[i]!));
  if (act === 'relu') return dy.map((g, i) => (y[i]! > 0 ? g : 0));
  return dy.slice();
}

function convOut(l: Extract<RefLayer, { kind: 'conv' }>) {
  return {
    oh: l.same ? l.height : l.height - l.kh + 1,
    ow: l.same ? l.width : l.width - l.kw + 1,
    pt: l.same ? Math.floor((l.kh - 1) / 2) : 0,
    pl: l.same ? Math.floor((l.kw - 1) / 2) : 0,
  };
}

interface Trace {
  inputs: Float64Array[];
  outputs: Float64Array[];
  argmax: (Int32Array | undefined)[];
}

function forward(layers: RefLayer[], params: RefParams, x: Float64Array, rows: number): Trace {
  const trace: Trace = { inputs: [], outputs: [], argmax: [] };
  let a = x;
  layers.forEach((l, li) => {
    trace.inputs.push(a);
    let y: Float64Array;
    let argmax: Int32Array | undefined;
    if (l.kind === 'dense') {
      const [w, b] = params[li]!;
      const z = new Float64Array(rows * l.units);
      for (let r = 0; r < rows; r++)
        for (let o = 0; o < l.units; o++) {
          let s = l.bias ? b![o]! : 0;
          for (let i = 0; i < l.inputs; i++) s += a[r * l.inputs + i]! * w![i * l.units + o]!;
          z[r * l.units + o] = s;
        }
      y = actForward(l.act, z);
    } else if (l.kind === 'conv') {
      const [w, b] = params[li]!;
      const { oh, ow, pt, pl } = convOut(l);
      const z = new Float64Array(rows * oh * ow * l.filters);
      for (let r = 0; r < rows; r++)
        for (let oy = 0; oy < oh; oy++)
          for (let ox = 0; ox < ow; ox++)
            for (let f = 0; f < l.filters; f++) {
              let s = l.bias ? b![f]! : 0;
              for (let ky = 0; ky < l.kh; ky++)
                for (let kx = 0; kx < l.kw; kx++) {
                  const iy = oy + ky - pt;
                  const ix = ox + kx - pl;
                  if (iy < 0 || iy >= l.height || ix < 0 || ix >= l.width) continue;
                  for (let c = 0; c < l.channels; c++) {
                    s +=
                      a[((r * l.height + iy) * l.width + ix) * l.channels + c]! * w![((ky * l.kw + kx) * l.channels + c) * l.filters + f]!;
                  }
                }
              z[((r * oh + oy) * ow + ox) * l.filters + f] = s;
            }
      y = actForward(l.act, z);
    } else if (l.kind === 'pool') {
      const oh = Math.floor((l.height - l.size) / l.stride) + 1;
      const ow = Math.floor((l.width - l.size) / l.stride) + 1;
      y = new Float64Array(rows * oh * ow * l.channels);
      argmax = new Int32Array(y.length);
      for (let r = 0; r < rows; r++)
        for (let oy = 0; oy < oh; oy++)
          for (let ox = 0; ox < ow; ox++)
            for (let c = 0; c < l.channels; c++) {
              let best = -Infinity;
              let at = -1;
              for (let dy = 0; dy < l.size; dy++)
                for (let dx = 0; dx < l.size; dx++) {
                  const i = ((r * l.height + oy * l.stride + dy) * l.width + ox * l.stride + dx) * l.channels + c;
                  if (a[i]! > best) {
                    best = a[i]!;
                    at = i;
                  }
                }
              const o = ((r * oh + oy) * ow + ox) * l.channels + c;
              y[o] = best;
              argmax[o] = at;
            }
    } else if (l.kind === 'act') {
      y = actForward(l.act, a);
    } else {
      y = a;
    }
    trace.outputs.push(y);
    trace.argmax.push(argmax);
    a = y;
  });
  return trace;
}

/** Loss (mean per sample) and gradients (of the mean or summed loss) of a batch. */
export function lossAndGradients(
  layers: RefLayer[],
  params: RefParams,
  x: Float64Array,
  labels: ArrayLike<number>,
  reduction: 'mean' | 'sum',
): { loss: number; grads: RefParams } {
  const rows = labels.length;
  const trace = forward(layers, params, x, rows);
  const logits = trace.outputs[layers.length - 1]!;
  const classes = logits.length / rows;
  const scale = reduction === 'mean' ? 1 / rows : 1;
  let loss = 0;
  let dy: Float64Array = new Float64Array(logits.length);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[r * classes + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[r * classes + c]! - max);
    const lse = max + Math.log(sum);
    loss += lse - logits[r * classes + labels[r]!]!;
    for (let c = 0; c < classes; c++) {
      const p = Math.exp(logits[r * classes + c]! - lse);
      dy[r * classes + c] = (p - (c === labels[r] ? 1 : 0)) * scale;
    }
  }
  const grads: RefParams = params.map((list) => list.map((p) => new Float64Array(p.length)));
  for (let li = layers.length - 1; li >= 0; li--) {
    const l = layers[li]!;
    const x = trace.inputs[li]!;
    const y = trace.outputs[li]!;
    if (l.kind === 'dense') {
      const dz = actBackward(l.act, dy, y);
      const [w] = params[li]!;
      const [dw, db] = grads[li]!;
      const dx = new Float64Array(x.length);
      for (let r = 0; r < rows; r++)
        for (let o = 0; o < l.units; o++) {
          const g = dz[r * l.units + o]!;
          if (l.bias) db![o]! += g;
          for (let i = 0; i < l.inputs; i++) {
            dw![i * l.units + o]! += x[r * l.inputs + i]! * g;
            dx[r * l.inputs + i]! += w![i * l.units + o]! * g;
          }
        }
      dy = dx;
    } else if (l.kind === 'conv') {
      const dz = actBackward(l.act, dy, y);
      const [w] = params[li]!;
      const [dw, db] = grads[li]!;
      const { oh, ow, pt, pl } = convOut(l);
      const dx = new Float64Array(x.length);
      for (let r = 0; r < rows; r++)
        for (let oy = 0; oy < oh; oy++)
          for (let ox = 0; ox < ow; ox++)
            for (let f = 0; f < l.filters; f++) {
              const g = dz[((r * oh + oy) * ow + ox) * l.filters + f]!;
              if (l.bias) db![f]! += g;
              for (let ky = 0; ky < l.kh; ky++)
                for (let kx = 0; kx < l.kw; kx++) {
                  const iy = oy + ky - pt;
                  const ix = ox + kx - pl;
                  if (iy < 0 || iy >= l.height || ix < 0 || ix >= l.width) continue;
                  for (let c = 0; c < l.channels; c++) {
                    const xi = ((r * l.height + iy) * l.width + ix) * l.channels + c;
                    const wi = ((ky * l.kw + kx) * l.channels + c) * l.filters + f;
                    dw![wi]! += x[xi]! * g;
                    dx[xi]! += w![wi]! * g;
                  }
                }
            }
      dy = dx;
    } else if (l.kind === 'pool') {
      const dx = new Float64Array(x.length);
      const argmax = trace.argmax[li]!;
      for (let o = 0; o < argmax.length; o++) dx[argmax[o]!]! += dy[o]!;
      dy = dx;
    } else if (l.kind === 'act') {
      dy = actBackward(l.act, dy, y);
    }
  }
  return { loss: loss / rows, grads };
}

/** Keras' update rules (as the optimizer kernels document them), in f64. */
export class RefTrainer {
  private step = 0;
  private readonly m: RefParams;
  private readonly v: RefParams;

  constructor(
    readonly layers: RefLayer[],
    readonly params: RefParams,
    readonly optimizer: RefOptimizer,
    readonly reduction: 'mean' | 'sum',
  ) {
    this.m = params.map((list) => list.map((p) => new Float64Array(p.length)));
    this.v = params.map((list) => list.map((p) => new Float64Array(p.length)));
  }

  trainOnBatch(x: Float64Array, labels: ArrayLike<number>): number {
    const { loss, grads } = lossAndGradients(this.layers, this.params, x, labels, this.reduction);
    const o = this.optimizer;
    this.step++;
    const lr = o.learningRate;
    this.params.forEach((list, li) =>
      list.forEach((p, pi) => {
        const g = grads[li]![pi]!;
        const m = this.m[li]![pi]!;
        const v = this.v[li]![pi]!;
        for (let i = 0; i < p.length; i++) {
          if (o.type === 'sgd') {
            p[i]! -= lr * g[i]!;
          } else if (o.type === 'momentum') {
            m[i] = (o.momentum ?? 0.9) * m[i]! - lr * g[i]!;
            p[i]! += m[i]!;
          } else {
            const b1 = o.beta1 ?? 0.9;
            const b2 = o.beta2 ?? 0.999;
            const alpha = (lr * Math.sqrt(1 - b2 ** this.step)) / (1 - b1 ** this.step);
            m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
            v[i] = b2 * v[i]! + (1 - b2) * g[i]! * g[i]!;
            p[i]! -= (alpha * m[i]!) / (Math.sqrt(v[i]!) + (o.epsilon ?? 1e-7));
          }
        }
      }),
    );
    return loss;
  }
}
