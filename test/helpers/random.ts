// Seeded, replicable test data (mulberry32): a failure reproduces from its seed.
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform in [lo, hi), as f32. */
export function randomF32(length: number, seed: number, lo = -1, hi = 1): Float32Array {
  const next = rng(seed);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = lo + (hi - lo) * next();
  return out;
}

/** The shared size table: every SIMD/tile tail plus the paper's shapes. */
export const TAIL_SIZES = [1, 2, 3, 5, 7, 17, 31, 33, 63, 129] as const;
export const PAPER_SIZES = [784, 300, 200, 75, 10] as const;
