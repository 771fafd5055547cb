// GEMM: C[m,n] (= or += when accumulate ≠ 0) op(A)·op(B), row-major f32, any m, k, n ≥ 1.
//   gemm_f32_nn: A [m,k],          B [k,n]           C = A·B
//   gemm_f32_tn: A stored [k,m],   B [k,n]           C = Aᵀ·B   (dW = Xᵀ·dY of a dense layer)
//   gemm_f32_nt: A [m,k],          B stored [n,k]    C = A·Bᵀ   (dX = dY·Wᵀ)
//   dense_f32_forward: gemm_f32_nn + bias + activation, applied block by block (see there).
//   gemm_f32_tn_sgd:   w −= rate · Aᵀ·B, plain SGD folded into the dW product (see there).
// workspace: gemm_f32_workspace_bytes() bytes, 16-byte aligned, contents clobbered; it holds the
//   packed operands and one edge tile, so the kernels allocate nothing and keep no state.
// Aliasing: C must not overlap A, B or the workspace; A and B may overlap each other (read only).
// Parts (assembly/parts.ts): gemm_f32_{nn,tn,nt}_part(…, part, parts) computes one block of C: C is
//   cut into groups of whole NR-wide column panels or MR-high row panels (rows when m > n, so each
//   part re-packs the smaller operand; see gemm), and the other dimension too when the first has
//   fewer panels than parts. A block boundary is always a tile boundary, so every element keeps its
//   tile (full or edge) and its sum over k in the same KC slices and order: bit-identical to the
//   unsplit call (see gemm_block).
// Alignment: none required of A, B, C (wasm loads and stores are unaligned-safe); every read stays
//   inside A and B and every write inside C: full-width SIMD loads are used only where the whole
//   vector lies inside the row, partial panels and tails are scalar.
//
// Structure (Goto/BLIS, as in XNNPACK's f32-gemm with packing done here instead of ahead of time):
//   for each NC-wide column block of C, each KC-deep slice of k:
//     pack op(B)[slice, block] into NR-wide panels   Bp[panel][p][0..NR)  (zero-padded past n)
//     for each MC-high row block:
//       pack op(A)[block, slice] into MR-high panels  Ap[panel][p][0..MR)  (zero-padded past m)
//       for each B panel (stays in L1), each A panel (streams from L2): one MR×NR micro-kernel.
//   The transposed variants differ only in how they pack, so one micro-kernel serves all three.
//   A block of at most MR − 2 rows of nn (batch 1 at inference, or a part of such a call) takes
//   the matrix-vector route of assembly/gemv.ts instead: B streamed once in order, nothing packed,
//   no MR-row tile computed for one row; the same KC slices and per-element operations, so the
//   same bits. At m = 1 it measured 3-6x faster (784×300: 77 → 26 µs), at MR − 2 rows 1.3-1.5x,
//   at MR − 1 even (bench/README.md, "Kernel design measurements").
//   Small m (≤ 8 row panels; batch 15 is 3): B stored [k,n] (nn, tn) is not packed; the
//   micro-kernel reads full panels in place with B's row stride, so the k×n copy is not paid for
//   a product too short to amortize it. Packing still wins when many row panels re-read a B whose
//   row stride aliases in L1 (n = 512). The first k slice applies the store mode (=, += or the SGD
//   step); later slices add.
// Micro-kernel: XNNPACK's f32-gemm wasmsimd "loadsplat" scheme: per k, two f32x4 loads of B, MR
//   v128.load32_splat broadcasts of A, MR×2 multiply-adds (fmadd_f32x4) into MR×2 accumulators.
//   Registers: V8 on x86-64 gives wasm SIMD 15 XMM registers (one of 16 is its scratch).
//   Strict builds, 5×8: a mul + add needs a product temporary besides the broadcast, so 10
//   accumulators + 2 B + 2 = 14 fit; 6×8 needs 16 and spills an accumulator.
//   Relaxed builds, 6×8: f32x4.relaxed_madd needs no temporary, so 12 + 2 + 1 = 15 fit (V8 emits
//   12 vfmadd231ps and no spill); measured at least as fast as 5×8 with FMA.
//   No k unrolling: Binaryen -O3 regroups unrolled steps by accumulator, which keeps every step's
//   B vectors and broadcasts live at once and spills. With one k per iteration the loop has no
//   spill; the strict one is issue-bound (37 x86 instructions per 20 FP ops, including an lea per
//   broadcast offset, since V8 does not fold offsets into splat loads).
// Blocking: KC·NR·4 = 8 KiB of B panel plus KC·MR·4 = 5-6 KiB of A panel in L1 (32 KiB), the MC×KC
//   A block (130 KiB) in L2, the KC×NC B block (1 MiB) in L2/L3. Each dimension is split into
//   equal blocks (784 = 4 × 196, not 3 × 256 + 16) so no slice is a thin remainder.
// The alternatives measured (tiles, unrolling, KC, B in place) are in bench/README.md, "Kernel
// design measurements".

