// 2-D convolution, NHWC activations, HWIO filters, stride 1, Keras 'valid' / 'same' padding.
//
// Shapes (element counts; every pointer is a byte address of f32 data, any 4-byte alignment):
//   input    [batch, height, width, in_channels]
//   filters  [kernel_height, kernel_width, in_channels, out_channels]   (HWIO, Keras/TF.js layout)
//   bias     [out_channels]                                              (pointer 0 = no bias)
//   output   [batch, out_h, out_w, out_channels]
//   padding 0 = 'valid': out = in − k + 1 (requires k ≤ in);
//   padding 1 = 'same':  out = in, pad_top = floor((k − 1) / 2), pad_left likewise; the extra
//            row/column of an even kernel goes to the bottom/right (TF's SAME convention,
//            tensorflow/core/framework/kernel_shape_util.cc GetWindowedOutputSizeVerbose).
//
// Outputs:
//   conv2d_f32_nhwc_forward          output  overwritten  (= conv + bias)
//   conv2d_f32_nhwc_backward_data    dinput  overwritten
//   conv2d_f32_nhwc_backward_filter  dfilters and dbias (unless 0): = when accumulate is 0, += otherwise
// No output may alias any input or the workspace. Inputs are never written.
// Parts (assembly/parts.ts): the forward and backward_data `_part` exports own a run of batch
// samples (backward_data zeroes only its own samples of dinput; a sample's pixels are computed the
// same in any batch); backward_filter's own a run of CHANNEL_GROUP output channels of dfilters and
// dbias, each part redoing im2col (the channel sums run over all pixels in the unsplit order).
// Preconditions: batch, in_channels, out_channels ≥ 1 and, for 'valid', k ≤ in. The debug build
// asserts them; the release build returns without writing anything when they fail.
//
// Workspace: conv2d_f32_workspace_bytes(shape) bytes, 16-byte aligned, clobbered. It holds the
// GEMM workspace (gemm_f32_workspace_bytes()) followed by one im2col chunk (or, for the small-K
// backward filter with 'same', one zero-bordered image). The batch is processed in chunks of whole
// im2col rows (an output pixel each) so the chunk stays near COL_CHUNK_BYTES whatever the batch:
// the workspace is bounded by the shape's K (and image size), not by the batch.
//
// Method (Chellapilla et al. 2006, "High Performance Convolutional Neural Networks for Document
// Processing"; Caffe's im2col): with col [rows = batch·out_h·out_w, K = kh·kw·in_channels],
//   forward          output [rows, out_c]  = col · filters[K, out_c]          gemm_f32_nn
//   backward_filter  dfilters[K, out_c]   += colᵀ · doutput[rows, out_c]      gemm_f32_tn
//   backward_data    dcol [rows, K]        = doutput · filtersᵀ               gemm_f32_nt, then
//                    col2im scatter-adds dcol into dinput.
// A 1x1 kernel needs no im2col: input is already col. The forward of a layer with few input
// channels (K ≤ DIRECT_MAX_K; the first layer has K = 9) runs a direct kernel instead: a 4-pixel x
// 8-channel register tile fed straight from the input, no workspace: at K = 9 im2col copies 9
// floats a row and the GEMM pads them to whole panels, which costs more than the product. Past
// K ≈ 32 the filter rows no longer stay in L1 and the edge pixels' 1-pixel tiles dominate odd
// widths, so the GEMM's blocking wins. The backward filter of such a layer is direct too
// (conv2d_small_k_backward_filter). Backward data always takes the GEMM route: the first layer
// never needs it. Measurements: bench/README.md, "Kernel design measurements".

import { gemm_f32_nn, gemm_f32_nt, gemm_f32_tn_columns, gemm_f32_workspace_bytes } from './gemm';
import { part_start, valid_part } from './parts';
import { add_f32, copy_f32, fmadd_f32x4, zero_f32 } from './simd';

/** Target size of one im2col chunk: written and read back from L2 (bench/README.md). */
const COL_CHUNK_BYTES: i32 = 512 * 1024;
/** Fewest rows per chunk, so a huge K still gives the GEMM full tiles. */
const COL_CHUNK_MIN_ROWS: i32 = 16;
/**
 * Forward and backward_filter use their direct kernels when K = kh·kw·in_channels is at most
 * this (measurements in the header).
 */
const DIRECT_MAX_K: i32 = 32;
/**
 * Backward-filter parts own runs of this many output channels: the width of the small-K kernel's
 * channel tile and of the GEMM's column panel (NR), so a split moves no channel between a full
 * tile and a tail (they may round differently in the relaxed builds).
 */
const CHANNEL_GROUP: i32 = 8;

// ---------------------------------------------------------------------------------------------
// Shape helpers

/** Output size along one axis. */
// @ts-ignore: decorator
@inline function conv_out(size: i32, k: i32, padding: i32): i32 {
  return padding == 1 ? size : size - k + 1;
}

/** Zero rows/columns added before the first input row/column. */
// @ts-ignore: decorator
@inline function pad_before(k: i32, padding: i32): i32 {
  return padding == 1 ? (k - 1) >> 1 : 0;
}

