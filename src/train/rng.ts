/**
 * The seeded pseudo-random generator behind weight initialisation and shuffling.
 *
 * xoshiro128** 1.1 (Blackman & Vigna, https://prng.di.unimi.it/xoshiro128starstar.c): 128 bits of
 * state, period 2^128 − 1, passes BigCrush, and needs only 32-bit integer operations, so it is exact
 * and identical in every JavaScript engine (Math.imul, >>>). The four state words are filled from the
 * seed with splitmix32 (the seeding the authors recommend: a different generator, so that seeds
 * 0, 1, 2… give unrelated streams and the state is never all zero).
 *
 * Same seed → same stream, bit for bit, on every platform: this is what makes two training runs
 * with the same seed produce identical weights.
 */

/** A seed: an integer in 0..2^32−1 (larger safe integers are folded in, not truncated). */
export type Seed = number;

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /**
   * @param stream selects an independent stream for the same seed (weight initialisation uses
   *   stream 0, shuffling stream 1, so one user seed drives both without reusing numbers).
   * @throws RangeError when `seed` is not a non-negative safe integer.
   */
  constructor(seed: Seed, stream = 0) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`seed: expected a non-negative integer, got ${String(seed)}`);
    }
    // splitmix32 from a start that mixes both halves of the seed (so 2^32 + k and k differ) and the stream.
    const high = (Math.floor(seed / 0x100000000) >>> 0) ^ Math.imul(stream >>> 0, 0x27d4eb2f);
    let x = (seed >>> 0) ^ Math.imul(high, 0x9e3779b9);
    const next = () => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // unreachable in practice; all-zero is the one forbidden state
  }

  /**
   * A generator in the given raw xoshiro128** state (four u32 words, not all zero), bypassing the
   * seeding: for known-answer tests against the reference C code.
   */
  static fromState(state: readonly [number, number, number, number]): Rng {
    if (state.every((word) => word >>> 0 === 0)) throw new RangeError('state: the all-zero state is not allowed');
    const rng = new Rng(0);
    [rng.s0, rng.s1, rng.s2, rng.s3] = state.map((word) => word >>> 0) as [number, number, number, number];
    return rng;
  }

  /** The next 32 random bits, as an unsigned integer. */
  nextU32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits (two draws). */
  nextFloat(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.nextFloat();
  }

  /** Standard normal N(0, 1), by Box–Muller (one value per call; the sine partner is discarded). */
  normal(): number {
    const u1 = 1 - this.nextFloat(); // (0, 1], so the log is finite
    const u2 = this.nextFloat();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /**
   * Uniform integer in 0..bound−1, unbiased (Lemire's multiply-shift with rejection,
   * https://arxiv.org/abs/1805.10941). bound in 1..2^32.
   */
  nextInt(bound: number): number {
    if (!Number.isInteger(bound) || bound < 1 || bound > 4294967296) {
      throw new RangeError(`bound: expected an integer in 1..2^32, got ${String(bound)}`);
    }
    // threshold = 2^32 mod bound: draws whose low product word is below it would be over-represented.
    const threshold = 4294967296 % bound;
    if (bound <= 2097152) {
      // x · bound < 2^53: the product is exact in a double.
      for (;;) {
        const product = this.nextU32() * bound;
        const high = Math.floor(product / 4294967296);
        if (product - high * 4294967296 >= threshold) return high;
      }
    }
    // Larger bounds (never needed for shuffling a dataset): rejection of the top partial range.
    const limit = 4294967296 - threshold;
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % bound;
    }
  }

  /**
   * Fisher–Yates (Durstenfeld) shuffle in place: every permutation equally likely.
   * Works on any index-addressable array, including an Int32Array view of wasm memory.
   */
  shuffle(array: { length: number; [index: number]: number }, count = array.length): void {
    for (let i = count - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const t = array[i]!;
      array[i] = array[j]!;
      array[j] = t;
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * A 32-bit seed for one draw of one step: mixes (seed, step, stream) through splitmix32's finaliser,
 * so neighbouring steps and layers get unrelated seeds. A pure function of its arguments: a resumed
 * run at the same step gets the same seed.
 */
export function stepSeed(seed: number, step: number, stream: number): number {
  let z = (seed >>> 0) ^ Math.imul(Math.floor(seed / 0x100000000) >>> 0, 0x9e3779b9);
  for (const word of [step >>> 0, Math.floor(step / 0x100000000) >>> 0, stream >>> 0]) {
    z = (z + 0x9e3779b9 + word) | 0;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
  }
  return z >>> 0;
}