import { gemv_f32_nn_rows } from './gemv';
import { part_start, valid_part } from './parts';
import { fmadd_f32x4, load_f32x4_partial, store_f32x4_partial, vsigmoid_f32x4 } from './simd';

const MR = ASC_FEATURE_RELAXED_SIMD ? 6 : 5;
const NR = 8;
const KC = 256;
const MC = 128 / MR * MR + MR; // a multiple of MR, ≥ 128 (a batch of 128 in one block)
const NC = 1024 / NR * NR; // a multiple of NR
const DIRECT_B_MAX_M = 8 * MR; // nn/tn read B in place up to this m (see the header)
const GEMV_MAX_M = MR - 2; // nn blocks of up to this many rows take the matrix-vector route (see the header)
const TILE_BYTES: i32 = MR * NR * 4;
const APACK_BYTES: i32 = MC * KC * 4;
const BPACK_BYTES: i32 = KC * NC * 4;

/** Workspace layout: [edge tile | packed A block | packed B block], all 16-byte aligned. */
export function gemm_f32_workspace_bytes(): i32 {
  return TILE_BYTES + APACK_BYTES + BPACK_BYTES;
}

export function gemm_f32_nn(c: usize, a: usize, b: usize, workspace: usize, m: i32, k: i32, n: i32, accumulate: i32): void {
  gemm(c, a, b, workspace, m, k, n, accumulate != 0 ? ADD : STORE, false, false, 0, 1, 0, NO_EPILOGUE);
}

export function gemm_f32_tn(c: usize, a: usize, b: usize, workspace: usize, m: i32, k: i32, n: i32, accumulate: i32): void {
  gemm(c, a, b, workspace, m, k, n, accumulate != 0 ? ADD : STORE, true, false, 0, 1, 0, NO_EPILOGUE);
}

export function gemm_f32_nt(c: usize, a: usize, b: usize, workspace: usize, m: i32, k: i32, n: i32, accumulate: i32): void {
  gemm(c, a, b, workspace, m, k, n, accumulate != 0 ? ADD : STORE, false, true, 0, 1, 0, NO_EPILOGUE);
}

export function gemm_f32_nn_part(c: usize, a: usize, b: usize, workspace: usize, m: i32, k: i32, n: i32, accumulate: i32,
  part: i32, parts: i32): void {
  gemm(c, a, b, workspace, m, k, n, accumulate != 0 ? ADD : STORE, false, false, part, parts, 0, NO_EPILOGUE);
}

export function gemm_f32_tn_part(c: usize, a: usize, b: usize, workspace: usize, m: i32, k: i32, n: i32, accumulate: i32,
  part: i32, parts: i32): void {
  gemm(c, a, b, workspace, m, k, n, accumulate != 0 ? ADD : STORE, true, false, part, parts, 0, NO_EPILOGUE);
}

export function gemm_f32_nt_part(c: usize, a: usize, b: usize, workspace: usize, m: i32, k: i32, n: i32, accumulate: i32,
  part: i32, parts: i32): void {
  gemm(c, a, b, workspace, m, k, n, accumulate != 0 ? ADD : STORE, false, true, part, parts, 0, NO_EPILOGUE);
}

/**
 * A dense layer's forward in one call: y[m,n] = act(x[m,k]·w[k,n] + bias[n]) (bias 0: none), with
 * activation 0 = linear, 1 = sigmoid, 2 = ReLU. The bias and the activation are applied to each
 * NR-wide column panel of a row block (at most MC × NR, 4 KiB) right after the micro-kernels of its
 * last k slice wrote it, while it is in L1, by the same lane
 * operations as bias_add_f32_forward, sigmoid_f32_forward and relu_f32_forward: bit-identical to
 * gemm_f32_nn then those kernels, one pass over y instead of three (and, split, each thread finishes
 * the columns it computed instead of reading the other threads' halves).
 */
