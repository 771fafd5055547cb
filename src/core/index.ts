/**
 * `loadCore()`: the wasm core, its arena, its threads, and a typed-array API for embedding. The
 * typed-array functions copy their inputs into arena temporaries, run one kernel, and copy the
 * result out; layers and training use the zero-copy arena API (`core.kernels`) instead.
 */
import { DisposedError, describeValue } from '../errors.js';
import type { CoreExports } from './abi.js';
import { Padding } from './abi.js';
import { Arena } from './arena.js';
import {
  baseUrl,
  compileCore,
  createSharedMemory,
  defaultWasmUrl,
  instantiateCompiled,
  pickBuild,
  UnsupportedRuntimeError,
  type CompiledCore,
  type LoadOptions,
} from './load.js';
import { workerPool } from './pool.js';
import { CONV_CHUNK_RESERVE_BYTES, coreKernels, WORKER_KERNELS } from './threads.js';

export type { CoreExports } from './abi.js';
export { ActivationCode, Padding, Reduction } from './abi.js';
export { Arena, type ArenaBuffer, type DType } from './arena.js';
export { hasRelaxedSimd, hasWasmSimd, UnsupportedRuntimeError, type LoadOptions, type SimdMode } from './load.js';

export interface Conv2dShape {
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  kernelHeight: number;
  kernelWidth: number;
  outChannels: number;
  padding: 'valid' | 'same';
}

export interface MaxPool2dShape {
  batch: number;
  height: number;
  width: number;
  channels: number;
  /** Window size, default 2. */
  size?: number;
  /** Stride, default 2. */
  stride?: number;
}

export interface Core {
  /** The raw kernels on the calling thread: pointers into `exports.memory` and element counts (see abi.ts). */
  readonly exports: CoreExports;
  /**
   * The same kernels with the heavy ones spread over `threads` threads when the work pays
   * (bit-identical to `exports` for any thread count). What layers and training call.
   */
  readonly kernels: CoreExports;
  /** Threads the kernels use, the calling one included. */
  readonly threads: number;
  /** Why `threads` is what it is, e.g. "2 threads: os.availableParallelism()" or the reason for one thread in a browser. */
  readonly threadsReason: string;
  /** The build's SIMD: 'strict' (SIMD128, same bits everywhere) or 'relaxed' (FMA, may differ in the last bits between machines). */
  readonly simd: 'strict' | 'relaxed';
  /** The planner for buffers in wasm memory. */
  readonly arena: Arena;
  /** a [m,k] · b [k,n] → [m,n], row-major. */
  matmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array;
  /** NHWC input, HWIO filters, stride 1, optional bias [outChannels] → NHWC output. */
  conv2d(input: Float32Array, filters: Float32Array, shape: Conv2dShape, bias?: Float32Array): Float32Array;
  /** NHWC max-pooling over 'valid' windows (floor), like Keras' default. */
  maxPool2d(input: Float32Array, shape: MaxPool2dShape): Float32Array;
  /** Row-wise softmax of x [rows, cols], max-subtracted. */
  softmax(x: Float32Array, rows: number, cols: number): Float32Array;
  /**
   * Ends this core's use of the worker threads (the workers themselves once no core uses them).
   * Not needed for correctness: workers never keep a Node process alive, and a core that is
   * garbage-collected is detached too. Later calls of `kernels` or the typed-array API throw.
   */
  dispose(): void;
  [Symbol.dispose](): void;
}

/** Options of `createCore` beyond the exports (loadCore fills them). */
interface Threading {
  threads: number;
  threadsReason: string;
  simd: 'strict' | 'relaxed';
  /** The compiled module and shared memory, to attach the workers to; absent for one thread. */
  shared?: { compiled: CompiledCore; memory: WebAssembly.Memory };
}

/**
 * Loads the wasm core (Node: the .wasm beside the package; browsers: a URL next to this module,
 * overridable with `options.url`) and starts its threads.
 * @throws RangeError when `threads` is not a positive integer, or more than one thread is asked of
 *   a build with its own memory (`debug`, or a `url`/`wasm` that is not a -shared build).
 * @throws UnsupportedRuntimeError when the runtime lacks WebAssembly SIMD, lacks relaxed SIMD and
 *   `simd: 'relaxed'` is asked, or lacks SharedArrayBuffer and more than one thread is asked.
 */
