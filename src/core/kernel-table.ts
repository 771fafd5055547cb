/**
 * The kernel table: every kernel of the wasm ABI that `core.kernels` serves, with its arguments by
 * name and kind, and how it splits over threads. One description, from which the rest is derived:
 * - the argument checks of `core.kernels`: a pointer, size or flag that is not an integer in range
 *   is an `ArgumentError` naming the kernel and the argument, before anything runs or is dispatched
 *   (an undefined size once made a 2-thread call wait forever for parts that never ended);
 * - the split of threads.ts: which `_part` form runs, how much work a call is, which pointers a
 *   range moves and by how many bytes;
 * - the kernel names the workers index by (`WORKER_KERNELS`, the protocol's kernel ids);
 * - its agreement with abi.ts's typed mirror: each entry's arity is checked against `CoreExports`
 *   at compile time (`satisfies` below), its argument names against abi.ts by
 *   test/core/kernel-table.test.ts, and the wasm exports against the table by the same test.
 *
 * Splits (assembly/parts.ts has the contract; every form is bit-identical to the unsplit call):
 * - `parts`: the kernel's `_part(..., part, parts)` export; each part writes a disjoint slice with
 *   the one-thread summation order. A `workspace` argument is per thread: parts run at once each
 *   need their own, of the whole call's size.
 * - `ranges`: contiguous ranges of the `count` argument cut here (of 16 elements, the SIMD body,
 *   or whole rows), each moved pointer advanced by the range's first unit; every element takes
 *   the same code path as in one call (the last range keeps the 4-wide and scalar tails).
 * - none: the kernel runs on the calling thread (reductions, softmax, queries).
 */
import type { CoreExports } from './abi.js';

/**
 * - ptr: a byte address (0 where the kernel documents "0 = none");
 * - workspace: a byte address of scratch that each thread running a part needs of its own;
 * - size: an element count or dimension (wasm i32), at least `min` (1 unless the kernel says otherwise);
 * - flag: one of `values`;
 * - value: any number, passed as is (rates, seeds).
 */
export type ArgKind = 'ptr' | 'workspace' | 'size' | 'flag' | 'value';

export interface Arg<N extends string = string> {
  readonly name: N;
  readonly kind: ArgKind;
  /** The values a flag takes. */
  readonly values?: readonly number[];
  /** The smallest value a size takes. */
  readonly min?: number;
}

type Named<N extends readonly string[]> = { readonly [I in keyof N]: Arg<N[I]> };
const ptr = <const N extends string>(name: N): Arg<N> => ({ name, kind: 'ptr' });
const workspace = <const N extends string>(name: N): Arg<N> => ({ name, kind: 'workspace' });
const size = <const N extends string>(name: N, min = 1): Arg<N> => ({ name, kind: 'size', min });
const value = <const N extends string>(name: N): Arg<N> => ({ name, kind: 'value' });
const flag = <const N extends string>(name: N, ...values: number[]): Arg<N> => ({ name, kind: 'flag', values });
const ptrs = <const N extends readonly string[]>(...names: N) => names.map(ptr) as unknown as Named<N>;
const sizes = <const N extends readonly string[]>(...names: N) => names.map((name) => size(name)) as unknown as Named<N>;
const values = <const N extends readonly string[]>(...names: N) => names.map(value) as unknown as Named<N>;

/** A call's args by position (what the thread layer keeps of a call: no allocation per call). */
export type Args = Float64Array;
/** Positions of a kernel's args by name: split functions name what they read, and read by position. */
export type At<N extends string> = Readonly<Record<N, number>>;

export interface PartsSplit<N extends string = string> {
  readonly by: 'parts';
  /** Whether `work` counts FLOPs or elements touched (which minimum of the split policy applies). */
  readonly unit: 'flops' | 'elements';
  readonly work: (at: At<N>) => (a: Args) => number;
  /** Workspace bytes a part needs (kernels with a per-thread `workspace` arg). */
  readonly workspaceBytes?: (at: At<N>) => (a: Args, exports: CoreExports) => number;
}

export interface RangesSplit<N extends string = string> {
  readonly by: 'ranges';
  /** The length argument: ranges of it are cut. */
  readonly count: N;
  /** Units per range boundary: 16 elements (the SIMD body), or 1 row. */
  readonly granule: 16 | 1;
  /** Elements per unit: the product of these sizes (none: 1). */
  readonly unitElements: readonly N[];
  /**
   * Time per element relative to an optimizer step's (SGD, 0.1 ns), measured on one thread in
   * training: sigmoid's exp and divide and the gathers' scattered u8 reads and conversion cost 7-9x
   * (0.6-0.8 ns); the augmented gather, scalar per pixel, more. Bias add and the activations' other
   * passes cost half, and read a GEMM's output whose column halves the two threads wrote: split at
   * 76,800 elements (mlp, batch 256) bias add took 9.8 µs on 2 threads against 3.8 µs on one.
   */
  readonly cost: number;
  /** The pointers a range moves: each by 4 bytes (f32, i32) times the product of the sizes named. */
  readonly moves: Readonly<Partial<Record<N, readonly N[]>>>;
}

