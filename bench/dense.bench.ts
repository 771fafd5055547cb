// Dense layers at the batches of inference (1 image, a few): dense_f32_forward (product, bias and
// activation in one call) on the layers of the three models, m = 1, 2, 4 and 8 rows. At m ≤ MR − 2
// (3 strict, 4 relaxed) the product takes the matrix-vector route of assembly/gemv.ts, above it
// the packed micro-kernel. At batch 1 a layer reads its whole weight matrix once for 2·k·n FLOPs,
// so the figure that matters is the weights' GB/s (k·n·4 bytes / time): 784×300 is 0.9 MB (L2 is
// 512 KiB here), the CNN's 5408×200 4.3 MB (L3). Every call re-reads the same weights, so they stay
// as warm as the cache allows; in a model the other layers' weights compete for it.
// Peer: tfjs-wasm's fused matMul (XNNPACK; bias and activation fused too), read back each call.
// Release builds (strict, and relaxed when the runtime has it), seeded inputs, checked once
// against the f64 reference; rounds take turns (ours, relaxed, tfjs), × is the median of the
// per-round ratios.
import { randomF32 } from '../test/helpers/random.js';
import type { CoreExports } from '../src/core/abi.js';
import { check, loadRelease, measure, median, round, WasmHeap, type Stats } from './harness.js';
import { useBackend, synchronous, tf } from './peers/tfjs.js';
import { loadRelaxed } from './relaxed.js';
import type { BenchOptions, BenchRow } from './types.js';

type Activation = 'linear' | 'sigmoid' | 'relu';

interface Layer {
  model: string;
  k: number;
  n: number;
  activation: Activation;
  bias: boolean;
}

/** The dense layers of scratch-mlp, mlp and cnn (src/models/architectures.ts); the softmax head runs linear here. */
export const INFERENCE_LAYERS: readonly Layer[] = [
  { model: 'scratch-mlp', k: 784, n: 300, activation: 'sigmoid', bias: false },
  { model: 'scratch-mlp', k: 300, n: 10, activation: 'linear', bias: false },
  { model: 'mlp', k: 784, n: 300, activation: 'relu', bias: true },
  { model: 'mlp', k: 300, n: 200, activation: 'relu', bias: true },
  { model: 'mlp', k: 200, n: 75, activation: 'relu', bias: true },
  { model: 'mlp', k: 75, n: 10, activation: 'linear', bias: true },
  { model: 'cnn', k: 5408, n: 200, activation: 'relu', bias: true },
  { model: 'cnn', k: 200, n: 100, activation: 'relu', bias: true },
  { model: 'cnn', k: 100, n: 50, activation: 'relu', bias: true },
  { model: 'cnn', k: 50, n: 10, activation: 'linear', bias: true },
];

const ACTIVATION_CODE: Record<Activation, number> = { linear: 0, sigmoid: 1, relu: 2 };

/** act(x·w + bias) in f64, and the rounding bound γ(k+1)·Σ|x||w| per element (sigmoid and ReLU do not enlarge it). */
function reference(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | undefined,
  m: number,
  k: number,
  n: number,
  activation: Activation,
) {
  const want = new Float64Array(m * n);
  const bound = new Float64Array(m * n);
  const gamma = ((k + 1) * 2 ** -24) / (1 - (k + 1) * 2 ** -24);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = bias ? bias[j]! : 0;
      let abs = bias ? Math.abs(bias[j]!) : 0;
      for (let p = 0; p < k; p++) {
        sum += x[i * k + p]! * w[p * n + j]!;
        abs += Math.abs(x[i * k + p]! * w[p * n + j]!);
      }
      want[i * n + j] = activation === 'relu' ? Math.max(0, sum) : activation === 'sigmoid' ? 1 / (1 + Math.exp(-sum)) : sum;
      bound[i * n + j] = gamma * abs + 2 ** -22; // + a few ulp of the activation
    }
  }
  return { want, bound };
}

/**
 * One checked dense_f32_forward call of `layer` at m rows on `core`, its buffers from the start of
 * the core's heap (the previous case's are no longer used); returns the timed call.
 */
