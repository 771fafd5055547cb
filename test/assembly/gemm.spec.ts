// Internals of assembly/gemm.ts that vitest cannot reach: the two packing routines (lane order,
// zero padding, k tails, never writing past a panel), the 5×8 micro-kernel (overwrite, accumulate,
// C row stride, B read in place with a row stride, short kc) and the edge-tile store. Buffers are NaN-filled first, so every lane a
// routine is meant to write must be written. Small integers keep every sum exact in f32.
import {
  gemm_f32_nt, gemm_f32_workspace_bytes, pack_copy, pack_transpose, store_partial_tile, ukernel,
} from '../../assembly/gemm';

const MR = 5;
const NR = 8;

function fillNaN(ptr: usize, count: i32): void {
  for (let i = 0; i < count; i++) store<f32>(ptr + (<usize>i << 2), NaN);
}

@inline function at(ptr: usize, i: i32): f32 {
  return load<f32>(ptr + (<usize>i << 2));
}

describe('pack_copy', () => {
  it('copies count lanes per k, zero-pads to the panel width, strides the source by ld', () => {
    const src = memory.data(4 * 7 * 3, 16); // 3 rows of ld = 7
    for (let i = 0; i < 21; i++) store<f32>(src + (<usize>i << 2), <f32>(i + 1));
    const dst = memory.data(4 * NR * 3 + 16, 16);
    fillNaN(dst, NR * 3 + 4);
    pack_copy(dst, NR, src, 7, 6, 3); // 6 of 8 lanes: one vector + two scalars + two zeros
    for (let p = 0; p < 3; p++) {
      for (let j = 0; j < NR; j++) {
        expect(at(dst, p * NR + j)).toBe(j < 6 ? <f32>(p * 7 + j + 1) : 0);
      }
    }
    for (let i = NR * 3; i < NR * 3 + 4; i++) expect(isNaN(at(dst, i))).toBe(true, 'wrote past the panel');
  });

  it('handles a width-5 panel with a single lane', () => {
    const src = memory.data<f32>([3, -1, 4, -1, 5, -9]);
    const dst = memory.data(4 * MR * 2 + 16, 16);
    fillNaN(dst, MR * 2 + 4);
    pack_copy(dst, MR, src, 3, 1, 2); // count 1, ld 3, kc 2
    expect(at(dst, 0)).toBe(3);
    expect(at(dst, MR)).toBe(-1);
    for (let i = 1; i < MR; i++) {
      expect(at(dst, i)).toBe(0);
      expect(at(dst, MR + i)).toBe(0);
    }
    expect(isNaN(at(dst, 2 * MR))).toBe(true, 'wrote past the panel');
  });
});

describe('pack_transpose', () => {
  it('transposes count rows into lanes, k in 4×4 blocks then a scalar tail, zero-pads lanes', () => {
    const ld = 9;
    const kc = 6; // one 4×4 block and a tail of 2
    const src = memory.data(4 * 9 * 5, 16); // 5 rows of ld = 9
    for (let i = 0; i < 45; i++) store<f32>(src + (<usize>i << 2), <f32>(i + 1));
    const dst = memory.data(4 * NR * 6 + 16, 16);
    fillNaN(dst, NR * kc + 4);
    pack_transpose(dst, NR, src, ld, 5, kc); // rows 0..3 transposed as a group, row 4 scalar
    for (let p = 0; p < kc; p++) {
      for (let r = 0; r < NR; r++) {
        expect(at(dst, p * NR + r)).toBe(r < 5 ? <f32>(r * ld + p + 1) : 0);
      }
    }
    for (let i = NR * kc; i < NR * kc + 4; i++) expect(isNaN(at(dst, i))).toBe(true, 'wrote past the panel');
  });

  it('fills a 5-wide A panel from 3 rows with kc = 1', () => {
    const src = memory.data<f32>([1, 2, 3, 4, 5, 6]); // 3 rows of ld = 2
    const dst = memory.data(4 * MR + 16, 16);
    fillNaN(dst, MR + 4);
    pack_transpose(dst, MR, src, 2, 3, 1);
    expect(at(dst, 0)).toBe(1);
    expect(at(dst, 1)).toBe(3);
    expect(at(dst, 2)).toBe(5);
    expect(at(dst, 3)).toBe(0);
    expect(at(dst, 4)).toBe(0);
    expect(isNaN(at(dst, MR))).toBe(true, 'wrote past the panel');
  });
});

// Micro-kernel operands: Ap[p][i] = i + 1 + p, Bp[p][j] = j − 2p, so
// C[i][j] = Σ_p (i + 1 + p)(j − 2p), exact in f32.
function expected(i: i32, j: i32, kc: i32): f32 {
  let sum = 0;
  for (let p = 0; p < kc; p++) sum += (i + 1 + p) * (j - 2 * p);
  return <f32>sum;
}

