// Exhaustive error measurement of vexp_f32x4 / vsigmoid_f32x4 (assembly/simd.ts), run by hand:
//   node test/assembly/exp-ulp-exhaustive.mjs exp       # every f32 in [−87.33654, −2^−30]: 2.264 ulp (~30 s)
//   node test/assembly/exp-ulp-exhaustive.mjs sigmoid   # every f32 in [−87.33654, −2^−20]: 3.533 ulp (~30 s)
// An exact replica: f32 +, −, × evaluated in f64 and rounded with Math.fround are correctly rounded
// f32 operations (53 ≥ 2·24 + 2), so this reproduces the wasm lanes bit for bit. Errors are in ulps of
// the f32 binade of the f64 reference (Math.exp), so they include the final rounding to f32.
// simd.spec.ts pins EXP_ULP = 2.3 from these numbers and re-checks them on a sweep in wasm.
const f = Math.fround;
const b = new Float32Array(1), u = new Uint32Array(b.buffer);
const bits = (x) => { b[0] = x; return u[0]; };
const fl = (i) => { u[0] = i >>> 0; return b[0]; };
const magic = fl(0x4B40007F), log2e = fl(0x3FB8AA3B), mhi = fl(0xBF317200), mlo = fl(0xB5BFBE8E);
const c5 = fl(0x3C07CFCE), c4 = fl(0x3D2B9D0D), c3 = fl(0x3E2AAD40), c2 = fl(0x3EFFFEE3), c1 = fl(0x3F7FFFFB);
const cutoff = fl(0xC2AEAC4F);

function vexp(x) {
  let n = f(f(x * log2e) + magic);
  const s = fl(bits(n) << 23);
  n = f(n - magic);
  let t = f(f(n * mhi) + x);
  t = f(f(n * mlo) + t);
  let p = f(f(t * c5) + c4);
  p = f(f(t * p) + c3);
  p = f(f(t * p) + c2);
  p = f(f(t * p) + c1);
  t = f(t * s);
  return x < cutoff ? 0 : f(f(t * p) + s);
}
function vsigmoid(x) {
  const e = vexp(-Math.abs(x));
  const r = f(e / f(e + 1));
  return x < 0 ? r : f(1 - r);
}

const mode = process.argv[2] === 'sigmoid' ? 'sigmoid' : 'exp';
const [fn, want, top] = mode === 'exp'
  ? [vexp, Math.exp, -(2 ** -30)]
  : [vsigmoid, (x) => 1 / (1 + Math.exp(-x)), -(2 ** -20)];
let worst = 0, worstX = 0;
for (let i = bits(f(top)); i <= bits(cutoff); i++) {
  const x = fl(i);
  const r = want(x);
  const err = Math.abs(fn(x) - r) / 2 ** (Math.floor(Math.log2(r)) - 23);
  if (err > worst) { worst = err; worstX = x; }
}
console.log(`${mode}: max error ${worst} ulp at x = ${worstX}`);
