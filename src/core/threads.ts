/**
 * `core.kernels`: the raw exports, each kernel of the table (kernel-table.ts) checked before it
 * runs, and on a core of several threads the kernels that split spread over them, bit for bit the
 * results of one thread:
 * - `parts` kernels (GEMM, conv2d, maxpool2d, batch norm) run their `_part(..., part, parts)` form;
 *   the calling thread runs its parts with the call's workspace, worker w with its own, reserved in
 *   the arena when the core is made (parts are claimed by whoever is free first: board.ts).
 * - `ranges` kernels (elementwise, optimizer steps, bias_add forward, the batch gathers) are cut
 *   here into contiguous ranges of 16 elements or whole rows.
 * - Everything else runs on the calling thread.
 * A call splits only when each part gets enough work to pay for a dispatch (bench/threads.bench.ts
 * measures one dispatch + join), so small batches stay on one thread. A kernel whose `_part` form
 * the build lacks stays on the calling thread.
 */
import { ArgumentError, describeValue } from '../errors.js';
import type { CoreExports } from './abi.js';
import { type Arg, type Args, type At, KERNELS, type KernelSpec, type PartsSplit, type RangesSplit } from './kernel-table.js';
import type { Arena } from './arena.js';
import type { KernelSet } from './load.js';
import { type Kernel, MAX_ARGS, quietWorkers, type Task, type WorkerPool, workerPool } from './pool.js';

/**
 * Fewest FLOPs per part of a split GEMM/conv: about 10-12 µs of work at 40-48 GFLOP/s. A dispatch
 * + join costs 0.2-0.5 µs when the workers spin; a sleeping worker takes 50-180 µs to wake, but
 * parts are claimed, so the caller runs whatever no worker took. The paper's batch-15 dense layer
 * (15x784x300, 7 MFLOP) splits in two; its 300x10 head does not; the mlp's 200→75 layer (1.9
 * MFLOP at batch 64) does, which made its three GEMMs 43 → 25 µs on 2 threads and a training step
 * 14% shorter (at 1 MFLOP per part it stayed on one thread).
 */
const MIN_PART_FLOPS = 500_000;
/**
 * Fewest elements per part of a split elementwise kernel or optimizer step, counted as SGD steps'
 * elements (about 0.1 ns each here, so 3 µs); a kernel that spends more or less per element counts
 * each as more or less (RangesSplit.cost).
 */
const MIN_PART_ELEMENTS = 32_768;

/** @internal The split thresholds in force; the thread tests lower them to 1 to split every size. */
export const splitPolicy = { minPartFlops: MIN_PART_FLOPS, minPartElements: MIN_PART_ELEMENTS };
/** Workspace per worker: the GEMM's, plus one im2col chunk of the conv kernels (assembly/conv2d.ts: 512 KiB) with room to spare. */
export const CONV_CHUNK_RESERVE_BYTES = 1 << 20;

type Name = keyof typeof KERNELS;
const SPECS = KERNELS as Readonly<Record<Name, KernelSpec>>;
const NAMES = Object.keys(KERNELS) as Name[];
const SPLIT_NAMES = NAMES.filter((name) => SPECS[name].split !== undefined);

/** Names of the kernels workers may run (the `_part` form, or the kernel for ranges): the index is the protocol's kernel id. */
export const WORKER_KERNELS: readonly string[] = SPLIT_NAMES.map((name) => (SPECS[name].split!.by === 'parts' ? `${name}_part` : name));

export interface ThreadContext {
  pool: WorkerPool;
  coreId: number;
  /** Threads, caller included. */
  threads: number;
  /** Byte address of worker 0's workspace; worker w's is at base + w · bytes. */
  workspaceBase: number;
  workspaceBytes: number;
}

/**
 * Attaches a core of `threads` threads to this thread's worker pool: reserves the workers'
 * workspaces at the bottom of the arena (before any plan, so they never move), and gives
 * `threads − 1` workers an instance of `module` on `memory`.
 */
export async function attachThreads(
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
  arena: Arena,
  threads: number,
): Promise<ThreadContext> {
  // Per worker: the GEMM's workspace and one conv chunk.
  const workspaceBytes = Math.ceil(arena.exports.gemm_f32_workspace_bytes() / 16) * 16 + CONV_CHUNK_RESERVE_BYTES;
  const workspaces = arena.reserve('threads/workspace', [(threads - 1) * workspaceBytes], 'u8');
  const pool = workerPool();
  const coreId = await pool.attach(module, memory, threads - 1, WORKER_KERNELS);
  return { pool, coreId, threads, workspaceBase: workspaces.byteOffset, workspaceBytes };
}

