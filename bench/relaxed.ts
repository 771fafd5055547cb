// The relaxed-SIMD build (FMA) for the kernel benchmarks, when the runtime can run it.
import type { CoreExports } from '../src/core/abi.js';
import { instantiateCore } from '../src/core/load.js';

/** build/release-relaxed.wasm, or why it cannot run here. */
export async function loadRelaxed(): Promise<CoreExports | string> {
  try {
    return await instantiateCore({ url: new URL('../build/release-relaxed.wasm', import.meta.url) });
  } catch (error) {
    if (error instanceof WebAssembly.CompileError) {
      return 'no relaxed SIMD in this runtime (Node 20: run with --experimental-wasm-relaxed-simd)';
    }
    throw error;
  }
}
