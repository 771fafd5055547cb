// Kept in the published .d.ts: consumers on lib es2022 get Symbol.dispose (TS2550 without it).
/// <reference lib="esnext.disposable" preserve="true" />
/**
 * `Core`: one instantiated wasm core, its arena, its kernels (checked, and spread over its threads
 * when it has several), and the typed-array functions for embedding (typed-api.ts): they copy
 * their inputs into arena temporaries, run one kernel and copy the result out; layers and
 * training use the zero-copy arena API (`kernels`) instead.
 */
import { DisposedError } from '../errors.js';
import type { CoreExports } from './abi.js';
import type { Arena } from './arena.js';
import type { KernelSet } from './load.js';
import { coreKernels, type ThreadContext } from './threads.js';
import { type Conv2dShape, conv2d, type MaxPool2dShape, matmul, maxPool2d, softmax, type TypedContext } from './typed-api.js';

export interface Core {
  /** The raw kernels on the calling thread: pointers into `exports.memory` and element counts (see abi.ts). */
  readonly exports: CoreExports;
  /**
   * The same kernels, their arguments checked (an `ArgumentError` names a bad pointer, size or
   * flag) and the heavy ones spread over `threads` threads when the work pays (bit-identical to
   * `exports` for any thread count). What layers and training call.
   */
  readonly kernels: CoreExports;
  /** Threads the kernels use, the calling one included. */
  readonly threads: number;
  /** Why `threads` is what it is, e.g. "2 threads: os.availableParallelism()" or the reason for one thread in a browser. */
  readonly threadsReason: string;
  /** The build's SIMD: 'strict' (SIMD128, same bits everywhere) or 'relaxed' (FMA, may differ in the last bits between machines). */
  readonly simd: 'strict' | 'relaxed';
  /** 'inference' when the build has the forward kernels only (`loadCore({ kernels: 'inference' })`). */
  readonly kernelSet: KernelSet;
  /** The planner for buffers in wasm memory. */
  readonly arena: Arena;
  /**
   * a [m,k] · b [k,n] → [m,n], row-major. Each typed-array function returns its result in `out`
   * when given (a Float32Array of exactly the result's size, else a RangeError naming `out`:
   * a loop that passes one allocates nothing), else in a new Float32Array.
   */
  matmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number, out?: Float32Array): Float32Array;
  /** NHWC input, HWIO filters, stride 1, optional bias [outChannels] → NHWC output. */
  conv2d(input: Float32Array, filters: Float32Array, shape: Conv2dShape, bias?: Float32Array, out?: Float32Array): Float32Array;
  /** NHWC max-pooling over 'valid' windows (floor), like Keras' default. */
  maxPool2d(input: Float32Array, shape: MaxPool2dShape, out?: Float32Array): Float32Array;
  /** Row-wise softmax of x [rows, cols], max-subtracted. */
  softmax(x: Float32Array, rows: number, cols: number, out?: Float32Array): Float32Array;
  /**
   * Ends this core's use of the worker threads (the workers themselves once no core uses them) and
   * hands its wasm instance and memory to the next `loadCore` of the same build, which would
   * otherwise make a new memory (memories live outside the JS heap: the collector frees them late).
   * Later calls of `kernels`, `exports` or the typed-array API, and reads of `exports.memory`
   * (so `arena` views), throw `DisposedError`. Not needed for correctness: workers never keep a
   * Node process alive, and a core that is garbage-collected is detached too.
   */
  dispose(): void;
  [Symbol.dispose](): void;
}

export interface CoreOptions {
  threads: number;
  threadsReason: string;
  simd: 'strict' | 'relaxed';
  /** The core's place in the worker pool, when it has more than one thread (threads.ts: attachThreads). */
  context?: ThreadContext;
  /** Called once the core is disposed: loadCore hands its instance to the next core (recycle.ts). */
  onDispose?: () => void;
}

const disposedCores = new WeakSet<object>();
const disposedError = () => new DisposedError('core', 'this core was disposed; load a new one with loadCore()');

/**
 * Throws what a disposed core's calls throw, for code handed a core it has not used yet (a model).
 * @throws DisposedError when `core` was disposed.
 */
export function assertNotDisposed(core: object): void {
  if (disposedCores.has(core)) throw disposedError();
}

/** A core over instantiated exports and their arena. */
export function createCore(exports: CoreExports, arena: Arena, options: CoreOptions): Core {
  const { context } = options;
  const { kernels, kernelSet } = coreKernels(exports, context);
  let disposed = false;
  const usable = () => {
    if (disposed) throw disposedError();
  };
  const typed: TypedContext = { arena, kernels, usable, coreId: context?.coreId ?? 0 };
  const core: Core = {
    exports,
    kernels,
    arena,
    threads: options.threads,
    threadsReason: options.threadsReason,
    simd: options.simd,
    kernelSet,
    matmul: (a, b, m, k, n, out) => matmul(typed, a, b, m, k, n, out),
    conv2d: (input, filters, shape, bias, out) => conv2d(typed, input, filters, shape, bias, out),
    maxPool2d: (input, shape, out) => maxPool2d(typed, input, shape, out),
    softmax: (x, rows, cols, out) => softmax(typed, x, rows, cols, out),
    dispose() {
      if (disposed) return;
      disposed = true;
      disposedCores.add(core);
      context?.pool.detach(context.coreId, core);
      // Every kernel of a disposed core throws, whoever holds `core.kernels` (a model's optimizer
      // does), and so do its raw exports and its memory: the next core may reuse the instance.
      for (const table of [kernels, exports] as unknown as Record<string, unknown>[]) {
        for (const name of Object.keys(table)) if (typeof table[name] === 'function') table[name] = usable;
      }
      Object.defineProperty(exports, 'memory', { get: usable });
      options.onDispose?.();
    },
    [Symbol.dispose]() {
      core.dispose();
    },
  };
  // A core dropped without dispose() is detached from the workers once it is garbage-collected.
  context?.pool.watch(core, context.coreId);
  return core;
}
