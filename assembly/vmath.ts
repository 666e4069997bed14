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
// 2^23 + 127: see vexpClamped.
// @ts-ignore: decorator
@inline export const EXP_MAGIC: f32 = 8388735.0;
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
//
// Constants come from a table in memory (v128.load32_splat = one
// vbroadcastss) rather than f32x4.splat of a literal: V8 rematerializes every
// v128 constant inside the loop with three instructions, which made these
// functions ~2× slower.
const VC: usize = memory.data<f32>([
  LOG2E, LN2_HI, LN2_LO, EXP_LO, EXP_HI, EXP_MAGIC,
  0.001388888888888889, 0.008333333333333333, 0.041666666666666664, 0.16666666666666666, 0.5, 1.0,
  TANH_CLAMP, TANH_SMALL, 2.0, 0.021869488536155203, -0.05396825396825397, 0.13333333333333333,
  -0.3333333333333333, SIGMOID_ZERO, 0.0, 0.6931471805599453,
  -LOG2E, -0.6931471805599453, -EXP_LO, -EXP_HI,
]);
export const K_LOG2E = 0, K_LN2_HI = 1, K_LN2_LO = 2, K_EXP_LO = 3, K_EXP_HI = 4, K_MAGIC = 5,
  K_P6 = 6, K_P5 = 7, K_P4 = 8, K_P3 = 9, K_HALF = 10, K_ONE = 11,
  K_TANH_CLAMP = 12, K_TANH_SMALL = 13, K_TWO = 14, K_T9 = 15, K_T7 = 16, K_T5 = 17, K_T3 = 18,
  K_SIGMOID_ZERO = 19, K_ZERO = 20, K_LN2 = 21,
  K_NEG_LOG2E = 22, K_NEG_LN2 = 23, K_NEG_EXP_LO = 24, K_NEG_EXP_HI = 25;

/** A vector constant from the table (see above). */
// @ts-ignore: decorator
@inline export function kc(i: i32): v128 {
  return v128.load32_splat(VC + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline export function vmadd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, c);
  } else {
    return f32x4.add(f32x4.mul(a, b), c);
  }
}

/** e^x lane-wise for x already clamped to [EXP_LO, EXP_HI] (NaN allowed).
 * Rounding x·log2e to n uses the 1.5·2^23 trick instead of nearest + trunc_sat
 * (V8 expands trunc_sat into a long fix-up sequence): adding EXP_MAGIC =
 * 2^23 + 127 rounds to an integer and leaves n + 127 in the low mantissa bits,
 * which a shift by 23 moves into the exponent field of 2^n. */
// @ts-ignore: decorator
@inline export function vexpClamped(x: v128): v128 {
  const magic = kc(K_MAGIC);
  const j = f32x4.add(f32x4.mul(x, kc(K_LOG2E)), magic);
  const n = f32x4.sub(j, magic);
  // One-constant reduction: the rounding of n·ln2 (≤ 127·2⁻²⁵ relative) only
  // matters for large |n|, where σ and 1 − |tanh| are below 1e-12.
  const r = f32x4.sub(x, f32x4.mul(n, kc(K_LN2)));
  return vexpTail(r, j);
}

/** e^{−x} lane-wise for x already clamped to [−EXP_HI, −EXP_LO] (NaN
 * allowed): vexpClamped(−x) bit for bit (negation is exact and rounding
 * symmetric) without the three instructions V8 spends on a negation. */
// @ts-ignore: decorator
@inline export function vexpNegClamped(x: v128): v128 {
  const magic = kc(K_MAGIC);
  const j = f32x4.add(f32x4.mul(x, kc(K_NEG_LOG2E)), magic);
  const n = f32x4.sub(j, magic);
  const r = f32x4.sub(f32x4.mul(n, kc(K_NEG_LN2)), x);
  return vexpTail(r, j);
}

// p(r)·2ⁿ with p(r) = (1 + r) + r²·(½ + P3·r) + r⁴·(P4 + P5·r + P6·r²),
// Estrin's scheme: ~18 cycles of latency where Horner's six steps took ~36
// (the cells are latency-bound, see lstm_cell.ts), same coefficients.
// @ts-ignore: decorator
@inline function vexpTail(r: v128, j: v128): v128 {
  const one = kc(K_ONE);
  const r2 = f32x4.mul(r, r);
  const t0 = f32x4.add(one, r);
  const t1 = vmadd(kc(K_P3), r, kc(K_HALF));
  const t2 = vmadd(kc(K_P6), r2, vmadd(kc(K_P5), r, kc(K_P4)));
  const p = vmadd(f32x4.mul(r2, r2), t2, vmadd(r2, t1, t0));
  return f32x4.mul(p, i32x4.shl(j, 23));
}

// @ts-ignore: decorator
@inline export function vsigmoid(x: v128): v128 {
  const one = kc(K_ONE);
  // e^{−x} with x clamped to [−EXP_HI, −EXP_LO]: −x clamped to [EXP_LO, EXP_HI].
  const xc = f32x4.pmax(f32x4.pmin(x, kc(K_NEG_EXP_LO)), kc(K_NEG_EXP_HI));
  const s = f32x4.div(one, f32x4.add(one, vexpNegClamped(xc)));
  return v128.andnot(s, f32x4.lt(x, kc(K_SIGMOID_ZERO)));
}

// @ts-ignore: decorator
@inline export function vtanh(x: v128): v128 {
  const ax = f32x4.abs(x);
  const a = f32x4.pmin(ax, kc(K_TANH_CLAMP));
  const e = vexpClamped(f32x4.add(a, a));
  const one = kc(K_ONE);
  const big = f32x4.sub(one, f32x4.div(kc(K_TWO), f32x4.add(e, one)));
  const signed = v128.or(big, v128.andnot(x, ax)); // x & ~|x| = the sign bit
  const x2 = f32x4.mul(x, x);
  let p = vmadd(kc(K_T9), x2, kc(K_T7));
  p = vmadd(p, x2, kc(K_T5));
  p = vmadd(p, x2, kc(K_T3));
  const small = vmadd(f32x4.mul(x, x2), p, x);
  return v128.bitselect(small, signed, f32x4.lt(ax, kc(K_TANH_SMALL)));
}

// @ts-ignore: decorator
@inline export function vrelu(x: v128): v128 {
  // pmax(a, b) = a < b ? b : a: NaN (as a) stays NaN.
  return f32x4.pmax(x, kc(K_ZERO));
}
