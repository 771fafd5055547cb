// assembly/conv2d.ts against the f64 reference (test/reference/conv2d.ts) on seeded data, on the
// debug build (assertions on; the relaxed-SIMD release build in the vitest project "relaxed-simd"), with NaN-prefilled outputs and workspace and guard words after
// every buffer. Backward kernels are also checked against central differences of the f64
// reference forward along a random direction.
import { beforeAll, describe, expect, it } from 'vitest';
import { kernelTestBuilds, TestWasm } from '../helpers/wasm.js';
import { randomF32 } from '../helpers/random.js';
import * as ref from '../reference/conv2d.js';
import type { ConvShape } from '../reference/conv2d.js';

/** Unit roundoff of f32. */
const U = 2 ** -24;

const abs = (x: ArrayLike<number>) => Float64Array.from(x as ArrayLike<number>, Math.abs);
const describeShape = (s: ConvShape) =>
  `${s.batch}x${s.height}x${s.width}x${s.inChannels} * ${s.kernelHeight}x${s.kernelWidth}->${s.outChannels} ${s.padding ? 'same' : 'valid'}`;

/** First index where |got − want| > tol (or got is not finite), as a message; '' when all pass. */
function mismatch(kernel: string, s: ConvShape, got: Float32Array, want: ArrayLike<number>, tol: ArrayLike<number>): string {
  if (got.length !== want.length) return `${kernel} ${describeShape(s)}: length ${got.length}, expected ${want.length}`;
  for (let i = 0; i < got.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol[i])) {
      return `${kernel} ${describeShape(s)}: index ${i}: got ${got[i]}, expected ${want[i]} ± ${tol[i]}`;
    }
  }
  return '';
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function axpy(x: ArrayLike<number>, h: number, d: ArrayLike<number>): Float64Array {
  return Float64Array.from(x as ArrayLike<number>, (v, i) => v + h * d[i]);
}

interface CaseOptions {
  bias: boolean;
  accumulate: boolean;
  /** Also compare the backward kernels with central differences. */
  gradientCheck: boolean;
}

let w: TestWasm;

