// The partitioned kernels (`<kernel>_part`, what the thread pool runs): for parts = 1, 2, 3, 4, 7,
// all parts run one after another (in a scrambled order), each on its own NaN-filled workspace,
// into NaN-prefilled outputs (or the same random outputs when accumulating), must leave every
// output bit-identical (compared as Uint32 bits) to the unsplit kernel. Each part alone must write
// a disjoint slice: run alone into NaN-filled outputs, the elements every part writes together
// cover each output exactly once. Guard words after every buffer stay intact. Debug and release
// builds (the relaxed ones in the vitest project "relaxed-simd": bit-identity holds there too); shapes at the tile and block boundaries of the kernels, batch 1..5, channels that are
// not a multiple of 8.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelTestBuilds, TestWasm } from '../helpers/wasm.js';
import { randomF32, TAIL_SIZES } from '../helpers/random.js';

const PARTS = [1, 2, 3, 4, 7] as const;

let w: TestWasm;

/** One call of a kernel, unsplit or as parts, on buffers the case has allocated. */
interface PartCase {
  name: string;
  /** Initial contents of each output (NaN where the kernel overwrites). */
  outputs: (Float32Array | Int32Array)[];
  workspaceBytes: number;
  unsplit(outputs: number[], workspace: number): void;
  part(outputs: number[], workspace: number, part: number, parts: number): void;
}

function allocOutputs(initial: (Float32Array | Int32Array)[]): number[] {
  return initial.map((data) => w.from(data).ptr);
}

function bits(ptrs: number[], initial: (Float32Array | Int32Array)[]): Uint32Array[] {
  return ptrs.map((ptr, i) => new Uint32Array(w.exports.memory.buffer, ptr, initial[i].length).slice());
}

/** A scrambled but deterministic order of 0..parts−1: every part must be independent of the others. */
function order(parts: number): number[] {
  const all = Array.from({ length: parts }, (_, i) => i);
  return parts % 2 === 1 ? all.reverse() : [...all.filter((p) => p % 2 === 1), ...all.filter((p) => p % 2 === 0)];
}

function nanWorkspace(bytes: number): number {
  return w.nan(Math.ceil(bytes / 4)).ptr;
}

/** Builds one case (allocating its inputs) and returns its failures as messages. */
function checkCase(make: () => PartCase): string[] {
  w.reset();
  const c = make();
  const failures: string[] = [];
  const ws = () => nanWorkspace(c.workspaceBytes);
  const refOut = allocOutputs(c.outputs);
  c.unsplit(refOut, ws());
  const want = bits(refOut, c.outputs);
  const overwrite = c.outputs.every((o) => o instanceof Int32Array || o.every(Number.isNaN));
  for (const parts of PARTS) {
    const out = allocOutputs(c.outputs);
    const workspaces = Array.from({ length: parts }, ws);
    for (const p of order(parts)) c.part(out, workspaces[p], p, parts);
    const got = bits(out, c.outputs);
    for (let o = 0; o < got.length; o++) {
      const i = got[o].findIndex((v, j) => v !== want[o][j]);
      if (i >= 0) {
        failures.push(
          `${c.name} parts=${parts}: output ${o} [${i}] bits 0x${got[o][i].toString(16)}, unsplit 0x${want[o][i].toString(16)}`,
        );
        break;
      }
    }
    if (overwrite && parts > 1) {
      // Float outputs start as NaN; an i32 output (argmax) is seen through its float twin.
      const writes = c.outputs.map((o) => new Int32Array(o.length));
      for (let p = 0; p < parts; p++) {
        const alone = allocOutputs(c.outputs.map((o) => (o instanceof Int32Array ? new Int32Array(o.length).fill(-1) : o)));
        c.part(alone, ws(), p, parts);
        const after = bits(alone, c.outputs);
        for (let o = 0; o < after.length; o++) {
          const untouched = c.outputs[o] instanceof Int32Array ? 0xffffffff : new Uint32Array(Float32Array.of(Number.NaN).buffer)[0];
          after[o].forEach((v, j) => {
            if (v !== untouched) writes[o][j]++;
          });
        }
      }
      for (let o = 0; o < writes.length; o++) {
        const i = writes[o].findIndex((count) => count !== 1);
        if (i >= 0) failures.push(`${c.name} parts=${parts}: output ${o} [${i}] written by ${writes[o][i]} parts`);
      }
    }
  }
  w.checkGuards();
  return failures;
}

