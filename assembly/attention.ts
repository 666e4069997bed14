// Attention over a source sequence, one decoder step for R rows at a time,
// forward beside backward (Luong et al. 2015 dot score, and the additive
// score of Bahdanau et al. 2015).
//
// keys [S, Bk, K]: the encoder's outputs, time-major (key j of sentence b at
// (j·Bk + b)·K). Row r of a step belongs to sentence b = r / group (group =
// the beams per sentence while decoding, 1 in training), so beams share one
// copy of the keys. mask [S, Bk]: 1 at real source positions, 0 at padding,
// which gets weight 0. alpha [R, S]: the attention weights; ctx [R, K]: the
// context Σ_j alpha_j · key_j. A sentence without a real position gets
// alpha = 0 and ctx = 0. The softmax is in f64 (exp from AssemblyScript's
// math, the same bits in every build).
import { vtanh, tanh1 } from './vmath';

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// Σ a[i]·b[i] over n floats.
// @ts-ignore: decorator
@inline function dot(n: i32, a: usize, b: usize): f32 {
  let i = 0, s: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    let s4 = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) s4 = f32x4.add(s4, f32x4.mul(v128.load(a + (<usize>i << 2)), v128.load(b + (<usize>i << 2))));
    s = hsum(s4);
  }
  for (; i < n; i++) s += load<f32>(a + (<usize>i << 2)) * load<f32>(b + (<usize>i << 2));
  return s;
}

// y += a·x over n floats.
// @ts-ignore: decorator
@inline function axpy(n: i32, a: f32, x: usize, y: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const a4 = f32x4.splat(a);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(a4, v128.load(x + o))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) + a * load<f32>(x + o));
  }
}

// alpha[0..S) = masked softmax of the scores already in alpha; then ctx = Σ alpha_j key_j.
// @ts-ignore: decorator
@inline function softmaxContext(S: i32, K: i32, Bk: i32, b: i32, keys: usize, mask: usize, ar: usize, cr: usize): void {
  let m = -Infinity;
  for (let j = 0; j < S; j++) {
    if (load<f32>(mask + (<usize>(j * Bk + b) << 2)) != 0) m = Math.max(m, <f64>load<f32>(ar + (<usize>j << 2)));
  }
  memory.fill(cr, 0, <usize>K << 2);
  if (m == -Infinity) { memory.fill(ar, 0, <usize>S << 2); return; }
  let z: f64 = 0;
  for (let j = 0; j < S; j++) {
    const valid = load<f32>(mask + (<usize>(j * Bk + b) << 2)) != 0;
    const e = valid ? Math.exp(<f64>load<f32>(ar + (<usize>j << 2)) - m) : 0;
    store<f32>(ar + (<usize>j << 2), <f32>e);
    z += e;
  }
  for (let j = 0; j < S; j++) {
    const a = <f32>(<f64>load<f32>(ar + (<usize>j << 2)) / z);
    store<f32>(ar + (<usize>j << 2), a);
    if (a != 0) axpy(K, a, keys + (<usize>(j * Bk + b) * <usize>K << 2), cr);
  }
}

// The scores' gradient from dctx: dα_j = dctx·key_j, de_j = α_j (dα_j − Σ α dα), into de[0..S).
// @ts-ignore: decorator
@inline function scoreGrad(S: i32, K: i32, Bk: i32, b: i32, keys: usize, ar: usize, dcr: usize, de: usize): void {
  let s: f64 = 0;
  for (let j = 0; j < S; j++) {
    const a = load<f32>(ar + (<usize>j << 2));
    const da = a != 0 ? dot(K, dcr, keys + (<usize>(j * Bk + b) * <usize>K << 2)) : 0;
    store<f32>(de + (<usize>j << 2), da);
    s += <f64>a * <f64>da;
  }
  for (let j = 0; j < S; j++) {
    const a = load<f32>(ar + (<usize>j << 2));
    store<f32>(de + (<usize>j << 2), <f32>(<f64>a * (<f64>load<f32>(de + (<usize>j << 2)) - s)));
  }
}

/** Dot score e_j = q·key_j. q [R, K]. */
export function f32_attn_dot_fwd(R: i32, S: i32, K: i32, group: i32, q: usize, keys: usize, mask: usize, alpha: usize, ctx: usize): void {
  const Bk = R / group;
  for (let r = 0; r < R; r++) {
    const b = r / group, qr = q + (<usize>(r * K) << 2), ar = alpha + (<usize>(r * S) << 2), cr = ctx + (<usize>(r * K) << 2);
    for (let j = 0; j < S; j++) store<f32>(ar + (<usize>j << 2), dot(K, qr, keys + (<usize>(j * Bk + b) * <usize>K << 2)));
    softmaxContext(S, K, Bk, b, keys, mask, ar, cr);
  }
}

/**
 * Backward of the dot score, given dctx [R, K]: dq [R, K] written;
 * dkeys [S, Bk, K] accumulated (+=) with α_j·dctx + de_j·q. de [S]: scratch.
 */
export function f32_attn_dot_bwd(R: i32, S: i32, K: i32, group: i32, q: usize, keys: usize, alpha: usize, dctx: usize,
                                 dq: usize, dkeys: usize, de: usize): void {
  const Bk = R / group;
  for (let r = 0; r < R; r++) {
    const b = r / group, qr = q + (<usize>(r * K) << 2), ar = alpha + (<usize>(r * S) << 2), dcr = dctx + (<usize>(r * K) << 2);
    const dqr = dq + (<usize>(r * K) << 2);
    scoreGrad(S, K, Bk, b, keys, ar, dcr, de);
    memory.fill(dqr, 0, <usize>K << 2);
    for (let j = 0; j < S; j++) {
      const a = load<f32>(ar + (<usize>j << 2));
      if (a == 0) continue;
      const kj = keys + (<usize>(j * Bk + b) * <usize>K << 2), dkj = dkeys + (<usize>(j * Bk + b) * <usize>K << 2), e = load<f32>(de + (<usize>j << 2));
      axpy(K, e, kj, dqr);
      axpy(K, a, dcr, dkj);
      axpy(K, e, qr, dkj);
    }
  }
}

