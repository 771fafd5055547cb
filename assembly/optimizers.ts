// Optimizer steps over one flat parameter range (gradients and state share the parameter layout).
//
// Contract (byte addresses of f32 [count]; count ≥ 1; each call is one step, all state is the
// caller's): params, velocity, m, v are updated in place; grads is only read. No buffer may alias
// another. No alignment is required.
//   sgd_f32_step(params, grads, count, learningRate)
//       p −= lr·g                                             (Keras 3 SGD, momentum 0)
//   momentum_f32_step(params, velocity, grads, count, learningRate, momentum)
//       vel = μ·vel − lr·g;  p += vel                         (Keras 3 SGD, nesterov=False)
//   adam_f32_step(params, m, v, grads, count, learningRate, beta1, beta2, epsilon, step)
//       step t ≥ 1 is the 1-based count of updates including this one (Keras' iterations + 1).
//       α = lr·√(1 − β2ᵗ)/(1 − β1ᵗ)                           (bias correction folded into α)
//       m += (g − m)·(1 − β1)   [= β1·m + (1 − β1)·g]
//       v += (g² − v)·(1 − β2)  [= β2·v + (1 − β2)·g²]
//       p −= (m·α) / (√v + ε)
//   This is keras/src/optimizers/adam.py (Keras 3, amsgrad=False) term for term, so the f32 rounding
//   matches Keras'. α is computed once in f64 and rounded to f32; 1 − β is exact in f32 for
//   β ∈ [0.5, 1] (Sterbenz), which covers every usual β.
// Loops: 16 elements per iteration, then 4, then a scalar tail with the same operation order.

export function sgd_f32_step(params: usize, grads: usize, count: i32, learning_rate: f32): void {
  assert(count >= 1);
  const vlr = f32x4.splat(learning_rate);
  let n = count;
  for (; n >= 16; n -= 16) {
    const vg0 = v128.load(grads), vg1 = v128.load(grads, 16), vg2 = v128.load(grads, 32), vg3 = v128.load(grads, 48);
    v128.store(params, f32x4.sub(v128.load(params), f32x4.mul(vg0, vlr)));
    v128.store(params, f32x4.sub(v128.load(params, 16), f32x4.mul(vg1, vlr)), 16);
    v128.store(params, f32x4.sub(v128.load(params, 32), f32x4.mul(vg2, vlr)), 32);
    v128.store(params, f32x4.sub(v128.load(params, 48), f32x4.mul(vg3, vlr)), 48);
    params += 64; grads += 64;
  }
  for (; n >= 4; n -= 4) {
    v128.store(params, f32x4.sub(v128.load(params), f32x4.mul(v128.load(grads), vlr)));
    params += 16; grads += 16;
  }
  for (; n > 0; n--) {
    store<f32>(params, load<f32>(params) - load<f32>(grads) * learning_rate);
    params += 4; grads += 4;
  }
}

export function momentum_f32_step(params: usize, velocity: usize, grads: usize, count: i32, learning_rate: f32, momentum: f32): void {
  assert(count >= 1);
  const vlr = f32x4.splat(learning_rate);
  const vmu = f32x4.splat(momentum);
  let n = count;
  for (; n >= 16; n -= 16) {
    const vel0 = f32x4.sub(f32x4.mul(v128.load(velocity), vmu), f32x4.mul(v128.load(grads), vlr));
    const vel1 = f32x4.sub(f32x4.mul(v128.load(velocity, 16), vmu), f32x4.mul(v128.load(grads, 16), vlr));
    const vel2 = f32x4.sub(f32x4.mul(v128.load(velocity, 32), vmu), f32x4.mul(v128.load(grads, 32), vlr));
    const vel3 = f32x4.sub(f32x4.mul(v128.load(velocity, 48), vmu), f32x4.mul(v128.load(grads, 48), vlr));
    v128.store(velocity, vel0);
    v128.store(velocity, vel1, 16);
    v128.store(velocity, vel2, 32);
    v128.store(velocity, vel3, 48);
    v128.store(params, f32x4.add(v128.load(params), vel0));
    v128.store(params, f32x4.add(v128.load(params, 16), vel1), 16);
    v128.store(params, f32x4.add(v128.load(params, 32), vel2), 32);
    v128.store(params, f32x4.add(v128.load(params, 48), vel3), 48);
    params += 64; velocity += 64; grads += 64;
  }
  for (; n >= 4; n -= 4) {
    const vel = f32x4.sub(f32x4.mul(v128.load(velocity), vmu), f32x4.mul(v128.load(grads), vlr));
    v128.store(velocity, vel);
    v128.store(params, f32x4.add(v128.load(params), vel));
    params += 16; velocity += 16; grads += 16;
  }
  for (; n > 0; n--) {
    const vel = load<f32>(velocity) * momentum - load<f32>(grads) * learning_rate;
    store<f32>(velocity, vel);
    store<f32>(params, load<f32>(params) + vel);
    params += 4; velocity += 4; grads += 4;
  }
}

