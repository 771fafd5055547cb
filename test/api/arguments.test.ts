// The library's boundary checks that issue 10 found lacking: a null dataset and NaN options must be
// ArgumentErrors that show what was received (JSON shows NaN and Infinity as null).
import { describe, expect, it } from 'vitest';
import { loadCore } from '../../src/core/index.js';
import { ArgumentError, describeValue } from '../../src/errors.js';
import { buildArchitecture, createModel } from '../../src/models/architectures.js';
import { syntheticSet } from '../layers/helpers.js';

describe('describeValue', () => {
  it('shows NaN, infinities and undefined as themselves, also inside arrays; the rest as JSON', () => {
    expect(describeValue(Number.NaN)).toBe('NaN');
    expect(describeValue(Number.POSITIVE_INFINITY)).toBe('Infinity');
    expect(describeValue(Number.NEGATIVE_INFINITY)).toBe('-Infinity');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue([300, Number.NaN])).toBe('[300,NaN]');
    expect(describeValue(null)).toBe('null');
    expect(describeValue('x')).toBe('"x"');
    expect(describeValue({ a: 1 })).toBe('{"a":1}');
    expect(describeValue(2n)).toBe('2');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(describeValue(cyclic)).toBe('[object Object]');
  });
});

describe('API arguments', () => {
  it('fit(null) and fit(3) throw an ArgumentError naming train', async () => {
    const model = buildArchitecture(await loadCore(), 'mlp', { hidden: [8] });
    for (const bad of [null, undefined, 3]) {
      const error = await model.fit(bad as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ArgumentError);
      expect((error as ArgumentError).argument).toBe('train');
    }
  });

  it('reports NaN options as NaN, not null', async () => {
    const model = buildArchitecture(await loadCore(), 'mlp', { hidden: [8] });
    const set = syntheticSet(8, 28, 28, 10, 1);
    await expect(model.fit(set, { batchSize: Number.NaN })).rejects.toThrow('batchSize: expected a positive integer, got NaN');
    await expect(model.fit(set, { epochs: Number.POSITIVE_INFINITY })).rejects.toThrow('epochs: expected a positive integer, got Infinity');
    await expect(createModel('mlp', { hidden: [300, Number.NaN] })).rejects.toThrow(/hidden: .*got \[300,NaN\]/);
    expect(() => model.evaluate(set, { batchSize: Number.NaN })).toThrow('batchSize: expected a positive integer, got NaN');
  });
});
