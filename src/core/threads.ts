/**
 * `core.kernels`: the raw exports with the heavy and the long elementwise kernels spread over the
 * core's threads. Same signatures as `CoreExports`, same results bit for bit:
 * - GEMM, conv2d, maxpool2d and batch norm run their `_part(..., part, parts)` form: each part writes a
 *   disjoint slice of the outputs with the one-thread summation order (assembly/ guarantees it).
 *   The calling thread runs its parts with the call's workspace, worker w with its own, reserved
 *   in the arena when the core is made (pool.ts: parts are claimed by whoever is free first).
 * - Elementwise kernels, optimizer steps, bias_add forward and the batch gathers are split here into
 *   contiguous ranges (of 16 elements, or whole rows), so every element takes the same code path
 *   as in one call: the SIMD body of 16, and the last range keeps the 4-wide and scalar tails.
 * - Everything else (reductions, softmax, argmax) passes through to the calling thread.
 * A call splits only when each part gets enough work to pay for a dispatch (bench/threads.bench.ts
 * measures one dispatch + join), so small batches stay on one thread. A kernel whose `_part` form
 * the build lacks stays on the calling thread.
 */
import type { CoreExports } from './abi.js';
import type { WorkerPool } from './pool.js';

/**
 * Fewest FLOPs per part of a split GEMM/conv: about 10-12 µs of work at 40-48 GFLOP/s. A dispatch
 * + join costs 0.2-0.5 µs when the workers spin (bench/threads.bench.ts); a sleeping worker takes
 * 50-180 µs to wake, but parts are claimed, so the caller runs whatever no worker took. The
 * paper's batch-15 dense layer (15x784x300, 7 MFLOP) splits in two; its 300x10 head does not.
 * At 1,000,000 (and 2,000,000 before) the mlp's 200→75 layer (1.9 MFLOP at batch 64) stayed on one
 * thread: split, its three GEMMs took 25 µs instead of 43 µs each on 2 threads, and a training step
 * of the mlp 14% less at batch 15 and 64 (4 rounds taking turns; bench/README.md, "Threads").
 */
const MIN_PART_FLOPS = 500_000;
/**
 * Fewest elements per part of a split elementwise kernel or optimizer step, counted as SGD steps'
 * elements (about 0.1 ns each here, so 3 µs); a kernel that spends more or less per element counts
 * each as more or less (RangeSpec.cost).
 */
const MIN_PART_ELEMENTS = 32_768;

/** @internal The split thresholds in force; the thread tests lower them to 1 to split every size. */
export const splitPolicy = { minPartFlops: MIN_PART_FLOPS, minPartElements: MIN_PART_ELEMENTS };
/** Workspace per worker: the GEMM's, plus one im2col chunk of the conv kernels (assembly/conv2d.ts: 512 KiB) with room to spare. */
export const CONV_CHUNK_RESERVE_BYTES = 1 << 20;

type Kernel = (...args: number[]) => number | void;

/** A kernel with a `_part` form. `workspace` is the index of its workspace argument, or -1. */
interface PartSpec {
  name: keyof CoreExports;
  workspace: number;
  /** Floating-point operations of the call (GEMM/conv) or elements touched (maxpool), from its args. */
  work(a: Float64Array): number;
  /** Whether `work` counts FLOPs or elements (which of splitPolicy's minima applies). */
  unit: 'flops' | 'elements';
  /** Workspace bytes a part needs, from its args. */
  workspaceBytes(a: Float64Array, exports: CoreExports): number;
}

