// PLACEHOLDER (scalar, unblocked) until the packed SIMD kernel lands; same ABI.
// C[m,n] (= or +=) op(A)·op(B), row-major f32.
//   nn: A [m,k], B [k,n]     tn: A [k,m] (Aᵀ·B)     nt: A [m,k], B [n,k] (A·Bᵀ)
// workspace: gemm_f32_workspace_bytes() bytes, 16-byte aligned, contents clobbered.

export function gemm_f32_workspace_bytes(): i32 {
  return 0;
}

export function gemm_f32_nn(c: usize, a: usize, b: usize, workspace: usize, m: i32, k: i32, n: i32, accumulate: i32): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum: f32 = 0;
      for (let p = 0; p < k; p++) sum += load<f32>(a + ((<usize>(i * k + p)) << 2)) * load<f32>(b + ((<usize>(p * n + j)) << 2));
      const cp = c + ((<usize>(i * n + j)) << 2);
      store<f32>(cp, accumulate ? load<f32>(cp) + sum : sum);
    }
  }
}

export function gemm_f32_tn(c: usize, a: usize, b: usize, workspace: usize, m: i32, k: i32, n: i32, accumulate: i32): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum: f32 = 0;
      for (let p = 0; p < k; p++) sum += load<f32>(a + ((<usize>(p * m + i)) << 2)) * load<f32>(b + ((<usize>(p * n + j)) << 2));
      const cp = c + ((<usize>(i * n + j)) << 2);
      store<f32>(cp, accumulate ? load<f32>(cp) + sum : sum);
    }
  }
}

export function gemm_f32_nt(c: usize, a: usize, b: usize, workspace: usize, m: i32, k: i32, n: i32, accumulate: i32): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum: f32 = 0;
      for (let p = 0; p < k; p++) sum += load<f32>(a + ((<usize>(i * k + p)) << 2)) * load<f32>(b + ((<usize>(j * k + p)) << 2));
      const cp = c + ((<usize>(i * n + j)) << 2);
      store<f32>(cp, accumulate ? load<f32>(cp) + sum : sum);
    }
  }
}
