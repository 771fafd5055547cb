// Reference GEMM: plain f64 loops with the kernels' names and argument meaning (on typed arrays
// instead of pointers). Row-major; C (= or +=) op(A)·op(B), summed in f64 so the only rounding
// left to compare against is the kernel's own.
//   nn: A [m,k], B [k,n]    tn: A stored [k,m] (Aᵀ·B)    nt: A [m,k], B stored [n,k] (A·Bᵀ)

export type GemmVariant = 'nn' | 'tn' | 'nt';

/** Returns op(A)·op(B) (+ cInit when given) as f64 [m,n]. */
export function gemm_f32(
  variant: GemmVariant,
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  cInit?: Float32Array,
): Float64Array {
  const c = new Float64Array(m * n);
  const aRow = variant === 'tn' ? 1 : k; // stride between consecutive i in A
  const aCol = variant === 'tn' ? m : 1; // stride between consecutive p in A
  const bRow = variant === 'nt' ? 1 : n; // stride between consecutive p in B
  const bCol = variant === 'nt' ? k : 1; // stride between consecutive j in B
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = cInit ? cInit[i * n + j] : 0;
      for (let p = 0; p < k; p++) sum += a[i * aRow + p * aCol] * b[p * bRow + j * bCol];
      c[i * n + j] = sum;
    }
  }
  return c;
}

export function gemm_f32_nn(a: Float32Array, b: Float32Array, m: number, k: number, n: number, cInit?: Float32Array): Float64Array {
  return gemm_f32('nn', a, b, m, k, n, cInit);
}

export function gemm_f32_tn(a: Float32Array, b: Float32Array, m: number, k: number, n: number, cInit?: Float32Array): Float64Array {
  return gemm_f32('tn', a, b, m, k, n, cInit);
}

export function gemm_f32_nt(a: Float32Array, b: Float32Array, m: number, k: number, n: number, cInit?: Float32Array): Float64Array {
  return gemm_f32('nt', a, b, m, k, n, cInit);
}
