// NOT YET IMPLEMENTED (elementwise helper).
export function softmax_f32_forward(y: usize, x: usize, rows: i32, cols: i32): void { unreachable(); }
export function softmax_xent_f32_fused(dlogits: usize, logits: usize, targets: usize, rows: i32, cols: i32, reduction: i32): f64 { unreachable(); return 0; }