function expectAll(cases: (() => PartCase)[]): void {
  const failures = cases.flatMap(checkCase);
  expect(failures.slice(0, 10), `${failures.length} failures in ${cases.length} cases`).toEqual([]);
}

// ---- GEMM

type Variant = 'nn' | 'tn' | 'nt';

function gemmCase(variant: Variant, m: number, k: number, n: number, accumulate: boolean): PartCase {
  const seed = m * 7919 + k * 104729 + n;
  const a = w.from(randomF32(m * k, seed)).ptr;
  const b = w.from(randomF32(k * n, seed + 1)).ptr;
  const e = w.exports;
  const [unsplit, part] =
    variant === 'nn'
      ? [e.gemm_f32_nn, e.gemm_f32_nn_part]
      : variant === 'tn'
        ? [e.gemm_f32_tn, e.gemm_f32_tn_part]
        : [e.gemm_f32_nt, e.gemm_f32_nt_part];
  const acc = accumulate ? 1 : 0;
  return {
    name: `gemm_f32_${variant}_part m=${m} k=${k} n=${n} accumulate=${accumulate}`,
    outputs: [accumulate ? randomF32(m * n, seed + 2) : new Float32Array(m * n).fill(Number.NaN)],
    workspaceBytes: e.gemm_f32_workspace_bytes(),
    unsplit: ([c], ws) => unsplit(c, a, b, ws, m, k, n, acc),
    part: ([c], ws, p, parts) => part(c, a, b, ws, m, k, n, acc, p, parts),
  };
}

/** dense_f32_forward (gemm_f32_nn's blocks, each finished with bias and activation) with `activation` 0, 1 or 2. */
function denseCase(m: number, k: number, n: number, activation: number, withBias: boolean): PartCase {
  const seed = m * 7919 + k * 104729 + n + activation;
  const x = w.from(randomF32(m * k, seed)).ptr;
  const weights = w.from(randomF32(k * n, seed + 1)).ptr;
  const bias = withBias ? w.from(randomF32(n, seed + 2)).ptr : 0;
  const e = w.exports;
  return {
    name: `dense_f32_forward_part m=${m} k=${k} n=${n} activation=${activation} bias=${withBias}`,
    outputs: [new Float32Array(m * n).fill(Number.NaN)],
    workspaceBytes: e.gemm_f32_workspace_bytes(),
    unsplit: ([y], ws) => e.dense_f32_forward(y, x, weights, bias, ws, m, k, n, activation),
    part: ([y], ws, p, parts) => e.dense_f32_forward_part(y, x, weights, bias, ws, m, k, n, activation, p, parts),
  };
}

/** gemm_f32_tn_sgd (gemm_f32_tn_part's blocks, each updating its own block of w). */
function sgdCase(m: number, k: number, n: number): PartCase {
  const seed = m * 7919 + k * 104729 + n + 5;
  const a = w.from(randomF32(k * m, seed)).ptr;
  const b = w.from(randomF32(k * n, seed + 1)).ptr;
  const e = w.exports;
  return {
    name: `gemm_f32_tn_sgd_part m=${m} k=${k} n=${n}`,
    outputs: [randomF32(m * n, seed + 2)],
    workspaceBytes: e.gemm_f32_workspace_bytes(),
    unsplit: ([weights], ws) => e.gemm_f32_tn_sgd(weights, a, b, ws, m, k, n, 0.05),
    part: ([weights], ws, p, parts) => e.gemm_f32_tn_sgd_part(weights, a, b, ws, m, k, n, 0.05, p, parts),
  };
}

/** m, k, n: single tiles, MR/NR tails, fewer panels than parts (row split), KC and MC blocks. */
const GEMM_SHAPES: readonly (readonly [number, number, number])[] = [
  [1, 1, 1],
  [5, 3, 8],
  [7, 11, 13],
  [4, 9, 17],
  [33, 7, 9],
  [41, 17, 33],
  [129, 31, 63],
  [131, 257, 17],
  [17, 63, 129],
  [6, 5, 3],
  [40, 300, 10],
  [11, 2, 1025],
  ...TAIL_SIZES.map((s, i) => [s, TAIL_SIZES[(i + 3) % TAIL_SIZES.length], TAIL_SIZES[(i + 7) % TAIL_SIZES.length]] as const),
];

