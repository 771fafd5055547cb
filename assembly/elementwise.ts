// NOT YET IMPLEMENTED (elementwise helper).
export function bias_add_f32_forward(y: usize, x: usize, bias: usize, rows: i32, cols: i32): void { unreachable(); }
export function bias_add_f32_backward(dbias: usize, dy: usize, rows: i32, cols: i32, accumulate: i32): void { unreachable(); }
export function sigmoid_f32_forward(y: usize, x: usize, count: i32): void { unreachable(); }
export function sigmoid_f32_backward(dx: usize, dy: usize, y: usize, count: i32): void { unreachable(); }
export function relu_f32_forward(y: usize, x: usize, count: i32): void { unreachable(); }
export function relu_f32_backward(dx: usize, dy: usize, y: usize, count: i32): void { unreachable(); }
