// NOT YET IMPLEMENTED (elementwise helper).
export function gather_batch_u8_f32(inputs: usize, targets: usize, images: usize, labels: usize, indices: usize, batch_size: i32, pixels: i32, classes: i32): void { unreachable(); }
export function argmax_f32_rows(out: usize, x: usize, rows: i32, cols: i32): void { unreachable(); }
