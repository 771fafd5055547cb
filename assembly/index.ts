// The ABI: every export of the wasm core. src/core/abi.ts mirrors this list with types and docs.
export { gemm_f32_nn, gemm_f32_tn, gemm_f32_nt, gemm_f32_workspace_bytes } from './gemm';

/** First byte past the module's static data: the arena starts here (16-byte aligned by the caller). */
export function heap_base(): usize {
  return __heap_base;
}
