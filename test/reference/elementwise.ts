// f64 reference for assembly/elementwise.ts: plain loops with the kernels' names, returning the
// outputs (the kernels write them through pointers). Row-major [rows, cols].

type Vec = ArrayLike<number>;

/** y[r, c] = x[r, c] + bias[c]. */
export function bias_add_f32_forward(x: Vec, bias: Vec, rows: number, cols: number): Float64Array {
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) y[r * cols + c] = x[r * cols + c] + bias[c];
  return y;
}

/** dbias[c] = Σ_r dy[r, c], plus the old dbias when accumulating. */
export function bias_add_f32_backward(dy: Vec, rows: number, cols: number, dbiasBefore?: Vec): Float64Array {
  const dbias = new Float64Array(cols);
  for (let c = 0; c < cols; c++) {
    let s = dbiasBefore ? dbiasBefore[c] : 0;
    for (let r = 0; r < rows; r++) s += dy[r * cols + c];
    dbias[c] = s;
  }
  return dbias;
}

export function sigmoid_f32_forward(x: Vec): Float64Array {
  return Float64Array.from(x, (v) => 1 / (1 + Math.exp(-v)));
}

/** dx = dy · y · (1 − y) from the forward output y. */
export function sigmoid_f32_backward(dy: Vec, y: Vec): Float64Array {
  return Float64Array.from(dy, (d, i) => d * y[i] * (1 - y[i]));
}

export function relu_f32_forward(x: Vec): Float64Array {
  return Float64Array.from(x, (v) => (v > 0 ? v : 0));
}

/** dx = dy where y > 0, else 0. */
export function relu_f32_backward(dy: Vec, y: Vec): Float64Array {
  return Float64Array.from(dy, (d, i) => (y[i] > 0 ? d : 0));
}