export interface KernelSpec<A extends readonly Arg[] = readonly Arg[]> {
  readonly args: A;
  readonly split?: PartsSplit<A[number]['name']> | RangesSplit<A[number]['name']>;
}

function kernel<const A extends readonly Arg[]>(args: A, split?: NoInfer<KernelSpec<A>['split']>): KernelSpec<A> {
  return split === undefined ? { args } : { args, split };
}

const GEMM = [...ptrs('c', 'a', 'b'), workspace('workspace'), ...sizes('m', 'k', 'n'), flag('accumulate', 0, 1)] as const;
const gemmFlops = (at: At<'m' | 'k' | 'n'>) => (a: Args) => 2 * a[at.m]! * a[at.k]! * a[at.n]!;
const gemmWorkspace = () => (_a: Args, exports: CoreExports) => exports.gemm_f32_workspace_bytes();
const GEMM_SPLIT: PartsSplit<'m' | 'k' | 'n'> = { by: 'parts', unit: 'flops', work: gemmFlops, workspaceBytes: gemmWorkspace };

const CONV_SHAPE = [
  ...sizes('batch', 'height', 'width', 'inChannels', 'kernelHeight', 'kernelWidth', 'outChannels'),
  flag('padding', 0, 1),
] as const;
type ConvShape = (typeof CONV_SHAPE)[number]['name'];
const convOut = (size: number, kernel: number, padding: number) => (padding === 1 ? size : size - kernel + 1);
const CONV_SPLIT: PartsSplit<ConvShape> = {
  by: 'parts',
  unit: 'flops',
  work: (at) => (a) =>
    2 *
    a[at.batch]! *
    convOut(a[at.height]!, a[at.kernelHeight]!, a[at.padding]!) *
    convOut(a[at.width]!, a[at.kernelWidth]!, a[at.padding]!) *
    a[at.inChannels]! *
    a[at.kernelHeight]! *
    a[at.kernelWidth]! *
    a[at.outChannels]!,
  workspaceBytes: (at) => (a, exports) =>
    exports.conv2d_f32_workspace_bytes(
      a[at.batch]!,
      a[at.height]!,
      a[at.width]!,
      a[at.inChannels]!,
      a[at.kernelHeight]!,
      a[at.kernelWidth]!,
      a[at.outChannels]!,
      a[at.padding]!,
    ),
};

const POOL_SHAPE = sizes('batch', 'height', 'width', 'channels', 'size', 'stride');
const POOL_SPLIT: PartsSplit<'batch' | 'height' | 'width' | 'channels'> = {
  by: 'parts',
  unit: 'elements',
  work: (at) => (a) => a[at.batch]! * a[at.height]! * a[at.width]! * a[at.channels]!,
};
// Batch norm splits by columns; its workspace holds per-column values, so every part shares the call's.
const COLUMNS_SPLIT: PartsSplit<'rows' | 'cols'> = { by: 'parts', unit: 'elements', work: (at) => (a) => a[at.rows]! * a[at.cols]! };

/** Elementwise kernels: ranges of 16 elements of `count`, every pointer moved. */
function elementwise<const P extends readonly string[]>(pointers: P, cost = 1) {
  const moves = Object.fromEntries(pointers.map((name) => [name, []])) as unknown as Record<P[number], readonly never[]>;
  return kernel([...ptrs(...pointers), size('count')], { by: 'ranges', count: 'count', granule: 16, unitElements: [], cost, moves });
}