export function dense_f32_forward(y: usize, x: usize, w: usize, bias: usize, workspace: usize, m: i32, k: i32, n: i32,
  activation: i32): void {
  gemm(y, x, w, workspace, m, k, n, STORE, false, false, 0, 1, bias, activation);
}

export function dense_f32_forward_part(y: usize, x: usize, w: usize, bias: usize, workspace: usize, m: i32, k: i32, n: i32,
  activation: i32, part: i32, parts: i32): void {
  gemm(y, x, w, workspace, m, k, n, STORE, false, false, part, parts, bias, activation);
}

/**
 * A dense layer's dW product with plain SGD folded in: w[m,n] −= rate · (aᵀ·b), a stored [k,m] and
 * b [k,n] as in gemm_f32_tn, the gradient never stored. Each tile's sum over k is the one
 * gemm_f32_tn would store (one KC slice: k ≤ gemm_f32_sgd_max_k(), the batch of a dense layer's
 * dW), then updated as sgd_f32_step does (w − g·rate): bit-identical to gemm_f32_tn into g then
 * sgd_f32_step(w, g, m·n, rate), without writing g and reading it back. Debug builds assert
 * k ≤ gemm_f32_sgd_max_k(); release builds return without writing when it does not hold.
 */
export function gemm_f32_tn_sgd(w: usize, a: usize, b: usize, workspace: usize, m: i32, k: i32, n: i32, rate: f32): void {
  gemm_f32_tn_sgd_part(w, a, b, workspace, m, k, n, rate, 0, 1);
}

export function gemm_f32_tn_sgd_part(w: usize, a: usize, b: usize, workspace: usize, m: i32, k: i32, n: i32, rate: f32,
  part: i32, parts: i32): void {
  assert(k <= KC, 'gemm_f32_tn_sgd: k must be at most gemm_f32_sgd_max_k()');
  if (k > KC) return;
  gemm(w, a, b, workspace, m, k, n, SGD, true, false, part, parts, 0, NO_EPILOGUE, rate);
}

/** Largest k of gemm_f32_tn_sgd: one KC slice, so each sum is complete before its update. */
export function gemm_f32_sgd_max_k(): i32 {
  return KC;
}

/** How a tile's sum reaches C: stored, added, or the SGD step C −= rate · sum. */
const STORE: i32 = 0;
const ADD: i32 = 1;
const SGD: i32 = 2;

/** gemm's `activation` when the call is a plain product (no bias, no activation pass). */
const NO_EPILOGUE: i32 = -1;
const ACTIVATION_SIGMOID: i32 = 1;
const ACTIVATION_RELU: i32 = 2;

/** Splits `total` into the fewest blocks of at most `max`, of equal size rounded up to `unit`. */
@inline function blockSize(total: i32, max: i32, unit: i32): i32 {
  const blocks = (total + max - 1) / max;
  const even = (total + blocks - 1) / blocks;
  return (even + unit - 1) / unit * unit;
}

@inline function gemm(c: usize, a: usize, b: usize, workspace: usize, m: i32, k: i32, n: i32, mode: i32,
  transA: bool, transB: bool, part: i32, parts: i32, bias: usize, activation: i32, rate: f32 = 0): void {
  // Debug builds check the contract; release builds (--noAssert) trust the caller.
  assert(m >= 1 && k >= 1 && n >= 1, 'gemm: m, k and n must be at least 1');
  assert((workspace & 15) == 0, 'gemm: workspace must be 16-byte aligned');
  assert(valid_part(part, parts), 'gemm: need 0 <= part < parts');
  if (!valid_part(part, parts)) return;
  // The parts form a grid over C of whole NR-wide column panels and MR-high row panels. Every part
  // packs the whole of the operand it shares: A (m·k) when C is cut into column groups, B (k·n) when
  // into row groups. So rows are cut first when m > n (dW = Xᵀ·dY with 5408 or 784 rows and 200-300
  // columns re-packs the small dY), columns otherwise; the other dimension is cut when the first has
  // fewer panels than parts.
  const panels = (n + NR - 1) / NR;
  const rowPanels = (m + MR - 1) / MR;
  let colParts: i32, rowParts: i32, colPart: i32, rowPart: i32;
  if (m > n) {
    rowParts = min(parts, rowPanels);
    colParts = parts / rowParts;
    rowPart = part % rowParts;
    colPart = part / rowParts;
  } else {
    colParts = min(parts, panels);
    rowParts = parts / colParts;
    colPart = part % colParts;
    rowPart = part / colParts;
  }
  if (part >= colParts * rowParts) return;
  const j0 = part_start(panels, colPart, colParts) * NR;
  const j1 = min(n, part_start(panels, colPart + 1, colParts) * NR);
  const i0 = part_start(rowPanels, rowPart, rowParts) * MR;
  const i1 = min(m, part_start(rowPanels, rowPart + 1, rowParts) * MR);
  if (j0 >= j1 || i0 >= i1) return;
  if (!transA && !transB && i1 - i0 <= GEMV_MAX_M && (i1 - i0) * (j1 - j0) + KC + 4 <= gemm_f32_workspace_bytes() >> 2) {
    gemv_f32_nn_rows(c, a, b, workspace, k, n, i0, i1, j0, j1, blockSize(k, KC, 1), mode == ADD);
    if (activation != NO_EPILOGUE) {
      const ldc = <usize>n << 2;
      const cblock = c + <usize>i0 * ldc + (<usize>j0 << 2);
      dense_epilogue(cblock, ldc, bias == 0 ? 0 : bias + (<usize>j0 << 2), i1 - i0, j1 - j0, activation);
    }
    return;
  }
  gemm_block(c, a, b, workspace, m, k, n, mode, transA, transB, i0, i1, j0, j1, bias, activation, rate);
}