/** A kernel split into ranges here: `count` is the index of the length argument, `strides` the pointer arguments and the bytes one unit moves each. */
interface RangeSpec {
  name: keyof CoreExports;
  count: number;
  strides: readonly (readonly [number, (a: Float64Array) => number])[];
  /** Units per range boundary: 16 elements (SIMD body), or 1 row. */
  granule: number;
  /** Elements per unit. */
  unitElements(a: Float64Array): number;
  /**
   * Time per element relative to an optimizer step's (SGD, 0.1 ns), measured on one thread in
   * training: sigmoid's exp and divide and the gathers' scattered u8 reads and conversion cost 7-9x
   * (0.6-0.8 ns); the augmented gather, scalar per pixel, more. Bias add and the activations' other
   * passes cost half, and read a GEMM's output whose column halves the two threads wrote: split at
   * 76,800 elements (mlp, batch 256) bias add took 9.8 µs on 2 threads against 3.8 µs on one.
   */
  cost: number;
}

const convOut = (size: number, kernel: number, padding: number) => (padding === 1 ? size : size - kernel + 1);
// conv2d args after output/input/filters/bias/workspace (forward) or dinput/doutput/filters/workspace (backward data):
// batch, height, width, inChannels, kernelHeight, kernelWidth, outChannels, padding.
const convFlops = (a: Float64Array, at: number) =>
  2 *
  a[at]! *
  convOut(a[at + 1]!, a[at + 4]!, a[at + 7]!) *
  convOut(a[at + 2]!, a[at + 5]!, a[at + 7]!) *
  a[at + 3]! *
  a[at + 4]! *
  a[at + 5]! *
  a[at + 6]!;
const convWorkspace = (a: Float64Array, at: number, exports: CoreExports) =>
  exports.conv2d_f32_workspace_bytes(a[at]!, a[at + 1]!, a[at + 2]!, a[at + 3]!, a[at + 4]!, a[at + 5]!, a[at + 6]!, a[at + 7]!);
const gemmFlops = (a: Float64Array) => 2 * a[4]! * a[5]! * a[6]!;
const gemmWorkspace = (_a: Float64Array, exports: CoreExports) => exports.gemm_f32_workspace_bytes();
const noWorkspace = () => 0;
// maxpool2d args after its 2 or 3 pointers: batch, height, width, channels.
const poolElements = (a: Float64Array, at: number) => a[at]! * a[at + 1]! * a[at + 2]! * a[at + 3]!;

const PART_KERNELS: readonly PartSpec[] = [
  { name: 'gemm_f32_nn', workspace: 3, work: gemmFlops, unit: 'flops', workspaceBytes: gemmWorkspace },
  { name: 'gemm_f32_tn', workspace: 3, work: gemmFlops, unit: 'flops', workspaceBytes: gemmWorkspace },
  { name: 'gemm_f32_nt', workspace: 3, work: gemmFlops, unit: 'flops', workspaceBytes: gemmWorkspace },
  { name: 'gemm_f32_tn_sgd', workspace: 3, work: gemmFlops, unit: 'flops', workspaceBytes: gemmWorkspace },
  // dense_f32_forward(y, x, w, bias, workspace, m, k, n, activation): gemm_f32_nn's blocks.
  { name: 'dense_f32_forward', workspace: 4, work: (a) => 2 * a[5]! * a[6]! * a[7]!, unit: 'flops', workspaceBytes: gemmWorkspace },
  {
    name: 'conv2d_f32_nhwc_forward',
    workspace: 4,
    work: (a) => convFlops(a, 5),
    unit: 'flops',
    workspaceBytes: (a, e) => convWorkspace(a, 5, e),
  },
  {
    name: 'conv2d_f32_nhwc_backward_data',
    workspace: 3,
    work: (a) => convFlops(a, 4),
    unit: 'flops',
    workspaceBytes: (a, e) => convWorkspace(a, 4, e),
  },
  {
    name: 'conv2d_f32_nhwc_backward_filter',
    workspace: 4,
    work: (a) => convFlops(a, 5),
    unit: 'flops',
    workspaceBytes: (a, e) => convWorkspace(a, 5, e),
  },
  { name: 'maxpool2d_f32_nhwc_forward', workspace: -1, work: (a) => poolElements(a, 3), unit: 'elements', workspaceBytes: noWorkspace },
  { name: 'maxpool2d_f32_nhwc_backward', workspace: -1, work: (a) => poolElements(a, 3), unit: 'elements', workspaceBytes: noWorkspace },
  // Batch norm splits by columns; its workspace holds per-column values, so every part shares the call's.
  { name: 'batchnorm_f32_forward_train', workspace: -1, work: (a) => a[9]! * a[10]!, unit: 'elements', workspaceBytes: noWorkspace },
  { name: 'batchnorm_f32_forward_inference', workspace: -1, work: (a) => a[7]! * a[8]!, unit: 'elements', workspaceBytes: noWorkspace },
  { name: 'batchnorm_f32_backward', workspace: -1, work: (a) => a[8]! * a[9]!, unit: 'elements', workspaceBytes: noWorkspace },
];

