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

/**
 * The machine's f32x4 speed right now: the median of `samples` calls of the strict probe, each about
 * 20 ms, in GFLOP/s. Every family records it before and after its run (bench/main.ts), so a run's
 * absolute figures can be set against the speed the machine had that hour.
 */
export function probeGflops(samples = 7): number {
  const probe = loadProbe();
  const rounds = 100_000;
  probe.peak_f32x4_probe(rounds); // compile and warm up
  const start = performance.now();
  probe.peak_f32x4_probe(rounds);
  const msPerRound = Math.max(1e-6, (performance.now() - start) / rounds);
  const callRounds = Math.max(1000, Math.round(20 / msPerRound));
  const figures: number[] = [];
  for (let s = 0; s < samples; s++) {
    const t = performance.now();
    probe.peak_f32x4_probe(callRounds);
    figures.push((callRounds * FLOP_PER_PROBE_ROUND) / ((performance.now() - t) * 1e6));
  }
  return figures.sort((a, b) => a - b)[Math.floor(samples / 2)]!;
}