// ---- conv2d and maxpool2d

/** batch, height, width, inChannels, kernelHeight, kernelWidth, outChannels, padding. */
type Conv = readonly [number, number, number, number, number, number, number, 0 | 1];

/**
 * Every route of assembly/conv2d.ts: direct forward and small-K backward filter (K ≤ 32), im2col +
 * GEMM (K > 32), 1x1 (GEMM only); 'valid' and 'same', an even kernel; batch 1..5; channel counts
 * below, at and across the 8-channel groups the backward filter splits by.
 */
const CONV_SHAPES: readonly Conv[] = [
  [1, 5, 6, 1, 3, 3, 1, 1],
  [2, 7, 5, 3, 3, 3, 11, 0],
  [3, 6, 7, 5, 3, 3, 13, 1],
  [5, 4, 4, 7, 1, 1, 17, 0],
  [4, 9, 9, 1, 3, 3, 32, 0],
  [3, 8, 6, 4, 2, 2, 20, 1],
  [2, 5, 5, 9, 5, 5, 3, 1],
  [5, 6, 6, 8, 3, 3, 24, 1],
];

const convName = ([b, h, wd, ic, kh, kw, oc, pad]: Conv) => `${b}x${h}x${wd}x${ic} * ${kh}x${kw}->${oc} ${pad ? 'same' : 'valid'}`;

function convGeometry([batch, height, width, inC, kh, kw, outC, padding]: Conv) {
  const outH = padding ? height : height - kh + 1;
  const outW = padding ? width : width - kw + 1;
  return {
    inLen: batch * height * width * inC,
    outLen: batch * outH * outW * outC,
    filterLen: kh * kw * inC * outC,
    workspaceBytes: w.exports.conv2d_f32_workspace_bytes(batch, height, width, inC, kh, kw, outC, padding),
  };
}

function convForwardCase(shape: Conv, withBias: boolean): PartCase {
  const g = convGeometry(shape);
  const seed = shape.reduce((x: number, y) => x * 31 + y, 7);
  const input = w.from(randomF32(g.inLen, seed)).ptr;
  const filters = w.from(randomF32(g.filterLen, seed + 1)).ptr;
  const bias = withBias ? w.from(randomF32(shape[6], seed + 2)).ptr : 0;
  const e = w.exports;
  return {
    name: `conv2d_f32_nhwc_forward_part ${convName(shape)} bias=${withBias}`,
    outputs: [new Float32Array(g.outLen).fill(Number.NaN)],
    workspaceBytes: g.workspaceBytes,
    unsplit: ([out], ws) => e.conv2d_f32_nhwc_forward(out, input, filters, bias, ws, ...shape),
    part: ([out], ws, p, parts) => e.conv2d_f32_nhwc_forward_part(out, input, filters, bias, ws, ...shape, p, parts),
  };
}

function convBackwardDataCase(shape: Conv): PartCase {
  const g = convGeometry(shape);
  const seed = shape.reduce((x: number, y) => x * 37 + y, 11);
  const dout = w.from(randomF32(g.outLen, seed)).ptr;
  const filters = w.from(randomF32(g.filterLen, seed + 1)).ptr;
  const e = w.exports;
  return {
    name: `conv2d_f32_nhwc_backward_data_part ${convName(shape)}`,
    outputs: [new Float32Array(g.inLen).fill(Number.NaN)],
    workspaceBytes: g.workspaceBytes,
    unsplit: ([dinput], ws) => e.conv2d_f32_nhwc_backward_data(dinput, dout, filters, ws, ...shape),
    part: ([dinput], ws, p, parts) => e.conv2d_f32_nhwc_backward_data_part(dinput, dout, filters, ws, ...shape, p, parts),
  };
}

