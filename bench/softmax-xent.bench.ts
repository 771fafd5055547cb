// softmax-xent benchmark: the fused softmax + categorical cross-entropy (loss and dlogits in one
// pass, Mean reduction as Keras) and the plain row softmax, at batch 64/128 x 10 classes, ours
// against the f64 reference and tfjs in the same run. Logits seeded in [−5, 5), one-hot targets
// from seeded labels; checked against test/reference/softmax-xent.ts before timing.
//
// tfjs has no fused kernel; two ways it computes the same loss and gradient, each timed with
// tf.valueAndGrad (loss and dlogits both read back):
//   fused op   tf.losses.softmaxCrossEntropy(onehot, logits): one op with a custom gradient;
//   layers     softmax(logits) then tf.metrics.categoricalCrossentropy (tfjs-layers' loss
//              'categoricalCrossentropy': normalise, clip to [ε, 1−ε], −Σ t·log p), then mean:
//              what a tfjs-layers model with a softmax output trains through.
// At these sizes every figure is dominated by per-call overhead, which is the point: a training
// step pays it once per batch.
import { Reduction, type CoreExports } from '../src/core/abi.js';
import { randomF32, rng } from '../test/helpers/random.js';
import * as ref from '../test/reference/softmax-xent.js';
import { check, checkNote, guarded, KERNEL_LEGEND, kernelRow, loadRelease, measure, timed, WasmHeap, type Timing } from './harness.js';
import type { BenchOptions, BenchRow } from './types.js';
import { measurePeers, type tf } from './peers/tfjs.js';
import { softmaxXentShapes } from './shapes.js';

export const legend = `${KERNEL_LEGEND} The xent rows time loss + dlogits; tfjs reads back both.`;

export async function run(options: BenchOptions): Promise<BenchRow[]> {
  const core = await loadRelease();
  const rows: BenchRow[] = [];
  for (const s of softmaxXentShapes(options.quick)) rows.push(...(await benchShape(core, s.rows, s.cols, options)));
  return rows;
}

function oneHot(rows: number, cols: number, seed: number): Float32Array {
  const next = rng(seed);
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) t[r * cols + Math.floor(next() * cols)] = 1;
  return t;
}

async function benchShape(core: CoreExports, rows: number, cols: number, options: BenchOptions): Promise<BenchRow[]> {
  const heap = new WasmHeap(core);
  const n = rows * cols;
  const logits = randomF32(n, 31, -5, 5);
  const targets = oneHot(rows, cols, 32);
  const plogits = heap.put(logits);
  const ptargets = heap.put(targets);
  const pd = heap.nan(n);
  const py = heap.nan(n);
  const shape = `${rows}x${cols}`;
  const out: BenchRow[] = [];
  // f32 softmax of logits in [−5, 5): a few ulps per element; the loss sums rows·cols terms.
  const atol = 1e-6;

  // fused softmax + cross-entropy
  {
    const kernel = 'softmax_xent_f32_fused';
    const label = { family: 'softmax-xent', kernel, shape };
    const want = timed(() => ref.softmax_xent_f32_fused(logits, targets, rows, cols, 0));
    const fn = () => core.softmax_xent_f32_fused(pd, plogits, ptargets, rows, cols, Reduction.Mean);
    const ours: Timing = await guarded(`${kernel} ${shape}`, async () => {
      const loss = fn();
      check(`${kernel} ${shape} loss`, [loss], [want.value.loss], 1e-5, 1e-5);
      check(`${kernel} ${shape} dlogits`, heap.f32(pd, n), want.value.dlogits, atol / rows);
      return measure(fn, options, { ...label, impl: 'ours' });
    });
    const reference = await measure(
      () => ref.softmax_xent_f32_fused(logits, targets, rows, cols, 0),
      options,
      { ...label, impl: 'ref' },
      want.ms,
    );
    const variants: { name: string; kernels: string[]; loss: (t: typeof tf, y: tf.Tensor, l: tf.Tensor) => tf.Scalar }[] = [
      {
        name: 'fused op tf.losses.softmaxCrossEntropy',
        kernels: ['Softmax', 'Max', 'Exp', 'Sum', 'Log'],
        loss: (t, y, l) => t.losses.softmaxCrossEntropy(y, l) as tf.Scalar,
      },
      {
        name: 'layers: softmax → categoricalCrossentropy → mean',
        kernels: ['Softmax', 'ClipByValue', 'Log', 'Sum', 'Mean'],
        loss: (t, y, l) => t.mean(t.metrics.categoricalCrossentropy(y, t.softmax(l))) as tf.Scalar,
      },
    ];
    for (const variant of variants) {
      const { timings, notes } = await measurePeers(
        {
          kernels: variant.kernels,
          setup: (t) => {
            const tl = t.tensor2d(logits, [rows, cols]);
            const ty = t.tensor2d(targets, [rows, cols]);
            const valueAndGrad = t.valueAndGrad((l: tf.Tensor) => variant.loss(t, ty, l));
            return {
              run: () => {
                const { value, grad } = valueAndGrad(tl);
                return [value, grad];
              },
              dispose: () => t.dispose([tl, ty]),
            };
          },
          check: (values) => checkNote('dlogits', values, want.value.dlogits, 1e-5 / rows),
        },
        options,
        { ...label, kernel: `${kernel} vs ${variant.name}` },
      );
      out.push(kernelRow({ kernel, shape, ours, ref: reference, peers: timings, note: [`tfjs: ${variant.name}`, ...notes].join('; ') }));
    }
  }

  // plain softmax
  {
    const kernel = 'softmax_f32_forward';
    const label = { family: 'softmax-xent', kernel, shape };
    const want = timed(() => ref.softmax_f32_forward(logits, rows, cols));
    const fn = () => core.softmax_f32_forward(py, plogits, rows, cols);
    const ours: Timing = await guarded(`${kernel} ${shape}`, async () => {
      fn();
      check(`${kernel} ${shape}`, heap.f32(py, n), want.value, atol);
      return measure(fn, options, { ...label, impl: 'ours' });
    });
    const reference = await measure(() => ref.softmax_f32_forward(logits, rows, cols), options, { ...label, impl: 'ref' }, want.ms);
    const { timings, notes } = await measurePeers(
      {
        kernels: ['Softmax'],
        setup: (t) => {
          const tl = t.tensor2d(logits, [rows, cols]);
          return { run: () => t.softmax(tl), dispose: () => tl.dispose() };
        },
        check: (values) => checkNote('softmax', values, want.value, atol),
      },
      options,
      label,
    );
    out.push(kernelRow({ kernel, shape, ours, ref: reference, peers: timings, note: ['tfjs: tf.softmax', ...notes].join('; ') }));
  }
  return out;
}
