// The reference and tfjs columns of the GEMM table (bench/gemm.bench.ts calls addPeerColumns).
//
// tfjs runs the three products of a dense layer the way its MatMul gradient does
// (tfjs-core gradients/BatchMatMul_grad): forward tf.matMul(X, W); dW = tf.matMul(X, dY,
// transposeA = true); dX = tf.matMul(dY, W, false, transposeB = true). Same seeded inputs as ours,
// checked once against the f64 reference. "new W": the weight operand is a new tensor every call
// (tf.tensor2d from the same Float32Array, created and disposed inside the timed call), as after
// every optimizer step: tfjs-wasm's XNNPACK operator cache is keyed by tensor, so it repacks the
// weights each time. The upload copy (k·n·4 bytes) is inside that figure.
import { gemm_f32 } from '../../test/reference/gemm.js';
import { randomF32 } from '../../test/helpers/random.js';
import { checkNote, gflops, measure, msCell, speedup, timed, type Timing } from '../harness.js';
import type { BenchOptions, BenchRow } from '../types.js';
import type { GemmShape } from '../shapes.js';
import { jaxGemm } from './jax.js';
import { measurePeers, type tf } from './tfjs.js';

export const GEMM_PEER_LEGEND =
  'ref: test/reference/gemm.ts (f64 loops). tfjs: tf.matMul with transposeA/transposeB as its MatMul gradient ' +
  'calls it, output read back with dataSync() inside each timed call; jax-js: np.matmul of the (transposed) operands under jit, read back each call; "new W": a new weight tensor each call ' +
  '(as after an optimizer step), which tfjs-wasm must repack. × peer: peer median / our median (above 1 = ours faster).';

/**
 * Adds ref / tfjs-wasm / tfjs-cpu columns to the rows of `shapes` (matched by kernel and shape),
 * with inputs seeded as in gemm.bench.ts (A seed 1, B seed 2).
 */
export async function addPeerColumns(rows: BenchRow[], shapes: GemmShape[], options: BenchOptions): Promise<void> {
  for (const shape of shapes) {
    const { variant, m, k, n } = shape;
    const kernel = `gemm_f32_${variant}`;
    const shapeText = `${m}x${k}x${n}`;
    const row = rows.find((r) => r.kernel === kernel && r.shape === shapeText);
    if (!row) continue;
    const ours: Timing = { median: Number(row['median ms']), mad: 0, p25: 0, p75: 0, samples: 0 };
    const flop = 2 * m * n * k;
    const a = randomF32(m * k, 1);
    const b = randomF32(k * n, 2);
    const label = { family: 'gemm', kernel, shape: shapeText };
    const want = timed(() => gemm_f32(variant, a, b, m, k, n));
    const reference = await measure(() => gemm_f32(variant, a, b, m, k, n), options, { ...label, impl: 'ref' }, want.ms);
    const aShape: [number, number] = variant === 'tn' ? [k, m] : [m, k];
    const bShape: [number, number] = variant === 'nt' ? [n, k] : [k, n];
    const transposeA = variant === 'tn';
    const transposeB = variant === 'nt';
    const tolerance = k * 2 ** -22;
    const check = (values: Float32Array) => checkNote('C', values, want.value, tolerance);
    const same = await measurePeers(
      {
        kernels: ['BatchMatMul'],
        setup: (t) => {
          const ta = t.tensor2d(a, aShape);
          const tb = t.tensor2d(b, bShape);
          return { run: () => t.matMul(ta, tb, transposeA, transposeB), dispose: () => t.dispose([ta, tb]) };
        },
        check,
      },
      options,
      label,
    );
    row['ref ms'] = msCell(reference);
    row['tfjs-wasm ms'] = msCell(same.timings['tfjs-wasm']);
    row['tfjs-wasm GFLOP/s'] = gflops(flop, same.timings['tfjs-wasm']);
    row['× tfjs-wasm'] = speedup(ours, same.timings['tfjs-wasm']);
    // jax-js (bench/peers/jax.ts): its wasm device, the product jit-compiled, read back each call.
    const jax = await jaxGemm(variant, a, b, m, k, n);
    const jaxNote = checkNote('C', jax(), want.value, tolerance);
    const jaxTiming = await measure(jax, options, { ...label, impl: 'jax-js' });
    row['jax-js GFLOP/s'] = gflops(flop, jaxTiming);
    row['× jax-js'] = jaxNote || speedup(ours, jaxTiming);
    // The weight is the B operand of the forward (nn) and of dX (nt); dW (tn) has no weight operand.
    if (variant !== 'tn' && (!options.quick || variant === 'nn')) {
      const fresh = await measurePeers(
        {
          kernels: ['BatchMatMul'],
          backends: ['wasm'], // tfjs-cpu keeps no per-tensor state: a new W costs it only the copy
          setup: (t: typeof tf) => {
            const ta = t.tensor2d(a, aShape);
            return { run: () => t.matMul(ta, t.tensor2d(b, bShape), transposeA, transposeB), dispose: () => ta.dispose() };
          },
          check,
        },
        options,
        { ...label, kernel: `${kernel} (new W each call)` },
      );
      row['tfjs-wasm new-W ms'] = msCell(fresh.timings['tfjs-wasm']);
      row['× tfjs-wasm new-W'] = speedup(ours, fresh.timings['tfjs-wasm']);
      same.notes.push(...fresh.notes.map((note) => `new W: ${note}`));
    }
    row['tfjs-cpu ms'] = msCell(same.timings['tfjs-cpu']);
    row['tfjs-cpu GFLOP/s'] = gflops(flop, same.timings['tfjs-cpu']);
    row['× tfjs-cpu'] = speedup(ours, same.timings['tfjs-cpu']);
    row['× ref'] = speedup(ours, reference);
    if (same.notes.length > 0) row.note = `${String(row.note)}; ${same.notes.join('; ')}`;
  }
}