function convBackwardFilterCase(shape: Conv, accumulate: boolean, withBias: boolean): PartCase {
  const g = convGeometry(shape);
  const seed = shape.reduce((x: number, y) => x * 41 + y, 13);
  const input = w.from(randomF32(g.inLen, seed)).ptr;
  const dout = w.from(randomF32(g.outLen, seed + 1)).ptr;
  const outC = shape[6];
  const initial = (length: number, s: number) => (accumulate ? randomF32(length, s) : new Float32Array(length).fill(Number.NaN));
  const e = w.exports;
  const acc = accumulate ? 1 : 0;
  return {
    name: `conv2d_f32_nhwc_backward_filter_part ${convName(shape)} accumulate=${accumulate} bias=${withBias}`,
    outputs: withBias ? [initial(g.filterLen, seed + 2), initial(outC, seed + 3)] : [initial(g.filterLen, seed + 2)],
    workspaceBytes: g.workspaceBytes,
    unsplit: ([dfilters, dbias = 0], ws) => e.conv2d_f32_nhwc_backward_filter(dfilters, dbias, input, dout, ws, ...shape, acc),
    part: ([dfilters, dbias = 0], ws, p, parts) =>
      e.conv2d_f32_nhwc_backward_filter_part(dfilters, dbias, input, dout, ws, ...shape, acc, p, parts),
  };
}

/** batch, height, width, channels, size, stride. */
type Pool = readonly [number, number, number, number, number, number];

const POOL_SHAPES: readonly Pool[] = [
  [1, 4, 4, 3, 2, 2],
  [3, 7, 5, 9, 2, 2],
  [5, 6, 6, 13, 3, 2],
  [2, 5, 5, 8, 2, 1],
  [4, 28, 28, 32, 2, 2],
];

const poolName = ([b, h, wd, c, size, stride]: Pool) => `${b}x${h}x${wd}x${c} pool ${size} stride ${stride}`;

function poolLengths([batch, height, width, channels, size, stride]: Pool) {
  const outH = Math.floor((height - size) / stride) + 1;
  const outW = Math.floor((width - size) / stride) + 1;
  return { inLen: batch * height * width * channels, outLen: batch * outH * outW * channels };
}

function poolForwardCase(shape: Pool): PartCase {
  const { inLen, outLen } = poolLengths(shape);
  const input = w.from(
    randomF32(
      inLen,
      shape.reduce((x: number, y) => x * 43 + y, 17),
    ),
  ).ptr;
  const e = w.exports;
  return {
    name: `maxpool2d_f32_nhwc_forward_part ${poolName(shape)}`,
    outputs: [new Float32Array(outLen).fill(Number.NaN), new Int32Array(outLen).fill(-1)],
    workspaceBytes: 0,
    unsplit: ([out, arg]) => e.maxpool2d_f32_nhwc_forward(out, arg, input, ...shape),
    part: ([out, arg], _ws, p, parts) => e.maxpool2d_f32_nhwc_forward_part(out, arg, input, ...shape, p, parts),
  };
}

function poolBackwardCase(shape: Pool): PartCase {
  const { inLen, outLen } = poolLengths(shape);
  const seed = shape.reduce((x: number, y) => x * 47 + y, 19);
  const e = w.exports;
  const input = w.from(randomF32(inLen, seed)).ptr;
  const pooled = w.nan(outLen).ptr;
  const argmax = w.alloc(outLen).ptr;
  e.maxpool2d_f32_nhwc_forward(pooled, argmax, input, ...shape);
  const dout = w.from(randomF32(outLen, seed + 1)).ptr;
  return {
    name: `maxpool2d_f32_nhwc_backward_part ${poolName(shape)}`,
    outputs: [new Float32Array(inLen).fill(Number.NaN)],
    workspaceBytes: 0,
    unsplit: ([dinput]) => e.maxpool2d_f32_nhwc_backward(dinput, dout, argmax, ...shape),
    part: ([dinput], _ws, p, parts) => e.maxpool2d_f32_nhwc_backward_part(dinput, dout, argmax, ...shape, p, parts),
  };
}

// ---- batch norm: by runs of whole 4-column groups

/** rows x cols: single column, tails of 1-3 columns, fewer column groups than parts, conv-like. */
const BATCHNORM_SHAPES: readonly (readonly [number, number])[] = [
  [1, 1],
  [3, 5],
  [2, 3],
  [7, 37],
  [50, 32],
  [13, 64],
  [5, 130],
];

