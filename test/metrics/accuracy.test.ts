import { describe, expect, it } from 'vitest';
import { accuracy } from '../../src/metrics/index.js';

describe('accuracy', () => {
  it('is the fraction of matches', () => {
    expect(accuracy([0, 1, 2, 3], [0, 1, 2, 3])).toBe(1);
    expect(accuracy([0, 0, 2, 2, 1], [0, 1, 2, 2, 2])).toBe(0.6);
    expect(accuracy(new Uint8Array([9, 9]), new Int32Array([0, 1]))).toBe(0);
    expect(accuracy(new Uint8Array([3]), [3])).toBe(1);
  });
  it('throws a RangeError for mismatched or empty inputs', () => {
    expect(() => accuracy([1, 2], [1])).toThrow(RangeError);
    expect(() => accuracy([1, 2], [1])).toThrow('accuracy: predicted has 2 entries but labels has 1');
    expect(() => accuracy([], [])).toThrow(RangeError);
  });
});