/**
 * The kernels of a core: every export, the table's kernels checked and, given `context` (a core of
 * several threads attached to the pool), split over its threads. Kernels outside the table are the
 * wasm functions themselves. A table kernel the build lacks (the inference build has no training
 * kernels) becomes a function that says so, rather than "not a function" halfway through a step;
 * `kernelSet` tells which build it was.
 */
export function coreKernels(exports: CoreExports, context?: ThreadContext): { kernels: CoreExports; kernelSet: KernelSet } {
  const raw = exports as unknown as Record<string, unknown>;
  const table: Record<string, unknown> = {};
  for (const name of Object.keys(exports)) {
    const fn = raw[name];
    if (typeof fn !== 'function') table[name] = fn;
    else if (name in KERNELS) table[name] = kernelFunction(name as Name, exports, context);
    else table[name] = fn as Kernel;
  }
  const missing = Object.keys(KERNELS).filter((name) => !(name in raw));
  for (const name of missing) table[name] = missingKernel(name);
  return { kernels: table as unknown as CoreExports, kernelSet: missing.length === 0 ? 'all' : 'inference' };
}

function missingKernel(name: string): Kernel {
  return () => {
    throw new ArgumentError(
      'kernels',
      `this core was loaded with kernels: 'inference' (forward passes only) and has no ${name}: load a core with the default kernels to train or evaluate`,
    );
  };
}

/** Decides a call's parts (0 or 1: the whole call on this thread) and writes each part's args. */
interface Splitter {
  partsOf(call: Args): number;
  writeArgs(call: Args, p: number, parts: number, out: Float64Array, at: number): void;
  /** The calling thread's function of a part. */
  local: Kernel;
}

/** One kernel of the table as `core.kernels` has it: args checked, then run whole or spread. */
function kernelFunction(name: Name, exports: CoreExports, context: ThreadContext | undefined): Kernel {
  const spec = SPECS[name];
  const raw = exports as unknown as Record<string, Kernel>;
  const whole = raw[name]!;
  const check = argumentCheck(name, spec.args);
  const splitter = context !== undefined && context.threads > 1 ? splitterOf(name, spec, raw, exports, context) : undefined;
  // Positional parameters, not rest args: nothing is allocated per call. Extra args are ignored by wasm.
  const call = new Float64Array(MAX_ARGS);
  // A call on the calling thread alone ends other cores' workers' spin (pool.ts: quiet).
  const coreId = context?.coreId ?? 0;
  if (splitter === undefined) {
    return ((a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15) => {
      check(call, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15);
      quietWorkers(coreId);
      return whole(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15);
    }) satisfies Kernel;
  }
  const { pool, threads } = context!;
  const task: Task = {
    core: coreId,
    kernel: WORKER_KERNELS.indexOf(SPECS[name].split!.by === 'parts' ? `${name}_part` : name),
    name,
    local: splitter.local,
    workers: threads - 1,
    workspaceArg: spec.split!.by === 'parts' ? spec.args.findIndex((arg) => arg.kind === 'workspace') : -1,
    workspaceBase: context!.workspaceBase,
    workspaceBytes: context!.workspaceBytes,
    parts: 0,
    writeArgs: (p, out, at) => splitter.writeArgs(call, p, task.parts, out, at),
  };
  return ((a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15) => {
    check(call, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15);
    const parts = splitter.partsOf(call);
    if (parts <= 1) {
      pool.quiet(coreId);
      return whole(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15);
    }
    task.parts = parts;
    pool.run(task);
  }) satisfies Kernel;
}

type Check = (call: Args, ...args: number[]) => void;

/**
 * Copies a call's args into `call` and checks them against the table: pointers integers in
 * [0, 2³²), sizes integers in [min, 2³¹) (the kernels assert sizes of at least 1), flags one of
 * their values (0 .. n).
 * @throws ArgumentError naming the kernel and the argument.
 */