function batchnormInputs(rows: number, cols: number) {
  const seed = rows * 131 + cols;
  const positive = (values: Float32Array) => values.map((v) => 0.5 + Math.abs(v));
  return {
    x: w.from(randomF32(rows * cols, seed)).ptr,
    gamma: w.from(randomF32(cols, seed + 1)).ptr,
    beta: w.from(randomF32(cols, seed + 2)).ptr,
    movingMean: randomF32(cols, seed + 3),
    movingVar: positive(randomF32(cols, seed + 4)),
  };
}

function batchnormTrainCase([rows, cols]: readonly [number, number]): PartCase {
  const e = w.exports;
  const { x, gamma, beta, movingMean, movingVar } = batchnormInputs(rows, cols);
  const nan = () => new Float32Array(rows * cols).fill(Number.NaN);
  const args = (o: number[], ws: number) => [o[0], o[1], o[2], o[3], o[4], x, gamma, beta, ws, rows, cols, 0.9, 1e-3] as const;
  return {
    name: `batchnorm_f32_forward_train_part ${rows}x${cols}`,
    // y, mean, invstd overwritten; the moving statistics updated in place.
    outputs: [nan(), new Float32Array(cols).fill(Number.NaN), new Float32Array(cols).fill(Number.NaN), movingMean, movingVar],
    workspaceBytes: e.batchnorm_f32_workspace_bytes(cols),
    unsplit: (o, ws) => e.batchnorm_f32_forward_train(...args(o, ws)),
    part: (o, ws, p, parts) => e.batchnorm_f32_forward_train_part(...args(o, ws), p, parts),
  };
}

function batchnormInferenceCase([rows, cols]: readonly [number, number]): PartCase {
  const e = w.exports;
  const { x, gamma, beta, movingMean, movingVar } = batchnormInputs(rows, cols);
  const mm = w.from(movingMean).ptr;
  const mv = w.from(movingVar).ptr;
  return {
    name: `batchnorm_f32_forward_inference_part ${rows}x${cols}`,
    outputs: [new Float32Array(rows * cols).fill(Number.NaN)],
    workspaceBytes: e.batchnorm_f32_workspace_bytes(cols),
    unsplit: ([y], ws) => e.batchnorm_f32_forward_inference(y, x, mm, mv, gamma, beta, ws, rows, cols, 1e-3),
    part: ([y], ws, p, parts) => e.batchnorm_f32_forward_inference_part(y, x, mm, mv, gamma, beta, ws, rows, cols, 1e-3, p, parts),
  };
}

/** With `aliased`, dx is dy's buffer (as the first trained layer uses it). */
function batchnormBackwardCase([rows, cols]: readonly [number, number], aliased: boolean): PartCase {
  const e = w.exports;
  const { x, gamma } = batchnormInputs(rows, cols);
  const dyValues = randomF32(rows * cols, rows + cols * 7);
  const dy = w.from(dyValues).ptr;
  const mean = w.from(randomF32(cols, cols + 5)).ptr;
  const invstd = w.from(randomF32(cols, cols + 6).map((v) => 0.5 + Math.abs(v))).ptr;
  const nanCols = () => new Float32Array(cols).fill(Number.NaN);
  const args = ([dx, dgamma, dbeta]: number[]) => [dx, dgamma, dbeta, aliased ? dx : dy, x, mean, invstd, gamma, rows, cols] as const;
  return {
    name: `batchnorm_f32_backward_part ${rows}x${cols}${aliased ? ' (dx aliases dy)' : ''}`,
    outputs: [aliased ? dyValues : new Float32Array(rows * cols).fill(Number.NaN), nanCols(), nanCols()],
    workspaceBytes: 0,
    unsplit: (o) => e.batchnorm_f32_backward(...args(o)),
    part: (o, _ws, p, parts) => e.batchnorm_f32_backward_part(...args(o), p, parts),
  };
}

