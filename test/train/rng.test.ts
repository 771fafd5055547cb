import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/train/rng.js';

describe('Rng (xoshiro128**)', () => {
  it('matches the reference C implementation from state {1, 2, 3, 4}', () => {
    // Outputs of xoshiro128starstar.c (prng.di.unimi.it) compiled with gcc, state s = {1, 2, 3, 4}.
    const rng = Rng.fromState([1, 2, 3, 4]);
    const got = Array.from({ length: 8 }, () => rng.nextU32());
    expect(got).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849]);
  });

  it('is deterministic per seed and stream, and different across them', () => {
    const draw = (seed: number, stream = 0) => {
      const rng = new Rng(seed, stream);
      return Array.from({ length: 16 }, () => rng.nextU32());
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    expect(draw(7, 0)).not.toEqual(draw(7, 1));
    expect(draw(2 ** 32 + 7)).not.toEqual(draw(7));
    expect(() => new Rng(-1)).toThrow(RangeError);
    expect(() => new Rng(1.5)).toThrow(RangeError);
  });

  it('nextFloat is in [0, 1) with mean ≈ 1/2; normal has mean ≈ 0, variance ≈ 1', () => {
    const rng = new Rng(3);
    const n = 20000;
    let sum = 0;
    let sumN = 0;
    let sumN2 = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.nextFloat();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
      const z = rng.normal();
      sumN += z;
      sumN2 += z * z;
    }
    // Standard errors: 1/√(12n) ≈ 0.002 for the uniform mean, 1/√n ≈ 0.007 for the normal mean, √(2/n) ≈ 0.01 for the variance.
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(sumN / n)).toBeLessThan(0.035);
    expect(Math.abs(sumN2 / n - 1)).toBeLessThan(0.05);
  });

  it('nextInt is unbiased over a small bound (chi-square) and covers 1..2^32 bounds', () => {
    const rng = new Rng(11);
    const bound = 7;
    const counts = new Array<number>(bound).fill(0);
    const n = 70000;
    for (let i = 0; i < n; i++) counts[rng.nextInt(bound)]!++;
    const expected = n / bound;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(22.46); // 6 degrees of freedom, p = 0.001
    expect(rng.nextInt(1)).toBe(0);
    const big = rng.nextInt(2 ** 32);
    expect(big >= 0 && big < 2 ** 32).toBe(true);
    expect(() => rng.nextInt(0)).toThrow(RangeError);
  });

  it('shuffle gives a permutation, the same one for the same seed, and touches only the first count entries', () => {
    const a = Int32Array.from({ length: 1000 }, (_, i) => i);
    const b = a.slice();
    new Rng(5).shuffle(a);
    new Rng(5).shuffle(b);
    expect(a).toEqual(b);
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(a)).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
    const c = Int32Array.from({ length: 10 }, (_, i) => i);
    new Rng(1).shuffle(c, 5);
    expect(Array.from(c.subarray(5))).toEqual([5, 6, 7, 8, 9]);
  });

  it('shuffle positions are uniform (each of 4 items lands in each slot ≈ 1/4 of the time)', () => {
    const rng = new Rng(9);
    const counts = Array.from({ length: 4 }, () => new Array<number>(4).fill(0));
    const n = 40000;
    for (let t = 0; t < n; t++) {
      const a = [0, 1, 2, 3];
      rng.shuffle(a);
      a.forEach((item, slot) => counts[item]![slot]!++);
    }
    for (const row of counts) for (const c of row) expect(Math.abs(c / n - 0.25)).toBeLessThan(0.01);
  });
});
