// elementwise benchmark: sigmoid, ReLU and bias add, each forward and backward, at the first
// hidden layer's [128, 300] and at 1M elements (bandwidth), ours against the f64 reference and
// tfjs in the same run. Memory-bound: GB/s counts the bytes our kernel must move. Inputs seeded;
// checked against test/reference/elementwise.ts before timing (a few ulps: sigmoid is a
// polynomial exp and one division, bias add is exact, the bias gradient sums rows in f32).
//
// What tfjs training calls (tfjs-core gradients): sigmoid backward is Sigmoid_grad's
// mul(dy, mul(y, sub(1, y))) from the saved output (three kernels); ReLU backward is Relu_grad's
// mul(dy, cast(step(x), 'float32')); bias add forward is Add with broadcasting (tfjs-layers'
// biasAdd) and its gradient for the bias is sum(dy, 0).
import type { CoreExports } from '../src/core/abi.js';
import { randomF32 } from '../test/helpers/random.js';
import * as ref from '../test/reference/elementwise.js';
import { check, checkNote, guarded, KERNEL_LEGEND, kernelRow, loadRelease, measure, timed, WasmHeap, type Timing } from './harness.js';
import type { BenchOptions, BenchRow } from './types.js';
import { measurePeers, type tf } from './peers/tfjs.js';
import { elementwiseShapes } from './shapes.js';

export const legend = `${KERNEL_LEGEND} GB/s: bytes our kernel must move / time.`;

export async function run(options: BenchOptions): Promise<BenchRow[]> {
  const core = await loadRelease();
  const rows: BenchRow[] = [];
  for (const s of elementwiseShapes(options.quick)) rows.push(...(await benchShape(core, s.rows, s.cols, options)));
  return rows;
}

interface Case {
  kernel: string;
  ours: () => unknown;
  out: () => Float32Array;
  reference: () => ArrayLike<number>;
  atol: number;
  rtol: number;
  bytes: number;
  tfjs: string;
  kernels: string[];
  peer: (t: typeof tf) => { run: () => tf.TensorContainer; dispose?: () => void };
}

