// The typed-array convenience API: shape validation at the boundary (RangeError naming the
// argument, nothing read or written outside a buffer), inputs untouched, results equal to the
// zero-copy kernels' (which test/kernels checks against the references).
import { beforeAll, describe, expect, it } from 'vitest';
import { type Core, loadCore } from '../../src/index.js';
import { gemm_f32_nn } from '../reference/gemm.js';
import { conv2d_f32_nhwc_forward } from '../reference/conv2d.js';
import { maxpool2d_f32_nhwc_forward } from '../reference/maxpool2d.js';
import { softmax_f32_forward } from '../reference/softmax-xent.js';
import { randomF32 } from '../helpers/random.js';

let core: Core;
beforeAll(async () => {
  core = await loadCore();
});

function expectClose(got: Float32Array, expected: ArrayLike<number>, tolerance: number): void {
  expect(got.length).toBe(expected.length);
  for (let i = 0; i < got.length; i++) {
    if (!(Math.abs(got[i] - expected[i]) <= tolerance)) {
      throw new Error(`index ${i}: got ${got[i]}, expected ${expected[i]} (tolerance ${tolerance})`);
    }
  }
}

describe('matmul', () => {
  it('multiplies [m,k]·[k,n] and leaves its inputs untouched', () => {
    const [m, k, n] = [33, 784, 17];
    const a = randomF32(m * k, 1);
    const b = randomF32(k * n, 2);
    const aCopy = a.slice();
    const c = core.matmul(a, b, m, k, n);
    // Sum of k products of values in [-1, 1]: error bound k·ε(f32)·1·1.
    expectClose(c, gemm_f32_nn(a, b, m, k, n), k * 2 ** -23);
    expect(a).toEqual(aCopy);
  });

  it('names the argument whose shape is wrong', () => {
    const a = new Float32Array(6);
    const b = new Float32Array(12);
    expect(() => core.matmul(a, b, 2, 3, 4)).not.toThrow();
    expect(() => core.matmul(a.subarray(1), b, 2, 3, 4)).toThrow(RangeError);
    expect(() => core.matmul(a.subarray(1), b, 2, 3, 4)).toThrow(/^a: shape \[m, k\] = \[2, 3\] needs 6 elements, got 5$/);
    expect(() => core.matmul(a, b.subarray(2), 2, 3, 4)).toThrow(/^b: .* needs 12 elements, got 10$/);
    expect(() => core.matmul(a, b, 0, 3, 4)).toThrow(/^m: expected a positive integer, got 0$/);
    expect(() => core.matmul(a, b, 2, 3.5, 4)).toThrow(/^k: expected a positive integer, got 3.5$/);
    expect(() => core.matmul(a, b, 2, 3, -4)).toThrow(/^n: /);
    expect(() => core.matmul([1, 2] as unknown as Float32Array, b, 2, 3, 4)).toThrow(TypeError);
  });

  it('keeps the arena and memory size constant across calls', () => {
    const a = randomF32(128 * 784, 3);
    const b = randomF32(784 * 300, 4);
    core.matmul(a, b, 128, 784, 300);
    const bytes = core.exports.memory.buffer.byteLength;
    const planned = core.arena.plannedBytes;
    for (let i = 0; i < 3; i++) core.matmul(a, b, 128, 784, 300);
    expect(core.exports.memory.buffer.byteLength).toBe(bytes);
    expect(core.arena.plannedBytes).toBe(planned);
  });
});

describe('conv2d', () => {
  const shape = { batch: 2, height: 7, width: 6, inChannels: 3, kernelHeight: 3, kernelWidth: 2, outChannels: 5 };

  for (const padding of ['valid', 'same'] as const) {
    it(`convolves NHWC by HWIO with '${padding}' padding and bias`, () => {
      const input = randomF32(2 * 7 * 6 * 3, 5);
      const filters = randomF32(3 * 2 * 3 * 5, 6);
      const bias = randomF32(5, 7);
      const got = core.conv2d(input, filters, { ...shape, padding }, bias);
      const expected = conv2d_f32_nhwc_forward(input, filters, bias, { ...shape, padding: padding === 'same' ? 1 : 0 });
      // 18 products of values in [-1, 1] plus a bias: 19·ε.
      expectClose(got, expected, 19 * 2 ** -23);
    });
  }

  it('names the argument whose shape is wrong', () => {
    const input = new Float32Array(2 * 7 * 6 * 3);
    const filters = new Float32Array(3 * 2 * 3 * 5);
    expect(() => core.conv2d(input.subarray(1), filters, { ...shape, padding: 'valid' })).toThrow(/^input: /);
    expect(() => core.conv2d(input, filters.subarray(1), { ...shape, padding: 'valid' })).toThrow(/^filters: /);
    expect(() => core.conv2d(input, filters, { ...shape, padding: 'valid' }, new Float32Array(4))).toThrow(/^bias: .*got 4$/);
    expect(() => core.conv2d(input, filters, { ...shape, outChannels: 0, padding: 'valid' })).toThrow(/^shape.outChannels: /);
    expect(() => core.conv2d(input, filters, { ...shape, padding: 'full' as 'same' })).toThrow(/^shape.padding: /);
    expect(() => core.conv2d(new Float32Array(2 * 1 * 1 * 3), filters, { ...shape, height: 1, width: 1, padding: 'valid' })).toThrow(
      /does not fit/,
    );
  });
});