function runCase(s: ConvShape, seed: number, o: CaseOptions): void {
  w.reset();
  const e = w.exports;
  const { outHeight, outWidth } = ref.convGeometry(s);
  const { batch, height, width, inChannels, kernelHeight, kernelWidth, outChannels, padding } = s;
  const inLen = batch * height * width * inChannels;
  const outLen = batch * outHeight * outWidth * outChannels;
  const filterLen = kernelHeight * kernelWidth * inChannels * outChannels;
  const rows = batch * outHeight * outWidth;
  const K = kernelHeight * kernelWidth * inChannels;

  const x = randomF32(inLen, seed);
  const f = randomF32(filterLen, seed + 1);
  const bias = o.bias ? randomF32(outChannels, seed + 2) : null;
  const dy = randomF32(outLen, seed + 3);
  const priorF = randomF32(filterLen, seed + 4);
  const priorB = randomF32(outChannels, seed + 5);

  const bx = w.from(x);
  const bf = w.from(f);
  const bb = bias ? w.from(bias) : null;
  const bdy = w.from(dy);
  const wsBytes = e.conv2d_f32_workspace_bytes(batch, height, width, inChannels, kernelHeight, kernelWidth, outChannels, padding);
  expect(wsBytes).toBeGreaterThanOrEqual(0);
  const ws = w.nan(Math.ceil(wsBytes / 4));
  const by = w.nan(outLen);
  const bdx = w.nan(inLen);
  const bdf = o.accumulate ? w.from(priorF) : w.nan(filterLen);
  const bdb = o.accumulate ? w.from(priorB) : w.nan(outChannels);
  const args = [batch, height, width, inChannels, kernelHeight, kernelWidth, outChannels, padding] as const;

  e.conv2d_f32_nhwc_forward(by.ptr, bx.ptr, bf.ptr, bb?.ptr ?? 0, ws.ptr, ...args);
  e.conv2d_f32_nhwc_backward_data(bdx.ptr, bdy.ptr, bf.ptr, ws.ptr, ...args);
  e.conv2d_f32_nhwc_backward_filter(bdf.ptr, bdb.ptr, bx.ptr, bdy.ptr, ws.ptr, ...args, o.accumulate ? 1 : 0);
  w.checkGuards();

  // Forward: each output sums K products plus the bias. Any summation order of n terms in f32
  // errs by at most (n − 1)·u·Σ|term|, and each product's rounding adds u·|x·w| (Higham,
  // Accuracy and Stability, §3.1 and §4.2): |err| ≤ (K + 2)·u·S with S = Σ|x|·|w| + |bias|.
  // The relaxed builds fuse product and sum (one rounding instead of two per term), so this and the
  // bounds below, which count the strict roundings, hold for them unchanged.
  const y = ref.conv2d_f32_nhwc_forward(x, f, bias, s);
  const yScale = ref.conv2d_f32_nhwc_forward(abs(x), abs(f), bias ? abs(bias) : null, s);
  const yTol = yScale.map((v) => (K + 2) * U * v);
  expect(mismatch('conv2d_f32_nhwc_forward', s, by.f32(), y, yTol)).toBe('');

  // Backward data: each dinput sums kh·kw·outChannels products dy·w (the GEMM sums outChannels,
  // col2im adds the kh·kw partial sums): |err| ≤ (kh·kw·outChannels + 2)·u·Σ|dy|·|w|.
  const nData = kernelHeight * kernelWidth * outChannels;
  const dx = ref.conv2d_f32_nhwc_backward_data(dy, f, s);
  const dxScale = ref.conv2d_f32_nhwc_backward_data(abs(dy), abs(f), s);
  const dxTol = dxScale.map((v) => (nData + 2) * U * v);
  expect(mismatch('conv2d_f32_nhwc_backward_data', s, bdx.f32(), dx, dxTol)).toBe('');

  // Backward filter: each dfilter sums `rows` products x·dy (across im2col chunks), plus the prior
  // value when accumulating: |err| ≤ (rows + 2)·u·(Σ|x|·|dy| + |prior|). dbias likewise over Σ|dy|.
  const { dfilters, dbias } = ref.conv2d_f32_nhwc_backward_filter(x, dy, s);
  const scale = ref.conv2d_f32_nhwc_backward_filter(abs(x), abs(dy), s);
  const wantF = o.accumulate ? dfilters.map((v, i) => v + priorF[i]) : dfilters;
  const wantB = o.accumulate ? dbias.map((v, i) => v + priorB[i]) : dbias;
  const dfTol = scale.dfilters.map((v, i) => (rows + 2) * U * (v + (o.accumulate ? Math.abs(priorF[i]) : 0)));
  const dbTol = scale.dbias.map((v, i) => (rows + 2) * U * (v + (o.accumulate ? Math.abs(priorB[i]) : 0)));
  expect(mismatch('conv2d_f32_nhwc_backward_filter (dfilters)', s, bdf.f32(), wantF, dfTol)).toBe('');
  expect(mismatch('conv2d_f32_nhwc_backward_filter (dbias)', s, bdb.f32(), wantB, dbTol)).toBe('');

  if (!o.gradientCheck) return;
  // L(x, f, b) = Σ dy·forward(x, f, b). The kernels' gradients, projected on a random direction d,
  // must match (L(θ + h·d) − L(θ − h·d)) / 2h. L is linear in each argument, so the central
  // difference in f64 is exact up to about 1e-15 relative; the allowed error is the kernels' own
  // bound projected on d, Σ|d_i|·tol_i, plus 1e-9 relative for the f64 side.
  const h = 0.5;
  const L = (xx: ArrayLike<number>, ff: ArrayLike<number>, bb2: ArrayLike<number> | null) =>
    dot(dy, ref.conv2d_f32_nhwc_forward(xx, ff, bb2, s));
  const check = (
    kernel: string,
    got: Float32Array,
    tol: ArrayLike<number>,
    scaleArr: ArrayLike<number>,
    d: Float32Array,
    plus: number,
    minus: number,
  ) => {
    const fd = (plus - minus) / (2 * h);
    const analytic = dot(got, d);
    const allowed = dot(abs(d), tol) + 1e-9 * dot(abs(d), scaleArr);
    expect(
      Math.abs(analytic - fd),
      `${kernel} ${describeShape(s)}: directional derivative ${analytic}, central difference ${fd}`,
    ).toBeLessThanOrEqual(allowed);
  };
  const dX = randomF32(inLen, seed + 6);
  check('conv2d_f32_nhwc_backward_data', bdx.f32(), dxTol, dxScale, dX, L(axpy(x, h, dX), f, bias), L(axpy(x, -h, dX), f, bias));
  if (!o.accumulate) {
    const dF = randomF32(filterLen, seed + 7);
    check(
      'conv2d_f32_nhwc_backward_filter (dfilters)',
      bdf.f32(),
      dfTol,
      scale.dfilters,
      dF,
      L(x, axpy(f, h, dF), bias),
      L(x, axpy(f, -h, dF), bias),
    );
    const dB = randomF32(outChannels, seed + 8);
    const b0 = bias ?? new Float64Array(outChannels);
    check(
      'conv2d_f32_nhwc_backward_filter (dbias)',
      bdb.f32(),
      dbTol,
      scale.dbias,
      dB,
      L(x, f, axpy(b0, h, dB)),
      L(x, f, axpy(b0, -h, dB)),
    );
  }
}

