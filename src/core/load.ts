/**
 * Finding, checking and instantiating the wasm core. This is the only module that touches
 * `@assemblyscript/loader` (deprecated upstream, so it stays behind this one door).
 *
 * Four release builds export the same ABI: strict SIMD128 or relaxed SIMD (FMA in the
 * micro-kernels), each with its own memory (one thread) or importing a shared `env.memory` (threads,
 * see pool.ts). `pickBuild` chooses from the options and what the runtime validates.
 */
import { instantiate } from '@assemblyscript/loader';
import { importNode, isNode } from '../util/node.js';
import type { CoreExports } from './abi.js';

export type SimdMode = 'auto' | 'strict' | 'relaxed';

export interface LoadOptions {
  /**
   * Threads the heavy kernels use (a positive integer; more than the cores is allowed). Default:
   * Node `os.availableParallelism()`; browsers `navigator.hardwareConcurrency` in a
   * cross-origin-isolated page, else 1 (`core.threadsReason` says why). 1 loads the build with its
   * own memory (no SharedArrayBuffer needed).
   */
  threads?: number;
  /**
   * 'strict' (default: SIMD128, the same bits on every runtime, machine and thread count),
   * 'relaxed' (FMA in the GEMM and convolution micro-kernels; needs relaxed SIMD) or 'auto' (relaxed
   * when the runtime validates it, else strict). 'relaxed' and 'auto' are the opt-in that gives up
   * bit-identity across runtimes and machines for a few percent of speed. Ignored when `url` or
   * `wasm` is given.
   */
  simd?: SimdMode;
  /**
   * Where the .wasm is. Default: the build chosen by `threads` and `simd` next to the package,
   * resolved from this module's URL (works in Node, from a bundler such as Vite, and from a plain module script).
   * With more than one thread it must be a shared-memory build (`release-shared.wasm`, `release-relaxed-shared.wasm`).
   */
  url?: string | URL;
  /** The module's bytes or a compiled module, when the caller already has them (same rule as `url`). */
  wasm?: ArrayBuffer | ArrayBufferView | WebAssembly.Module;
  /** Use the debug build (assertions on, one thread), for tests. Ignored when `url` or `wasm` is given. */
  debug?: boolean;
  /**
   * 'all' (default): every kernel. 'inference': the build with the forward kernels only
   * (`release-inference.wasm`, 7 KB gzip instead of 25; strict SIMD, one thread), for a page or
   * service that only runs `predict`/`classify` on trained models: the same bits as the default
   * build. Training and `evaluate` (its loss) on such a core throw an `ArgumentError` naming
   * `kernels`. Ignored when `url` or `wasm` is given (the module decides).
   */
  kernels?: KernelSet;
}

export type KernelSet = 'all' | 'inference';

/** Raised when this runtime cannot run the core (no WebAssembly, no SIMD, or relaxed SIMD asked and missing). */
export class UnsupportedRuntimeError extends Error {
  override readonly name = 'UnsupportedRuntimeError';
}

// Smallest module using v128 (i32.const 0; i8x16.splat; i8x16.popcnt), as in wasm-feature-detect.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

// Smallest module using f32x4.relaxed_madd: a () → v128 function whose body is three times
// (i32.const 0; i8x16.splat), then relaxed_madd (0xfd 0x105, LEB128 0x85 0x02).
const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 19, 1, 17, 0, 65, 0, 253, 15, 65, 0, 253, 15, 65, 0, 253, 15, 253,
  133, 2, 11,
]);

function validates(bytes: Uint8Array<ArrayBuffer>): boolean {
  return typeof WebAssembly === 'object' && typeof WebAssembly.validate === 'function' && WebAssembly.validate(bytes);
}

/** True when this runtime has WebAssembly with fixed-width SIMD (v128). */
export function hasWasmSimd(): boolean {
  return validates(SIMD_PROBE);
}

/** True when this runtime has relaxed SIMD (Chrome/Edge >= 114, Firefox >= 120, Node >= 22; Node 20 with `--experimental-wasm-relaxed-simd`). */
export function hasRelaxedSimd(): boolean {
  return validates(RELAXED_SIMD_PROBE);
}

