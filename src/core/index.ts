/**
 * The core's entry: `loadCore()` finds, compiles and instantiates the wasm core, attaches its
 * threads and returns a `Core` (core.ts) with its arena, its kernels and the typed-array API
 * (typed-api.ts).
 */
import { ArgumentError, describeValue } from '../errors.js';
import { importNode, isNode } from '../util/node.js';
import { Arena } from './arena.js';
import { type Core, createCore } from './core.js';
import {
  baseUrl,
  checkSimd,
  compileCore,
  createSharedMemory,
  defaultWasmUrl,
  instantiateCompiled,
  pickBuild,
  UnsupportedRuntimeError,
  type CompiledCore,
  type LoadOptions,
} from './load.js';
import { reclaim, release } from './recycle.js';
import { attachThreads } from './threads.js';

export type { CoreExports } from './abi.js';
export { ActivationCode, Padding, Reduction } from './abi.js';
export { Arena, type ArenaBuffer, type DType } from './arena.js';
export type { Core } from './core.js';
export { hasRelaxedSimd, hasWasmSimd, UnsupportedRuntimeError, type KernelSet, type LoadOptions, type SimdMode } from './load.js';
export type { Conv2dShape, MaxPool2dShape } from './typed-api.js';

/**
 * Loads the wasm core (Node: the .wasm beside the package; browsers: a URL next to this module,
 * overridable with `options.url`) and starts its threads.
 * @throws RangeError when `threads` is not a positive integer, or more than one thread is asked of
 *   a build with its own memory (`debug`, or a `url`/`wasm` that is not a -shared build).
 * @throws UnsupportedRuntimeError when the runtime lacks WebAssembly SIMD, lacks relaxed SIMD and
 *   `simd: 'relaxed'` is asked, or lacks SharedArrayBuffer and more than one thread is asked.
 */
export async function loadCore(options: LoadOptions = {}): Promise<Core> {
  if (options.kernels !== undefined && options.kernels !== 'all' && options.kernels !== 'inference') {
    throw new ArgumentError('kernels', `expected 'all' or 'inference', got ${describeValue(options.kernels)}`);
  }
  let { threads, reason } = await resolveThreads(options.threads);
  const simdMode = options.simd ?? 'strict';
  if (simdMode !== 'auto' && simdMode !== 'strict' && simdMode !== 'relaxed') {
    throw new RangeError(`simd: expected 'auto', 'strict' or 'relaxed', got ${JSON.stringify(simdMode)}`);
  }
  let compiled: CompiledCore;
  let simd: 'strict' | 'relaxed';
  if (options.url !== undefined || options.wasm !== undefined) {
    compiled = await (options.wasm !== undefined ? compileCore({ wasm: options.wasm }) : compiledBuild(new URL(options.url!, baseUrl())));
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
  } else if (options.kernels === 'inference') {
    ({ threads, reason } = inferenceThreads(options, threads, reason));
    simd = 'strict';
    compiled = await compileCore({ url: defaultWasmUrl('release-inference') });
  } else {
    if (options.debug && threads > 1) {
      if (options.threads !== undefined) throw new RangeError(`threads: the debug build runs on one thread, got ${threads}`);
      threads = 1;
      reason = '1 thread: the debug build';
    }
    const picked = pickBuild(simdMode, threads > 1, options.debug);
    simd = picked.simd;
    compiled = await compiledBuild(defaultWasmUrl(picked.build));
  }
  // A disposed core's instance of this module, or a new one (recycle.ts).
  const instance = reclaim(compiled.module) ?? (await instantiateCompiled(compiled, sharedMemory(compiled)));
  const memory = compiled.memoryImport === undefined ? undefined : instance.memory;
  // The core's own copy of the exports, which its dispose() can make throw without touching the instance.
  const exports = { ...instance };
  const arena = new Arena(exports);
  const context = memory !== undefined && threads > 1 ? await attachThreads(compiled.module, memory, arena, threads) : undefined;
  return createCore(exports, arena, {
    threads,
    threadsReason: reason,
    simd,
    ...(context === undefined ? {} : { context }),
    onDispose: () => release(compiled.module, instance),
  });
}

/** Compiled builds by URL: every core of a build shares one module, and a disposed core's instance fits the next. */
const compiledBuilds = new Map<string, Promise<CompiledCore>>();

function compiledBuild(url: URL): Promise<CompiledCore> {
  checkSimd(); // before the cache: a runtime without SIMD gets its message every time
  let compiled = compiledBuilds.get(url.href);
  if (compiled === undefined) {
    compiled = compileCore({ url });
    compiledBuilds.set(url.href, compiled);
    compiled.catch(() => compiledBuilds.delete(url.href));
  }
  return compiled;
}

function sharedMemory(compiled: CompiledCore): WebAssembly.Memory | undefined {
  return compiled.memoryImport === undefined ? undefined : createSharedMemory(compiled.memoryImport);
}

/** The inference build is strict and has its own memory: one thread, and no other SIMD or debug build. */
function inferenceThreads(options: LoadOptions, threads: number, reason: string): { threads: number; reason: string } {
  const refuse = (argument: string, given: string) =>
    new ArgumentError(argument, `${given} does not go with kernels: 'inference' (one thread, strict SIMD, release build)`);
  if (options.simd !== undefined && options.simd !== 'strict') throw refuse('simd', `'${options.simd}'`);
  if (options.debug) throw refuse('debug', 'true');
  if (threads === 1) return { threads, reason };
  if (options.threads !== undefined) throw refuse('threads', String(threads));
  return { threads: 1, reason: "1 thread: kernels: 'inference'" };
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
    const { availableParallelism } = await importNode('os');
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