export const KERNELS = {
  gemm_f32_nn: kernel(GEMM, GEMM_SPLIT),
  gemm_f32_tn: kernel(GEMM, GEMM_SPLIT),
  gemm_f32_nt: kernel(GEMM, GEMM_SPLIT),
  gemm_f32_tn_sgd: kernel([...ptrs('w', 'a', 'b'), workspace('workspace'), ...sizes('m', 'k', 'n'), value('rate')], GEMM_SPLIT),
  // gemm_f32_nn's blocks of y, each finished by the bias and activation.
  dense_f32_forward: kernel(
    [...ptrs('y', 'x', 'w', 'bias'), workspace('workspace'), ...sizes('m', 'k', 'n'), flag('activation', 0, 1, 2)],
    GEMM_SPLIT,
  ),
  conv2d_f32_nhwc_forward: kernel([...ptrs('output', 'input', 'filters', 'bias'), workspace('workspace'), ...CONV_SHAPE], CONV_SPLIT),
  conv2d_f32_nhwc_backward_data: kernel([...ptrs('dinput', 'doutput', 'filters'), workspace('workspace'), ...CONV_SHAPE], CONV_SPLIT),
  conv2d_f32_nhwc_backward_filter: kernel(
    [...ptrs('dfilters', 'dbias', 'input', 'doutput'), workspace('workspace'), ...CONV_SHAPE, flag('accumulate', 0, 1)],
    CONV_SPLIT,
  ),
  maxpool2d_f32_nhwc_forward: kernel([...ptrs('output', 'argmax', 'input'), ...POOL_SHAPE], POOL_SPLIT),
  maxpool2d_f32_nhwc_backward: kernel([...ptrs('dinput', 'doutput', 'argmax'), ...POOL_SHAPE], POOL_SPLIT),
  batchnorm_f32_forward_train: kernel(
    [
      ...ptrs('y', 'mean', 'invstd', 'movingMean', 'movingVar', 'x', 'gamma', 'beta', 'workspace'),
      ...sizes('rows', 'cols'),
      ...values('momentum', 'epsilon'),
    ],
    COLUMNS_SPLIT,
  ),
  batchnorm_f32_forward_inference: kernel(
    [...ptrs('y', 'x', 'movingMean', 'movingVar', 'gamma', 'beta', 'workspace'), ...sizes('rows', 'cols'), value('epsilon')],
    COLUMNS_SPLIT,
  ),
  batchnorm_f32_backward: kernel(
    [...ptrs('dx', 'dgamma', 'dbeta', 'dy', 'x', 'mean', 'invstd', 'gamma'), ...sizes('rows', 'cols')],
    COLUMNS_SPLIT,
  ),

  sigmoid_f32_forward: elementwise(['y', 'x'], 8),
  sigmoid_f32_backward: elementwise(['dx', 'dy', 'y'], 0.5),
  relu_f32_forward: elementwise(['y', 'x'], 0.5),
  relu_f32_backward: elementwise(['dx', 'dy', 'y'], 0.5),
  sgd_f32_step: kernel([...ptrs('params', 'grads'), size('count'), value('learningRate')], {
    by: 'ranges',
    count: 'count',
    granule: 16,
    unitElements: [],
    cost: 1,
    moves: { params: [], grads: [] },
  }),
  momentum_f32_step: kernel([...ptrs('params', 'velocity', 'grads'), size('count'), value('learningRate'), value('momentum')], {
    by: 'ranges',
    count: 'count',
    granule: 16,
    unitElements: [],
    cost: 1,
    moves: { params: [], velocity: [], grads: [] },
  }),
  adam_f32_step: kernel(
    [...ptrs('params', 'm', 'v', 'grads'), size('count'), ...values('learningRate', 'beta1', 'beta2', 'epsilon', 'step')],
    { by: 'ranges', count: 'count', granule: 16, unitElements: [], cost: 2, moves: { params: [], m: [], v: [], grads: [] } },
  ),
  bias_add_f32_forward: kernel([...ptrs('y', 'x', 'bias'), ...sizes('rows', 'cols')], {
    by: 'ranges',
    count: 'rows',
    granule: 1,
    unitElements: ['cols'],
    cost: 0.5,
    moves: { y: ['cols'], x: ['cols'] },
  }),
  // Whole rows; each image's shift and flip come from (seed, its index), not its position in the batch.
  gather_batch_u8_f32: kernel([...ptrs('inputs', 'targets', 'images', 'labels', 'indices'), ...sizes('batchSize', 'pixels', 'classes')], {
    by: 'ranges',
    count: 'batchSize',
    granule: 1,
    unitElements: ['pixels'],
    cost: 8,
    moves: { inputs: ['pixels'], targets: ['classes'], indices: [] },
  }),
  gather_batch_augment_u8_f32: kernel(
    [
      ...ptrs('inputs', 'targets', 'images', 'labels', 'indices'),
      ...sizes('batchSize', 'height', 'width', 'classes'),
      size('maxShift', 0),
      value('flip'),
      value('seed'),
    ],
    {
      by: 'ranges',
      count: 'batchSize',
      granule: 1,
      unitElements: ['height', 'width'],
      cost: 16,
      moves: { inputs: ['height', 'width'], targets: ['classes'], indices: [] },
    },
  ),

  bias_add_f32_backward: kernel([...ptrs('dbias', 'dy'), ...sizes('rows', 'cols'), flag('accumulate', 0, 1)]),
  softmax_f32_forward: kernel([...ptrs('y', 'x'), ...sizes('rows', 'cols')]),
  softmax_xent_f32_fused: kernel([...ptrs('dlogits', 'logits', 'targets'), ...sizes('rows', 'cols'), flag('reduction', 0, 1)]),
  argmax_f32_rows: kernel([...ptrs('out', 'x'), ...sizes('rows', 'cols')]),
  dropout_f32_forward: kernel([...ptrs('y', 'mask', 'x'), size('count'), value('rate'), value('seed')]),
  dropout_f32_backward: kernel([...ptrs('dx', 'dy', 'mask'), size('count')]),
  conv2d_f32_workspace_bytes: kernel(CONV_SHAPE),
  batchnorm_f32_workspace_bytes: kernel([size('cols')]),
} satisfies { readonly [K in keyof CoreExports]?: { readonly args: { readonly length: Arity<CoreExports[K]> } } };

type Arity<F> = F extends (...args: infer P) => unknown ? P['length'] : never;

export type KernelName = keyof typeof KERNELS;