/** GEMM workspace bytes, rounded up so the col chunk after it stays 16-byte aligned. */
// @ts-ignore: decorator
@inline function gemm_ws_bytes(): i32 {
  return (gemm_f32_workspace_bytes() + 15) & ~15;
}

/** im2col rows per chunk for `rows` rows of `kcol` columns. */
export function conv2d_chunk_rows(rows: i32, kcol: i32): i32 {
  let chunk = COL_CHUNK_BYTES / (kcol << 2);
  if (chunk < COL_CHUNK_MIN_ROWS) chunk = COL_CHUNK_MIN_ROWS;
  if (chunk > rows) chunk = rows;
  return chunk;
}

export function conv2d_f32_workspace_bytes(batch: i32, height: i32, width: i32, in_channels: i32,
    kernel_height: i32, kernel_width: i32, out_channels: i32, padding: i32): i32 {
  const rows = batch * conv_out(height, kernel_height, padding) * conv_out(width, kernel_width, padding);
  const kcol = kernel_height * kernel_width * in_channels;
  if (rows < 1 || (kernel_height == 1 && kernel_width == 1)) return gemm_ws_bytes();
  let scratch = conv2d_chunk_rows(rows, kcol) * kcol;
  if (kcol <= DIRECT_MAX_K && padding == 1) {
    // the small-K backward_filter's zero-padded copy of one image
    scratch = max(scratch, (height + kernel_height - 1) * (width + kernel_width - 1) * in_channels);
  }
  return gemm_ws_bytes() + (scratch << 2);
}

// ---------------------------------------------------------------------------------------------
// Row helpers

/** Each of `rows` rows of out [rows, cols] = bias [cols]. */
function fill_rows_f32(out: usize, bias: usize, rows: i32, cols: i32): void {
  const row_bytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    copy_f32(out, bias, cols);
    out += row_bytes;
  }
}

/**
 * dbias[c] (= or +=) Σ_r dy[r, c] for c < cols; dy's rows are `ld` floats apart. Rows are summed four
 * at a time, ((r0 + r1) + (r2 + r3)) added to dbias, in vectors and in the scalar tail alike, so
 * a column's sum does not depend on where the column range starts.
 */
function column_sums_f32(dbias: usize, dy: usize, rows: i32, cols: i32, ld: i32, accumulate: i32): void {
  if (!accumulate) zero_f32(dbias, cols);
  const row_bytes = <usize>ld << 2;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    let c = 0;
    let p = dy + <usize>r * row_bytes;
    let q = dbias;
    for (; c + 4 <= cols; c += 4) {
      const vsum = f32x4.add(
        f32x4.add(v128.load(p), v128.load(p + row_bytes)),
        f32x4.add(v128.load(p + 2 * row_bytes), v128.load(p + 3 * row_bytes)));
      v128.store(q, f32x4.add(v128.load(q), vsum));
      p += 16; q += 16;
    }
    for (; c < cols; c++) {
      const sum = (load<f32>(p) + load<f32>(p + row_bytes)) + (load<f32>(p + 2 * row_bytes) + load<f32>(p + 3 * row_bytes));
      store<f32>(q, load<f32>(q) + sum);
      p += 4; q += 4;
    }
  }
  for (; r < rows; r++) add_f32(dbias, dy + <usize>r * row_bytes, cols);
}

// ---------------------------------------------------------------------------------------------
// im2col / col2im over a range of output pixels

/**
 * col [rows, kh·kw·in_channels] = the receptive fields of output pixels row0 .. row0+rows−1
 * (pixel index = (b·out_h + oy)·out_w + ox), zeros where the window hangs over the padding.
 * Column order (ky, kx, ic) matches the HWIO filter rows. For each ky the in-range kx form one
 * contiguous run of the NHWC input, copied as a block.
 */
export function im2col_f32_nhwc(col: usize, input: usize, row0: i32, rows: i32,
    height: i32, width: i32, in_channels: i32, kernel_height: i32, kernel_width: i32, padding: i32): void {
  const out_h = conv_out(height, kernel_height, padding);
  const out_w = conv_out(width, kernel_width, padding);
  const pad_top = pad_before(kernel_height, padding);
  const pad_left = pad_before(kernel_width, padding);
  const plane = out_h * out_w;
  let b = row0 / plane;
  let oy = (row0 - b * plane) / out_w;
  let ox = row0 - b * plane - oy * out_w;
  const run = kernel_width * in_channels;
  let dst = col;
  for (let r = 0; r < rows; r++) {
    let kx0 = pad_left - ox;
    if (kx0 < 0) kx0 = 0;
    let kx1 = width + pad_left - ox;
    if (kx1 > kernel_width) kx1 = kernel_width;
    const left = kx0 * in_channels;
    const mid = (kx1 - kx0) * in_channels;
    const right = run - left - mid;
    const ix0 = ox + kx0 - pad_left;
    for (let ky = 0; ky < kernel_height; ky++) {
      const iy = oy + ky - pad_top;
      if (iy < 0 || iy >= height) {
        zero_f32(dst, run);
      } else {
        zero_f32(dst, left);
        copy_f32(dst + (<usize>left << 2), input + (<usize>(((b * height + iy) * width + ix0) * in_channels) << 2), mid);
        zero_f32(dst + (<usize>(left + mid) << 2), right);
      }
      dst += <usize>run << 2;
    }
    if (++ox == out_w) {
      ox = 0;
      if (++oy == out_h) { oy = 0; b++; }
    }
  }
}

