// The jax-js peer (@jax-js/jax, from devDependencies): the other library that trains a CNN on
// wasm. In Node it runs its 'wasm' device on one thread (its worker pool is browser-only) with
// plain SIMD128; kernels are generated and, under jit(), fused per traced function.
//
// What a jax-js user writes, and what is timed here:
//   matmul   jit((a, b) => np.matmul(op(a), op(b))), result read back with dataSync() each call.
//   training one jit-compiled step per batch, valueAndGrad of the loss, then the SGD update
//            `p - lr·g` inside the same jit, loss read back each step (as a training loop that
//            logs does). The batch is gathered in JS from the u8 images (x/255, one-hot labels)
//            and handed over as new arrays, as jax-js' own MNIST demo does.
// The architectures are ours (bench/train.bench.ts): sigmoid hidden layers, softmax +
// cross-entropy, plain SGD with the same learning rates; the CNN in jax-js' NCHW layout (one
// input channel, so the input is a reshape). Initialisation: Glorot-uniform (LeCun-normal-like
// scale for the scratch net); the weights' values do not change the time per step.
import { defaultDevice, init, jit, nn, lax, numpy as np, tree, valueAndGrad } from '@jax-js/jax';

let ready: Promise<void> | undefined;

/** Starts jax-js' wasm device once and makes it the default. */
export function useJaxWasm(): Promise<void> {
  ready ??= init('wasm').then((devices) => {
    if (!devices.includes('wasm')) throw new Error(`jax-js: no wasm device (have ${devices.join(', ')})`);
    defaultDevice('wasm');
  });
  return ready;
}

/**
 * C = op(A)·op(B) with jit, read back: returns one call. `variant` as our kernels: nn (A [m,k], B [k,n]),
 * tn (A stored [k,m]), nt (B stored [n,k]); the transposes are inside the jit, as jax-js' gradients use them.
 */
export async function jaxGemm(
  variant: 'nn' | 'tn' | 'nt',
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
): Promise<() => Float32Array> {
  await useJaxWasm();
  const product = jit((x: np.Array, y: np.Array) =>
    np.matmul(variant === 'tn' ? np.transpose(x) : x, variant === 'nt' ? np.transpose(y) : y),
  );
  const ja = np.array(a).reshape(variant === 'tn' ? [k, m] : [m, k]);
  const jb = np.array(b).reshape(variant === 'nt' ? [n, k] : [k, n]);
  return () => product(ja.ref, jb.ref).dataSync() as Float32Array;
}

export type JaxArch = 'scratch-mlp' | 'mlp' | 'cnn';

type Dense = { w: np.Array; b?: np.Array };
type Params = { conv?: { w: np.Array; b: np.Array }; dense: Dense[] };

/** Deterministic uniform(−limit, limit) values (xorshift32), so runs are repeatable. */
function uniform(count: number, limit: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = ((s / 0x1_0000_0000) * 2 - 1) * limit;
  }
  return out;
}

function dense(inputs: number, units: number, bias: boolean, seed: number): Dense {
  const limit = Math.sqrt(6 / (inputs + units));
  const w = np.array(uniform(inputs * units, limit, seed)).reshape([inputs, units]);
  return bias ? { w, b: np.zeros([units]) } : { w };
}

function initParams(arch: JaxArch): Params {
  if (arch === 'scratch-mlp') return { dense: [dense(784, 300, false, 1), dense(300, 10, false, 2)] };
  if (arch === 'mlp')
    return { dense: [dense(784, 300, true, 1), dense(300, 200, true, 2), dense(200, 75, true, 3), dense(75, 10, true, 4)] };
  const limit = Math.sqrt(6 / (9 + 9 * 32));
  return {
    conv: { w: np.array(uniform(32 * 9, limit, 5)).reshape([32, 1, 3, 3]), b: np.zeros([1, 32, 1, 1]) },
    dense: [dense(13 * 13 * 32, 200, true, 1), dense(200, 100, true, 2), dense(100, 50, true, 3), dense(50, 10, true, 4)],
  };
}

/** Cross-entropy of softmax(logits) against one-hot y: summed (scratch-mlp) or averaged. */
function loss(arch: JaxArch, params: Params, x: np.Array, y: np.Array): np.Array {
  let h = x;
  if (params.conv) {
    h = nn.sigmoid(lax.conv(h, params.conv.w, [1, 1], 'VALID').add(params.conv.b));
    h = lax.reduceWindow(h, (window: np.Array) => np.max(window), [2, 2], [2, 2]);
    h = h.reshape([h.shape[0]!, 13 * 13 * 32]);
  }
  params.dense.forEach((layer, i) => {
    h = np.matmul(h, layer.w);
    if (layer.b) h = h.add(layer.b);
    if (i < params.dense.length - 1) h = nn.sigmoid(h);
  });
  const total = np.sum(nn.logSoftmax(h, -1).mul(y)).mul(-1);
  return arch === 'scratch-mlp' ? total : total.div(x.shape[0]!);
}

/**
 * A jax-js trainer: `step(images, labels, indices)` trains one batch gathered from u8 images
 * [count, 784] at `indices` and returns the loss.
 */
export async function jaxTrainer(
  arch: JaxArch,
  learningRate: number,
): Promise<(images: Uint8Array, labels: Uint8Array, indices: ArrayLike<number>) => number> {
  await useJaxWasm();
  let params = initParams(arch);
  const step = jit((p: Params, x: np.Array, y: np.Array) => {
    const [value, grads] = valueAndGrad((q: Params) => loss(arch, q, x, y))(tree.ref(p));
    const next = tree.map((w: np.Array, g: np.Array) => w.sub(g.mul(learningRate)), p, grads) as Params;
    return [value, next] as const;
  });
  return (images, labels, indices) => {
    const rows = indices.length;
    const pixels = new Float32Array(rows * 784);
    const onehot = new Float32Array(rows * 10);
    for (let r = 0; r < rows; r++) {
      const image = indices[r]!;
      for (let p = 0; p < 784; p++) pixels[r * 784 + p] = images[image * 784 + p]! / 255;
      onehot[r * 10 + labels[image]!] = 1;
    }
    const x = np.array(pixels).reshape(arch === 'cnn' ? [rows, 1, 28, 28] : [rows, 784]);
    const y = np.array(onehot).reshape([rows, 10]);
    const [value, next] = step(params, x, y);
    params = next;
    return (value.dataSync() as Float32Array)[0]!;
  };
}
