// assembly/maxpool2d.ts against the f64 reference (test/reference/maxpool2d.ts) on seeded data,
// debug build, NaN-prefilled outputs, guard words. The backward is also checked against central
// differences of the reference forward, on inputs whose values are spread far enough apart that
// the perturbation cannot change any window's argmax.
import { beforeAll, describe, expect, it } from 'vitest';
import { TestWasm } from '../helpers/wasm.js';
import { randomF32, rng } from '../helpers/random.js';
import * as ref from '../reference/maxpool2d.js';
import type { PoolShape } from '../reference/maxpool2d.js';

/** Unit roundoff of f32. */
const U = 2 ** -24;

const describeShape = (s: PoolShape) => `${s.batch}x${s.height}x${s.width}x${s.channels} pool ${s.size} stride ${s.stride}`;

let w: TestWasm;
beforeAll(async () => {
  w = await TestWasm.create('debug');
});

/** Distinct values (−1, 1) spaced 2/n apart, in a seeded random order. */
function spread(n: number, seed: number): Float32Array {
  const next = rng(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return Float32Array.from(order, (v) => ((v + 0.5) / n) * 2 - 1);
}

/** Values from {−1, 0, 1}: most windows hold ties, which must go to the first maximum. */
function ternary(n: number, seed: number): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: n }, () => Math.floor(next() * 3) - 1);
}

function runCase(s: PoolShape, seed: number, data: 'spread' | 'ties'): void {
  w.reset();
  const e = w.exports;
  const { outHeight, outWidth } = ref.poolGeometry(s);
  const { batch, height, width, channels, size, stride } = s;
  const inLen = batch * height * width * channels;
  const outLen = batch * outHeight * outWidth * channels;
  const x = data === 'spread' ? spread(inLen, seed) : ternary(inLen, seed);
  const dy = randomF32(outLen, seed + 1);

  const bx = w.from(x);
  const bdy = w.from(dy);
  const by = w.nan(outLen);
  const barg = w.nan(outLen);
  const bdx = w.nan(inLen);
  const args = [batch, height, width, channels, size, stride] as const;
  e.maxpool2d_f32_nhwc_forward(by.ptr, barg.ptr, bx.ptr, ...args);
  e.maxpool2d_f32_nhwc_backward(bdx.ptr, bdy.ptr, barg.ptr, ...args);
  w.checkGuards();

  // Forward: max is exact, and the index of the first maximum is unique: compare exactly.
  const want = ref.maxpool2d_f32_nhwc_forward(x, s);
  const got = by.f32();
  const arg = barg.i32();
  for (let i = 0; i < outLen; i++) {
    if (got[i] !== want.output[i] || arg[i] !== want.argmax[i]) {
      expect.fail(
        `maxpool2d_f32_nhwc_forward ${describeShape(s)}: index ${i}: got ${got[i]} at ${arg[i]}, ` +
          `expected ${want.output[i]} at ${want.argmax[i]}`,
      );
    }
  }

  // Backward: dinput[j] sums the doutputs of the windows whose maximum is j, at most
  // ceil(size/stride)² of them: |err| ≤ (that count)·u·Σ|doutput| (Higham §4.2); exact without overlap.
  const overlap = Math.ceil(size / stride) ** 2;
  const dx = ref.maxpool2d_f32_nhwc_backward(dy, want.argmax, s);
  const dxScale = ref.maxpool2d_f32_nhwc_backward(dy.map(Math.abs), want.argmax, s);
  const gotDx = bdx.f32();
  for (let i = 0; i < inLen; i++) {
    const tol = (overlap - 1) * U * dxScale[i];
    if (!(Math.abs(gotDx[i] - dx[i]) <= tol)) {
      expect.fail(`maxpool2d_f32_nhwc_backward ${describeShape(s)}: index ${i}: got ${gotDx[i]}, expected ${dx[i]} ± ${tol}`);
    }
  }

  if (data !== 'spread') return;
  // L(x) = Σ dy·maxpool(x) is linear while no argmax changes; neighbours differ by 2/n, so a step
  // of h·|d| ≤ 0.25/n keeps every argmax and the f64 central difference is exact to ~1e-15
  // relative. Allowed: the kernel's bound projected on d plus 1e-9 relative.
  const d = randomF32(inLen, seed + 2);
  const h = 0.25 / inLen;
  const L = (sign: number) => {
    const xs = Float64Array.from(x, (v, i) => v + sign * h * d[i]);
    const y = ref.maxpool2d_f32_nhwc_forward(xs, s).output;
    let sum = 0;
    for (let i = 0; i < outLen; i++) sum += dy[i] * y[i];
    return sum;
  };
  const fd = (L(1) - L(-1)) / (2 * h);
  let analytic = 0;
  let allowed = 0;
  for (let i = 0; i < inLen; i++) {
    analytic += gotDx[i] * d[i];
    allowed += Math.abs(d[i]) * ((overlap - 1) * U + 1e-9) * dxScale[i];
  }
  expect(
    Math.abs(analytic - fd),
    `maxpool2d_f32_nhwc_backward ${describeShape(s)}: directional derivative ${analytic}, ` + `central difference ${fd}`,
  ).toBeLessThanOrEqual(allowed + 1e-12);
}

const CHANNELS = [1, 2, 3, 5, 7, 17, 32, 33];
const WINDOWS = [
  [2, 2],
  [3, 3],
  [2, 1],
  [3, 2],
  [1, 1],
  [3, 1],
  [2, 3],
] as const;

describe('maxpool2d_f32_nhwc (forward, backward)', () => {
  let i = 0;
  for (const [size, stride] of WINDOWS)
    for (let height = size; height <= 9; height++) {
      i++;
      const width = Math.max(size, ((height * 7 + i) % 9) + 1);
      const s: PoolShape = { batch: (i % 3) + 1, height, width, channels: CHANNELS[i % CHANNELS.length], size, stride };
      const seed = 2000 + 31 * i;
      it(`${describeShape(s)}`, () => {
        runCase(s, seed, 'spread');
        runCase(s, seed + 7, 'ties');
      });
    }

  it('every channel count, 2x2 stride 2 and 3x3 stride 2 on 7x6', () => {
    let seed = 9000;
    for (const channels of CHANNELS)
      for (const [size, stride] of [
        [2, 2],
        [3, 2],
      ] as const) {
        const s: PoolShape = { batch: 2, height: 7, width: 6, channels, size, stride };
        runCase(s, seed++, 'spread');
        runCase(s, seed++, 'ties');
      }
  });

  it('paper shape: 2x26x26x32 pool 2 stride 2', () => {
    const s: PoolShape = { batch: 2, height: 26, width: 26, channels: 32, size: 2, stride: 2 };
    runCase(s, 9100, 'spread');
    runCase(s, 9101, 'ties');
  });

  it('paper shape: 2x28x28x32 pool 2 stride 2', () => {
    const s: PoolShape = { batch: 2, height: 28, width: 28, channels: 32, size: 2, stride: 2 };
    runCase(s, 9200, 'spread');
    runCase(s, 9201, 'ties');
  });

  it('1x28x28x64 pool 2 stride 2', () => {
    runCase({ batch: 1, height: 28, width: 28, channels: 64, size: 2, stride: 2 }, 9300, 'spread');
  });
});