export function adam_f32_step(params: usize, m: usize, v: usize, grads: usize, count: i32,
  learning_rate: f32, beta1: f32, beta2: f32, epsilon: f32, step: i32): void {
  assert(count >= 1);
  assert(step >= 1);
  const alpha = <f32>(<f64>learning_rate * Math.sqrt(1 - Math.pow(<f64>beta2, <f64>step)) / (1 - Math.pow(<f64>beta1, <f64>step)));
  const c1: f32 = 1 - beta1;
  const c2: f32 = 1 - beta2;
  const valpha = f32x4.splat(alpha);
  const vc1 = f32x4.splat(c1);
  const vc2 = f32x4.splat(c2);
  const veps = f32x4.splat(epsilon);
  let n = count;
  for (; n >= 8; n -= 8) {
    // 8 per iteration: the body is long (sqrt, div) and 16 would spill the 16 XMM registers.
    const vg0 = v128.load(grads), vg1 = v128.load(grads, 16);
    let vm0 = v128.load(m), vm1 = v128.load(m, 16);
    let vv0 = v128.load(v), vv1 = v128.load(v, 16);
    vm0 = f32x4.add(vm0, f32x4.mul(f32x4.sub(vg0, vm0), vc1));
    vm1 = f32x4.add(vm1, f32x4.mul(f32x4.sub(vg1, vm1), vc1));
    vv0 = f32x4.add(vv0, f32x4.mul(f32x4.sub(f32x4.mul(vg0, vg0), vv0), vc2));
    vv1 = f32x4.add(vv1, f32x4.mul(f32x4.sub(f32x4.mul(vg1, vg1), vv1), vc2));
    v128.store(m, vm0);
    v128.store(m, vm1, 16);
    v128.store(v, vv0);
    v128.store(v, vv1, 16);
    const vu0 = f32x4.div(f32x4.mul(vm0, valpha), f32x4.add(f32x4.sqrt(vv0), veps));
    const vu1 = f32x4.div(f32x4.mul(vm1, valpha), f32x4.add(f32x4.sqrt(vv1), veps));
    v128.store(params, f32x4.sub(v128.load(params), vu0));
    v128.store(params, f32x4.sub(v128.load(params, 16), vu1), 16);
    params += 32; m += 32; v += 32; grads += 32;
  }
  for (; n >= 4; n -= 4) {
    const vg = v128.load(grads);
    let vm = v128.load(m), vv = v128.load(v);
    vm = f32x4.add(vm, f32x4.mul(f32x4.sub(vg, vm), vc1));
    vv = f32x4.add(vv, f32x4.mul(f32x4.sub(f32x4.mul(vg, vg), vv), vc2));
    v128.store(m, vm);
    v128.store(v, vv);
    v128.store(params, f32x4.sub(v128.load(params), f32x4.div(f32x4.mul(vm, valpha), f32x4.add(f32x4.sqrt(vv), veps))));
    params += 16; m += 16; v += 16; grads += 16;
  }
  for (; n > 0; n--) {
    const g = load<f32>(grads);
    let sm = load<f32>(m), sv = load<f32>(v);
    sm = sm + (g - sm) * c1;
    sv = sv + (g * g - sv) * c2;
    store<f32>(m, sm);
    store<f32>(v, sv);
    store<f32>(params, load<f32>(params) - (sm * alpha) / (Mathf.sqrt(sv) + epsilon));
    params += 4; m += 4; v += 4; grads += 4;
  }
}
