// The inference build's ABI (build/release-inference.wasm): the forward kernels a trained model's
// predict runs, a subset of index.ts' exports compiled from the same sources. It leaves out the
// backward passes, the optimizers and the loss, and with them the f64 log and pow tables (about
// 10 KB that do not compress): a page that only classifies loads 7 KB of wasm (gzip) instead of 25.
export {
  gemm_f32_nn, gemm_f32_workspace_bytes, gemm_f32_sgd_max_k, dense_f32_forward,
} from './gemm';
export { bias_add_f32_forward, sigmoid_f32_forward, relu_f32_forward } from './elementwise';
export { softmax_f32_forward } from './softmax-xent';
export { conv2d_f32_nhwc_forward, conv2d_f32_workspace_bytes } from './conv2d';
export { maxpool2d_f32_nhwc_forward } from './maxpool2d';
export { gather_batch_u8_f32, argmax_f32_rows } from './data';
export { dropout_f32_forward } from './dropout';
export { batchnorm_f32_forward_inference, batchnorm_f32_workspace_bytes } from './batchnorm';
export { heap_base } from './heap';
