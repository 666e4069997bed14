// Layer normalization over rows (Ba, Kiros & Hinton 2016), in PyTorch's
// form: μ and the biased variance σ² of a row of n, x̂ = (x − μ)/√(σ² + ε).
// The layer-normalized cells (ln_lstm_cell.ts, ln_gru_cell.ts) normalize
// their projections with it and share its backward row.
//
// Rows are contiguous (stride n). μ and σ² are two passes (the mean first):
// one pass of Σx² loses digits when |μ| ≫ σ.

// Σ of a vector's four lanes.
@inline export function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/**
 * Mean of n floats at x, summed in f64: an f32 sum of a row whose mean is
 * far from 0 loses the digits that x − μ keeps (a row of 513 values near
 * 100 was off by 2e-5 in x̂); the deviations in rowRstd are small, so f32 suffices there.
 */
@inline export function rowMean(n: i32, x: usize): f32 {
  let j = 0, s: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    let lo = f64x2.splat(0), hi = f64x2.splat(0);
    for (; j + 4 <= n; j += 4) {
      const v = v128.load(x + (<usize>j << 2));
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
      hi = f64x2.add(hi, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)));
    }
    const t = f64x2.add(lo, hi);
    s = f64x2.extract_lane(t, 0) + f64x2.extract_lane(t, 1);
  }
  for (; j < n; j++) s += <f64>load<f32>(x + (<usize>j << 2));
  return <f32>(s / <f64>n);
}

/** 1/√(mean((x − μ)²) + ε) of n floats at x. */
@inline export function rowRstd(n: i32, x: usize, mu: f32, eps: f32): f32 {
  let j = 0, s: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    const m4 = f32x4.splat(mu);
    let s4 = f32x4.splat(0);
    for (; j + 4 <= n; j += 4) {
      const d = f32x4.sub(v128.load(x + (<usize>j << 2)), m4);
      s4 = f32x4.add(s4, f32x4.mul(d, d));
    }
    s = hsum(s4);
  }
  for (; j < n; j++) {
    const d = load<f32>(x + (<usize>j << 2)) - mu;
    s += d * d;
  }
  return <f32>1 / Mathf.sqrt(s / <f32>n + eps);
}

// x [rows, n] normalized in place: x ← (x − μ)·rstd; rstd [rows] written (backward needs it and x̂).
export function f32_layer_norm_rows(rows: i32, n: i32, eps: f32, x: usize, rstd: usize): void {
  const rb = <usize>n << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rb;
    const mu = rowMean(n, xr), rs = rowRstd(n, xr, mu, eps);
    store<f32>(rstd + (<usize>r << 2), rs);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const m4 = f32x4.splat(mu), r4 = f32x4.splat(rs);
      for (; j + 4 <= n; j += 4) {
        const o = xr + (<usize>j << 2);
        v128.store(o, f32x4.mul(f32x4.sub(v128.load(o), m4), r4));
      }
    }
    for (; j < n; j++) {
      const o = xr + (<usize>j << 2);
      store<f32>(o, (load<f32>(o) - mu) * rs);
    }
  }
}

/**
 * Backward of one row of a = γ ⊙ x̂ + β (+ bias), given dA = ∂L/∂a:
 * dγ += dA ⊙ x̂, dβ += dA, dbias += dA (0 = none), and
 * out = rstd · (u − mean(u) − x̂ · mean(u ⊙ x̂)) with u = γ ⊙ dA, the
 * gradient w.r.t. the row before normalization. out may be dA (in place).
 */
@inline export function lnBackwardRow(n: i32, dA: usize, out: usize, xhat: usize, gamma: usize, rstd: f32,
                                      dgamma: usize, dbeta: usize, dbias: usize): void {
  let j = 0, s1: f32 = 0, s2: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    let a4 = f32x4.splat(0), b4 = f32x4.splat(0);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const d = v128.load(dA + o), xh = v128.load(xhat + o);
      v128.store(dgamma + o, f32x4.add(v128.load(dgamma + o), f32x4.mul(d, xh)));
      v128.store(dbeta + o, f32x4.add(v128.load(dbeta + o), d));
      if (dbias != 0) v128.store(dbias + o, f32x4.add(v128.load(dbias + o), d));
      const u = f32x4.mul(v128.load(gamma + o), d);
      a4 = f32x4.add(a4, u);
      b4 = f32x4.add(b4, f32x4.mul(u, xh));
    }
    s1 = hsum(a4); s2 = hsum(b4);
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const d = load<f32>(dA + o), xh = load<f32>(xhat + o);
    store<f32>(dgamma + o, load<f32>(dgamma + o) + d * xh);
    store<f32>(dbeta + o, load<f32>(dbeta + o) + d);
    if (dbias != 0) store<f32>(dbias + o, load<f32>(dbias + o) + d);
    const u = load<f32>(gamma + o) * d;
    s1 += u;
    s2 += u * xh;
  }
  const m1 = s1 / <f32>n, m2 = s2 / <f32>n;
  j = 0;
  if (ASC_FEATURE_SIMD) {
    const m14 = f32x4.splat(m1), m24 = f32x4.splat(m2), r4 = f32x4.splat(rstd);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const u = f32x4.mul(v128.load(gamma + o), v128.load(dA + o));
      v128.store(out + o, f32x4.mul(r4, f32x4.sub(f32x4.sub(u, m14), f32x4.mul(v128.load(xhat + o), m24))));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const u = load<f32>(gamma + o) * load<f32>(dA + o);
    store<f32>(out + o, rstd * (u - m1 - load<f32>(xhat + o) * m2));
  }
}
