// Vector math shared by the activation, cell and optimizer kernels.
//
// exp: x = n·ln2 + r with |r| ≤ ln2/2, e^r by its degree-6 Taylor polynomial
// (truncation < 1.3e-7 relative), 2^n put straight into the exponent bits.
// Inputs are clamped to [-87, 88] first so n stays in [-126, 127] (no
// overflow of the exponent field); clamping uses pmin/pmax with x as the
// first operand, which keeps NaN (pmin(NaN, c) = NaN) and saturates ±Inf.
//
// Stated error against float64 (tested): sigmoid and tanh ≤ 3e-7 absolute.

// @ts-ignore: decorator
@inline export const LOG2E: f32 = 1.44269504088896341;
// ln2 split so n·LN2_HI is exact for |n| < 2^11.
// @ts-ignore: decorator
@inline export const LN2_HI: f32 = 0.693359375;
// @ts-ignore: decorator
@inline export const LN2_LO: f32 = -2.12194440e-4;
// @ts-ignore: decorator
@inline export const EXP_LO: f32 = -87.0;
// @ts-ignore: decorator
@inline export const EXP_HI: f32 = 88.0;
// Below this |x| tanh uses its odd Taylor series (to x^9, error < 1e-8
// relative) instead of 1 − 2/(e^2x + 1), which would lose relative accuracy.
// @ts-ignore: decorator
@inline export const TANH_SMALL: f32 = 0.25;
// tanh(x) rounds to 1 in f32 from x ≈ 9.01 on; clamping at 10 keeps e^2x
// finite and makes tanh(±Inf) exactly ±1.
// @ts-ignore: decorator
@inline export const TANH_CLAMP: f32 = 10.0;
// Below −88, σ(x) < 6.1e-39: returned as exactly 0 (so σ(−Inf) = 0).
// @ts-ignore: decorator
@inline export const SIGMOID_ZERO: f32 = -88.0;

// @ts-ignore: decorator
@inline export function expPoly(r: f32): f32 {
  return 1.0 + r * (1.0 + r * (0.5 + r * (0.16666666666666666 + r * (0.041666666666666664 +
    r * (0.008333333333333333 + r * 0.001388888888888889)))));
}

/** e^x for x already in [EXP_LO, EXP_HI]. */
// @ts-ignore: decorator
@inline export function expClamped(x: f32): f32 {
  const n = nearest<f32>(x * LOG2E);
  const r = (x - n * LN2_HI) - n * LN2_LO;
  const scale = reinterpret<f32>((<i32>n + 127) << 23);
  return expPoly(r) * scale;
}

// @ts-ignore: decorator
@inline export function clampExp(x: f32): f32 {
  // Comparisons written so NaN falls through unchanged.
  if (x < EXP_LO) return EXP_LO;
  if (x > EXP_HI) return EXP_HI;
  return x;
}

// @ts-ignore: decorator
@inline export function sigmoid1(x: f32): f32 {
  if (x < SIGMOID_ZERO) return 0;
  return 1.0 / (1.0 + expClamped(clampExp(-x)));
}

// @ts-ignore: decorator
@inline export function tanh1(x: f32): f32 {
  const ax = Mathf.abs(x);
  if (ax < TANH_SMALL) {
    const x2 = x * x;
    return x + x * x2 * (-0.3333333333333333 + x2 * (0.13333333333333333 +
      x2 * (-0.05396825396825397 + x2 * 0.021869488536155203)));
  }
  const a = ax > TANH_CLAMP ? TANH_CLAMP : ax; // NaN stays NaN
  const t: f32 = 1.0 - 2.0 / (expClamped(a + a) + 1.0);
  return copysign<f32>(t, x);
}

// @ts-ignore: decorator
@inline export function relu1(x: f32): f32 {
  return x > 0 ? x : (x != x ? x : 0);
}

// ---- SIMD versions (compiled only into the SIMD builds) ----

// @ts-ignore: decorator
@inline export function vmadd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, c);
  } else {
    return f32x4.add(f32x4.mul(a, b), c);
  }
}

/** e^x lane-wise for x already clamped to [EXP_LO, EXP_HI] (NaN allowed). */
// @ts-ignore: decorator
@inline export function vexpClamped(x: v128): v128 {
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(0.001388888888888889);
  p = vmadd(p, r, f32x4.splat(0.008333333333333333));
  p = vmadd(p, r, f32x4.splat(0.041666666666666664));
  p = vmadd(p, r, f32x4.splat(0.16666666666666666));
  p = vmadd(p, r, f32x4.splat(0.5));
  p = vmadd(p, r, f32x4.splat(1.0));
  p = vmadd(p, r, f32x4.splat(1.0));
  const e = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, e);
}

// @ts-ignore: decorator
@inline export function vclampExp(x: v128): v128 {
  return f32x4.pmax(f32x4.pmin(x, f32x4.splat(EXP_HI)), f32x4.splat(EXP_LO));
}

// @ts-ignore: decorator
@inline export function vsigmoid(x: v128): v128 {
  const one = f32x4.splat(1.0);
  const s = f32x4.div(one, f32x4.add(one, vexpClamped(vclampExp(f32x4.neg(x)))));
  return v128.andnot(s, f32x4.lt(x, f32x4.splat(SIGMOID_ZERO)));
}

// @ts-ignore: decorator
@inline export function vtanh(x: v128): v128 {
  const ax = f32x4.abs(x);
  const a = f32x4.pmin(ax, f32x4.splat(TANH_CLAMP));
  const e = vexpClamped(f32x4.add(a, a));
  const one = f32x4.splat(1.0);
  const big = f32x4.sub(one, f32x4.div(f32x4.splat(2.0), f32x4.add(e, one)));
  const signed = v128.or(big, v128.and(x, i32x4.splat(0x80000000)));
  const x2 = f32x4.mul(x, x);
  let p = f32x4.splat(0.021869488536155203);
  p = vmadd(p, x2, f32x4.splat(-0.05396825396825397));
  p = vmadd(p, x2, f32x4.splat(0.13333333333333333));
  p = vmadd(p, x2, f32x4.splat(-0.3333333333333333));
  const small = vmadd(f32x4.mul(x, x2), p, x);
  return v128.bitselect(small, signed, f32x4.lt(ax, f32x4.splat(TANH_SMALL)));
}

// @ts-ignore: decorator
@inline export function vrelu(x: v128): v128 {
  // pmax(x, 0) = 0 < x ? ... keeps NaN when x is the first operand? pmax(a,b) = a < b ? b : a.
  return f32x4.pmax(x, f32x4.splat(0));
}