const KERNELS = [1, 2, 3, 5];
const CHANNELS = [1, 2, 3, 5, 7, 17, 32, 33];
const SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 28];

/** The sweep: every kernel size x padding x height, with width, channels, batch and flags rotating. */
function sweep(): { s: ConvShape; o: CaseOptions; seed: number }[] {
  const cases: { s: ConvShape; o: CaseOptions; seed: number }[] = [];
  let i = 0;
  for (const k of KERNELS)
    for (const padding of [0, 1] as const)
      for (const height of SIZES) {
        i++;
        const big = height === 28;
        let width = big ? 28 : ((height * 5 + k * 3 + padding) % 9) + 1;
        // the 2x3 / 3x2 kernels of the sweep cover non-square kernels
        const kernelWidth = k === 2 ? 3 : k === 3 && padding === 1 ? 2 : k;
        if (padding === 0 && (height < k || width < kernelWidth)) width = Math.max(width, kernelWidth);
        if (padding === 0 && height < k) continue;
        const s: ConvShape = {
          batch: big ? 1 : (i % 3) + 1,
          height,
          width,
          inChannels: big ? CHANNELS[i % 3] : CHANNELS[i % CHANNELS.length],
          kernelHeight: k,
          kernelWidth,
          outChannels: big ? CHANNELS[(i + 1) % 4] : CHANNELS[(i * 3 + 1) % CHANNELS.length],
          padding,
        };
        cases.push({ s, seed: 1000 + 17 * i, o: { bias: i % 2 === 0, accumulate: i % 4 === 1, gradientCheck: i % 3 === 0 } });
      }
  return cases;
}

