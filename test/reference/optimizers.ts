// f64 reference for assembly/optimizers.ts: one step of each rule, plain loops, returning the new
// state (the kernels update it in place). Keras 3 rules.

type Vec = ArrayLike<number>;

/** p − lr·g. */
export function sgd_f32_step(params: Vec, grads: Vec, learningRate: number): Float64Array {
  return Float64Array.from(params, (p, i) => p - learningRate * grads[i]);
}

/** vel = μ·vel − lr·g; p + vel. */
export function momentum_f32_step(
  params: Vec,
  velocity: Vec,
  grads: Vec,
  learningRate: number,
  momentum: number,
): { params: Float64Array; velocity: Float64Array } {
  const vel = Float64Array.from(velocity, (v, i) => momentum * v - learningRate * grads[i]);
  return { params: Float64Array.from(params, (p, i) => p + vel[i]), velocity: vel };
}

/** Adam at step t ≥ 1: m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; p −= α·m/(√v + ε), α = lr·√(1−β2ᵗ)/(1−β1ᵗ). */
export function adam_f32_step(
  params: Vec,
  m: Vec,
  v: Vec,
  grads: Vec,
  learningRate: number,
  beta1: number,
  beta2: number,
  epsilon: number,
  step: number,
): { params: Float64Array; m: Float64Array; v: Float64Array; alpha: number } {
  const alpha = (learningRate * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
  const m2 = Float64Array.from(m, (mi, i) => beta1 * mi + (1 - beta1) * grads[i]);
  const v2 = Float64Array.from(v, (vi, i) => beta2 * vi + (1 - beta2) * grads[i] * grads[i]);
  const p2 = Float64Array.from(params, (p, i) => p - (alpha * m2[i]) / (Math.sqrt(v2[i]) + epsilon));
  return { params: p2, m: m2, v: v2, alpha };
}
