// f64 reference for assembly/conv2d.ts: plain loops, the kernels' names, no tricks.
// NHWC input [batch, height, width, inChannels], HWIO filters [kh, kw, inChannels, outChannels],
// stride 1; padding 0 = 'valid' (out = in − k + 1), 1 = 'same' (out = in, pad_top/left =
// floor((k − 1) / 2), the extra row/column of an even kernel at the bottom/right, as in TF).

export interface ConvShape {
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  kernelHeight: number;
  kernelWidth: number;
  outChannels: number;
  padding: 0 | 1;
}

type Vec = ArrayLike<number>;

export function convGeometry(s: ConvShape) {
  const same = s.padding === 1;
  return {
    outHeight: same ? s.height : s.height - s.kernelHeight + 1,
    outWidth: same ? s.width : s.width - s.kernelWidth + 1,
    padTop: same ? Math.floor((s.kernelHeight - 1) / 2) : 0,
    padLeft: same ? Math.floor((s.kernelWidth - 1) / 2) : 0,
  };
}

/** Calls f(outIndex, inIndex, filterIndex, o) for every (output, tap) pair inside the input. */
function forEachTap(s: ConvShape, f: (o: number, i: number, w: number, oc: number) => void): void {
  const { outHeight, outWidth, padTop, padLeft } = convGeometry(s);
  const { batch, height, width, inChannels: ci, kernelHeight: kh, kernelWidth: kw, outChannels: co } = s;
  for (let b = 0; b < batch; b++)
    for (let oy = 0; oy < outHeight; oy++)
      for (let ox = 0; ox < outWidth; ox++)
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy + ky - padTop;
          if (iy < 0 || iy >= height) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox + kx - padLeft;
            if (ix < 0 || ix >= width) continue;
            for (let c = 0; c < ci; c++) {
              const i = ((b * height + iy) * width + ix) * ci + c;
              const w = ((ky * kw + kx) * ci + c) * co;
              const o = ((b * outHeight + oy) * outWidth + ox) * co;
              for (let oc = 0; oc < co; oc++) f(o + oc, i, w + oc, oc);
            }
          }
        }
}

/** output = conv(input, filters) + bias. */
export function conv2d_f32_nhwc_forward(input: Vec, filters: Vec, bias: Vec | null, s: ConvShape): Float64Array {
  const { outHeight, outWidth } = convGeometry(s);
  const out = new Float64Array(s.batch * outHeight * outWidth * s.outChannels);
  if (bias) for (let o = 0; o < out.length; o++) out[o] = bias[o % s.outChannels];
  forEachTap(s, (o, i, w) => {
    out[o] += input[i] * filters[w];
  });
  return out;
}

/** dinput = ∂(Σ doutput·output)/∂input. */
export function conv2d_f32_nhwc_backward_data(doutput: Vec, filters: Vec, s: ConvShape): Float64Array {
  const din = new Float64Array(s.batch * s.height * s.width * s.inChannels);
  forEachTap(s, (o, i, w) => {
    din[i] += doutput[o] * filters[w];
  });
  return din;
}

/** dfilters and dbias = ∂(Σ doutput·output)/∂(filters, bias). */
export function conv2d_f32_nhwc_backward_filter(input: Vec, doutput: Vec, s: ConvShape): { dfilters: Float64Array; dbias: Float64Array } {
  const dfilters = new Float64Array(s.kernelHeight * s.kernelWidth * s.inChannels * s.outChannels);
  const dbias = new Float64Array(s.outChannels);
  forEachTap(s, (o, i, w) => {
    dfilters[w] += input[i] * doutput[o];
  });
  for (let o = 0; o < doutput.length; o++) dbias[o % s.outChannels] += doutput[o];
  return { dfilters, dbias };
}

/** col [rows, kh·kw·inChannels] of output pixels row0 .. row0+rows−1, zeros over padding. */
export function im2col_f32_nhwc(input: Vec, row0: number, rows: number, s: ConvShape): Float64Array {
  const { outHeight, outWidth, padTop, padLeft } = convGeometry(s);
  const { height, width, inChannels: ci, kernelHeight: kh, kernelWidth: kw } = s;
  const k = kh * kw * ci;
  const col = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) {
    const p = row0 + r;
    const b = Math.floor(p / (outHeight * outWidth));
    const oy = Math.floor(p / outWidth) % outHeight;
    const ox = p % outWidth;
    for (let ky = 0; ky < kh; ky++)
      for (let kx = 0; kx < kw; kx++)
        for (let c = 0; c < ci; c++) {
          const iy = oy + ky - padTop;
          const ix = ox + kx - padLeft;
          const inside = iy >= 0 && iy < height && ix >= 0 && ix < width;
          col[r * k + (ky * kw + kx) * ci + c] = inside ? input[((b * height + iy) * width + ix) * ci + c] : 0;
        }
  }
  return col;
}
