// The f32x4 peak probes (assembly/probe.ts): a module of their own, built for the benchmarks only
// by `npm run asbuild:probe` (which `npm run bench` runs first), so the core's ABI has no bench code.
import { readFileSync } from 'node:fs';

export interface Probe {
  /** 12 independent f32x4 mul + add chains, `iterations` rounds of 96 FLOP. */
  peak_f32x4_probe(iterations: number): number;
  /** The same chains through the kernels' multiply-add (fused in the relaxed build). */
  peak_f32x4_madd_probe(iterations: number): number;
}

/** FLOP of one round of either probe. */
export const FLOP_PER_PROBE_ROUND = 96;

/** build/probe.wasm (strict) or build/probe-relaxed.wasm; the relaxed one compiles only where the runtime has relaxed SIMD. */
export function loadProbe(build: 'probe' | 'probe-relaxed' = 'probe'): Probe {
  const url = new URL(`../build/${build}.wasm`, import.meta.url);
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(readFileSync(url));
  } catch (error) {
    throw new Error(`bench: cannot read ${url.pathname} (${(error as Error).message}); run \`npm run asbuild:probe\``);
  }
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as Probe;
}