/**
 * Columns j0..j1 of gemm_f32_tn's C (j0 a multiple of NR = 8), all rows: conv2d's backward filter
 * parts, which split dfilters by 8-channel groups. Not exported from the module.
 */
export function gemm_f32_tn_columns(c: usize, a: usize, b: usize, workspace: usize, m: i32, k: i32, n: i32, accumulate: i32,
  j0: i32, j1: i32): void {
  assert(j0 % NR == 0 && j0 < j1 && j1 <= n, 'gemm_f32_tn_columns: need NR | j0 < j1 <= n');
  gemm_block(c, a, b, workspace, m, k, n, accumulate != 0 ? ADD : STORE, true, false, 0, m, j0, j1, 0, NO_EPILOGUE, 0);
}

/**
 * C[i0..i1, j0..j1) of the product, i0 a multiple of MR and j0 of NR. Every element's value depends
 * only on k (the KC slicing) and not on which block, panel or tile computed it: a tile's sum runs
 * over p in order from 0 within each slice and is then added to C (a full tile adds the vector,
 * an edge tile the same lanes one by one), so any block of C computes exactly the unsplit values.
 */
// @ts-ignore: decorator
@inline function gemm_block(c: usize, a: usize, b: usize, workspace: usize, m: i32, k: i32, n: i32, mode: i32,
  transA: bool, transB: bool, i0: i32, i1: i32, j0: i32, j1: i32, bias: usize, activation: i32, rate: f32): void {
  const tile = workspace;
  const apack = workspace + <usize>TILE_BYTES;
  const bpack = apack + <usize>APACK_BYTES;
  const ldc = (<usize>n) << 2;
  const kcb = blockSize(k, KC, 1);
  const mcb = blockSize(i1 - i0, MC, MR);
  const ncb = blockSize(j1 - j0, NC, NR);
  const directB = !transB && i1 - i0 <= DIRECT_B_MAX_M;
  for (let jc = j0; jc < j1; jc += ncb) {
    const nc = min(ncb, j1 - jc);
    for (let pc = 0; pc < k; pc += kcb) {
      const kc = min(kcb, k - pc);
      const acc = pc > 0 ? ADD : mode;
      if (transB) pack_b_t_block(bpack, b, k, jc, nc, pc, kc);
      else if (!directB) pack_b_n_block(bpack, b, n, jc, nc, pc, kc);
      for (let ic = i0; ic < i1; ic += mcb) {
        const mc = min(mcb, i1 - ic);
        if (transA) pack_a_t_block(apack, a, m, ic, mc, pc, kc);
        else pack_a_n_block(apack, a, k, ic, mc, pc, kc);
        const apanelBytes = <usize>(kc * MR * 4);
        const bpanelBytes = <usize>(kc * NR * 4);
        let bp = bpack;
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          let bpanel = bp;
          let ldb: usize = NR * 4;
          if (directB) {
            // Full panels are read in place, B's rows 4·n bytes apart; a partial one is packed
            // (zero-padded) into the workspace, since reading 8 lanes would run past B's row.
            bpanel = b + ((<usize>pc * <usize>n + <usize>(jc + jr)) << 2);
            ldb = <usize>n << 2;
            if (nr < NR) {
              pack_b_n_block(bpack, b, n, jc + jr, nr, pc, kc);
              bpanel = bpack;
              ldb = NR * 4;
            }
          }
          let ap = apack;
          const cblock = c + ((<usize>ic * <usize>n + <usize>(jc + jr)) << 2);
          let cp = cblock;
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            if (mr == MR && nr == NR) {
              ukernel(kc, ap, bpanel, ldb, cp, ldc, acc, rate);
            } else {
              ukernel(kc, ap, bpanel, ldb, tile, NR * 4, STORE);
              store_partial_tile(cp, ldc, tile, mr, nr, acc, rate);
            }
            ap += apanelBytes;
            cp += ldc * MR;
          }
          if (activation != NO_EPILOGUE && pc + kc == k) {
            dense_epilogue(cblock, ldc, bias == 0 ? 0 : bias + (<usize>(jc + jr) << 2), mc, nr, activation);
          }
          bp += bpanelBytes;
        }
      }
    }
  }
}