function setupPanels(ap: usize, bp: usize, kc: i32): void {
  for (let p = 0; p < kc; p++) {
    for (let i = 0; i < MR; i++) store<f32>(ap + (<usize>(p * MR + i) << 2), <f32>(i + 1 + p));
    for (let j = 0; j < NR; j++) store<f32>(bp + (<usize>(p * NR + j) << 2), <f32>(j - 2 * p));
  }
}

const LDC = 11; // C rows wider than the tile: columns 8..10 must stay untouched

describe('ukernel (5×8 in this build)', () => {

  it('overwrites a full tile with row stride ldc, for kc = 1, 2 and 7', () => {
    const ap = memory.data(4 * MR * 7, 16);
    const bp = memory.data(4 * NR * 7, 16);
    const c = memory.data(4 * LDC * MR, 16);
    for (let kc = 1; kc <= 7; kc += kc < 2 ? 1 : 5) {
      setupPanels(ap, bp, kc);
      fillNaN(c, LDC * MR);
      ukernel(kc, ap, bp, NR * 4, c, LDC * 4, 0);
      for (let i = 0; i < MR; i++) {
        for (let j = 0; j < LDC; j++) {
          const v = at(c, i * LDC + j);
          if (j < NR) expect(v).toBe(expected(i, j, kc));
          else expect(isNaN(v)).toBe(true, 'wrote outside the tile');
        }
      }
    }
  });

  it('reads B in place with a row stride (ldb = 13 floats)', () => {
    const ap = memory.data(4 * MR * 4, 16);
    const packed = memory.data(4 * NR * 4, 16);
    const strided = memory.data(4 * 13 * 4, 16);
    setupPanels(ap, packed, 4);
    fillNaN(strided, 13 * 4); // lanes 8..12 of each row are NaN: any read of them poisons C
    for (let p = 0; p < 4; p++) {
      for (let j = 0; j < NR; j++) store<f32>(strided + (<usize>(p * 13 + j) << 2), at(packed, p * NR + j));
    }
    const c = memory.data(4 * NR * MR, 16);
    ukernel(4, ap, strided, 13 * 4, c, NR * 4, 0);
    for (let i = 0; i < MR; i++) {
      for (let j = 0; j < NR; j++) expect(at(c, i * NR + j)).toBe(expected(i, j, 4));
    }
  });

  it('accumulates onto C', () => {
    const ap = memory.data(4 * MR * 3, 16);
    const bp = memory.data(4 * NR * 3, 16);
    const c = memory.data(4 * NR * MR, 16);
    setupPanels(ap, bp, 3);
    for (let i = 0; i < MR * NR; i++) store<f32>(c + (<usize>i << 2), <f32>(i * 100));
    ukernel(3, ap, bp, NR * 4, c, NR * 4, 1);
    for (let i = 0; i < MR; i++) {
      for (let j = 0; j < NR; j++) expect(at(c, i * NR + j)).toBe(<f32>((i * NR + j) * 100) + expected(i, j, 3));
    }
  });
});

describe('store_partial_tile', () => {
  it('writes (or adds) only the mr × nr corner', () => {
    const tile = memory.data(4 * MR * NR, 16);
    for (let i = 0; i < MR * NR; i++) store<f32>(tile + (<usize>i << 2), <f32>i);
    const c = memory.data(4 * 4 * 4, 16); // 4×4 C, ldc = 4 floats
    fillNaN(c, 16);
    store_partial_tile(c, 16, tile, 2, 3, 0);
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        const v = at(c, i * 4 + j);
        if (i < 2 && j < 3) expect(v).toBe(<f32>(i * NR + j));
        else expect(isNaN(v)).toBe(true, 'wrote outside the corner');
      }
    }
    store_partial_tile(c, 16, tile, 2, 3, 1);
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 3; j++) expect(at(c, i * 4 + j)).toBe(<f32>((i * NR + j) * 2));
    }
  });
});

describe('gemm_f32_nt', () => {
  it('multiplies A [2,3] by Bᵀ with B stored [2,3]', () => {
    const workspace = (heap.alloc(<usize>gemm_f32_workspace_bytes() + 16) + 15) & ~<usize>15;
    const a = memory.data<f32>([1, 2, 3, 4, 5, 6]);
    const b = memory.data<f32>([1, 0, -1, 2, 1, 0]);
    const c = memory.data(16, 16);
    gemm_f32_nt(c, a, b, workspace, 2, 3, 2, 0);
    expect(load<f32>(c, 0)).toBe(-2);
    expect(load<f32>(c, 4)).toBe(4);
    expect(load<f32>(c, 8)).toBe(-2);
    expect(load<f32>(c, 12)).toBe(13);
  });
});