async function benchShape(core: CoreExports, rows: number, cols: number, options: BenchOptions): Promise<BenchRow[]> {
  const heap = new WasmHeap(core);
  const n = rows * cols;
  const x = randomF32(n, 41, -6, 6);
  const dy = randomF32(n, 42);
  const bias = randomF32(cols, 43);
  const ySigmoid = Float32Array.from(ref.sigmoid_f32_forward(x));
  const yRelu = Float32Array.from(ref.relu_f32_forward(x));
  const px = heap.put(x);
  const pdy = heap.put(dy);
  const pbias = heap.put(bias);
  const pys = heap.put(ySigmoid);
  const pyr = heap.put(yRelu);
  const pout = heap.nan(n);
  const pdbias = heap.nan(cols);
  const shape = `${rows}x${cols}`;
  const out = () => heap.f32(pout, n);
  const eps = 2 ** -23;

  const cases: Case[] = [
    {
      kernel: 'sigmoid_f32_forward',
      tfjs: 'tf.sigmoid',
      kernels: ['Sigmoid'],
      bytes: 8 * n,
      atol: 0,
      rtol: 4 * eps,
      ours: () => core.sigmoid_f32_forward(pout, px, n),
      out,
      reference: () => ref.sigmoid_f32_forward(x),
      peer: (t) => {
        const tx = t.tensor2d(x, [rows, cols]);
        return { run: () => t.sigmoid(tx), dispose: () => tx.dispose() };
      },
    },
    {
      kernel: 'sigmoid_f32_backward',
      tfjs: 'mul(dy, mul(y, sub(1, y)))',
      kernels: ['Multiply', 'Sub'],
      bytes: 12 * n,
      atol: eps,
      rtol: 4 * eps,
      ours: () => core.sigmoid_f32_backward(pout, pdy, pys, n),
      out,
      reference: () => ref.sigmoid_f32_backward(dy, ySigmoid),
      peer: (t) => {
        const tdy = t.tensor2d(dy, [rows, cols]);
        const ty = t.tensor2d(ySigmoid, [rows, cols]);
        return { run: () => t.mul(tdy, t.mul(ty, t.sub(t.scalar(1), ty))), dispose: () => t.dispose([tdy, ty]) };
      },
    },
    {
      kernel: 'relu_f32_forward',
      tfjs: 'tf.relu',
      kernels: ['Relu'],
      bytes: 8 * n,
      atol: 0,
      rtol: 0,
      ours: () => core.relu_f32_forward(pout, px, n),
      out,
      reference: () => ref.relu_f32_forward(x),
      peer: (t) => {
        const tx = t.tensor2d(x, [rows, cols]);
        return { run: () => t.relu(tx), dispose: () => tx.dispose() };
      },
    },
    {
      kernel: 'relu_f32_backward',
      tfjs: "mul(dy, cast(step(x), 'float32'))",
      kernels: ['Multiply', 'Step', 'Cast'],
      bytes: 12 * n,
      atol: 0,
      rtol: 0,
      ours: () => core.relu_f32_backward(pout, pdy, pyr, n),
      out,
      reference: () => ref.relu_f32_backward(dy, yRelu),
      peer: (t) => {
        const tdy = t.tensor2d(dy, [rows, cols]);
        const tx = t.tensor2d(x, [rows, cols]);
        return { run: () => t.mul(tdy, t.cast(t.step(tx), 'float32')), dispose: () => t.dispose([tdy, tx]) };
      },
    },
    {
      kernel: 'bias_add_f32_forward',
      tfjs: 'tf.add(x, bias) (broadcast)',
      kernels: ['Add'],
      bytes: 8 * n + 4 * cols,
      atol: 0,
      rtol: eps,
      ours: () => core.bias_add_f32_forward(pout, px, pbias, rows, cols),
      out,
      reference: () => ref.bias_add_f32_forward(x, bias, rows, cols),
      peer: (t) => {
        const tx = t.tensor2d(x, [rows, cols]);
        const tb = t.tensor1d(bias);
        return { run: () => t.add(tx, tb), dispose: () => t.dispose([tx, tb]) };
      },
    },
    {
      kernel: 'bias_add_f32_backward',
      tfjs: 'tf.sum(dy, 0)',
      kernels: ['Sum'],
      bytes: 4 * n + 4 * cols,
      atol: rows * eps,
      rtol: 0,
      ours: () => core.bias_add_f32_backward(pdbias, pdy, rows, cols, 0),
      out: () => heap.f32(pdbias, cols),
      reference: () => ref.bias_add_f32_backward(dy, rows, cols),
      peer: (t) => {
        const tdy = t.tensor2d(dy, [rows, cols]);
        return { run: () => t.sum(tdy, 0), dispose: () => tdy.dispose() };
      },
    },
  ];

  const result: BenchRow[] = [];
  for (const c of cases) {
    const label = { family: 'elementwise', kernel: c.kernel, shape };
    const want = timed(c.reference);
    const ours: Timing = await guarded(`${c.kernel} ${shape}`, async () => {
      c.ours();
      check(`${c.kernel} ${shape}`, c.out(), want.value, c.atol, c.rtol);
      return measure(c.ours, options, { ...label, impl: 'ours' });
    });
    const reference = await measure(c.reference, options, { ...label, impl: 'ref' }, want.ms);
    const { timings, notes } = await measurePeers(
      {
        kernels: c.kernels,
        setup: c.peer,
        check: (values) => checkNote('output', values, want.value, Math.max(c.atol, 1e-6), Math.max(c.rtol, 1e-6)),
      },
      options,
      label,
    );
    result.push(
      kernelRow({
        kernel: c.kernel,
        shape,
        ours,
        ref: reference,
        peers: timings,
        bytes: c.bytes,
        note: [`tfjs: ${c.tfjs}`, ...notes].join('; '),
      }),
    );
  }
  return result;
}