/** The builds in build/: `release`, `release-relaxed`, each with a `-shared` twin, and `debug`. */
export type BuildName = 'release' | 'release-shared' | 'release-relaxed' | 'release-relaxed-shared' | 'release-inference' | 'debug';

const DEBUG_WASM = '../../build/debug.wasm';

export function defaultWasmUrl(build: BuildName = 'release'): URL {
  // Literal `new URL('...', import.meta.url)` forms: bundlers (Vite, webpack 5, Parcel) rewrite only
  // that exact form, emitting the file as an asset; a computed first argument would be left as is.
  switch (build) {
    case 'debug':
      // A variable, not a literal: bundlers leave it alone, so the debug build (for tests, in Node) is
      // not emitted beside a page's (a template literal would be a glob to Vite).
      return new URL(DEBUG_WASM, import.meta.url);
    case 'release-shared':
      return new URL('../../build/release-shared.wasm', import.meta.url);
    case 'release-relaxed':
      return new URL('../../build/release-relaxed.wasm', import.meta.url);
    case 'release-relaxed-shared':
      return new URL('../../build/release-relaxed-shared.wasm', import.meta.url);
    case 'release-inference':
      return new URL('../../build/release-inference.wasm', import.meta.url);
    default:
      return new URL('../../build/release.wasm', import.meta.url);
  }
}

/**
 * The build for these options: `debug`, or release(-relaxed)(-shared).
 * @throws UnsupportedRuntimeError when 'relaxed' is asked and the runtime lacks relaxed SIMD.
 */
export function pickBuild(simd: SimdMode, shared: boolean, debug = false): { build: BuildName; simd: 'strict' | 'relaxed' } {
  if (debug) return { build: 'debug', simd: 'strict' };
  let relaxed: boolean;
  if (simd === 'relaxed') {
    if (!hasRelaxedSimd()) {
      throw new UnsupportedRuntimeError(
        "simd: 'relaxed' needs WebAssembly relaxed SIMD, which this runtime lacks (Chrome/Edge >= 114, Firefox >= 120, Node >= 22, or Node 20 with --experimental-wasm-relaxed-simd); use simd: 'auto' or 'strict'",
      );
    }
    relaxed = true;
  } else {
    relaxed = simd === 'auto' && hasRelaxedSimd();
  }
  const build = `release${relaxed ? '-relaxed' : ''}${shared ? '-shared' : ''}` as BuildName;
  return { build, simd: relaxed ? 'relaxed' : 'strict' };
}

/** A compiled core: the module (posted to workers) and whether it imports a shared `env.memory`. */
export interface CompiledCore {
  module: WebAssembly.Module;
  /** Initial and maximum pages of the imported memory, when the module imports one. */
  memoryImport: { initial: number; maximum: number } | undefined;
}

/** Checks SIMD first so an old runtime gets a message, not a CompileError. */
export function checkSimd(): void {
  if (!hasWasmSimd()) {
    throw new UnsupportedRuntimeError(
      'fmnist-wasm needs WebAssembly SIMD (v128), which this runtime lacks: use Node >= 20, Chrome/Edge >= 91, Firefox >= 89 or Safari >= 16.4',
    );
  }
}

/** Reads (Node file or fetch) and compiles a core. `where` names the build for error messages. */
export async function compileCore(source: { url: URL } | { wasm: NonNullable<LoadOptions['wasm']> }): Promise<CompiledCore> {
  checkSimd();
  let bytes: Uint8Array | undefined;
  if ('wasm' in source) {
    if (source.wasm instanceof WebAssembly.Module) return { module: source.wasm, memoryImport: importedMemoryOfModule(source.wasm) };
    bytes =
      source.wasm instanceof ArrayBuffer
        ? new Uint8Array(source.wasm)
        : new Uint8Array(source.wasm.buffer, source.wasm.byteOffset, source.wasm.byteLength);
  } else {
    bytes = await readWasm(source.url);
  }
  const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  return { module, memoryImport: importedMemoryLimits(bytes) };
}