/**
 * Additive score e_j = v·tanh(u + P_j): u [R, A] = W_q·q (+ b_q) and
 * P [S, Bk, A] = W_k·key (both from GEMMs outside), v [A].
 */
export function f32_attn_additive_fwd(R: i32, S: i32, A: i32, K: i32, group: i32, u: usize, P: usize, v: usize,
                                      keys: usize, mask: usize, alpha: usize, ctx: usize): void {
  const Bk = R / group;
  for (let r = 0; r < R; r++) {
    const b = r / group, ur = u + (<usize>(r * A) << 2), ar = alpha + (<usize>(r * S) << 2), cr = ctx + (<usize>(r * K) << 2);
    for (let j = 0; j < S; j++) {
      let e: f32 = 0;
      if (load<f32>(mask + (<usize>(j * Bk + b) << 2)) != 0) {
        const pj = P + (<usize>(j * Bk + b) * <usize>A << 2);
        let a = 0;
        if (ASC_FEATURE_SIMD) {
          let s4 = f32x4.splat(0);
          for (; a + 4 <= A; a += 4) {
            const o = <usize>a << 2;
            s4 = f32x4.add(s4, f32x4.mul(v128.load(v + o), vtanh(f32x4.add(v128.load(ur + o), v128.load(pj + o)))));
          }
          e = hsum(s4);
        }
        for (; a < A; a++) {
          const o = <usize>a << 2;
          e += load<f32>(v + o) * tanh1(load<f32>(ur + o) + load<f32>(pj + o));
        }
      }
      store<f32>(ar + (<usize>j << 2), e);
    }
    softmaxContext(S, K, Bk, b, keys, mask, ar, cr);
  }
}

/**
 * Backward of the additive score, given dctx [R, K]: du [R, A] written;
 * dP [S, Bk, A], dv [A] and dkeys [S, Bk, K] (the context path; the P path
 * reaches the keys through dP) accumulated. de [S]: scratch.
 */
export function f32_attn_additive_bwd(R: i32, S: i32, A: i32, K: i32, group: i32, u: usize, P: usize, v: usize,
                                      keys: usize, alpha: usize, dctx: usize, du: usize, dP: usize, dv: usize,
                                      dkeys: usize, de: usize): void {
  const Bk = R / group;
  for (let r = 0; r < R; r++) {
    const b = r / group, ur = u + (<usize>(r * A) << 2), ar = alpha + (<usize>(r * S) << 2), dcr = dctx + (<usize>(r * K) << 2);
    const dur = du + (<usize>(r * A) << 2);
    scoreGrad(S, K, Bk, b, keys, ar, dcr, de);
    memory.fill(dur, 0, <usize>A << 2);
    for (let j = 0; j < S; j++) {
      const al = load<f32>(ar + (<usize>j << 2));
      if (al == 0) continue;
      const e = load<f32>(de + (<usize>j << 2));
      const pj = P + (<usize>(j * Bk + b) * <usize>A << 2), dpj = dP + (<usize>(j * Bk + b) * <usize>A << 2);
      axpy(K, al, dcr, dkeys + (<usize>(j * Bk + b) * <usize>K << 2));
      let a = 0;
      if (ASC_FEATURE_SIMD) {
        const e4 = f32x4.splat(e), one = f32x4.splat(1);
        for (; a + 4 <= A; a += 4) {
          const o = <usize>a << 2;
          const th = vtanh(f32x4.add(v128.load(ur + o), v128.load(pj + o)));
          v128.store(dv + o, f32x4.add(v128.load(dv + o), f32x4.mul(e4, th)));
          const dz = f32x4.mul(f32x4.mul(e4, v128.load(v + o)), f32x4.sub(one, f32x4.mul(th, th)));
          v128.store(dur + o, f32x4.add(v128.load(dur + o), dz));
          v128.store(dpj + o, f32x4.add(v128.load(dpj + o), dz));
        }
      }
      for (; a < A; a++) {
        const o = <usize>a << 2;
        const th = tanh1(load<f32>(ur + o) + load<f32>(pj + o));
        store<f32>(dv + o, load<f32>(dv + o) + e * th);
        const dz = e * load<f32>(v + o) * (1 - th * th);
        store<f32>(dur + o, load<f32>(dur + o) + dz);
        store<f32>(dpj + o, load<f32>(dpj + o) + dz);
      }
    }
  }
}

/** y = log-softmax of each row of x [rows, n] (f64 inside; y may be x). */
export function f32_log_softmax_rows(rows: i32, n: i32, x: usize, y: usize): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>(r * n) << 2), yr = y + (<usize>(r * n) << 2);
    let m = -Infinity;
    for (let c = 0; c < n; c++) m = Math.max(m, <f64>load<f32>(xr + (<usize>c << 2)));
    let z: f64 = 0;
    for (let c = 0; c < n; c++) z += Math.exp(<f64>load<f32>(xr + (<usize>c << 2)) - m);
    const lse = m + Math.log(z);
    for (let c = 0; c < n; c++) store<f32>(yr + (<usize>c << 2), <f32>(<f64>load<f32>(xr + (<usize>c << 2)) - lse));
  }
}
