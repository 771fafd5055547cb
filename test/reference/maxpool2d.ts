// f64 reference for assembly/maxpool2d.ts: plain loops, the kernels' names.
// NHWC, size x size windows, stride, 'valid' windows: out = floor((in − size) / stride) + 1.
// argmax = flat input index of the first maximum in row-major window order.

export interface PoolShape {
  batch: number;
  height: number;
  width: number;
  channels: number;
  size: number;
  stride: number;
}

export function poolGeometry(s: PoolShape) {
  return {
    outHeight: Math.floor((s.height - s.size) / s.stride) + 1,
    outWidth: Math.floor((s.width - s.size) / s.stride) + 1,
  };
}

export function maxpool2d_f32_nhwc_forward(input: ArrayLike<number>, s: PoolShape): { output: Float64Array; argmax: Int32Array } {
  const { outHeight, outWidth } = poolGeometry(s);
  const { batch, height, width, channels: c, size, stride } = s;
  const n = batch * outHeight * outWidth * c;
  const output = new Float64Array(n);
  const argmax = new Int32Array(n);
  for (let b = 0; b < batch; b++)
    for (let oy = 0; oy < outHeight; oy++)
      for (let ox = 0; ox < outWidth; ox++)
        for (let ch = 0; ch < c; ch++) {
          let best = -1;
          let max = -Infinity;
          for (let wy = 0; wy < size; wy++)
            for (let wx = 0; wx < size; wx++) {
              const i = ((b * height + oy * stride + wy) * width + ox * stride + wx) * c + ch;
              if (best < 0 || input[i] > max) {
                max = input[i];
                best = i;
              }
            }
          const o = ((b * outHeight + oy) * outWidth + ox) * c + ch;
          output[o] = max;
          argmax[o] = best;
        }
  return { output, argmax };
}

export function maxpool2d_f32_nhwc_backward(doutput: ArrayLike<number>, argmax: ArrayLike<number>, s: PoolShape): Float64Array {
  const dinput = new Float64Array(s.batch * s.height * s.width * s.channels);
  for (let o = 0; o < doutput.length; o++) dinput[argmax[o]] += doutput[o];
  return dinput;
}
