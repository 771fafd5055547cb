// f64 references for assembly/dropout.ts, assembly/batchnorm.ts and the augmented gather of
// assembly/data.ts: plain loops with the kernels' names.

type Vec = ArrayLike<number>;

/** Chris Wellons' lowbias32, as the kernels compute it (u32 arithmetic). */
export function lowbias32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** The kernels' draw for element/image `i`: lowbias32((i · 0x9E3779B9) ^ seed). */
export function draw(seed: number, i: number): number {
  return lowbias32((Math.imul(i, 0x9e3779b9) ^ seed) >>> 0);
}

/** mask[i] = 1/(1 − rate) (in f32, rate rounded to f32) when (draw >>> 8) ≥ round(rate·2^24), else 0; y = x·mask. */
export function dropout_f32_forward(x: Vec, rate: number, seed: number): { y: Float64Array; mask: Float64Array } {
  const r = Math.fround(rate); // the kernel takes rate as f32
  const threshold = Math.round(r * 2 ** 24);
  const scale = Math.fround(1 / Math.fround(1 - r));
  const mask = Float64Array.from(x, (_, i) => (draw(seed, i) >>> 8 >= threshold ? scale : 0));
  return { y: Float64Array.from(x, (v, i) => v * mask[i]!), mask };
}

export interface BatchStats {
  mean: Float64Array;
  variance: Float64Array;
}

/** Per-column mean and biased variance of x [rows, cols]. */
export function column_stats(x: Vec, rows: number, cols: number): BatchStats {
  const mean = new Float64Array(cols);
  const variance = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c]! += x[r * cols + c]! / rows;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) variance[c]! += (x[r * cols + c]! - mean[c]!) ** 2 / rows;
  return { mean, variance };
}

/** y = gamma·(x − mean)/√(var + ε) + beta with the given statistics. */
export function batchnorm_normalize(
  x: Vec,
  mean: Vec,
  variance: Vec,
  gamma: Vec,
  beta: Vec,
  rows: number,
  cols: number,
  epsilon: number,
): Float64Array {
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++)
      y[r * cols + c] = (gamma[c]! * (x[r * cols + c]! - mean[c]!)) / Math.sqrt(variance[c]! + epsilon) + beta[c]!;
  }
  return y;
}

/** The training forward: batch statistics, normalized output. */
export function batchnorm_f32_forward_train(
  x: Vec,
  gamma: Vec,
  beta: Vec,
  rows: number,
  cols: number,
  epsilon: number,
): { y: Float64Array } & BatchStats {
  const stats = column_stats(x, rows, cols);
  return { ...stats, y: batchnorm_normalize(x, stats.mean, stats.variance, gamma, beta, rows, cols, epsilon) };
}

/** Σ dy·y over a training forward: the scalar whose gradient the backward computes. */
export function batchnorm_projection(x: Vec, gamma: Vec, beta: Vec, dy: Vec, rows: number, cols: number, epsilon: number): number {
  const { y } = batchnorm_f32_forward_train(x, gamma, beta, rows, cols, epsilon);
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i]! * dy[i]!;
  return s;
}

/** The augmented gather of image `index` (one image, [height·width] of pixel/255, 0 outside). */
export function augment_image(
  images: Vec,
  index: number,
  height: number,
  width: number,
  maxShift: number,
  flip: boolean,
  seed: number,
): Float64Array {
  const h = draw(seed, index);
  const span = 2 * maxShift + 1;
  const dy = ((h & 0xff) % span) - maxShift;
  const dx = (((h >>> 8) & 0xff) % span) - maxShift;
  const mirrored = flip && h >>> 31 === 1;
  const out = new Float64Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const sy = y - dy;
      const sx = (mirrored ? width - 1 - x : x) - dx;
      if (sy >= 0 && sy < height && sx >= 0 && sx < width) out[y * width + x] = images[index * height * width + sy * width + sx]! / 255;
    }
  }
  return out;
}

/**
 * The batch-norm backward in f64 from given statistics (x̂ = (x − mean)·invstd):
 * dbeta = Σ dy, dgamma = Σ dy·x̂, dx = gamma·invstd·(dy − dbeta/N − x̂·dgamma/N).
 */
export function batchnorm_f32_backward(
  dy: Vec,
  x: Vec,
  mean: Vec,
  invstd: Vec,
  gamma: Vec,
  rows: number,
  cols: number,
): { dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array } {
  const dbeta = new Float64Array(cols);
  const dgamma = new Float64Array(cols);
  const xhat = (r: number, c: number) => (x[r * cols + c]! - mean[c]!) * invstd[c]!;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      dbeta[c]! += dy[r * cols + c]!;
      dgamma[c]! += dy[r * cols + c]! * xhat(r, c);
    }
  }
  const dx = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      dx[r * cols + c] = gamma[c]! * invstd[c]! * (dy[r * cols + c]! - dbeta[c]! / rows - xhat(r, c) * (dgamma[c]! / rows));
    }
  }
  return { dx, dgamma, dbeta };
}
