/**
 * Finding, checking and instantiating the wasm core. This is the only module that touches
 * `@assemblyscript/loader` (deprecated upstream, so it stays behind this one door).
 */
import { instantiate, instantiateStreaming } from '@assemblyscript/loader';
import type { CoreExports } from './abi.js';

export interface LoadOptions {
  /**
   * Where the .wasm is. Default: `build/release.wasm` next to the package, resolved from this
   * module's URL (works in Node, from a bundler such as Vite, and from a plain module script).
   */
  url?: string | URL;
  /** The module's bytes or a compiled module, when the caller already has them. */
  wasm?: ArrayBuffer | ArrayBufferView | WebAssembly.Module;
  /** Use the debug build (assertions on), for tests. Ignored when `url` or `wasm` is given. */
  debug?: boolean;
}

/** Raised when this runtime cannot run the core (no WebAssembly, or no SIMD). */
export class UnsupportedRuntimeError extends Error {
  override readonly name = 'UnsupportedRuntimeError';
}

// Smallest module using v128 (i32.const 0; i8x16.splat; i8x16.popcnt), as in wasm-feature-detect.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

/** True when this runtime has WebAssembly with fixed-width SIMD (v128). */
export function hasWasmSimd(): boolean {
  return typeof WebAssembly === 'object' && typeof WebAssembly.validate === 'function' && WebAssembly.validate(SIMD_PROBE);
}

export function defaultWasmUrl(debug = false): URL {
  // Two literal `new URL('...', import.meta.url)`: bundlers (Vite, webpack 5, Parcel) rewrite only
  // that exact form, emitting the file as an asset; a computed first argument would be left as is.
  return debug ? new URL('../../build/debug.wasm', import.meta.url) : new URL('../../build/release.wasm', import.meta.url);
}

const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';

/** Instantiates the core: checks SIMD first so an old runtime gets a message, not a CompileError. */
export async function instantiateCore(options: LoadOptions = {}): Promise<CoreExports> {
  if (!hasWasmSimd()) {
    throw new UnsupportedRuntimeError(
      'fmnist-wasm needs WebAssembly SIMD (v128), which this runtime lacks: use Node >= 16.4, Chrome/Edge >= 91, Firefox >= 89 or Safari >= 16.4',
    );
  }
  const imports = {};
  if (options.wasm !== undefined) {
    const { exports } = await instantiate<Record<string, unknown>>(options.wasm as never, imports);
    return exports as unknown as CoreExports;
  }
  const url = options.url !== undefined ? new URL(options.url, baseUrl()) : defaultWasmUrl(options.debug);
  if (url.protocol === 'file:') {
    if (!isNode) throw new UnsupportedRuntimeError(`cannot read ${url.href} here: serve the .wasm over HTTP and pass its URL`);
    const { readFile } = await import('node:fs/promises');
    let bytes: Uint8Array;
    try {
      bytes = await readFile(url);
    } catch (error) {
      throw new Error(`fmnist-wasm: cannot read the wasm core at ${url.pathname} (${(error as Error).message}); run \`npm run build\` or pass { url }`);
    }
    const { exports } = await instantiate<Record<string, unknown>>(bytes, imports);
    return exports as unknown as CoreExports;
  }
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`fmnist-wasm: fetching the wasm core from ${url.href} failed: HTTP ${response.status}; serve build/release.wasm there or pass { url }`);
  }
  try {
    const { exports } = await instantiateStreaming<Record<string, unknown>>(response.clone(), imports);
    return exports as unknown as CoreExports;
  } catch (error) {
    // instantiateStreaming refuses a server that does not send application/wasm: retry from bytes.
    if (!(error instanceof TypeError)) throw error;
    const { exports } = await instantiate<Record<string, unknown>>(await response.arrayBuffer(), imports);
    return exports as unknown as CoreExports;
  }
}

function baseUrl(): string | undefined {
  return typeof location === 'object' ? location.href : undefined;
}
