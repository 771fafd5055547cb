// conv2d benchmark: forward, backward-data, backward-filter at the paper's first layer (and a
// deeper 'same' layer), ours against the f64 reference and tfjs in the same run.
// FLOPs per call: 2·batch·outH·outW·kh·kw·cin·cout for each of the three (every pass is one
// such product). Inputs seeded in [−1, 1); each result is checked once against
// test/reference/conv2d.ts within terms·2⁻²² (terms = length of each dot product), then timed.
//
// What tfjs training calls (tfjs-core gradients/Conv2D_grad): forward Conv2D (FusedConv2D in
// layers, same XNNPACK path), dX = Conv2DBackpropInput, dW = Conv2DBackpropFilter; both are run
// here through engine().runKernel with the attributes the gradient passes. tfjs-wasm has no
// Conv2DBackpropFilter kernel. Ours: the filter gradient is timed without the bias gradient
// (dbias = 0), as tfjs' kernel does not compute it either.
// When the runtime has relaxed SIMD, build/release-relaxed.wasm (FMA in the direct kernels and the
// GEMM) is timed too, on its own copy of the inputs, checked the same way: "relaxed ms", "× strict".
import { Padding, type CoreExports } from '../src/core/abi.js';
import { randomF32 } from '../test/helpers/random.js';
import * as ref from '../test/reference/conv2d.js';
import {
  check,
  checkNote,
  guarded,
  KERNEL_LEGEND,
  kernelRow,
  loadRelease,
  measure,
  msCell,
  speedup,
  timed,
  WasmHeap,
  type KernelResult,
  type Timing,
} from './harness.js';
import type { BenchOptions, BenchRow } from './types.js';
import { measurePeers, runKernel, type tf } from './peers/tfjs.js';
import { conv2dShapes, type Conv2dBenchShape } from './shapes.js';
import { loadRelaxed } from './relaxed.js';

export const legend = KERNEL_LEGEND;

type Pass = 'forward' | 'backward_data' | 'backward_filter';
const PASSES: readonly Pass[] = ['forward', 'backward_data', 'backward_filter'];
const TF_KERNEL: Record<Pass, string> = {
  forward: 'Conv2D',
  backward_data: 'Conv2DBackpropInput',
  backward_filter: 'Conv2DBackpropFilter',
};

function shapeText(s: Conv2dBenchShape): string {
  return `${s.batch}x${s.height}x${s.width}x${s.inChannels} → ${s.outChannels} ${s.kernelHeight}x${s.kernelWidth} ${s.padding === Padding.Same ? 'same' : 'valid'}`;
}

export async function run(options: BenchOptions): Promise<BenchRow[]> {
  const core = await loadRelease();
  const relaxed = await loadRelaxed();
  const rows: BenchRow[] = [];
  for (const s of conv2dShapes(options.quick)) {
    rows.push(...(await benchShape(core, s, options, typeof relaxed === 'string' ? null : relaxed)));
  }
  if (typeof relaxed === 'string') rows.push({ kernel: 'release-relaxed.wasm', note: relaxed });
  return rows;
}

/** The three passes of one core on its own buffers (inputs x, w, dy), each with its output. */
function oursPasses(core: CoreExports, s: Conv2dBenchShape, x: Float32Array, w: Float32Array, dy: Float32Array) {
  const heap = new WasmHeap(core);
  const { outHeight, outWidth } = ref.convGeometry(s);
  const inputLength = s.batch * s.height * s.width * s.inChannels;
  const filterLength = s.kernelHeight * s.kernelWidth * s.inChannels * s.outChannels;
  const outputLength = s.batch * outHeight * outWidth * s.outChannels;
  const px = heap.put(x);
  const pw = heap.put(w);
  const pdy = heap.put(dy);
  const py = heap.nan(outputLength);
  const pdx = heap.nan(inputLength);
  const pdw = heap.nan(filterLength);
  const workspace = heap.alloc(
    core.conv2d_f32_workspace_bytes(s.batch, s.height, s.width, s.inChannels, s.kernelHeight, s.kernelWidth, s.outChannels, s.padding),
  );
  const dims = [s.batch, s.height, s.width, s.inChannels, s.kernelHeight, s.kernelWidth, s.outChannels, s.padding] as const;
  const passes: Record<Pass, { ours: () => void; out: () => Float32Array }> = {
    forward: {
      ours: () => core.conv2d_f32_nhwc_forward(py, px, pw, 0, workspace, ...dims),
      out: () => heap.f32(py, outputLength),
    },
    backward_data: {
      ours: () => core.conv2d_f32_nhwc_backward_data(pdx, pdy, pw, workspace, ...dims),
      out: () => heap.f32(pdx, inputLength),
    },
    backward_filter: {
      ours: () => core.conv2d_f32_nhwc_backward_filter(pdw, 0, px, pdy, workspace, ...dims, 0),
      out: () => heap.f32(pdw, filterLength),
    },
  };
  return passes;
}