const F32 = () => 4;
const elementwise = (name: keyof CoreExports, pointers: number, count: number, cost = 1): RangeSpec => ({
  name,
  count,
  granule: 16,
  unitElements: () => 1,
  cost,
  strides: Array.from({ length: pointers }, (_, i) => [i, F32] as const),
});

const RANGE_KERNELS: readonly RangeSpec[] = [
  elementwise('sigmoid_f32_forward', 2, 2, 8),
  elementwise('sigmoid_f32_backward', 3, 3, 0.5),
  elementwise('relu_f32_forward', 2, 2, 0.5),
  elementwise('relu_f32_backward', 3, 3, 0.5),
  elementwise('sgd_f32_step', 2, 2),
  elementwise('momentum_f32_step', 3, 3),
  elementwise('adam_f32_step', 4, 4, 2),
  // bias_add_f32_forward(y, x, bias, rows, cols): whole rows.
  {
    name: 'bias_add_f32_forward',
    count: 3,
    granule: 1,
    unitElements: (a) => a[4]!,
    cost: 0.5,
    strides: [
      [0, (a) => 4 * a[4]!],
      [1, (a) => 4 * a[4]!],
    ],
  },
  // gather_batch_u8_f32(inputs, targets, images, labels, indices, batchSize, pixels, classes): whole rows.
  {
    name: 'gather_batch_u8_f32',
    count: 5,
    granule: 1,
    unitElements: (a) => a[6]!,
    cost: 8,
    strides: [
      [0, (a) => 4 * a[6]!],
      [1, (a) => 4 * a[7]!],
      [4, F32],
    ],
  },
  // gather_batch_augment_u8_f32(inputs, targets, images, labels, indices, batchSize, height, width, classes, maxShift, flip, seed):
  // whole rows; each image's shift and flip come from (seed, its index), not its position in the batch.
  {
    name: 'gather_batch_augment_u8_f32',
    count: 5,
    granule: 1,
    unitElements: (a) => a[6]! * a[7]!,
    cost: 16,
    strides: [
      [0, (a) => 4 * a[6]! * a[7]!],
      [1, (a) => 4 * a[8]!],
      [4, F32],
    ],
  },
];

/** Names of the kernels workers may run: the index is the protocol's kernel id. */
export const WORKER_KERNELS: readonly string[] = [
  ...PART_KERNELS.map((spec) => `${spec.name}_part`),
  ...RANGE_KERNELS.map((spec) => spec.name),
];

export interface ThreadContext {
  pool: WorkerPool;
  coreId: number;
  /** Threads, caller included. */
  threads: number;
  /** Byte address of worker 0's workspace; worker w's is at base + w · bytes. */
  workspaceBase: number;
  workspaceBytes: number;
}

/** A plain object of the exports (the wasm functions themselves, see `unwrapped`): what `core.kernels` is on one thread. */
export function kernelTable(exports: CoreExports): CoreExports {
  const raw = exports as unknown as Record<string, Kernel>;
  const table: Record<string, unknown> = {};
  for (const name of Object.keys(exports)) table[name] = typeof raw[name] === 'function' ? unwrapped(raw[name]) : raw[name];
  return table as unknown as CoreExports;
}

/**
 * Replaces the kernels above in `table` (from `kernelTable`) by forms that run on
 * `context.threads` threads. Kernels whose `_part` form the build lacks stay on the calling thread.
 */