function prepare(core: CoreExports, layer: Layer, m: number, x: Float32Array, w: Float32Array, bias: Float32Array | undefined) {
  const heap = new WasmHeap(core);
  const { k, n } = layer;
  const px = heap.put(x);
  const pw = heap.put(w);
  const pb = bias ? heap.put(bias) : 0;
  const py = heap.nan(m * n);
  const workspace = heap.alloc(core.gemm_f32_workspace_bytes());
  const code = ACTIVATION_CODE[layer.activation];
  const call = () => core.dense_f32_forward(py, px, pw, pb, workspace, m, k, n, code);
  call();
  const { want, bound } = reference(x, w, bias, m, k, n, layer.activation);
  const got = heap.f32(py, m * n);
  for (let i = 0; i < m * n; i++) check(`dense_f32_forward ${m}x${k}x${n}`, [got[i]!], [want[i]!], bound[i]!);
  return call;
}

export async function run(options: BenchOptions): Promise<BenchRow[]> {
  const strict = await loadRelease();
  const relaxed = await loadRelaxed();
  const t = await useBackend('wasm');
  const rounds = options.quick ? 1 : 3;
  const rows: BenchRow[] = [];
  for (const layer of INFERENCE_LAYERS) {
    for (const m of options.quick ? [1] : [1, 2, 4, 8]) {
      const { k, n } = layer;
      const seed = k * 7 + n * 3 + m;
      const x = randomF32(m * k, seed, 0, 1); // pixels and activations are non-negative
      const w = randomF32(k * n, seed + 1, -0.1, 0.1);
      const bias = layer.bias ? randomF32(n, seed + 2, -0.1, 0.1) : undefined;
      const ours = prepare(strict, layer, m, x, w, bias);
      const oursRelaxed = typeof relaxed === 'string' ? undefined : prepare(relaxed, layer, m, x, w, bias);
      const tx = t.tensor2d(x, [m, k]);
      const tw = t.tensor2d(w, [k, n]);
      const tb = bias ? t.tensor1d(bias) : undefined;
      const peer = synchronous(() => tf.fused.matMul({ a: tx, b: tw, bias: tb, activation: layer.activation }));
      const label = { family: 'dense', kernel: 'dense_f32_forward', shape: `${m}x${k}x${n} ${layer.activation}` };
      const times: { ours: Stats; relaxed?: Stats; tfjs: Stats }[] = [];
      for (let r = 0; r < rounds; r++) {
        times.push({
          ours: await measure(ours, options, { ...label, impl: 'ours' }),
          relaxed: oursRelaxed ? await measure(oursRelaxed, options, { ...label, impl: 'ours relaxed' }) : undefined,
          tfjs: await measure(peer, options, { ...label, impl: 'tfjs-wasm' }),
        });
      }
      t.dispose([tx, tw, ...(tb ? [tb] : [])]);
      const us = (pick: (s: (typeof times)[number]) => Stats | undefined) => {
        const values = times.map(pick).filter((s) => s !== undefined);
        return values.length === 0 ? undefined : median(values.map((s) => s.median * 1000));
      };
      const oursUs = us((s) => s.ours)!;
      const relaxedUs = us((s) => s.relaxed);
      rows.push({
        model: layer.model,
        layer: `${k}→${n} ${layer.activation}${layer.bias ? '' : ', no bias'}`,
        m,
        'ours µs': round(oursUs),
        'weights GB/s': round((k * n * 4) / (oursUs * 1000)),
        'GFLOP/s': round((2 * m * k * n) / (oursUs * 1000)),
        'relaxed µs': relaxedUs === undefined ? '—' : round(relaxedUs),
        'tfjs-wasm µs': round(us((s) => s.tfjs)!),
        '× tfjs-wasm': round(median(times.map((s) => s.tfjs.median / s.ours.median))),
      });
    }
  }
  if (typeof relaxed === 'string') rows.push({ model: 'release-relaxed.wasm', layer: relaxed });
  return rows;
}

export const legend =
  'dense_f32_forward (release build; relaxed: the FMA build) at m rows; tfjs-wasm: tf.fused.matMul with bias and ' +
  'activation, read back with dataSync() in each call. µs: medians over rounds of per-call medians; × tfjs-wasm: ' +
  'median of per-round ratios (above 1 = ours faster). weights GB/s: k·n·4 bytes per call / time (the bound at m = 1). ' +
  'm ≤ 3 (strict) / 4 (relaxed) take the matrix-vector route (assembly/gemv.ts).';
