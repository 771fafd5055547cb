// The partitioned kernels (`<kernel>_part`, what the thread pool runs): for parts = 1, 2, 3, 4, 7,
// all parts run one after another (in a scrambled order), each on its own NaN-filled workspace,
// into NaN-prefilled outputs (or the same random outputs when accumulating), must leave every
// output bit-identical (compared as Uint32 bits) to the unsplit kernel. Each part alone must write
// a disjoint slice: run alone into NaN-filled outputs, the elements every part writes together
// cover each output exactly once. Guard words after every buffer stay intact. Debug and release
// builds; shapes at the tile and block boundaries of the kernels, batch 1..5, channels that are
// not a multiple of 8.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestWasm } from '../helpers/wasm.js';
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
        failures.push(`${c.name} parts=${parts}: output ${o} [${i}] bits 0x${got[o][i].toString(16)}, unsplit 0x${want[o][i].toString(16)}`);
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
          after[o].forEach((v, j) => { if (v !== untouched) writes[o][j]++; });
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
  const [unsplit, part] = variant === 'nn' ? [e.gemm_f32_nn, e.gemm_f32_nn_part]
    : variant === 'tn' ? [e.gemm_f32_tn, e.gemm_f32_tn_part] : [e.gemm_f32_nt, e.gemm_f32_nt_part];
  const acc = accumulate ? 1 : 0;
  return {
    name: `gemm_f32_${variant}_part m=${m} k=${k} n=${n} accumulate=${accumulate}`,
    outputs: [accumulate ? randomF32(m * n, seed + 2) : new Float32Array(m * n).fill(Number.NaN)],
    workspaceBytes: e.gemm_f32_workspace_bytes(),
    unsplit: ([c], ws) => unsplit(c, a, b, ws, m, k, n, acc),
    part: ([c], ws, p, parts) => part(c, a, b, ws, m, k, n, acc, p, parts),
  };
}

/** m, k, n: single tiles, MR/NR tails, fewer panels than parts (row split), KC and MC blocks. */
const GEMM_SHAPES: readonly (readonly [number, number, number])[] = [
  [1, 1, 1], [5, 3, 8], [7, 11, 13], [4, 9, 17], [33, 7, 9], [41, 17, 33], [129, 31, 63],
  [131, 257, 17], [17, 63, 129], [6, 5, 3], [40, 300, 10], [11, 2, 1025],
  ...TAIL_SIZES.map((s, i) => [s, TAIL_SIZES[(i + 3) % TAIL_SIZES.length], TAIL_SIZES[(i + 7) % TAIL_SIZES.length]] as const),
];

for (const build of ['debug', 'release'] as const) {
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

    it('gemm parts at the paper\'s first dense layer (batch 128: forward, dW, dX)', () => {
      expectAll([
        () => gemmCase('nn', 128, 784, 300, false),
        () => gemmCase('tn', 784, 128, 300, true),
        () => gemmCase('nt', 128, 300, 784, false),
      ]);
    });
  });
}
