// Comparison helpers shared by the kernel tests: per-element tolerances, messages that name the
// kernel, the shape, the index, got and expected; and the bit-for-bit comparison of trained weights.
import { expect } from 'vitest';

/** Unit roundoff of f32: one rounding changes a value by at most U·|value| (normal range). */
export const U = 2 ** -24;
/** Smallest normal f32 (values below it lose relative precision). */
export const MIN_NORMAL = 2 ** -126;

/**
 * The first index where |got − want| > tol (or got is NaN/Inf while want is finite), as a message
 * naming kernel, shape, index, got and expected; '' when every element passes.
 */
export function mismatch(
  kernel: string,
  shape: string,
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: ArrayLike<number> | number,
): string {
  if (got.length !== want.length) return `${kernel} ${shape}: length ${got.length}, expected ${want.length}`;
  for (let i = 0; i < got.length; i++) {
    const t = typeof tol === 'number' ? tol : tol[i];
    if (!(Math.abs(got[i] - want[i]) <= t)) {
      return `${kernel} ${shape}: index ${i}: got ${got[i]}, expected ${want[i]} ± ${t}`;
    }
  }
  return '';
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Σ |a_i · b_i|: the scale of the rounding error of a dot product. */
export function absDot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] * b[i]);
  return s;
}

/** x + h·d, in f64. */
export function axpy(x: ArrayLike<number>, h: number, d: ArrayLike<number>): Float64Array {
  return Float64Array.from(x as ArrayLike<number>, (v, i) => v + h * d[i]);
}

/** Every value finite? Returns the first bad index or −1. */
export function firstNonFinite(x: ArrayLike<number>): number {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return i;
  return -1;
}

/** A model's weights as raw bits (copies), for bit-for-bit comparisons. */
export function weightBits(weights: readonly { values: Float32Array }[]): Uint32Array[] {
  return weights.map((w) => new Uint32Array(w.values.buffer, w.values.byteOffset, w.values.length).slice());
}

/** Every weight tensor equal bit for bit; the message names the first differing tensor and index. */
export function expectSameBits(got: Uint32Array[], expected: Uint32Array[], what: string): void {
  expect(got.length).toBe(expected.length);
  got.forEach((tensor, t) => {
    const at = tensor.findIndex((bits, i) => bits !== expected[t]![i]);
    expect(at, `${what}: weight tensor ${t} differs first at ${at}`).toBe(-1);
  });
}