export function spreadKernels(table: CoreExports, exports: CoreExports, context: ThreadContext): void {
  const { pool, coreId, threads, workspaceBase, workspaceBytes } = context;
  const raw = table as unknown as Record<string, Kernel>;
  const kernels = table as unknown as Record<string, unknown>;

  PART_KERNELS.forEach((spec, index) => {
    const part = raw[`${spec.name}_part`];
    const whole = raw[spec.name];
    if (part === undefined || whole === undefined) return;
    const argc = whole.length;
    const kernelName = spec.name;
    kernels[spec.name] = function (
      a0: number,
      a1: number,
      a2: number,
      a3: number,
      a4: number,
      a5: number,
      a6: number,
      a7: number,
      a8: number,
      a9: number,
      a10: number,
      a11: number,
      a12: number,
      a13: number,
    ): void {
      const s = pool.args;
      s[0] = a0;
      s[1] = a1;
      s[2] = a2;
      s[3] = a3;
      s[4] = a4;
      s[5] = a5;
      s[6] = a6;
      s[7] = a7;
      s[8] = a8;
      s[9] = a9;
      s[10] = a10;
      s[11] = a11;
      s[12] = a12;
      s[13] = a13;
      const minPart = spec.unit === 'flops' ? splitPolicy.minPartFlops : splitPolicy.minPartElements;
      let parts = Math.min(threads, Math.floor(spec.work(s) / minPart));
      if (parts > 1 && spec.workspace >= 0 && spec.workspaceBytes(s, exports) > workspaceBytes) parts = 1;
      if (parts <= 1) {
        whole(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13);
        return;
      }
      pool.run(coreId, index, part, kernelName, threads - 1, parts, 0, argc, spec.workspace, -1, 0, 0, workspaceBase, workspaceBytes);
    };
  });

  RANGE_KERNELS.forEach((spec, offset) => {
    const whole = raw[spec.name];
    if (whole === undefined) return;
    const index = PART_KERNELS.length + offset;
    const argc = whole.length;
    const kernelName = spec.name;
    kernels[spec.name] = function (
      a0: number,
      a1: number,
      a2: number,
      a3: number,
      a4: number,
      a5: number,
      a6: number,
      a7: number,
      a8: number,
      a9: number,
      a10: number,
      a11: number,
    ): void {
      const s = pool.args;
      s[0] = a0;
      s[1] = a1;
      s[2] = a2;
      s[3] = a3;
      s[4] = a4;
      s[5] = a5;
      s[6] = a6;
      s[7] = a7;
      s[8] = a8;
      s[9] = a9;
      s[10] = a10;
      s[11] = a11;
      const units = s[spec.count]!;
      const work = units * spec.unitElements(s) * spec.cost;
      let parts = Math.min(threads, Math.floor(work / splitPolicy.minPartElements));
      // Ranges of a whole number of granules; the last one keeps the remainder.
      const chunk = parts > 1 ? Math.ceil(units / parts / spec.granule) * spec.granule : units;
      if (parts > 1) parts = Math.ceil(units / chunk);
      if (parts <= 1) {
        whole(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11);
        return;
      }
      for (let i = 0; i < argc; i++) pool.setStride(i, 0);
      for (let i = 0; i < spec.strides.length; i++) {
        const stride = spec.strides[i]!;
        pool.setStride(stride[0], stride[1](s));
      }
      pool.run(coreId, index, whole, kernelName, threads - 1, parts, 1, argc, -1, spec.count, chunk, units, 0, 0);
    };
  });
}

/**
 * The wasm function itself: @assemblyscript/loader wraps each export in a rest-args function (one
 * array per call, and `length` 0); its `original` is the export, whose `length` is the wasm arity.
 */
function unwrapped(kernel: Kernel | undefined): Kernel | undefined {
  return (kernel as (Kernel & { original?: Kernel }) | undefined)?.original ?? kernel;
}
