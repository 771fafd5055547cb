// f64 reference for assembly/data.ts: plain loops with the kernels' names.

type Vec = ArrayLike<number>;

/** inputs[b, p] = images[indices[b]·pixels + p] / 255; targets[b, :] = one-hot(labels[indices[b]]). */
export function gather_batch_u8_f32(
  images: Vec,
  labels: Vec,
  indices: Vec,
  batchSize: number,
  pixels: number,
  classes: number,
): { inputs: Float64Array; targets: Float64Array } {
  const inputs = new Float64Array(batchSize * pixels);
  const targets = new Float64Array(batchSize * classes);
  for (let b = 0; b < batchSize; b++) {
    const n = indices[b];
    for (let p = 0; p < pixels; p++) inputs[b * pixels + p] = images[n * pixels + p] / 255;
    const label = labels[n];
    if (label < classes) targets[b * classes + label] = 1;
  }
  return { inputs, targets };
}

/** Index of the first maximum of each row; NaN ranks above every number (first NaN wins), −0 == +0. */
export function argmax_f32_rows(x: Vec, rows: number, cols: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) {
      const v = x[r * cols + c];
      const b = x[r * cols + best];
      if (Number.isNaN(b)) break;
      if (Number.isNaN(v) || v > b) best = c;
    }
    out[r] = best;
  }
  return out;
}
