// NOT YET IMPLEMENTED (conv helper).
export function maxpool2d_f32_nhwc_forward(output: usize, argmax: usize, input: usize, batch: i32, height: i32, width: i32, channels: i32, size: i32, stride: i32): void { unreachable(); }
export function maxpool2d_f32_nhwc_backward(dinput: usize, doutput: usize, argmax: usize, batch: i32, height: i32, width: i32, channels: i32, size: i32, stride: i32): void { unreachable(); }