for (const build of kernelTestBuilds(['debug', 'release'])) {
  describe(`${build} build`, () => {
    beforeAll(async () => {
      w = await TestWasm.create(build);
    });
    afterAll(() => w.reset());

    for (const variant of ['nn', 'tn', 'nt'] as const) {
      it(`gemm_f32_${variant}_part: all parts = the unsplit call, bit for bit`, () => {
        const cases: (() => PartCase)[] = [];
        for (const [m, k, n] of GEMM_SHAPES) {
          for (const accumulate of [false, true]) cases.push(() => gemmCase(variant, m, k, n, accumulate));
        }
        expectAll(cases);
      });
    }

    it('dense_f32_forward_part: all parts = the unsplit call, bit for bit (every activation, with and without bias)', () => {
      const cases: (() => PartCase)[] = [];
      for (const [m, k, n] of GEMM_SHAPES) {
        for (const activation of [0, 1, 2]) cases.push(() => denseCase(m, k, n, activation, activation !== 2));
      }
      cases.push(() => denseCase(5, 3, 8, 0, false));
      expectAll(cases);
    });

    it('gemm_f32_tn_sgd_part: all parts = the unsplit call, bit for bit', () => {
      const maxK = w.exports.gemm_f32_sgd_max_k();
      expectAll(
        GEMM_SHAPES.filter(([, k]) => k <= maxK).map(
          ([m, k, n]) =>
            () =>
              sgdCase(m, k, n),
        ),
      );
    });

    it("gemm parts at the paper's first dense layer (batch 128: forward, dW, dX)", () => {
      expectAll([
        () => gemmCase('nn', 128, 784, 300, false),
        () => gemmCase('tn', 784, 128, 300, true),
        () => gemmCase('nt', 128, 300, 784, false),
      ]);
    });
    it('conv2d_f32_nhwc_forward_part (by samples), with and without bias', () => {
      expectAll(CONV_SHAPES.flatMap((shape) => [true, false].map((bias) => () => convForwardCase(shape, bias))));
    });

    it('conv2d_f32_nhwc_backward_data_part (by samples)', () => {
      expectAll(CONV_SHAPES.map((shape) => () => convBackwardDataCase(shape)));
    });

    it('conv2d_f32_nhwc_backward_filter_part (by 8-channel groups), overwrite and accumulate, with and without dbias', () => {
      expectAll(
        CONV_SHAPES.flatMap((shape) => [
          () => convBackwardFilterCase(shape, false, true),
          () => convBackwardFilterCase(shape, true, true),
          () => convBackwardFilterCase(shape, false, false),
        ]),
      );
    });

    it(`a part out of range (part ≥ parts, part < 0, parts < 1) ${build === 'debug' ? 'traps' : 'writes nothing'}`, () => {
      w.reset();
      const e = w.exports;
      const conv = [2, 5, 5, 3, 3, 3, 9, 1] as const;
      const pool = [2, 4, 4, 3, 2, 2] as const;
      const ws = w.nan(e.conv2d_f32_workspace_bytes(...conv) / 4).ptr;
      const input = w.from(randomF32(2 * 5 * 5 * 9, 1)).ptr;
      const filters = w.from(randomF32(3 * 3 * 3 * 9, 2)).ptr;
      const outputs = [w.nan(7 * 9), w.nan(2 * 5 * 5 * 9), w.nan(3 * 3 * 3 * 9), w.nan(9), w.nan(2 * 4 * 4 * 3)];
      const [c, out, dfilters, dbias, dinput] = outputs.map((o) => o.ptr);
      const argmax = w.from(new Int32Array(2 * 2 * 2 * 3)).ptr;
      const calls = [
        [2, 2],
        [-1, 2],
        [0, 0],
      ].flatMap(([p, parts]) => [
        () => e.gemm_f32_nn_part(c, input, filters, ws, 7, 5, 9, 0, p, parts),
        () => e.gemm_f32_tn_part(c, input, filters, ws, 7, 5, 9, 0, p, parts),
        () => e.gemm_f32_nt_part(c, input, filters, ws, 7, 5, 9, 0, p, parts),
        () => e.conv2d_f32_nhwc_forward_part(out, input, filters, 0, ws, ...conv, p, parts),
        () => e.conv2d_f32_nhwc_backward_data_part(out, input, filters, ws, ...conv, p, parts),
        () => e.conv2d_f32_nhwc_backward_filter_part(dfilters, dbias, input, input, ws, ...conv, 0, p, parts),
        () => e.maxpool2d_f32_nhwc_forward_part(out, argmax, input, ...pool, p, parts),
        () => e.maxpool2d_f32_nhwc_backward_part(dinput, input, argmax, ...pool, p, parts),
      ]);
      for (const call of calls) {
        if (build === 'debug') expect(call).toThrow();
        else call();
      }
      for (const o of outputs) expect(o.f32().every(Number.isNaN)).toBe(true);
      w.checkGuards();
    });

    it('maxpool2d_f32_nhwc_forward_part and _backward_part (by samples)', () => {
      expectAll(POOL_SHAPES.flatMap((shape) => [() => poolForwardCase(shape), () => poolBackwardCase(shape)]));
    });

    it('batchnorm forward (training, inference) and backward _part (by 4-column groups), dx aliasing dy too', () => {
      expectAll(
        BATCHNORM_SHAPES.flatMap((shape) => [
          () => batchnormTrainCase(shape),
          () => batchnormInferenceCase(shape),
          () => batchnormBackwardCase(shape, false),
          () => batchnormBackwardCase(shape, true),
        ]),
      );
    });
  });
}