async function readWasm(url: URL): Promise<Uint8Array> {
  if (url.protocol === 'file:') {
    if (!isNode) throw new UnsupportedRuntimeError(`cannot read ${url.href} here: serve the .wasm over HTTP and pass its URL`);
    const { readFile } = await importNode('fs/promises');
    try {
      return await readFile(url);
    } catch (error) {
      throw new Error(
        `fmnist-wasm: cannot read the wasm core at ${url.pathname} (${(error as Error).message}); run \`npm run build\` or pass { url }`,
      );
    }
  }
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(
      `fmnist-wasm: fetching the wasm core from ${url.href} failed: HTTP ${response.status}; serve build/${url.pathname.split('/').pop()} there or pass { url }`,
    );
  }
  return new Uint8Array(await response.arrayBuffer());
}

/** Instantiates on this thread; `memory` is required when the module imports one. */
export async function instantiateCompiled(compiled: CompiledCore, memory?: WebAssembly.Memory): Promise<CoreExports> {
  const imports = memory === undefined ? {} : { env: { memory } };
  // The instance's own exports, not the loader's demangled ones: those wrap each function in a
  // rest-args closure (an array per kernel call); the loader is here for its imports (abort).
  const { instance } = await instantiate<Record<string, unknown>>(compiled.module, imports);
  return instance.exports as unknown as CoreExports;
}

/** Instantiates a single-thread core (the module's own memory): what the kernel tests and benchmarks use. */
export async function instantiateCore(options: Pick<LoadOptions, 'url' | 'wasm' | 'debug' | 'simd'> = {}): Promise<CoreExports> {
  const compiled = await compileCore(
    options.wasm !== undefined
      ? { wasm: options.wasm }
      : {
          url:
            options.url !== undefined
              ? new URL(options.url, baseUrl())
              : defaultWasmUrl(pickBuild(options.simd ?? 'strict', false, options.debug).build),
        },
  );
  const memory = compiled.memoryImport === undefined ? undefined : createSharedMemory(compiled.memoryImport);
  return instantiateCompiled(compiled, memory);
}

export function createSharedMemory(limits: { initial: number; maximum: number }): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: limits.initial, maximum: limits.maximum, shared: true });
}

export function baseUrl(): string | undefined {
  return typeof location === 'object' ? location.href : undefined;
}

/** The module's own builds import at most 65536 pages; a compiled module gives no limits, so assume the build's. */
const DEFAULT_SHARED_LIMITS = { initial: 16, maximum: 65536 };

function importedMemoryOfModule(module: WebAssembly.Module): CompiledCore['memoryImport'] {
  const imported = WebAssembly.Module.imports(module).some((entry) => entry.kind === 'memory');
  return imported ? DEFAULT_SHARED_LIMITS : undefined;
}

/**
 * Limits of the memory import in a wasm binary, or undefined when it imports none (the core's
 * one import besides `env.abort` in the debug build). Walks the import section as the spec lays it out.
 */
export function importedMemoryLimits(bytes: Uint8Array): CompiledCore['memoryImport'] {
  let at = 8;
  const leb = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[at++]!;
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) return result;
    }
  };
  const skipName = () => {
    const length = leb();
    at += length;
  };
  const limits = () => {
    const flags = bytes[at++]!;
    const initial = leb();
    const maximum = (flags & 1) !== 0 ? leb() : 65536;
    return { initial, maximum };
  };
  while (at < bytes.length) {
    const id = bytes[at++]!;
    const size = leb();
    const end = at + size;
    if (id === 2) {
      for (let count = leb(); count > 0; count--) {
        skipName();
        skipName();
        const kind = bytes[at++]!;
        if (kind === 2) return limits();
        if (kind === 0) leb();
        else if (kind === 1) {
          at++;
          limits();
        } else if (kind === 3) at += 2;
        else if (kind === 4) {
          at++;
          leb();
        }
      }
      return undefined;
    }
    at = end;
  }
  return undefined;
}
