// maxpool2d benchmark: 2x2 stride-2 forward (writes argmax) and backward (scatter through argmax),
// NHWC, batch 64, ours against the f64 reference and tfjs in the same run. Memory-bound: GB/s is
// counted from what our kernels must move (forward: read input, write output and argmax;
// backward: read doutput and argmax, write dinput). Inputs seeded in [−1, 1) (no ties); results
// are checked exactly against test/reference/maxpool2d.ts before timing.
//
// What tfjs training calls (tfjs-core gradients/MaxPool_grad): forward MaxPool, backward
// MaxPoolGrad(dy, input, output), which searches each window again instead of keeping an argmax.
import type { CoreExports } from '../src/core/abi.js';
import { randomF32 } from '../test/helpers/random.js';
import * as ref from '../test/reference/maxpool2d.js';
import { check, checkNote, guarded, KERNEL_LEGEND, kernelRow, loadRelease, measure, timed, WasmHeap, type Timing } from './harness.js';
import type { BenchOptions, BenchRow } from './types.js';
import { measurePeers, runKernel } from './peers/tfjs.js';
import { maxPoolShapes } from './shapes.js';

export const legend = `${KERNEL_LEGEND} GB/s: bytes our kernel must move / time.`;

export async function run(options: BenchOptions): Promise<BenchRow[]> {
  const core = await loadRelease();
  const rows: BenchRow[] = [];
  for (const s of maxPoolShapes(options.quick)) rows.push(...(await benchShape(core, s, options)));
  return rows;
}

async function benchShape(core: CoreExports, s: ref.PoolShape, options: BenchOptions): Promise<BenchRow[]> {
  const heap = new WasmHeap(core);
  const { outHeight, outWidth } = ref.poolGeometry(s);
  const inLength = s.batch * s.height * s.width * s.channels;
  const outLength = s.batch * outHeight * outWidth * s.channels;
  const x = randomF32(inLength, 21);
  const dy = randomF32(outLength, 22);
  const px = heap.put(x);
  const pdy = heap.put(dy);
  const py = heap.nan(outLength);
  const pargmax = heap.alloc(outLength * 4);
  const pdx = heap.nan(inLength);
  const dims = [s.batch, s.height, s.width, s.channels, s.size, s.stride] as const;
  const shape = `${s.batch}x${s.height}x${s.width}x${s.channels} pool ${s.size}/${s.stride}`;
  const inShape = [s.batch, s.height, s.width, s.channels] as [number, number, number, number];
  const rows: BenchRow[] = [];

  // forward
  {
    const kernel = 'maxpool2d_f32_nhwc_forward';
    const label = { family: 'maxpool2d', kernel, shape };
    const want = timed(() => ref.maxpool2d_f32_nhwc_forward(x, s));
    const fn = () => core.maxpool2d_f32_nhwc_forward(py, pargmax, px, ...dims);
    const ours: Timing = await guarded(`${kernel} ${shape}`, async () => {
      fn();
      check(`${kernel} ${shape} output`, heap.f32(py, outLength), want.value.output, 0);
      check(`${kernel} ${shape} argmax`, heap.i32(pargmax, outLength), want.value.argmax, 0);
      return measure(fn, options, { ...label, impl: 'ours' });
    });
    const reference = await measure(() => ref.maxpool2d_f32_nhwc_forward(x, s), options, { ...label, impl: 'ref' }, want.ms);
    const { timings, notes } = await measurePeers(
      {
        kernels: ['MaxPool'],
        setup: (t) => {
          const tx = t.tensor4d(x, inShape);
          return { run: () => t.maxPool(tx, s.size, s.stride, 'valid'), dispose: () => tx.dispose() };
        },
        check: (values) => checkNote('output', values, want.value.output, 0),
      },
      options,
      label,
    );
    rows.push(
      kernelRow({
        kernel,
        shape,
        ours,
        ref: reference,
        peers: timings,
        bytes: 4 * inLength + 8 * outLength,
        note: ['tfjs: MaxPool (no argmax)', ...notes].join('; '),
      }),
    );
  }

  // backward
  {
    const kernel = 'maxpool2d_f32_nhwc_backward';
    const label = { family: 'maxpool2d', kernel, shape };
    const { argmax } = ref.maxpool2d_f32_nhwc_forward(x, s);
    const want = timed(() => ref.maxpool2d_f32_nhwc_backward(dy, argmax, s));
    const fn = () => core.maxpool2d_f32_nhwc_backward(pdx, pdy, pargmax, ...dims);
    const ours: Timing = await guarded(`${kernel} ${shape}`, async () => {
      heap.i32(pargmax, outLength).set(argmax);
      fn();
      check(`${kernel} ${shape}`, heap.f32(pdx, inLength), want.value, 0);
      return measure(fn, options, { ...label, impl: 'ours' });
    });
    const reference = await measure(() => ref.maxpool2d_f32_nhwc_backward(dy, argmax, s), options, { ...label, impl: 'ref' }, want.ms);
    const { timings, notes } = await measurePeers(
      {
        kernels: ['MaxPoolGrad'],
        setup: (t) => {
          const tx = t.tensor4d(x, inShape);
          const ty = t.maxPool(tx, s.size, s.stride, 'valid');
          const tdy = t.tensor4d(dy, [s.batch, outHeight, outWidth, s.channels]);
          const attrs = { filterSize: s.size, strides: s.stride, pad: 'valid' };
          return {
            run: () => runKernel('MaxPoolGrad', { dy: tdy, input: tx, output: ty }, attrs),
            dispose: () => t.dispose([tx, ty, tdy]),
          };
        },
        check: (values) => checkNote('dinput', values, want.value, 0),
      },
      options,
      label,
    );
    rows.push(
      kernelRow({
        kernel,
        shape,
        ours,
        ref: reference,
        peers: timings,
        bytes: 8 * outLength + 4 * inLength,
        note: ['tfjs: MaxPoolGrad (recomputes the window maxima)', ...notes].join('; '),
      }),
    );
  }
  return rows;
}