// ---- The kernels without `_part` exports, split by the pool in TypeScript: elementwise kernels and
// optimizers by element ranges starting at multiples of 16 (the last range keeps the tail), the
// row kernels by rows. Their vector bodies and tails compute each element the same way, wherever
// it falls, so any such split is bit-identical: checked here, on the outputs and updated states.

/** [start, end) element ranges: part p starts at a multiple of 16, the last one ends at count. */
function elementRanges(count: number, parts: number): [number, number][] {
  const blocks = Math.floor(count / 16);
  return Array.from(
    { length: parts },
    (_, p) =>
      [p === 0 ? 0 : Math.floor((blocks * p) / parts) * 16, p === parts - 1 ? count : Math.floor((blocks * (p + 1)) / parts) * 16] as [
        number,
        number,
      ],
  ).filter(([a, b]) => b > a);
}

/** Row ranges of `rows` rows for `parts` parts. */
function rowRanges(rows: number, parts: number): [number, number][] {
  return Array.from(
    { length: parts },
    (_, p) => [Math.floor((rows * p) / parts), Math.floor((rows * (p + 1)) / parts)] as [number, number],
  ).filter(([a, b]) => b > a);
}

/**
 * A kernel over `count` units (elements or rows), as `call(offset, length, buffers)` on buffers
 * whose initial contents `init` gives: the whole call and every split must leave the same bits.
 */
function expectSplitsIdentical(
  name: string,
  init: (Float32Array | Int32Array | Uint8Array)[],
  count: number,
  ranges: (count: number, parts: number) => [number, number][],
  call: (ptrs: number[], offset: number, length: number) => void,
  outputs: number[],
): void {
  const failures: string[] = [];
  w.reset();
  const run = (parts: number) => {
    const ptrs = init.map((data) => w.from(data).ptr);
    for (const [a, b] of ranges(count, parts).reverse()) call(ptrs, a, b - a);
    return outputs.map((o) => new Uint32Array(w.exports.memory.buffer, ptrs[o], init[o].length).slice());
  };
  const want = run(1);
  for (const parts of PARTS.slice(1)) {
    run(parts).forEach((got, o) => {
      const i = got.findIndex((v, j) => v !== want[o][j]);
      if (i >= 0) failures.push(`${name} count=${count} parts=${parts}: buffer ${outputs[o]} [${i}] differs`);
    });
  }
  w.checkGuards();
  expect(failures).toEqual([]);
}

const ELEMENT_COUNTS = [1, 15, 16, 17, 16 * 7 + 5, 1003];