/** c[rows, cols] (rows ldc bytes apart) = act(c + bias[cols]): dense_f32_forward's last pass. */
// @ts-ignore: decorator
@inline function dense_epilogue(c: usize, ldc: usize, bias: usize, rows: i32, cols: i32, activation: i32): void {
  // One loop per activation (a constant inside each), so the row loop carries no switch.
  if (activation == ACTIVATION_SIGMOID) dense_rows(c, ldc, bias, rows, cols, ACTIVATION_SIGMOID);
  else if (activation == ACTIVATION_RELU) dense_rows(c, ldc, bias, rows, cols, ACTIVATION_RELU);
  else if (bias != 0) dense_rows(c, ldc, bias, rows, cols, 0);
}

// @ts-ignore: decorator
@inline function dense_rows(c: usize, ldc: usize, bias: usize, rows: i32, cols: i32, activation: i32): void {
  if (cols == NR) {
    // A full panel: two vectors a row, the bias loaded once.
    const vb0 = bias != 0 ? v128.load(bias) : f32x4.splat(0);
    const vb1 = bias != 0 ? v128.load(bias, 16) : f32x4.splat(0);
    for (let i = 0; i < rows; i++) {
      let v0 = v128.load(c);
      let v1 = v128.load(c, 16);
      if (bias != 0) {
        v0 = f32x4.add(v0, vb0);
        v1 = f32x4.add(v1, vb1);
      }
      v128.store(c, activate(v0, activation));
      v128.store(c, activate(v1, activation), 16);
      c += ldc;
    }
    return;
  }
  for (let i = 0; i < rows; i++) {
    let p = c + <usize>i * ldc;
    let q = bias;
    let j = cols;
    for (; j >= 4; j -= 4) {
      let v = v128.load(p);
      if (bias != 0) v = f32x4.add(v, v128.load(q));
      v128.store(p, activate(v, activation));
      p += 16;
      q += 16;
    }
    if (j > 0) {
      let v = load_f32x4_partial(p, j);
      if (bias != 0) v = f32x4.add(v, load_f32x4_partial(q, j));
      store_f32x4_partial(p, activate(v, activation), j);
    }
  }
}

/** The lane operation of sigmoid_f32_forward or relu_f32_forward (x < 0 ? 0 : x), or v itself. */
// @ts-ignore: decorator
@inline function activate(v: v128, activation: i32): v128 {
  if (activation == ACTIVATION_SIGMOID) return vsigmoid_f32x4(v);
  if (activation == ACTIVATION_RELU) return f32x4.pmax(v, f32x4.splat(0));
  return v;
}

/** C[0..mr, 0..nr) (=, += or −= rate·, by `mode`) tile[MR][NR]: the edge tiles, computed full-size into the workspace. */
export function store_partial_tile(c: usize, ldc: usize, tile: usize, mr: i32, nr: i32, mode: i32, rate: f32 = 0): void {
  for (let i = 0; i < mr; i++) {
    const crow = c + <usize>i * ldc;
    const trow = tile + <usize>(i * NR * 4);
    for (let j = 0; j < nr; j++) {
      const o = <usize>j << 2;
      let v = load<f32>(trow + o);
      if (mode == SGD) v = load<f32>(crow + o) - v * rate;
      else if (mode == ADD) v += load<f32>(crow + o);
      store<f32>(crow + o, v);
    }
  }
}