export async function loadCore(options: LoadOptions = {}): Promise<Core> {
  let { threads, reason } = await resolveThreads(options.threads);
  const simdMode = options.simd ?? 'strict';
  if (simdMode !== 'auto' && simdMode !== 'strict' && simdMode !== 'relaxed') {
    throw new RangeError(`simd: expected 'auto', 'strict' or 'relaxed', got ${JSON.stringify(simdMode)}`);
  }
  let compiled: CompiledCore;
  let simd: 'strict' | 'relaxed';
  if (options.url !== undefined || options.wasm !== undefined) {
    compiled = await compileCore(options.wasm !== undefined ? { wasm: options.wasm } : { url: new URL(options.url!, baseUrl()) });
    simd = simdMode === 'relaxed' ? 'relaxed' : 'strict';
    if (compiled.memoryImport === undefined && threads > 1) {
      if (options.threads !== undefined) {
        throw new RangeError(
          `threads: ${threads} threads need a shared-memory build (release-shared.wasm or release-relaxed-shared.wasm); the given ${options.url !== undefined ? `url ${String(options.url)}` : 'module'} has its own memory`,
        );
      }
      threads = 1;
      reason = '1 thread: the given module is not a shared-memory build';
    }
  } else {
    if (options.debug && threads > 1) {
      if (options.threads !== undefined) throw new RangeError(`threads: the debug build runs on one thread, got ${threads}`);
      threads = 1;
      reason = '1 thread: the debug build';
    }
    const picked = pickBuild(simdMode, threads > 1, options.debug);
    simd = picked.simd;
    compiled = await compileCore({ url: defaultWasmUrl(picked.build) });
  }
  const memory = compiled.memoryImport === undefined ? undefined : createSharedMemory(compiled.memoryImport);
  const exports = await instantiateCompiled(compiled, memory);
  const core = createCore(exports, {
    threads,
    threadsReason: reason,
    simd,
    ...(memory && threads > 1 ? { shared: { compiled, memory } } : {}),
  });
  if (memory && threads > 1) await (core as CoreInternal).attach!();
  return core;
}

/** The thread count: validated when given, else the runtime's default and why. */
async function resolveThreads(threads: number | undefined): Promise<{ threads: number; reason: string }> {
  if (threads !== undefined) {
    if (!Number.isInteger(threads) || threads < 1)
      throw new RangeError(`threads: expected a positive integer, got ${describeValue(threads)}`);
    if (threads > 1 && typeof SharedArrayBuffer !== 'function') {
      throw new UnsupportedRuntimeError(
        `threads: ${threads} threads need SharedArrayBuffer, which this ${isNode ? 'runtime' : 'page'} lacks${isNode ? '' : ` (${NOT_ISOLATED})`}`,
      );
    }
    return { threads, reason: `${threads} thread${threads === 1 ? '' : 's'}: asked` };
  }
  if (isNode) {
    const { availableParallelism } = await import('node:os');
    const count = availableParallelism();
    return { threads: count, reason: `${count} thread${count === 1 ? '' : 's'}: os.availableParallelism()` };
  }
  if (typeof SharedArrayBuffer !== 'function' || (typeof crossOriginIsolated === 'boolean' && !crossOriginIsolated)) {
    return { threads: 1, reason: `1 thread: ${NOT_ISOLATED}` };
  }
  const count = typeof navigator === 'object' && navigator.hardwareConcurrency > 0 ? navigator.hardwareConcurrency : 1;
  return { threads: count, reason: `${count} thread${count === 1 ? '' : 's'}: navigator.hardwareConcurrency` };
}

const NOT_ISOLATED =
  'the page is not cross-origin isolated; serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp';
const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';

interface CoreInternal extends Core {
  /** Attaches the worker threads (loadCore awaits it once). */
  attach?: () => Promise<void>;
}

/**
 * A core over already-instantiated exports. One thread unless `threading.shared` gives the module
 * and shared memory (loadCore does; then `attach` must be awaited before the first call).
 */
