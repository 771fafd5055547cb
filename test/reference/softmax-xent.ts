// f64 reference for assembly/softmax-xent.ts: plain loops with the kernels' names. Row-major
// [rows, cols]; reduction 0 = Mean over rows, 1 = Sum.

type Vec = ArrayLike<number>;

/** Row-wise softmax (max-subtracted, in f64). */
export function softmax_f32_forward(x: Vec, rows: number, cols: number): Float64Array {
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, x[r * cols + c]);
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += Math.exp(x[r * cols + c] - max);
    for (let c = 0; c < cols; c++) y[r * cols + c] = Math.exp(x[r * cols + c] - max) / sum;
  }
  return y;
}

/** Categorical cross-entropy of softmax(logits) against targets: −Σ t·log p per row, mean or sum. */
export function softmax_xent_loss(logits: Vec, targets: Vec, rows: number, cols: number, reduction: 0 | 1): number {
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, logits[r * cols + c]);
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += Math.exp(logits[r * cols + c] - max);
    const lse = max + Math.log(sum);
    for (let c = 0; c < cols; c++) loss += targets[r * cols + c] * (lse - logits[r * cols + c]);
  }
  return reduction === 0 ? loss / rows : loss;
}

/** The fused kernel: the loss and dlogits = (p − t) / rows (Mean) or p − t (Sum). */
export function softmax_xent_f32_fused(
  logits: Vec,
  targets: Vec,
  rows: number,
  cols: number,
  reduction: 0 | 1,
): { loss: number; dlogits: Float64Array } {
  const p = softmax_f32_forward(logits, rows, cols);
  const scale = reduction === 0 ? 1 / rows : 1;
  const dlogits = Float64Array.from(p, (v, i) => (v - targets[i]) * scale);
  return { loss: softmax_xent_loss(logits, targets, rows, cols, reduction), dlogits };
}
