// The ABI: every export of the wasm core, the same in the four release builds (asconfig.json).
// src/core/abi.ts mirrors this list with types and docs. The `_part` exports follow the contract in
// ./parts.ts. The inference build exports the subset in ./inference.ts.
export {
  gemm_f32_nn, gemm_f32_tn, gemm_f32_nt, gemm_f32_workspace_bytes,
  gemm_f32_nn_part, gemm_f32_tn_part, gemm_f32_nt_part,
  dense_f32_forward, dense_f32_forward_part,
  gemm_f32_tn_sgd, gemm_f32_tn_sgd_part, gemm_f32_sgd_max_k,
} from './gemm';
export {
  bias_add_f32_forward, bias_add_f32_backward,
  sigmoid_f32_forward, sigmoid_f32_backward,
  relu_f32_forward, relu_f32_backward,
} from './elementwise';
export { softmax_f32_forward, softmax_xent_f32_fused } from './softmax-xent';
export {
  conv2d_f32_nhwc_forward, conv2d_f32_nhwc_backward_data, conv2d_f32_nhwc_backward_filter,
  conv2d_f32_workspace_bytes,
  conv2d_f32_nhwc_forward_part, conv2d_f32_nhwc_backward_data_part, conv2d_f32_nhwc_backward_filter_part,
} from './conv2d';
export {
  maxpool2d_f32_nhwc_forward, maxpool2d_f32_nhwc_backward,
  maxpool2d_f32_nhwc_forward_part, maxpool2d_f32_nhwc_backward_part,
} from './maxpool2d';
export { sgd_f32_step, momentum_f32_step, adam_f32_step } from './optimizers';
export { gather_batch_u8_f32, gather_batch_augment_u8_f32, argmax_f32_rows } from './data';
export { dropout_f32_forward, dropout_f32_backward } from './dropout';
export {
  batchnorm_f32_forward_train, batchnorm_f32_forward_inference, batchnorm_f32_backward,
  batchnorm_f32_forward_train_part, batchnorm_f32_forward_inference_part, batchnorm_f32_backward_part,
  batchnorm_f32_workspace_bytes,
} from './batchnorm';
export { heap_base } from './heap';