function argumentCheck(name: string, args: readonly Arg[]): Check {
  const checked = args.flatMap((arg, i) => (arg.kind === 'value' ? [] : [i]));
  const low = args.map((arg) => (arg.kind === 'size' ? arg.min! : 0));
  const high = args.map((arg) => (arg.kind === 'size' ? 0x7fffffff : arg.kind === 'flag' ? Math.max(...arg.values!) : 0xffffffff));
  return ((call, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15) => {
    call[0] = a0;
    call[1] = a1;
    call[2] = a2;
    call[3] = a3;
    call[4] = a4;
    call[5] = a5;
    call[6] = a6;
    call[7] = a7;
    call[8] = a8;
    call[9] = a9;
    call[10] = a10;
    call[11] = a11;
    call[12] = a12;
    call[13] = a13;
    call[14] = a14;
    call[15] = a15;
    for (let c = 0; c < checked.length; c++) {
      const i = checked[c]!;
      const v = call[i]!;
      if (!(v >= low[i]! && v <= high[i]! && Math.floor(v) === v)) {
        throw argumentError(name, args[i]!, [a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15][i]);
      }
    }
  }) satisfies Check;
}

function argumentError(kernel: string, arg: Arg, given: unknown): ArgumentError {
  const expected =
    arg.kind === 'size'
      ? `a size (an integer from ${arg.min} to 2147483647)`
      : arg.kind === 'flag'
        ? `one of ${arg.values!.join(', ')}`
        : 'a byte address (an integer from 0 to 4294967295)';
  return new ArgumentError(`${kernel}(${arg.name})`, `expected ${expected}, got ${describeValue(given)}`);
}

/** How a kernel of the table splits on this core, or undefined when it runs on the calling thread. */
function splitterOf(
  name: Name,
  spec: KernelSpec,
  raw: Record<string, Kernel>,
  exports: CoreExports,
  context: ThreadContext,
): Splitter | undefined {
  const split = spec.split;
  if (split === undefined) return undefined;
  const at = Object.fromEntries(spec.args.map((arg, i) => [arg.name, i])) as At<string>;
  if (split.by === 'parts') {
    const part = raw[`${name}_part`];
    return part === undefined ? undefined : partsSplitter(split, at, spec.args.length, part, exports, context);
  }
  return rangesSplitter(split, at, spec.args.length, raw[name]!, context.threads);
}

function partsSplitter(
  split: PartsSplit,
  at: At<string>,
  arity: number,
  local: Kernel,
  exports: CoreExports,
  context: ThreadContext,
): Splitter {
  const work = split.work(at);
  const workspaceBytes = split.workspaceBytes?.(at);
  return {
    local,
    partsOf(call) {
      const minPart = split.unit === 'flops' ? splitPolicy.minPartFlops : splitPolicy.minPartElements;
      const parts = Math.min(context.threads, Math.floor(work(call) / minPart));
      if (parts > 1 && workspaceBytes !== undefined && workspaceBytes(call, exports) > context.workspaceBytes) return 1;
      return parts;
    },
    writeArgs(call, p, parts, out, base) {
      for (let i = 0; i < arity; i++) out[base + i] = call[i]!;
      out[base + arity] = p;
      out[base + arity + 1] = parts;
    },
  };
}

function rangesSplitter(split: RangesSplit, at: At<string>, arity: number, local: Kernel, threads: number): Splitter {
  const count = at[split.count]!;
  const unitElements = split.unitElements.map((name) => at[name]!);
  const moves = Object.entries(split.moves).map(([name, factors]) => ({
    arg: at[name]!,
    factors: (factors as readonly string[]).map((factor) => at[factor]!),
  }));
  /** Bytes one unit moves each arg (0: not moved), and the units per range, of the current call. */
  const strides = new Float64Array(arity);
  let chunk = 0;
  return {
    local,
    partsOf(call) {
      const units = call[count]!;
      const parts = Math.min(threads, Math.floor((units * product(call, unitElements) * split.cost) / splitPolicy.minPartElements));
      if (parts <= 1) return parts;
      // Ranges of a whole number of granules; the last one keeps the remainder.
      chunk = Math.ceil(units / parts / split.granule) * split.granule;
      for (const move of moves) strides[move.arg] = 4 * product(call, move.factors);
      return Math.ceil(units / chunk);
    },
    writeArgs(call, p, _parts, out, base) {
      const first = p * chunk;
      for (let i = 0; i < arity; i++) out[base + i] = call[i]!;
      for (const move of moves) if (call[move.arg] !== 0) out[base + move.arg] = call[move.arg]! + first * strides[move.arg]!;
      out[base + count] = Math.min(chunk, call[count]! - first);
    },
  };
}

/** The product of the args at `indices` (1 for none). */
function product(call: Args, indices: readonly number[]): number {
  let result = 1;
  for (let i = 0; i < indices.length; i++) result *= call[indices[i]!]!;
  return result;
}
