import { describe, expect, it } from 'vitest';
import { confusionMatrix } from '../../src/metrics/index.js';

describe('confusionMatrix', () => {
  it('counts rows = true class, columns = predicted class (hand-computed)', () => {
    // true:      0 1 2 2 2 1 0
    // predicted: 0 0 2 2 1 1 2
    expect(confusionMatrix([0, 0, 2, 2, 1, 1, 2], [0, 1, 2, 2, 2, 1, 0], 3)).toEqual([
      [1, 0, 1],
      [1, 1, 0],
      [0, 1, 2],
    ]);
  });
  it('is 10x10 by default, with row sums = support', () => {
    const labels = Array.from({ length: 100 }, (_, i) => i % 10);
    const predicted = labels.map((l) => (l === 6 ? 0 : l)); // every shirt taken for a T-shirt
    const m = confusionMatrix(new Uint8Array(predicted), new Uint8Array(labels));
    expect(m).toHaveLength(10);
    expect(m.every((row) => row.length === 10)).toBe(true);
    expect(m.map((row) => row.reduce((a, b) => a + b, 0))).toEqual(new Array(10).fill(10));
    expect(m[6]![0]).toBe(10);
    expect(m[6]![6]).toBe(0);
    expect(m[0]![0]).toBe(10);
  });
  it('is all zeros for no examples', () => {
    expect(confusionMatrix([], [], 2)).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });
  it('throws a RangeError naming the bad index or argument', () => {
    expect(() => confusionMatrix([0, 1], [0], 3)).toThrow('confusionMatrix: predicted has 2 entries but labels has 1');
    expect(() => confusionMatrix([0, 3], [0, 1], 3)).toThrow('confusionMatrix: predicted[1] is 3, outside 0..2');
    expect(() => confusionMatrix([0, 1], [-1, 1], 3)).toThrow('confusionMatrix: labels[0] is -1, outside 0..2');
    expect(() => confusionMatrix([0.5], [0], 3)).toThrow(RangeError);
    expect(() => confusionMatrix([0], [0], 0)).toThrow('classes must be a positive integer');
  });
});