/**
 * The adjoint of im2col_f32_nhwc: dinput += the entries of col [rows, kh·kw·in_channels] at the
 * input positions im2col read them from; padding entries are dropped. dinput accumulates.
 */
export function col2im_f32_nhwc(dinput: usize, col: usize, row0: i32, rows: i32,
    height: i32, width: i32, in_channels: i32, kernel_height: i32, kernel_width: i32, padding: i32): void {
  const out_h = conv_out(height, kernel_height, padding);
  const out_w = conv_out(width, kernel_width, padding);
  const pad_top = pad_before(kernel_height, padding);
  const pad_left = pad_before(kernel_width, padding);
  const plane = out_h * out_w;
  let b = row0 / plane;
  let oy = (row0 - b * plane) / out_w;
  let ox = row0 - b * plane - oy * out_w;
  const run = kernel_width * in_channels;
  let src = col;
  for (let r = 0; r < rows; r++) {
    let kx0 = pad_left - ox;
    if (kx0 < 0) kx0 = 0;
    let kx1 = width + pad_left - ox;
    if (kx1 > kernel_width) kx1 = kernel_width;
    const left = kx0 * in_channels;
    const mid = (kx1 - kx0) * in_channels;
    const ix0 = ox + kx0 - pad_left;
    for (let ky = 0; ky < kernel_height; ky++) {
      const iy = oy + ky - pad_top;
      if (iy >= 0 && iy < height) {
        add_f32(dinput + (<usize>(((b * height + iy) * width + ix0) * in_channels) << 2), src + (<usize>left << 2), mid);
      }
      src += <usize>run << 2;
    }
    if (++ox == out_w) {
      ox = 0;
      if (++oy == out_h) { oy = 0; b++; }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The three passes

export function conv2d_f32_nhwc_forward(output: usize, input: usize, filters: usize, bias: usize, workspace: usize,
    batch: i32, height: i32, width: i32, in_channels: i32,
    kernel_height: i32, kernel_width: i32, out_channels: i32, padding: i32): void {
  conv2d_f32_nhwc_forward_part(output, input, filters, bias, workspace, batch, height, width, in_channels,
    kernel_height, kernel_width, out_channels, padding, 0, 1);
}

/** Part `part` of `parts` of conv2d_f32_nhwc_forward: the output of its run of batch samples. */
export function conv2d_f32_nhwc_forward_part(output: usize, input: usize, filters: usize, bias: usize, workspace: usize,
    batch: i32, height: i32, width: i32, in_channels: i32,
    kernel_height: i32, kernel_width: i32, out_channels: i32, padding: i32, part: i32, parts: i32): void {
  const out_h = conv_out(height, kernel_height, padding);
  const out_w = conv_out(width, kernel_width, padding);
  assert(batch >= 1 && in_channels >= 1 && out_channels >= 1 && out_h >= 1 && out_w >= 1);
  assert(valid_part(part, parts), 'need 0 <= part < parts');
  if (!valid_part(part, parts)) return;
  if (batch < 1 || in_channels < 1 || out_channels < 1 || out_h < 1 || out_w < 1) return;
  const b0 = part_start(batch, part, parts);
  const samples = part_start(batch, part + 1, parts) - b0;
  if (samples < 1) return;
  output += <usize>(b0 * out_h * out_w * out_channels) << 2;
  input += <usize>(b0 * height * width * in_channels) << 2;
  const rows = samples * out_h * out_w;
  const kcol = kernel_height * kernel_width * in_channels;
  const accumulate = bias != 0 ? 1 : 0;
  if (kernel_height == 1 && kernel_width == 1) {
    if (bias) fill_rows_f32(output, bias, rows, out_channels);
    gemm_f32_nn(output, input, filters, workspace, rows, in_channels, out_channels, accumulate);
    return;
  }
  if (kcol <= DIRECT_MAX_K) {
    conv2d_direct_forward(output, input, filters, bias, samples, height, width, in_channels,
      kernel_height, kernel_width, out_channels, padding);
    return;
  }
  const col = workspace + <usize>gemm_ws_bytes();
  const chunk = conv2d_chunk_rows(rows, kcol);
  const out_row_bytes = <usize>out_channels << 2;
  for (let r0 = 0; r0 < rows; r0 += chunk) {
    const n = min(chunk, rows - r0);
    im2col_f32_nhwc(col, input, r0, n, height, width, in_channels, kernel_height, kernel_width, padding);
    const out = output + <usize>r0 * out_row_bytes;
    if (bias) fill_rows_f32(out, bias, n, out_channels);
    gemm_f32_nn(out, col, filters, workspace, n, kcol, out_channels, accumulate);
  }
}

export function conv2d_f32_nhwc_backward_data(dinput: usize, doutput: usize, filters: usize, workspace: usize,
    batch: i32, height: i32, width: i32, in_channels: i32,
    kernel_height: i32, kernel_width: i32, out_channels: i32, padding: i32): void {
  conv2d_f32_nhwc_backward_data_part(dinput, doutput, filters, workspace, batch, height, width, in_channels,
    kernel_height, kernel_width, out_channels, padding, 0, 1);
}

/** Part `part` of `parts` of conv2d_f32_nhwc_backward_data: dinput of its run of batch samples. */
export function conv2d_f32_nhwc_backward_data_part(dinput: usize, doutput: usize, filters: usize, workspace: usize,
    batch: i32, height: i32, width: i32, in_channels: i32,
    kernel_height: i32, kernel_width: i32, out_channels: i32, padding: i32, part: i32, parts: i32): void {
  const out_h = conv_out(height, kernel_height, padding);
  const out_w = conv_out(width, kernel_width, padding);
  assert(batch >= 1 && in_channels >= 1 && out_channels >= 1 && out_h >= 1 && out_w >= 1);
  assert(valid_part(part, parts), 'need 0 <= part < parts');
  if (!valid_part(part, parts)) return;
  if (batch < 1 || in_channels < 1 || out_channels < 1 || out_h < 1 || out_w < 1) return;
  const b0 = part_start(batch, part, parts);
  const samples = part_start(batch, part + 1, parts) - b0;
  if (samples < 1) return;
  dinput += <usize>(b0 * height * width * in_channels) << 2;
  doutput += <usize>(b0 * out_h * out_w * out_channels) << 2;
  const rows = samples * out_h * out_w;
  const kcol = kernel_height * kernel_width * in_channels;
  if (kernel_height == 1 && kernel_width == 1) {
    // filters [in_c, out_c] is Bᵀ stored [n = in_c, k = out_c].
    gemm_f32_nt(dinput, doutput, filters, workspace, rows, out_channels, in_channels, 0);
    return;
  }
  zero_f32(dinput, samples * height * width * in_channels);
  const col = workspace + <usize>gemm_ws_bytes();
  const chunk = conv2d_chunk_rows(rows, kcol);
  const dout_row_bytes = <usize>out_channels << 2;
  for (let r0 = 0; r0 < rows; r0 += chunk) {
    const n = min(chunk, rows - r0);
    gemm_f32_nt(col, doutput + <usize>r0 * dout_row_bytes, filters, workspace, n, out_channels, kcol, 0);
    col2im_f32_nhwc(dinput, col, r0, n, height, width, in_channels, kernel_height, kernel_width, padding);
  }
}

export function conv2d_f32_nhwc_backward_filter(dfilters: usize, dbias: usize, input: usize, doutput: usize, workspace: usize,
    batch: i32, height: i32, width: i32, in_channels: i32,
    kernel_height: i32, kernel_width: i32, out_channels: i32, padding: i32, accumulate: i32): void {
  conv2d_f32_nhwc_backward_filter_part(dfilters, dbias, input, doutput, workspace, batch, height, width, in_channels,
    kernel_height, kernel_width, out_channels, padding, accumulate, 0, 1);
}

/**
 * Part `part` of `parts` of conv2d_f32_nhwc_backward_filter: the dfilters columns and dbias entries
 * of its run of CHANNEL_GROUP-wide output-channel groups (each part redoes im2col for its columns).
 */
export function conv2d_f32_nhwc_backward_filter_part(dfilters: usize, dbias: usize, input: usize, doutput: usize, workspace: usize,
    batch: i32, height: i32, width: i32, in_channels: i32,
    kernel_height: i32, kernel_width: i32, out_channels: i32, padding: i32, accumulate: i32, part: i32, parts: i32): void {
  const out_h = conv_out(height, kernel_height, padding);
  const out_w = conv_out(width, kernel_width, padding);
  assert(batch >= 1 && in_channels >= 1 && out_channels >= 1 && out_h >= 1 && out_w >= 1);
  assert(valid_part(part, parts), 'need 0 <= part < parts');
  if (!valid_part(part, parts)) return;
  if (batch < 1 || in_channels < 1 || out_channels < 1 || out_h < 1 || out_w < 1) return;
  const groups = (out_channels + CHANNEL_GROUP - 1) / CHANNEL_GROUP;
  const c0 = part_start(groups, part, parts) * CHANNEL_GROUP;
  const c1 = min(out_channels, part_start(groups, part + 1, parts) * CHANNEL_GROUP);
  if (c0 >= c1) return;
  const rows = batch * out_h * out_w;
  const kcol = kernel_height * kernel_width * in_channels;
  const acc = accumulate != 0 ? 1 : 0;
  if (dbias) {
    column_sums_f32(dbias + (<usize>c0 << 2), doutput + (<usize>c0 << 2), rows, c1 - c0, out_channels, acc);
  }
  if (kernel_height == 1 && kernel_width == 1) {
    gemm_f32_tn_columns(dfilters, input, doutput, workspace, in_channels, rows, out_channels, acc, c0, c1);
    return;
  }
  const col = workspace + <usize>gemm_ws_bytes();
  if (kcol <= DIRECT_MAX_K) {
    conv2d_small_k_backward_filter(dfilters, input, doutput, col, batch, height, width, in_channels,
      kernel_height, kernel_width, out_channels, padding, acc, c0, c1);
    return;
  }
  const chunk = conv2d_chunk_rows(rows, kcol);
  const dout_row_bytes = <usize>out_channels << 2;
  for (let r0 = 0; r0 < rows; r0 += chunk) {
    const n = min(chunk, rows - r0);
    im2col_f32_nhwc(col, input, r0, n, height, width, in_channels, kernel_height, kernel_width, padding);
    // col is A stored [k = n rows, m = kcol]: dfilters [kcol, out_c] (+)= colᵀ · doutput chunk.
    gemm_f32_tn_columns(dfilters, col, doutput + <usize>r0 * dout_row_bytes, workspace, kcol, n, out_channels,
      r0 > 0 ? 1 : acc, c0, c1);
  }
}

// ---------------------------------------------------------------------------------------------
// Direct forward for small K

/**
 * output [batch, out_h, out_w, out_c] = conv(input, filters) + bias, without im2col: a tile of
 * 4 neighbouring output pixels x 8 output channels lives in 8 accumulators; per tap one pair of
 * filter vectors is loaded and each pixel's input value broadcast (the loadsplat scheme of
 * XNNPACK's f32-gemm). For a fixed ky the (kx, ic) taps of a pixel are one contiguous run of the
 * NHWC input row, and the 4 pixels' runs start in_channels floats apart. Pixels whose window
 * hangs over the left/right padding take a 1-pixel tile with the run clipped; rows over the
 * top/bottom padding are skipped for the whole tile.
 */
function conv2d_direct_forward(output: usize, input: usize, filters: usize, bias: usize,
    batch: i32, height: i32, width: i32, in_channels: i32,
    kernel_height: i32, kernel_width: i32, out_channels: i32, padding: i32): void {
  const out_h = conv_out(height, kernel_height, padding);
  const out_w = conv_out(width, kernel_width, padding);
  const pad_top = pad_before(kernel_height, padding);
  const pad_left = pad_before(kernel_width, padding);
  const run = kernel_width * in_channels;
  const ldf = <usize>out_channels << 2; // bytes between filter rows (one (ky, kx, ic) tap)
  const pix = <usize>in_channels << 2; // bytes between neighbouring pixels of the input
  // first and one-past-last ox whose window lies inside the input columns
  let ox_lo = pad_left;
  let ox_hi = width + pad_left - kernel_width + 1;
  if (ox_hi > out_w) ox_hi = out_w;
  if (ox_lo > ox_hi) ox_lo = ox_hi;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < out_h; oy++) {
      let ky0 = pad_top - oy;
      if (ky0 < 0) ky0 = 0;
      let ky1 = height + pad_top - oy;
      if (ky1 > kernel_height) ky1 = kernel_height;
      // input byte address of tap (ky, kx = 0, ic = 0) of pixel ox is row_base + ox·pix, for ky = ky0
      const in_row0 = b * height + oy + ky0 - pad_top;
      const out_row = output + (<usize>((b * out_h + oy) * out_w) * ldf);
      let ox = 0;
      for (; ox < ox_lo; ox++) conv2d_direct_pixel(out_row, input, filters, bias, ox, in_row0, ky0, ky1, width, in_channels, kernel_width, out_channels, pad_left);
      for (; ox + 4 <= ox_hi; ox += 4) {
        const in0 = input + (<usize>((in_row0 * width + ox - pad_left) * in_channels) << 2);
        const out0 = out_row + <usize>ox * ldf;
        let oc = 0;
        for (; oc + 8 <= out_channels; oc += 8) {
          let vacc0x0 = f32x4.splat(0);
          let vacc0x1 = vacc0x0;
          if (bias) {
            vacc0x0 = v128.load(bias + (<usize>oc << 2));
            vacc0x1 = v128.load(bias + (<usize>oc << 2), 16);
          }
          let vacc1x0 = vacc0x0, vacc1x1 = vacc0x1;
          let vacc2x0 = vacc0x0, vacc2x1 = vacc0x1;
          let vacc3x0 = vacc0x0, vacc3x1 = vacc0x1;
          let irow = in0;
          let frow = filters + (<usize>(ky0 * run) * ldf) + (<usize>oc << 2);
          for (let ky = ky0; ky < ky1; ky++) {
            let ip = irow;
            let fp = frow;
            for (let t = 0; t < run; t++) {
              const vf0 = v128.load(fp);
              const vf1 = v128.load(fp, 16);
              const vi0 = v128.load32_splat(ip);
              vacc0x0 = fmadd_f32x4(vacc0x0, vi0, vf0);
              vacc0x1 = fmadd_f32x4(vacc0x1, vi0, vf1);
              const vi1 = v128.load32_splat(ip + pix);
              vacc1x0 = fmadd_f32x4(vacc1x0, vi1, vf0);
              vacc1x1 = fmadd_f32x4(vacc1x1, vi1, vf1);
              const vi2 = v128.load32_splat(ip + 2 * pix);
              vacc2x0 = fmadd_f32x4(vacc2x0, vi2, vf0);
              vacc2x1 = fmadd_f32x4(vacc2x1, vi2, vf1);
              const vi3 = v128.load32_splat(ip + 3 * pix);
              vacc3x0 = fmadd_f32x4(vacc3x0, vi3, vf0);
              vacc3x1 = fmadd_f32x4(vacc3x1, vi3, vf1);
              ip += 4;
              fp += ldf;
            }
            irow += <usize>(width * in_channels) << 2;
            frow += <usize>run * ldf;
          }
          const op = out0 + (<usize>oc << 2);
          v128.store(op, vacc0x0);
          v128.store(op, vacc0x1, 16);
          v128.store(op + ldf, vacc1x0);
          v128.store(op + ldf, vacc1x1, 16);
          v128.store(op + 2 * ldf, vacc2x0);
          v128.store(op + 2 * ldf, vacc2x1, 16);
          v128.store(op + 3 * ldf, vacc3x0);
          v128.store(op + 3 * ldf, vacc3x1, 16);
        }
        if (oc < out_channels) {
          for (let j = 0; j < 4; j++) {
            conv2d_direct_pixel_channels(out_row, input, filters, bias, ox + j, in_row0, ky0, ky1, width, in_channels,
              kernel_width, out_channels, pad_left, oc, 0, kernel_width);
          }
        }
      }
      for (; ox < out_w; ox++) conv2d_direct_pixel(out_row, input, filters, bias, ox, in_row0, ky0, ky1, width, in_channels, kernel_width, out_channels, pad_left);
    }
  }
}

/** One output pixel, all channels, with the kx range clipped to the input. */
function conv2d_direct_pixel(out_row: usize, input: usize, filters: usize, bias: usize, ox: i32, in_row0: i32,
    ky0: i32, ky1: i32, width: i32, in_channels: i32, kernel_width: i32, out_channels: i32, pad_left: i32): void {
  let kx0 = pad_left - ox;
  if (kx0 < 0) kx0 = 0;
  let kx1 = width + pad_left - ox;
  if (kx1 > kernel_width) kx1 = kernel_width;
  conv2d_direct_pixel_channels(out_row, input, filters, bias, ox, in_row0, ky0, ky1, width, in_channels,
    kernel_width, out_channels, pad_left, 0, kx0, kx1);
}

/** Output channels oc0.. of pixel ox over taps ky0..ky1 x kx0..kx1: 8, then 4, then 1 at a time. */
function conv2d_direct_pixel_channels(out_row: usize, input: usize, filters: usize, bias: usize, ox: i32, in_row0: i32,
    ky0: i32, ky1: i32, width: i32, in_channels: i32, kernel_width: i32, out_channels: i32, pad_left: i32,
    oc0: i32, kx0: i32, kx1: i32): void {
  const ldf = <usize>out_channels << 2;
  const run = kernel_width * in_channels;
  const t0 = kx0 * in_channels;
  const t1 = kx1 * in_channels;
  const in0 = input + (<usize>((in_row0 * width + ox - pad_left) * in_channels) << 2);
  const irow_step = <usize>(width * in_channels) << 2;
  const out0 = out_row + <usize>ox * ldf;
  let oc = oc0;
  for (; oc + 8 <= out_channels; oc += 8) {
    let vacc0 = f32x4.splat(0);
    let vacc1 = vacc0;
    if (bias) {
      vacc0 = v128.load(bias + (<usize>oc << 2));
      vacc1 = v128.load(bias + (<usize>oc << 2), 16);
    }
    let irow = in0;
    let frow = filters + (<usize>(ky0 * run) * ldf) + (<usize>oc << 2);
    for (let ky = ky0; ky < ky1; ky++) {
      for (let t = t0; t < t1; t++) {
        const vi = v128.load32_splat(irow + (<usize>t << 2));
        const fp = frow + <usize>t * ldf;
        vacc0 = fmadd_f32x4(vacc0, vi, v128.load(fp));
        vacc1 = fmadd_f32x4(vacc1, vi, v128.load(fp, 16));
      }
      irow += irow_step;
      frow += <usize>run * ldf;
    }
    v128.store(out0 + (<usize>oc << 2), vacc0);
    v128.store(out0 + (<usize>oc << 2), vacc1, 16);
  }
  for (; oc + 4 <= out_channels; oc += 4) {
    let vacc = bias ? v128.load(bias + (<usize>oc << 2)) : f32x4.splat(0);
    let irow = in0;
    let frow = filters + (<usize>(ky0 * run) * ldf) + (<usize>oc << 2);
    for (let ky = ky0; ky < ky1; ky++) {
      for (let t = t0; t < t1; t++) {
        vacc = fmadd_f32x4(vacc, v128.load32_splat(irow + (<usize>t << 2)), v128.load(frow + <usize>t * ldf));
      }
      irow += irow_step;
      frow += <usize>run * ldf;
    }
    v128.store(out0 + (<usize>oc << 2), vacc);
  }
  for (; oc < out_channels; oc++) {
    let acc: f32 = bias ? load<f32>(bias + (<usize>oc << 2)) : 0;
    let irow = in0;
    let frow = filters + (<usize>(ky0 * run) * ldf) + (<usize>oc << 2);
    for (let ky = ky0; ky < ky1; ky++) {
      for (let t = t0; t < t1; t++) {
        acc += load<f32>(irow + (<usize>t << 2)) * load<f32>(frow + <usize>t * ldf);
      }
      irow += irow_step;
      frow += <usize>run * ldf;
    }
    store<f32>(out0 + (<usize>oc << 2), acc);
  }
}

// ---------------------------------------------------------------------------------------------
// Small-K backward filter

/**
 * dfilters [K, out_c] (= or += when accumulate) Σ over output pixels of the pixel's receptive
 * field x doutput row, for small K = kh·kw·in_c (the first layer: K = 9), one image at a time.
 * The GEMM route pads the 9 rows of colᵀ to two panels, and im2col itself, at 9 floats a row,
 * took half the time (bench/README.md). Here a 'same' image is copied
 * once into a zero-bordered buffer (pad [height+kh−1, width+kw−1, in_c]) so every tap of every
 * pixel is in range, and tap t = (ky·kw + kx)·in_c + ic of pixel (oy, ox) sits at a fixed offset
 * from the pixel's corner. Per image, a tile of 3 taps x 8 channels (6 accumulators; then 1 x 8;
 * channel tails 4-wide and scalar) passes over the pixels, loading each pixel's two doutput
 * vectors once and broadcasting its 3 input values. The image and its doutput rows stay in L2
 * across the passes. Wider tiles measured no faster (6 x 8 spills; bench/README.md).
 */
function conv2d_small_k_backward_filter(dfilters: usize, input: usize, doutput: usize, pad: usize,
    batch: i32, height: i32, width: i32, in_channels: i32,
    kernel_height: i32, kernel_width: i32, out_channels: i32, padding: i32, accumulate: i32, c0: i32, c1: i32): void {
  const out_h = conv_out(height, kernel_height, padding);
  const out_w = conv_out(width, kernel_width, padding);
  const image_w = padding == 1 ? width + kernel_width - 1 : width;
  const row_floats = width * in_channels;
  if (padding == 1) zero_f32(pad, (height + kernel_height - 1) * image_w * in_channels);
  const corner = pad + (<usize>((pad_before(kernel_height, 1) * image_w + pad_before(kernel_width, 1)) * in_channels) << 2);
  for (let b = 0; b < batch; b++) {
    let image = input + (<usize>(b * height * row_floats) << 2);
    if (padding == 1) {
      for (let y = 0; y < height; y++) {
        copy_f32(corner + (<usize>(y * image_w * in_channels) << 2), image + (<usize>(y * row_floats) << 2), row_floats);
      }
      image = pad;
    }
    small_k_tn(dfilters, image, doutput + (<usize>(b * out_h * out_w * out_channels) << 2), out_h, out_w, image_w,
      in_channels, kernel_width * in_channels, kernel_height * kernel_width * in_channels, out_channels,
      b > 0 ? 1 : accumulate, c0, c1);
  }
}

/** Byte offset of tap t from a pixel's corner in an image of row width image_w. */
// @ts-ignore: decorator
@inline function tap_offset(t: i32, run: i32, image_w: i32, in_channels: i32): usize {
  const ky = t / run;
  return <usize>((ky * image_w * in_channels + t - ky * run)) << 2;
}

/**
 * One image of conv2d_small_k_backward_filter, output channels c0..c1 (c0 a multiple of 8):
 * image [out_h + kh − 1, image_w, in_c], dy [out_h, out_w, out_c].
 */
function small_k_tn(dw: usize, image: usize, dy: usize, out_h: i32, out_w: i32, image_w: i32, in_channels: i32,
    run: i32, kcol: i32, out_channels: i32, accumulate: i32, c0: i32, c1: i32): void {
  const ldd = <usize>out_channels << 2;
  const pix = <usize>in_channels << 2;
  const image_row = <usize>(image_w * in_channels) << 2;
  let t = 0;
  for (; t + 3 <= kcol; t += 3) {
    const o0 = tap_offset(t, run, image_w, in_channels);
    const o1 = tap_offset(t + 1, run, image_w, in_channels);
    const o2 = tap_offset(t + 2, run, image_w, in_channels);
    let oc = c0;
    for (; oc + 8 <= c1; oc += 8) {
      const w0 = dw + <usize>t * ldd + (<usize>oc << 2);
      let vacc0x0 = f32x4.splat(0), vacc0x1 = vacc0x0, vacc1x0 = vacc0x0, vacc1x1 = vacc0x0;
      let vacc2x0 = vacc0x0, vacc2x1 = vacc0x0;
      if (accumulate) {
        vacc0x0 = v128.load(w0); vacc0x1 = v128.load(w0, 16);
        vacc1x0 = v128.load(w0 + ldd); vacc1x1 = v128.load(w0 + ldd, 16);
        vacc2x0 = v128.load(w0 + 2 * ldd); vacc2x1 = v128.load(w0 + 2 * ldd, 16);
      }
      let dp = dy + (<usize>oc << 2);
      let rp = image;
      for (let oy = 0; oy < out_h; oy++) {
        let pp = rp;
        for (let ox = 0; ox < out_w; ox++) {
          const vd0 = v128.load(dp);
          const vd1 = v128.load(dp, 16);
          const vc0 = v128.load32_splat(pp + o0);
          vacc0x0 = fmadd_f32x4(vacc0x0, vc0, vd0);
          vacc0x1 = fmadd_f32x4(vacc0x1, vc0, vd1);
          const vc1 = v128.load32_splat(pp + o1);
          vacc1x0 = fmadd_f32x4(vacc1x0, vc1, vd0);
          vacc1x1 = fmadd_f32x4(vacc1x1, vc1, vd1);
          const vc2 = v128.load32_splat(pp + o2);
          vacc2x0 = fmadd_f32x4(vacc2x0, vc2, vd0);
          vacc2x1 = fmadd_f32x4(vacc2x1, vc2, vd1);
          pp += pix;
          dp += ldd;
        }
        rp += image_row;
      }
      v128.store(w0, vacc0x0); v128.store(w0, vacc0x1, 16);
      v128.store(w0 + ldd, vacc1x0); v128.store(w0 + ldd, vacc1x1, 16);
      v128.store(w0 + 2 * ldd, vacc2x0); v128.store(w0 + 2 * ldd, vacc2x1, 16);
    }
    if (oc < c1) {
      for (let j = 0; j < 3; j++) {
        small_k_tn_tail(dw, image, dy, out_h, out_w, image_w, in_channels, run, out_channels, accumulate, t + j, oc, c1);
      }
    }
  }
  for (; t < kcol; t++) {
    small_k_tn_tail(dw, image, dy, out_h, out_w, image_w, in_channels, run, out_channels, accumulate, t, c0, c1);
  }
}

/** Tap t, channels oc0..c1 of small_k_tn: 8-wide, 4-wide, then scalar. */
function small_k_tn_tail(dw: usize, image: usize, dy: usize, out_h: i32, out_w: i32, image_w: i32, in_channels: i32,
    run: i32, out_channels: i32, accumulate: i32, t: i32, oc0: i32, c1: i32): void {
  const ldd = <usize>out_channels << 2;
  const pix = <usize>in_channels << 2;
  const image_row = <usize>(image_w * in_channels) << 2;
  const first = image + tap_offset(t, run, image_w, in_channels);
  let oc = oc0;
  for (; oc + 8 <= c1; oc += 8) {
    const w0 = dw + <usize>t * ldd + (<usize>oc << 2);
    let vacc0 = f32x4.splat(0), vacc1 = vacc0;
    if (accumulate) { vacc0 = v128.load(w0); vacc1 = v128.load(w0, 16); }
    let dp = dy + (<usize>oc << 2);
    let rp = first;
    for (let oy = 0; oy < out_h; oy++) {
      let pp = rp;
      for (let ox = 0; ox < out_w; ox++) {
        const vc = v128.load32_splat(pp);
        vacc0 = fmadd_f32x4(vacc0, vc, v128.load(dp));
        vacc1 = fmadd_f32x4(vacc1, vc, v128.load(dp, 16));
        pp += pix;
        dp += ldd;
      }
      rp += image_row;
    }
    v128.store(w0, vacc0);
    v128.store(w0, vacc1, 16);
  }
  for (; oc + 4 <= c1; oc += 4) {
    const w0 = dw + <usize>t * ldd + (<usize>oc << 2);
    let vacc = accumulate ? v128.load(w0) : f32x4.splat(0);
    let dp = dy + (<usize>oc << 2);
    let rp = first;
    for (let oy = 0; oy < out_h; oy++) {
      let pp = rp;
      for (let ox = 0; ox < out_w; ox++) {
        vacc = fmadd_f32x4(vacc, v128.load32_splat(pp), v128.load(dp));
        pp += pix;
        dp += ldd;
      }
      rp += image_row;
    }
    v128.store(w0, vacc);
  }
  for (; oc < c1; oc++) {
    const w0 = dw + <usize>t * ldd + (<usize>oc << 2);
    let acc: f32 = accumulate ? load<f32>(w0) : 0;
    let dp = dy + (<usize>oc << 2);
    let rp = first;
    for (let oy = 0; oy < out_h; oy++) {
      let pp = rp;
      for (let ox = 0; ox < out_w; ox++) {
        acc += load<f32>(pp) * load<f32>(dp);
        pp += pix;
        dp += ldd;
      }
      rp += image_row;
    }
    store<f32>(w0, acc);
  }
}