// ---- Packing. A panel: Ap[p][0..MR) for p in [0,kc); B panel: Bp[p][0..NR). Rows/columns past
// the matrix are zero, so the micro-kernel always computes a full tile. Each operand is packed by
// one of two routines: a strided copy (the panel is contiguous in memory at each k: nn's B, tn's A)
// or a transposing copy (the panel's lanes are rows of the source: nn's A, nt's B).

/** A [m,lda=k] row-major: rows ic..ic+mc, columns pc..pc+kc, transposed into MR-high panels. */
export function pack_a_n_block(ap: usize, a: usize, lda: i32, ic: i32, mc: i32, pc: i32, kc: i32): void {
  const panelBytes = <usize>(kc * MR * 4);
  for (let ir = 0; ir < mc; ir += MR) {
    pack_transpose(ap, MR, a + (<usize>(ic + ir) * <usize>lda + <usize>pc) * 4, lda, min(MR, mc - ir), kc);
    ap += panelBytes;
  }
}

/** A stored [k, lda=m]: Aᵀ's rows ic..ic+mc, k-range pc..pc+kc, into MR-high panels. */
export function pack_a_t_block(ap: usize, a: usize, lda: i32, ic: i32, mc: i32, pc: i32, kc: i32): void {
  const panelBytes = <usize>(kc * MR * 4);
  for (let ir = 0; ir < mc; ir += MR) {
    pack_copy(ap, MR, a + (<usize>pc * <usize>lda + <usize>(ic + ir)) * 4, lda, min(MR, mc - ir), kc);
    ap += panelBytes;
  }
}

/** B [k, ldb=n] row-major: rows pc..pc+kc, columns jc..jc+nc, into NR-wide panels. */
export function pack_b_n_block(bp: usize, b: usize, ldb: i32, jc: i32, nc: i32, pc: i32, kc: i32): void {
  const panelBytes = <usize>(kc * NR * 4);
  for (let jr = 0; jr < nc; jr += NR) {
    pack_copy(bp, NR, b + (<usize>pc * <usize>ldb + <usize>(jc + jr)) * 4, ldb, min(NR, nc - jr), kc);
    bp += panelBytes;
  }
}

/** B stored [n, ldb=k]: Bᵀ's rows pc..pc+kc, columns jc..jc+nc, transposed into NR-wide panels. */
export function pack_b_t_block(bp: usize, b: usize, ldb: i32, jc: i32, nc: i32, pc: i32, kc: i32): void {
  const panelBytes = <usize>(kc * NR * 4);
  for (let jr = 0; jr < nc; jr += NR) {
    pack_transpose(bp, NR, b + (<usize>(jc + jr) * <usize>ldb + <usize>pc) * 4, ldb, min(NR, nc - jr), kc);
    bp += panelBytes;
  }
}

/**
 * dst[p][0..width) = src[p·ld + 0..count), zero past count, for p in [0,kc): a panel whose lanes are
 * contiguous in the source. Full groups of 4 lanes move as one vector; the rest one float at a time,
 * so nothing past src's row `count` is read.
 */
export function pack_copy(dst: usize, width: i32, src: usize, ld: i32, count: i32, kc: i32): void {
  const ldBytes = (<usize>ld) << 2;
  const widthBytes = <usize>width << 2;
  const vectorBytes = <usize>(count & ~3) << 2;
  const countBytes = <usize>count << 2;
  for (let p = 0; p < kc; p++) {
    let o: usize = 0;
    for (; o < vectorBytes; o += 16) v128.store(dst + o, v128.load(src + o));
    for (; o < countBytes; o += 4) store<f32>(dst + o, load<f32>(src + o));
    for (; o < widthBytes; o += 4) store<f32>(dst + o, 0);
    src += ldBytes;
    dst += widthBytes;
  }
}

/**
 * dst[p][r] = src[r·ld + p] for r < count (zero for count ≤ r < width), p in [0,kc): a panel whose
 * lanes are rows of the source. Groups of 4 rows × 4 k-steps go through a 4×4 register transpose;
 * the k tail and the last rows (count not a multiple of 4) are copied one float at a time.
 */