for (const build of kernelTestBuilds(['release'], ['release-relaxed'])) {
  describe(`${build} build: splits the pool makes in TypeScript`, () => {
    beforeAll(async () => {
      w = await TestWasm.create(build);
    });

    it('sgd, momentum and adam steps by element ranges', () => {
      for (const count of ELEMENT_COUNTS) {
        const r = (seed: number) => randomF32(count, seed);
        const at = (ptr: number, offset: number) => ptr + 4 * offset;
        const e = w.exports;
        expectSplitsIdentical(
          'sgd_f32_step',
          [r(1), r(2)],
          count,
          elementRanges,
          ([p, g], o, n) => e.sgd_f32_step(at(p, o), at(g, o), n, 0.01),
          [0],
        );
        expectSplitsIdentical(
          'momentum_f32_step',
          [r(1), r(2), r(3)],
          count,
          elementRanges,
          ([p, v, g], o, n) => e.momentum_f32_step(at(p, o), at(v, o), at(g, o), n, 0.01, 0.9),
          [0, 1],
        );
        const positive = randomF32(count, 4, 0, 1);
        expectSplitsIdentical(
          'adam_f32_step',
          [r(1), r(2), positive, r(3)],
          count,
          elementRanges,
          ([p, m, v, g], o, n) => e.adam_f32_step(at(p, o), at(m, o), at(v, o), at(g, o), n, 0.001, 0.9, 0.999, 1e-7, 3),
          [0, 1, 2],
        );
      }
    });

    it('sigmoid and relu, forward and backward, by element ranges', () => {
      for (const count of ELEMENT_COUNTS) {
        const r = (seed: number) => randomF32(count, seed, -8, 8);
        const nan = () => new Float32Array(count).fill(Number.NaN);
        const at = (ptr: number, offset: number) => ptr + 4 * offset;
        const e = w.exports;
        expectSplitsIdentical(
          'sigmoid_f32_forward',
          [nan(), r(1)],
          count,
          elementRanges,
          ([y, x], o, n) => e.sigmoid_f32_forward(at(y, o), at(x, o), n),
          [0],
        );
        expectSplitsIdentical(
          'sigmoid_f32_backward',
          [nan(), r(1), randomF32(count, 2, 0, 1)],
          count,
          elementRanges,
          ([dx, dy, y], o, n) => e.sigmoid_f32_backward(at(dx, o), at(dy, o), at(y, o), n),
          [0],
        );
        expectSplitsIdentical(
          'relu_f32_forward',
          [nan(), r(1)],
          count,
          elementRanges,
          ([y, x], o, n) => e.relu_f32_forward(at(y, o), at(x, o), n),
          [0],
        );
        expectSplitsIdentical(
          'relu_f32_backward',
          [nan(), r(1), r(2)],
          count,
          elementRanges,
          ([dx, dy, y], o, n) => e.relu_f32_backward(at(dx, o), at(dy, o), at(y, o), n),
          [0],
        );
      }
    });

    it('bias_add forward, softmax forward, argmax and the batch gather by rows', () => {
      const e = w.exports;
      for (const [rows, cols] of [
        [1, 10],
        [7, 10],
        [15, 33],
        [64, 300],
      ] as const) {
        const len = rows * cols;
        const row = (ptr: number, r: number, width: number = cols) => ptr + 4 * r * width;
        expectSplitsIdentical(
          'bias_add_f32_forward',
          [new Float32Array(len).fill(Number.NaN), randomF32(len, 1), randomF32(cols, 2)],
          rows,
          rowRanges,
          ([y, x, b], r, n) => e.bias_add_f32_forward(row(y, r), row(x, r), b, n, cols),
          [0],
        );
        expectSplitsIdentical(
          'softmax_f32_forward',
          [new Float32Array(len).fill(Number.NaN), randomF32(len, 3, -20, 20)],
          rows,
          rowRanges,
          ([y, x], r, n) => e.softmax_f32_forward(row(y, r), row(x, r), n, cols),
          [0],
        );
        expectSplitsIdentical(
          'argmax_f32_rows',
          [new Int32Array(rows).fill(-1), randomF32(len, 4)],
          rows,
          rowRanges,
          ([out, x], r, n) => e.argmax_f32_rows(out + 4 * r, row(x, r), n, cols),
          [0],
        );
        const pixels = 37;
        const images = Uint8Array.from({ length: 50 * pixels }, (_, i) => (i * 7919) % 256);
        const labels = Uint8Array.from({ length: 50 }, (_, i) => (i * 3) % 10);
        const indices = Int32Array.from({ length: rows }, (_, i) => (i * 17) % 50);
        expectSplitsIdentical(
          'gather_batch_u8_f32',
          [new Float32Array(rows * pixels).fill(Number.NaN), new Float32Array(rows * 10).fill(Number.NaN), images, labels, indices],
          rows,
          rowRanges,
          ([inputs, targets, im, lb, ix], r, n) =>
            e.gather_batch_u8_f32(row(inputs, r, pixels), row(targets, r, 10), im, lb, ix + 4 * r, n, pixels, 10),
          [0, 1],
        );
      }
    });
  });
}
