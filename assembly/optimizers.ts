// NOT YET IMPLEMENTED (elementwise helper).
export function sgd_f32_step(params: usize, grads: usize, count: i32, learning_rate: f32): void { unreachable(); }
export function momentum_f32_step(params: usize, velocity: usize, grads: usize, count: i32, learning_rate: f32, momentum: f32): void { unreachable(); }
export function adam_f32_step(params: usize, m: usize, v: usize, grads: usize, count: i32, learning_rate: f32, beta1: f32, beta2: f32, epsilon: f32, step: i32): void { unreachable(); }
