import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.js';
import { cosineDecay, exponentialDecay, stepDecay } from '../../src/train/schedules.js';

const at = (epoch: number, step: number, stepsPerEpoch = 100) => ({ epoch, step, stepsPerEpoch });

describe('learning-rate schedules', () => {
  it('stepDecay multiplies by the factor every N epochs', () => {
    const s = stepDecay({ initialRate: 0.1, epochs: 3, factor: 0.5 });
    expect([0, 1, 2, 3, 5, 6, 9].map((e) => s(at(e, e * 100)))).toEqual([0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.0125]);
  });

  it('exponentialDecay follows rate · decayRate^(step / decaySteps), floored with staircase', () => {
    const smooth = exponentialDecay({ initialRate: 0.01, decaySteps: 1000, decayRate: 0.96 });
    const stairs = exponentialDecay({ initialRate: 0.01, decaySteps: 1000, decayRate: 0.96, staircase: true });
    expect(smooth(at(0, 0))).toBe(0.01);
    expect(smooth(at(5, 500))).toBeCloseTo(0.01 * Math.sqrt(0.96), 15);
    expect(smooth(at(20, 2000))).toBeCloseTo(0.01 * 0.96 * 0.96, 15);
    expect(stairs(at(9, 999))).toBe(0.01);
    expect(stairs(at(10, 1000))).toBeCloseTo(0.0096, 15);
  });

  it('cosineDecay starts at the rate, halves at the midpoint and ends at alpha · rate', () => {
    const s = cosineDecay({ initialRate: 0.001, epochs: 10, alpha: 0.1 });
    expect(s(at(0, 0))).toBeCloseTo(0.001, 15);
    expect(s(at(5, 500))).toBeCloseTo(0.001 * (0.9 * 0.5 + 0.1), 15);
    expect(s(at(10, 1000))).toBeCloseTo(0.0001, 15);
    expect(s(at(12, 1200))).toBeCloseTo(0.0001, 15); // past the end it stays there
    // Monotonically decreasing, step by step.
    const rates = Array.from({ length: 1001 }, (_, i) => s(at(Math.floor(i / 100), i)));
    expect(rates.every((r, i) => i === 0 || r <= rates[i - 1]!)).toBe(true);
  });

  it('rejects bad settings with an ArgumentError naming them', () => {
    expect(() => stepDecay({ initialRate: 0.1, epochs: 0, factor: 0.5 })).toThrow(ArgumentError);
    expect(() => stepDecay({ initialRate: 0.1, epochs: 0, factor: 0.5 })).toThrow(/stepDecay epochs/);
    expect(() => exponentialDecay({ initialRate: Number.NaN, decaySteps: 1, decayRate: 0.5 })).toThrow(/initialRate/);
    expect(() => cosineDecay({ initialRate: 0.1, epochs: 5, alpha: 2 })).toThrow(/alpha/);
  });
});