export function createCore(
  exports: CoreExports,
  threading: Threading = { threads: 1, threadsReason: '1 thread: asked', simd: 'strict' },
): Core {
  const arena = new Arena(exports);
  const kernels = coreKernels(exports);
  let disposed = false;
  let detach = () => {};

  function checkUsable(): void {
    if (disposed) throw new DisposedError('core', 'this core was disposed; load a new one with loadCore()');
  }

  /** Runs `body` with arena temporaries that are released afterwards, even on error. */
  function withTemporaries<T>(body: () => T): T {
    checkUsable();
    const mark = arena.mark();
    try {
      return body();
    } finally {
      arena.release(mark);
    }
  }

  /**
   * Plans every temporary first and grows the memory once, so a call too large for wasm32 is
   * refused before the memory grows (a refused huge matmul used to leave it grown to 2.7 GB).
   */
  function temporaries(specs: Record<string, { shape: number[]; dtype?: 'f32' | 'i32' | 'u8'; data?: Float32Array }>) {
    const buffers = Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, arena.allocate(name, spec.shape, spec.dtype)]));
    arena.commit();
    for (const [name, spec] of Object.entries(specs)) if (spec.data) arena.f32(buffers[name]!).set(spec.data);
    return buffers;
  }

  const core: CoreInternal = {
    exports,
    kernels,
    arena,
    threads: threading.threads,
    threadsReason: threading.threadsReason,
    simd: threading.simd,

    matmul(a, b, m, k, n) {
      checkDims({ m, k, n });
      checkArray('a', a, m * k, `[m, k] = [${m}, ${k}]`);
      checkArray('b', b, k * n, `[k, n] = [${k}, ${n}]`);
      return withTemporaries(() => {
        const t = temporaries({
          'matmul/a': { shape: [m, k], data: a },
          'matmul/b': { shape: [k, n], data: b },
          'matmul/c': { shape: [m, n] },
          'matmul/workspace': { shape: [Math.max(16, exports.gemm_f32_workspace_bytes())], dtype: 'u8' },
        });
        kernels.gemm_f32_nn(
          t['matmul/c']!.byteOffset,
          t['matmul/a']!.byteOffset,
          t['matmul/b']!.byteOffset,
          t['matmul/workspace']!.byteOffset,
          m,
          k,
          n,
          0,
        );
        return arena.f32(t['matmul/c']!).slice();
      });
    },

    conv2d(data, filters, shape, bias) {
      const { batch, height, width, inChannels, kernelHeight, kernelWidth, outChannels } = shape;
      checkDims({ batch, height, width, inChannels, kernelHeight, kernelWidth, outChannels }, 'shape.');
      if (shape.padding !== 'valid' && shape.padding !== 'same') {
        throw new RangeError(`shape.padding: expected 'valid' or 'same', got ${JSON.stringify(shape.padding)}`);
      }
      const padding = shape.padding === 'same' ? Padding.Same : Padding.Valid;
      const outHeight = padding === Padding.Same ? height : height - kernelHeight + 1;
      const outWidth = padding === Padding.Same ? width : width - kernelWidth + 1;
      if (outHeight < 1 || outWidth < 1) {
        throw new RangeError(`shape: a ${kernelHeight}x${kernelWidth} kernel does not fit a ${height}x${width} input with 'valid' padding`);
      }
      checkArray(
        'input',
        data,
        batch * height * width * inChannels,
        `[batch, height, width, inChannels] = [${batch}, ${height}, ${width}, ${inChannels}]`,
      );
      checkArray(
        'filters',
        filters,
        kernelHeight * kernelWidth * inChannels * outChannels,
        `[kernelHeight, kernelWidth, inChannels, outChannels] = [${kernelHeight}, ${kernelWidth}, ${inChannels}, ${outChannels}]`,
      );
      if (bias !== undefined) checkArray('bias', bias, outChannels, `[outChannels] = [${outChannels}]`);
      return withTemporaries(() => {
        const workspaceBytes = exports.conv2d_f32_workspace_bytes(
          batch,
          height,
          width,
          inChannels,
          kernelHeight,
          kernelWidth,
          outChannels,
          padding,
        );
        const t = temporaries({
          'conv2d/input': { shape: [batch, height, width, inChannels], data },
          'conv2d/filters': { shape: [kernelHeight, kernelWidth, inChannels, outChannels], data: filters },
          ...(bias === undefined ? {} : { 'conv2d/bias': { shape: [outChannels], data: bias } }),
          'conv2d/output': { shape: [batch, outHeight, outWidth, outChannels] },
          'conv2d/workspace': { shape: [Math.max(16, workspaceBytes)], dtype: 'u8' },
        });
        kernels.conv2d_f32_nhwc_forward(
          t['conv2d/output']!.byteOffset,
          t['conv2d/input']!.byteOffset,
          t['conv2d/filters']!.byteOffset,
          t['conv2d/bias']?.byteOffset ?? 0,
          t['conv2d/workspace']!.byteOffset,
          batch,
          height,
          width,
          inChannels,
          kernelHeight,
          kernelWidth,
          outChannels,
          padding,
        );
        return arena.f32(t['conv2d/output']!).slice();
      });
    },

    maxPool2d(data, shape) {
      const { batch, height, width, channels, size = 2, stride = 2 } = shape;
      checkDims({ batch, height, width, channels, size, stride }, 'shape.');
      if (size > height || size > width) {
        throw new RangeError(`shape.size: a ${size}x${size} window does not fit a ${height}x${width} input`);
      }
      checkArray(
        'input',
        data,
        batch * height * width * channels,
        `[batch, height, width, channels] = [${batch}, ${height}, ${width}, ${channels}]`,
      );
      const outHeight = Math.floor((height - size) / stride) + 1;
      const outWidth = Math.floor((width - size) / stride) + 1;
      return withTemporaries(() => {
        const t = temporaries({
          'maxPool2d/input': { shape: [batch, height, width, channels], data },
          'maxPool2d/output': { shape: [batch, outHeight, outWidth, channels] },
          'maxPool2d/argmax': { shape: [batch, outHeight, outWidth, channels], dtype: 'i32' },
        });
        kernels.maxpool2d_f32_nhwc_forward(
          t['maxPool2d/output']!.byteOffset,
          t['maxPool2d/argmax']!.byteOffset,
          t['maxPool2d/input']!.byteOffset,
          batch,
          height,
          width,
          channels,
          size,
          stride,
        );
        return arena.f32(t['maxPool2d/output']!).slice();
      });
    },

    softmax(x, rows, cols) {
      checkDims({ rows, cols });
      checkArray('x', x, rows * cols, `[rows, cols] = [${rows}, ${cols}]`);
      return withTemporaries(() => {
        const t = temporaries({ 'softmax/x': { shape: [rows, cols], data: x } });
        const bx = t['softmax/x']!;
        kernels.softmax_f32_forward(bx.byteOffset, bx.byteOffset, rows, cols);
        return arena.f32(bx).slice();
      });
    },

    dispose() {
      if (disposed) return;
      disposed = true;
      detach();
      // Every kernel of a disposed core throws, whoever holds `core.kernels` (a model's optimizer does).
      const table = kernels as unknown as Record<string, unknown>;
      for (const name of Object.keys(table)) if (typeof table[name] === 'function') table[name] = checkUsable;
    },

    [Symbol.dispose]() {
      core.dispose();
    },
  };

  const shared = threading.shared;
  if (shared !== undefined) {
    core.attach = async () => {
      delete core.attach;
      // Per-worker workspaces (GEMM + one conv chunk), planned before any model so they never move.
      const workspaceBytes = alignUp(exports.gemm_f32_workspace_bytes(), 16) + CONV_CHUNK_RESERVE_BYTES;
      const workspaces = arena.reserve('threads/workspace', [(threading.threads - 1) * workspaceBytes], 'u8');
      const pool = workerPool();
      const coreId = await pool.attach(shared.compiled.module, shared.memory, threading.threads - 1, WORKER_KERNELS, core);
      detach = () => pool.detach(coreId, core);
      Object.assign(
        kernels,
        coreKernels(exports, { pool, coreId, threads: threading.threads, workspaceBase: workspaces.byteOffset, workspaceBytes }),
      );
    };
  }
  return core;
}

function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

function checkDims(dims: Record<string, number>, prefix = ''): void {
  for (const [name, value] of Object.entries(dims)) {
    if (!Number.isInteger(value) || value <= 0) {
      throw new RangeError(`${prefix}${name}: expected a positive integer, got ${String(value)}`);
    }
  }
}

function checkArray(name: string, array: unknown, expected: number, shapeText: string): void {
  if (!(array instanceof Float32Array)) {
    throw new TypeError(
      `${name}: expected a Float32Array, got ${array === null ? 'null' : typeof array === 'object' ? (array as object).constructor.name : typeof array}`,
    );
  }
  if (array.length !== expected) {
    throw new RangeError(`${name}: shape ${shapeText} needs ${expected} elements, got ${array.length}`);
  }
}