for (const build of kernelTestBuilds(['debug'], ['release-relaxed'])) {
  describe(`${build} build`, () => {
    beforeAll(async () => {
      w = await TestWasm.create(build);
    });

    describe('conv2d_f32_nhwc (forward, backward_data, backward_filter)', () => {
      for (const { s, o, seed } of sweep()) {
        const flags = `${o.bias ? 'bias' : 'no bias'}${o.accumulate ? ', accumulate' : ''}${o.gradientCheck ? ', gradient check' : ''}`;
        it(`${describeShape(s)} (${flags})`, () => runCase(s, seed, o));
      }

      it('every channel count on a 5x6 image, 3x3 same and valid', () => {
        let seed = 50_000;
        for (const inChannels of CHANNELS)
          for (const outChannels of CHANNELS)
            for (const padding of [0, 1] as const) {
              const s: ConvShape = { batch: 2, height: 5, width: 6, inChannels, kernelHeight: 3, kernelWidth: 3, outChannels, padding };
              runCase(s, seed++, { bias: seed % 2 === 0, accumulate: seed % 3 === 0, gradientCheck: false });
            }
      });

      // Chunked im2col: the chunk size follows from the workspace (GEMM workspace, rounded to 16, then
      // one chunk of K floats per row), so each case first checks that it really spans 3 or more chunks,
      // with boundaries inside images and inside image rows. The last shape's K = 10000 is past the
      // point where a chunk shrinks to its minimum row count.
      it('several im2col chunks', () => {
        const cases: ConvShape[] = [
          { batch: 3, height: 11, width: 11, inChannels: 33, kernelHeight: 5, kernelWidth: 5, outChannels: 7, padding: 1 },
          { batch: 3, height: 15, width: 15, inChannels: 33, kernelHeight: 5, kernelWidth: 5, outChannels: 7, padding: 0 },
          { batch: 1, height: 6, width: 7, inChannels: 400, kernelHeight: 5, kernelWidth: 5, outChannels: 3, padding: 1 },
        ];
        let seed = 70_000;
        for (const s of cases) {
          const { outHeight, outWidth } = ref.convGeometry(s);
          const K = s.kernelHeight * s.kernelWidth * s.inChannels;
          const gemmBytes = (w.exports.gemm_f32_workspace_bytes() + 15) & ~15;
          const ws = w.exports.conv2d_f32_workspace_bytes(
            s.batch,
            s.height,
            s.width,
            s.inChannels,
            s.kernelHeight,
            s.kernelWidth,
            s.outChannels,
            s.padding,
          );
          const chunkRows = (ws - gemmBytes) / (4 * K);
          expect(s.batch * outHeight * outWidth, describeShape(s)).toBeGreaterThan(2 * chunkRows);
          runCase(s, seed++, { bias: true, accumulate: seed % 2 === 0, gradientCheck: seed % 2 === 1 });
        }
      });

      // Small K (≤ 32) with 'same': the backward filter copies one image into a zero-bordered buffer
      // in the workspace; at 212x212x3 that buffer (214·214·3 floats) is larger than an im2col chunk.
      it('small-K backward filter on a large image: 1x212x212x3 * 3x3->5 same', () => {
        runCase({ batch: 1, height: 212, width: 212, inChannels: 3, kernelHeight: 3, kernelWidth: 3, outChannels: 5, padding: 1 }, 75_001, {
          bias: true,
          accumulate: true,
          gradientCheck: false,
        });
      });

      it('paper shape: 2x28x28x1 * 3x3->32 valid', () => {
        runCase({ batch: 2, height: 28, width: 28, inChannels: 1, kernelHeight: 3, kernelWidth: 3, outChannels: 32, padding: 0 }, 80_001, {
          bias: true,
          accumulate: false,
          gradientCheck: true,
        });
      });

      it('paper shape: 3x14x14x32 * 3x3->64 same', () => {
        runCase({ batch: 3, height: 14, width: 14, inChannels: 32, kernelHeight: 3, kernelWidth: 3, outChannels: 64, padding: 1 }, 80_002, {
          bias: true,
          accumulate: false,
          gradientCheck: true,
        });
      });

      it('paper shape: 2x13x13x32 * 3x3->64 valid, accumulating', () => {
        runCase({ batch: 2, height: 13, width: 13, inChannels: 32, kernelHeight: 3, kernelWidth: 3, outChannels: 64, padding: 0 }, 80_003, {
          bias: true,
          accumulate: true,
          gradientCheck: false,
        });
      });

      it('workspace stays bounded at batch 256', () => {
        const e = w.exports;
        const gemm = e.gemm_f32_workspace_bytes();
        for (const [h, c, co, p] of [
          [28, 1, 32, 0],
          [14, 32, 64, 1],
          [28, 32, 64, 1],
        ] as const) {
          const bytes = e.conv2d_f32_workspace_bytes(256, h, h, c, 3, 3, co, p);
          expect(bytes - gemm, `${h}x${h}x${c} -> ${co}`).toBeLessThanOrEqual(4 << 20);
        }
      });
    });
  });
}