export function pack_transpose(dst: usize, width: i32, src: usize, ld: i32, count: i32, kc: i32): void {
  const ldBytes = (<usize>ld) << 2;
  const widthBytes = <usize>width << 2;
  const kc4 = kc & ~3;
  let r = 0;
  for (; r + 4 <= count; r += 4) {
    const s0 = src + <usize>r * ldBytes;
    const s1 = s0 + ldBytes;
    const s2 = s1 + ldBytes;
    const s3 = s2 + ldBytes;
    let d = dst + (<usize>r << 2);
    let p = 0;
    for (; p < kc4; p += 4) {
      const o = <usize>p << 2;
      transpose4x4_store(d, widthBytes, v128.load(s0 + o), v128.load(s1 + o), v128.load(s2 + o), v128.load(s3 + o));
      d += widthBytes << 2;
    }
    for (; p < kc; p++) {
      const o = <usize>p << 2;
      v128.store(d, f32x4(load<f32>(s0 + o), load<f32>(s1 + o), load<f32>(s2 + o), load<f32>(s3 + o)));
      d += widthBytes;
    }
  }
  for (; r < width; r++) {
    const s = src + <usize>r * ldBytes;
    let d = dst + (<usize>r << 2);
    if (r < count) {
      for (let p = 0; p < kc; p++) {
        store<f32>(d, load<f32>(s + (<usize>p << 2)));
        d += widthBytes;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        store<f32>(d, 0);
        d += widthBytes;
      }
    }
  }
}

/** Writes the columns of the 4×4 block with rows vr0..vr3 to dst, dst + stride, ... (4 floats each). */
@inline function transpose4x4_store(dst: usize, stride: usize, vr0: v128, vr1: v128, vr2: v128, vr3: v128): void {
  const vt0 = i32x4.shuffle(vr0, vr1, 0, 4, 1, 5);
  const vt1 = i32x4.shuffle(vr0, vr1, 2, 6, 3, 7);
  const vt2 = i32x4.shuffle(vr2, vr3, 0, 4, 1, 5);
  const vt3 = i32x4.shuffle(vr2, vr3, 2, 6, 3, 7);
  v128.store(dst, i64x2.shuffle(vt0, vt2, 0, 2));
  v128.store(dst + stride, i64x2.shuffle(vt0, vt2, 1, 3));
  v128.store(dst + 2 * stride, i64x2.shuffle(vt1, vt3, 0, 2));
  v128.store(dst + 3 * stride, i64x2.shuffle(vt1, vt3, 1, 3));
}

// ---- Micro-kernel. C[0..MR, 0..NR) (= or +=) Ap·Bp over kc steps.
/**
 * ap: packed MR-high A panel [kc][MR]; bp: NR-wide B panel, kc rows `ldb` bytes apart (NR·4 when
 * packed, B's row stride when read in place); c: a full MR×NR tile, rows `ldc` bytes apart.
 * MR is 5 or 6 (a compile-time constant: the sixth row exists only in the relaxed builds).
 */