async function benchShape(core: CoreExports, s: Conv2dBenchShape, options: BenchOptions, relaxed: CoreExports | null): Promise<BenchRow[]> {
  const geometry = ref.convGeometry(s);
  const { outHeight, outWidth } = geometry;
  const inputLength = s.batch * s.height * s.width * s.inChannels;
  const filterLength = s.kernelHeight * s.kernelWidth * s.inChannels * s.outChannels;
  const outputLength = s.batch * outHeight * outWidth * s.outChannels;
  const x = randomF32(inputLength, 11);
  const w = randomF32(filterLength, 12);
  const dy = randomF32(outputLength, 13);
  const strict = oursPasses(core, s, x, w, dy);
  const fused = relaxed ? oursPasses(relaxed, s, x, w, dy) : null;
  const flop = 2 * s.batch * outHeight * outWidth * s.kernelHeight * s.kernelWidth * s.inChannels * s.outChannels;
  const shape = shapeText(s);
  const pad = s.padding === Padding.Same ? 'same' : 'valid';
  const K = s.kernelHeight * s.kernelWidth * s.inChannels;

  const passes: Record<
    Pass,
    {
      ours: () => void;
      out: () => Float32Array;
      reference: () => ArrayLike<number>;
      terms: number;
      peer: (t: typeof tf) => { run: () => tf.TensorContainer };
    }
  > = {
    forward: {
      ...strict.forward,
      reference: () => ref.conv2d_f32_nhwc_forward(x, w, null, s),
      terms: K,
      peer: (t) => {
        const tx = t.tensor4d(x, [s.batch, s.height, s.width, s.inChannels]);
        const tw = t.tensor4d(w, [s.kernelHeight, s.kernelWidth, s.inChannels, s.outChannels]);
        return { run: () => t.conv2d(tx, tw, 1, pad), dispose: () => t.dispose([tx, tw]) };
      },
    },
    backward_data: {
      ...strict.backward_data,
      reference: () => ref.conv2d_f32_nhwc_backward_data(dy, w, s),
      terms: s.kernelHeight * s.kernelWidth * s.outChannels,
      peer: (t) => {
        const tdy = t.tensor4d(dy, [s.batch, outHeight, outWidth, s.outChannels]);
        const tw = t.tensor4d(w, [s.kernelHeight, s.kernelWidth, s.inChannels, s.outChannels]);
        const attrs = { strides: 1, pad, dataFormat: 'NHWC', inputShape: [s.batch, s.height, s.width, s.inChannels] };
        return { run: () => runKernel(TF_KERNEL.backward_data, { dy: tdy, filter: tw }, attrs), dispose: () => t.dispose([tdy, tw]) };
      },
    },
    backward_filter: {
      ...strict.backward_filter,
      reference: () => ref.conv2d_f32_nhwc_backward_filter(x, dy, s).dfilters,
      terms: s.batch * outHeight * outWidth,
      peer: (t) => {
        const tx = t.tensor4d(x, [s.batch, s.height, s.width, s.inChannels]);
        const tdy = t.tensor4d(dy, [s.batch, outHeight, outWidth, s.outChannels]);
        const attrs = { strides: 1, pad, dataFormat: 'NHWC', filterShape: [s.kernelHeight, s.kernelWidth, s.inChannels, s.outChannels] };
        return { run: () => runKernel(TF_KERNEL.backward_filter, { x: tx, dy: tdy }, attrs), dispose: () => t.dispose([tx, tdy]) };
      },
    },
  };

  const rows: BenchRow[] = [];
  for (const pass of PASSES) {
    const p = passes[pass];
    const kernel = `conv2d_f32_nhwc_${pass}`;
    const label = { family: 'conv2d', kernel, shape };
    const tolerance = p.terms * 2 ** -22;
    const want = timed(p.reference);
    const ours: Timing = await guarded(`${kernel} ${shape}`, async () => {
      p.ours();
      check(`${kernel} ${shape}`, p.out(), want.value, tolerance);
      return measure(p.ours, options, { ...label, impl: 'ours' });
    });
    const reference = await measure(p.reference, options, { ...label, impl: 'ref' }, want.ms);
    const { timings, notes } = await measurePeers(
      {
        kernels: [TF_KERNEL[pass]],
        setup: p.peer,
        check: (values) => checkNote('output', values, want.value, tolerance),
      },
      options,
      label,
    );
    const noteParts = [`tfjs: ${TF_KERNEL[pass]}`, ...notes];
    if (pass === 'backward_data' && s.inChannels === 1) noteParts.push('not run in training (first layer: no dX)');
    const result: KernelResult = { kernel, shape, ours, ref: reference, peers: timings, flop, note: noteParts.join('; ') };
    const row = kernelRow(result);
    if (fused) {
      const f = fused[pass];
      const relaxedTime: Timing = await guarded(`${kernel} ${shape} (relaxed)`, async () => {
        f.ours();
        check(`${kernel} ${shape} (relaxed)`, f.out(), want.value, tolerance);
        return measure(f.ours, options, { ...label, impl: 'ours-relaxed' });
      });
      row['relaxed ms'] = msCell(relaxedTime);
      row['× strict'] = speedup(relaxedTime, ours);
    }
    rows.push(row);
  }
  return rows;
}