describe('maxPool2d', () => {
  it('pools NHWC 2x2 stride 2 by default, flooring odd sizes', () => {
    const input = randomF32(3 * 7 * 9 * 4, 8);
    const got = core.maxPool2d(input, { batch: 3, height: 7, width: 9, channels: 4 });
    const expected = maxpool2d_f32_nhwc_forward(input, { batch: 3, height: 7, width: 9, channels: 4, size: 2, stride: 2 }).output;
    expect(got.length).toBe(3 * 3 * 4 * 4);
    expectClose(got, expected, 0);
  });

  it('names the argument whose shape is wrong', () => {
    const input = new Float32Array(2 * 4 * 4 * 3);
    expect(() => core.maxPool2d(input.subarray(3), { batch: 2, height: 4, width: 4, channels: 3 })).toThrow(/^input: /);
    expect(() => core.maxPool2d(input, { batch: 2, height: 4, width: 4, channels: 3, size: 0 })).toThrow(/^shape.size: /);
    expect(() => core.maxPool2d(input, { batch: 2, height: 4, width: 4, channels: 3, size: 5 })).toThrow(/^shape.size: .*does not fit/);
  });
});

describe('softmax', () => {
  it('normalises rows, stable for large logits', () => {
    const x = randomF32(17 * 10, 9, -100, 100);
    const got = core.softmax(x, 17, 10);
    // Each probability in [0, 1] from a few-ulp exp and a 10-term sum.
    expectClose(got, softmax_f32_forward(x, 17, 10), 1e-6);
    for (let r = 0; r < 17; r++) {
      let sum = 0;
      for (let c = 0; c < 10; c++) sum += got[r * 10 + c];
      expect(Math.abs(sum - 1)).toBeLessThan(1e-6);
    }
  });

  it('names the argument whose shape is wrong', () => {
    expect(() => core.softmax(new Float32Array(9), 2, 5)).toThrow(/^x: shape \[rows, cols\] = \[2, 5\] needs 10 elements, got 9$/);
    expect(() => core.softmax(new Float32Array(10), 2, NaN)).toThrow(/^cols: /);
  });
});

describe('out: the result written into a given Float32Array', () => {
  const bits = (values: Float32Array) => new Uint32Array(values.buffer, values.byteOffset, values.length);
  const calls = () => {
    const a = randomF32(6 * 5, 11);
    const b = randomF32(5 * 7, 12);
    const x = randomF32(2 * 6 * 6 * 3, 13);
    const filters = randomF32(3 * 3 * 3 * 4, 14);
    const bias = randomF32(4, 15);
    const shape = {
      batch: 2,
      height: 6,
      width: 6,
      inChannels: 3,
      kernelHeight: 3,
      kernelWidth: 3,
      outChannels: 4,
      padding: 'valid',
    } as const;
    const pool = { batch: 2, height: 6, width: 6, channels: 3 };
    return [
      { name: 'matmul', size: 6 * 7, run: (out?: Float32Array) => core.matmul(a, b, 6, 5, 7, out) },
      { name: 'conv2d', size: 2 * 4 * 4 * 4, run: (out?: Float32Array) => core.conv2d(x, filters, shape, bias, out) },
      { name: 'maxPool2d', size: 2 * 3 * 3 * 3, run: (out?: Float32Array) => core.maxPool2d(x, pool, out) },
      { name: 'softmax', size: 6 * 5, run: (out?: Float32Array) => core.softmax(a, 6, 5, out) },
    ];
  };

  it.each(calls().map((c) => [c.name, c] as const))('%s returns out itself, holding the bits of the new-array result', (_, call) => {
    const fresh = call.run();
    const out = new Float32Array(call.size).fill(Number.NaN);
    expect(call.run(out)).toBe(out);
    expect(bits(out)).toEqual(bits(fresh));
  });

  it.each(calls().map((c) => [c.name, c] as const))('%s refuses an out of another size or type, naming out, writing nothing', (_, call) => {
    const short = new Float32Array(call.size - 1).fill(7);
    expect(() => call.run(short)).toThrow(new RegExp(`^out: shape .* needs ${call.size} elements, got ${call.size - 1}$`));
    expect(short.every((v) => v === 7)).toBe(true);
    expect(() => call.run(new Float64Array(call.size) as unknown as Float32Array)).toThrow(
      /^out: expected a Float32Array, got Float64Array$/,
    );
  });
});