export function ukernel(kc: i32, ap: usize, bp: usize, ldb: usize, c: usize, ldc: usize, mode: i32, rate: f32 = 0): void {
  let vacc0x0 = f32x4.splat(0);
  let vacc0x1 = f32x4.splat(0);
  let vacc1x0 = f32x4.splat(0);
  let vacc1x1 = f32x4.splat(0);
  let vacc2x0 = f32x4.splat(0);
  let vacc2x1 = f32x4.splat(0);
  let vacc3x0 = f32x4.splat(0);
  let vacc3x1 = f32x4.splat(0);
  let vacc4x0 = f32x4.splat(0);
  let vacc4x1 = f32x4.splat(0);
  let vacc5x0 = f32x4.splat(0);
  let vacc5x1 = f32x4.splat(0);
  let va: v128;
  let vb0: v128;
  let vb1: v128;
  let p = kc;
  while (p > 0) {
    vb0 = v128.load(bp, 0);
    vb1 = v128.load(bp, 16);
    va = v128.load32_splat(ap, 0);
    vacc0x0 = fmadd_f32x4(vacc0x0, va, vb0);
    vacc0x1 = fmadd_f32x4(vacc0x1, va, vb1);
    va = v128.load32_splat(ap, 4);
    vacc1x0 = fmadd_f32x4(vacc1x0, va, vb0);
    vacc1x1 = fmadd_f32x4(vacc1x1, va, vb1);
    va = v128.load32_splat(ap, 8);
    vacc2x0 = fmadd_f32x4(vacc2x0, va, vb0);
    vacc2x1 = fmadd_f32x4(vacc2x1, va, vb1);
    va = v128.load32_splat(ap, 12);
    vacc3x0 = fmadd_f32x4(vacc3x0, va, vb0);
    vacc3x1 = fmadd_f32x4(vacc3x1, va, vb1);
    va = v128.load32_splat(ap, 16);
    vacc4x0 = fmadd_f32x4(vacc4x0, va, vb0);
    vacc4x1 = fmadd_f32x4(vacc4x1, va, vb1);
    if (MR == 6) {
      va = v128.load32_splat(ap, 20);
      vacc5x0 = fmadd_f32x4(vacc5x0, va, vb0);
      vacc5x1 = fmadd_f32x4(vacc5x1, va, vb1);
    }
    ap += MR * 4;
    bp += ldb;
    p--;
  }
  if (mode == SGD) {
    // sgd_f32_step's operations: c − (sum · rate), a product then a difference, in every build.
    const vrate = f32x4.splat(rate);
    v128.store(c, f32x4.sub(v128.load(c, 0), f32x4.mul(vacc0x0, vrate)), 0);
    v128.store(c, f32x4.sub(v128.load(c, 16), f32x4.mul(vacc0x1, vrate)), 16);
    c += ldc;
    v128.store(c, f32x4.sub(v128.load(c, 0), f32x4.mul(vacc1x0, vrate)), 0);
    v128.store(c, f32x4.sub(v128.load(c, 16), f32x4.mul(vacc1x1, vrate)), 16);
    c += ldc;
    v128.store(c, f32x4.sub(v128.load(c, 0), f32x4.mul(vacc2x0, vrate)), 0);
    v128.store(c, f32x4.sub(v128.load(c, 16), f32x4.mul(vacc2x1, vrate)), 16);
    c += ldc;
    v128.store(c, f32x4.sub(v128.load(c, 0), f32x4.mul(vacc3x0, vrate)), 0);
    v128.store(c, f32x4.sub(v128.load(c, 16), f32x4.mul(vacc3x1, vrate)), 16);
    c += ldc;
    v128.store(c, f32x4.sub(v128.load(c, 0), f32x4.mul(vacc4x0, vrate)), 0);
    v128.store(c, f32x4.sub(v128.load(c, 16), f32x4.mul(vacc4x1, vrate)), 16);
    if (MR == 6) {
      c += ldc;
      v128.store(c, f32x4.sub(v128.load(c, 0), f32x4.mul(vacc5x0, vrate)), 0);
      v128.store(c, f32x4.sub(v128.load(c, 16), f32x4.mul(vacc5x1, vrate)), 16);
    }
  } else if (mode == ADD) {
    v128.store(c, f32x4.add(v128.load(c, 0), vacc0x0), 0);
    v128.store(c, f32x4.add(v128.load(c, 16), vacc0x1), 16);
    c += ldc;
    v128.store(c, f32x4.add(v128.load(c, 0), vacc1x0), 0);
    v128.store(c, f32x4.add(v128.load(c, 16), vacc1x1), 16);
    c += ldc;
    v128.store(c, f32x4.add(v128.load(c, 0), vacc2x0), 0);
    v128.store(c, f32x4.add(v128.load(c, 16), vacc2x1), 16);
    c += ldc;
    v128.store(c, f32x4.add(v128.load(c, 0), vacc3x0), 0);
    v128.store(c, f32x4.add(v128.load(c, 16), vacc3x1), 16);
    c += ldc;
    v128.store(c, f32x4.add(v128.load(c, 0), vacc4x0), 0);
    v128.store(c, f32x4.add(v128.load(c, 16), vacc4x1), 16);
    if (MR == 6) {
      c += ldc;
      v128.store(c, f32x4.add(v128.load(c, 0), vacc5x0), 0);
      v128.store(c, f32x4.add(v128.load(c, 16), vacc5x1), 16);
    }
  } else {
    v128.store(c, vacc0x0, 0);
    v128.store(c, vacc0x1, 16);
    c += ldc;
    v128.store(c, vacc1x0, 0);
    v128.store(c, vacc1x1, 16);
    c += ldc;
    v128.store(c, vacc2x0, 0);
    v128.store(c, vacc2x1, 16);
    c += ldc;
    v128.store(c, vacc3x0, 0);
    v128.store(c, vacc3x1, 16);
    c += ldc;
    v128.store(c, vacc4x0, 0);
    v128.store(c, vacc4x1, 16);
    if (MR == 6) {
      c += ldc;
      v128.store(c, vacc5x0, 0);
      v128.store(c, vacc5x1, 16);
    }
  }
}

