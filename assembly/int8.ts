// int8 kernels: dynamic quantization (weights per output row, activations
// per row of the batch, both symmetric: q = round(x · 127 / max|x|), zero
// point 0) and the int8 product with int32 accumulation, dequantized with
// the bias fused into the store.
//
// Exactness: a row's scale and its q are f32 operations in a fixed order
// (amax = max |x|, scale = amax / 127, inv = 127 / amax, q = clamp(round-
// half-even(x · inv), ±127)); sums of int8 products are integers, exact in
// any order while K ≤ 131 072 (127² · K < 2³¹); the dequantization is
// f32(acc) · (sa · sw), then + bias, then + C. The JS twin
// (src/backend/js/int8.ts) does the same operations, so its results equal
// these bit for bit, on every build, whatever tile computes an element.
//
// Layout: a quantized matrix is int8 rows of stride ld ≥ K8 = ⌈K / 8⌉ · 8
// bytes whose tail [K, K8) is zero (i8_quantize_rows writes it). Weights
// are quantized once with the same kernel ([N, K], the PyTorch layout: W's
// row n gives output column n), then packed into panels of 16 columns
// (i8_pack_panels): for each pair of k, the 16 columns' two bytes, 4
// columns (8 bytes) at a time.
//
// SIMD: the output's lanes are columns. A pair of the input row's values,
// widened to i16 and broadcast (one 32-bit splat), meets 4 columns' pairs
// (i16x8.load8x8_s) in one i32x4.dot_i16x8_s: 8 multiply–adds into the 4
// columns' sums, which are then converted, scaled and stored as they are:
// no reduction across lanes, which the earlier layout (each column's sum
// spread over 4 lanes) paid for every 4 outputs: a quarter of the work at
// K = 64. Rows of the input are widened to i16 once into the thread's
// scratch, so the broadcast is one load. Two rows share each widened
// weight load (2×16 tiles: 8 accumulators); a row left over, the whole of a
// batch-1 step, runs 1×16 with two pairs an iteration. Measured here
// against the layout before (4-row panels, a dot along k, lanes reduced
// with shuffles): [1,128]×[128,512] 41.9 → 50.3 GOP/s, [32,128]×[128,512]
// 43.7 → 61.8, [100,64]×[64,512] 39.2 → 56.8 (f32: 26.7, 32.2, 30.9
// GFLOP/s in the same run). Weights stored as i16 (plain loads, no
// widening) measured the same as int8 + load8x8_s: the loads are not the
// limit, and int8 keeps a quarter of f32's bytes.
import { apack, APACK_BYTES } from './scratch';

// @ts-ignore: decorator
@inline function k8(K: i32): i32 { return (K + 7) & ~7; }

// Widened rows need 2·K8 bytes each, two at a time, in the scratch; past
// that (K > 65 536, far beyond a recurrent layer's sizes) the pairs are
// widened as they are read (8–12 % slower, the same integers).
// @ts-ignore: decorator
@inline const WIDE_MAX_K8: i32 = <i32>(APACK_BYTES / 4) & ~7;

/**
 * Quantizes M rows of K floats (X, row stride ldx floats) to int8 rows of
 * stride ldq ≥ ⌈K/8⌉·8 bytes at Q (the tail zeroed) and writes each row's
 * scale (max|x| / 127; 0 for a zero row; NaN when the row holds NaN or ±∞,
 * whose q are then 0) to scales[m].
 */
export function i8_quantize_rows(M: i32, K: i32, X: usize, ldx: i32, Q: usize, ldq: i32, scales: usize): void {
  const K8 = k8(K);
  for (let m = 0; m < M; m++) {
    const x = X + (<usize>m * <usize>ldx << 2), q = Q + <usize>m * <usize>ldq;
    let amax: f32 = 0;
    let k = 0;
    if (ASC_FEATURE_SIMD) {
      let vm = f32x4.splat(0);
      for (; k + 4 <= K; k += 4) vm = f32x4.max(vm, f32x4.abs(v128.load(x + (<usize>k << 2))));
      amax = max(max(f32x4.extract_lane(vm, 0), f32x4.extract_lane(vm, 1)), max(f32x4.extract_lane(vm, 2), f32x4.extract_lane(vm, 3)));
    }
    for (; k < K; k++) amax = max(amax, abs(load<f32>(x + (<usize>k << 2))));
    const finite = amax - amax == 0; // false for NaN and ±∞
    const scale: f32 = finite ? amax / 127 : NaN;
    const inv: f32 = finite && amax > 0 ? <f32>127 / amax : 0;
    store<f32>(scales + (<usize>m << 2), scale);
    k = 0;
    if (ASC_FEATURE_SIMD) {
      const vi = f32x4.splat(inv), hi = i32x4.splat(127), lo = i32x4.splat(-127);
      for (; k + 8 <= K; k += 8) {
        const a = i32x4.max_s(lo, i32x4.min_s(hi, i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(x + (<usize>k << 2)), vi)))));
        const b = i32x4.max_s(lo, i32x4.min_s(hi, i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(x + (<usize>k << 2), 16), vi)))));
        const h = i16x8.narrow_i32x4_s(a, b);
        v128.store64_lane(q + <usize>k, i8x16.narrow_i16x8_s(h, h), 0);
      }
    }
    for (; k < K; k++) {
      const v = nearest<f32>(load<f32>(x + (<usize>k << 2)) * inv);
      // (v is NaN only where inv is 0 and x is NaN or ±∞: q = 0 then, as trunc_sat gives in SIMD.)
      const r = v != v ? 0 : <i32>v;
      store<i8>(q + <usize>k, <i8>(r > 127 ? 127 : r < -127 ? -127 : r));
    }
    for (; k < K8; k++) store<i8>(q + <usize>k, 0);
  }
}

/**
 * Packs N quantized weight rows (W [N, ldw] from i8_quantize_rows) into
 * panels of 16 columns for i8_gemm: panel p holds columns 16p … 16p+15 and,
 * for each pair of k (k, k+1), 32 bytes: 4 groups of 4 columns, each
 * [w(n,k), w(n,k+1), w(n+1,k), w(n+1,k+1), …, w(n+3,k+1)]. The last panel is
 * padded with zero columns: ⌈N/16⌉·16·⌈K/8⌉·8 bytes in all.
 */
export function i8_pack_panels(N: i32, K: i32, W: usize, ldw: i32, Wp: usize): void {
  const K8 = k8(K), NP = (N + 15) & ~15;
  for (let n = 0; n < NP; n++) {
    const w = W + <usize>n * <usize>ldw;
    const at = Wp + <usize>(n >> 4) * <usize>K8 * 16 + <usize>((n & 15) << 1);
    for (let k = 0; k < K8; k += 2) store<u16>(at + (<usize>k << 4), n < N ? load<u16>(w + <usize>k) : 0);
  }
}

// Columns n … n+3 of a row: f32(acc) · (sa · sw) (+ bias) (+ C); past N, nothing.
// @ts-ignore: decorator
@inline function store4(acc: v128, am: f32, sw: usize, n: i32, N: i32, c: usize, bias: usize, accumulate: i32): void {
  if (n >= N) return;
  const a = f32x4.convert_i32x4_s(acc);
  if (n + 4 <= N) {
    let y = f32x4.mul(a, f32x4.mul(f32x4.splat(am), v128.load(sw + (<usize>n << 2))));
    if (bias) y = f32x4.add(y, v128.load(bias + (<usize>n << 2)));
    const at = c + (<usize>n << 2);
    if (accumulate) y = f32x4.add(y, v128.load(at));
    v128.store(at, y);
  } else {
    // The last, partial group: lane by lane, the same operations.
    for (let j = 0; n + j < N; j++) {
      const i = n + j, at = c + (<usize>i << 2);
      let y: f32 = f32x4.extract_lane(a, 0);
      if (j == 1) y = f32x4.extract_lane(a, 1);
      else if (j == 2) y = f32x4.extract_lane(a, 2);
      y = y * (am * load<f32>(sw + (<usize>i << 2)));
      if (bias) y += load<f32>(bias + (<usize>i << 2));
      if (accumulate) y += load<f32>(at);
      store<f32>(at, y);
    }
  }
}

// A pair of a row's values as i16, broadcast to 4 lanes: from a widened row
// (2 bytes a value) one splat; from the int8 row, widened here.
// @ts-ignore: decorator
@inline function pair(a: usize, wide: bool): v128 {
  return wide ? v128.load32_splat(a) : i16x8.extend_low_i8x16_s(v128.load16_splat(a));
}

// @ts-ignore: decorator
@inline function widen(q: usize, K8: i32, to: usize): void {
  for (let k = 0; k < K8; k += 8) v128.store(to + (<usize>k << 1), v128.load8x8_s(q + <usize>k));
}

// Two rows (x and y: wide or int8, `step` bytes a pair) × the 16 columns of one panel.
// @ts-ignore: decorator
@inline function tile2x16(x: usize, y: usize, step: usize, pairs: i32, wide: bool, p: usize, n: i32, N: i32,
                          ax: f32, ay: f32, sw: usize, cx: usize, cy: usize, bias: usize, accumulate: i32): void {
  let s0 = i32x4.splat(0), s1 = i32x4.splat(0), s2 = i32x4.splat(0), s3 = i32x4.splat(0);
  let t0 = i32x4.splat(0), t1 = i32x4.splat(0), t2 = i32x4.splat(0), t3 = i32x4.splat(0);
  const end = x + <usize>pairs * step;
  while (x < end) {
    const u = pair(x, wide), v = pair(y, wide);
    let w = v128.load8x8_s(p);
    s0 = i32x4.add(s0, i32x4.dot_i16x8_s(u, w)); t0 = i32x4.add(t0, i32x4.dot_i16x8_s(v, w));
    w = v128.load8x8_s(p, 8);
    s1 = i32x4.add(s1, i32x4.dot_i16x8_s(u, w)); t1 = i32x4.add(t1, i32x4.dot_i16x8_s(v, w));
    w = v128.load8x8_s(p, 16);
    s2 = i32x4.add(s2, i32x4.dot_i16x8_s(u, w)); t2 = i32x4.add(t2, i32x4.dot_i16x8_s(v, w));
    w = v128.load8x8_s(p, 24);
    s3 = i32x4.add(s3, i32x4.dot_i16x8_s(u, w)); t3 = i32x4.add(t3, i32x4.dot_i16x8_s(v, w));
    x += step;
    y += step;
    p += 32;
  }
  store4(s0, ax, sw, n, N, cx, bias, accumulate); store4(t0, ay, sw, n, N, cy, bias, accumulate);
  store4(s1, ax, sw, n + 4, N, cx, bias, accumulate); store4(t1, ay, sw, n + 4, N, cy, bias, accumulate);
  store4(s2, ax, sw, n + 8, N, cx, bias, accumulate); store4(t2, ay, sw, n + 8, N, cy, bias, accumulate);
  store4(s3, ax, sw, n + 12, N, cx, bias, accumulate); store4(t3, ay, sw, n + 12, N, cy, bias, accumulate);
}

// One row × the 16 columns of one panel, two pairs an iteration (pairs is even: K8 is a multiple of 8).
// @ts-ignore: decorator
@inline function tile1x16(x: usize, step: usize, pairs: i32, wide: bool, p: usize, n: i32, N: i32,
                          ax: f32, sw: usize, cx: usize, bias: usize, accumulate: i32): void {
  let s0 = i32x4.splat(0), s1 = i32x4.splat(0), s2 = i32x4.splat(0), s3 = i32x4.splat(0);
  const end = x + <usize>pairs * step;
  while (x < end) {
    let u = pair(x, wide);
    s0 = i32x4.add(s0, i32x4.dot_i16x8_s(u, v128.load8x8_s(p)));
    s1 = i32x4.add(s1, i32x4.dot_i16x8_s(u, v128.load8x8_s(p, 8)));
    s2 = i32x4.add(s2, i32x4.dot_i16x8_s(u, v128.load8x8_s(p, 16)));
    s3 = i32x4.add(s3, i32x4.dot_i16x8_s(u, v128.load8x8_s(p, 24)));
    u = pair(x + step, wide);
    s0 = i32x4.add(s0, i32x4.dot_i16x8_s(u, v128.load8x8_s(p, 32)));
    s1 = i32x4.add(s1, i32x4.dot_i16x8_s(u, v128.load8x8_s(p, 40)));
    s2 = i32x4.add(s2, i32x4.dot_i16x8_s(u, v128.load8x8_s(p, 48)));
    s3 = i32x4.add(s3, i32x4.dot_i16x8_s(u, v128.load8x8_s(p, 56)));
    x += step << 1;
    p += 64;
  }
  store4(s0, ax, sw, n, N, cx, bias, accumulate);
  store4(s1, ax, sw, n + 4, N, cx, bias, accumulate);
  store4(s2, ax, sw, n + 8, N, cx, bias, accumulate);
  store4(s3, ax, sw, n + 12, N, cx, bias, accumulate);
}

// The SIMD product, rows from widened copies (wide) or from Q itself.
// @ts-ignore: decorator
@inline function gemmSimd(wide: bool, M: i32, N: i32, K8: i32, Q: usize, ldq: i32, sa: usize, Wp: usize, sw: usize,
                          accumulate: i32, C: usize, ldc: i32, bias: usize): void {
  const panel = <usize>K8 << 4, pairs = K8 >> 1, step: usize = wide ? 4 : 2, rows = apack(), row1 = rows + (<usize>K8 << 1);
  let m = 0;
  for (; m + 2 <= M; m += 2) {
    const q = Q + <usize>m * <usize>ldq, c = C + (<usize>m * <usize>ldc << 2), c1 = c + (<usize>ldc << 2);
    const ax = load<f32>(sa + (<usize>m << 2)), ay = load<f32>(sa + (<usize>m << 2), 4);
    let x = q, y = q + <usize>ldq;
    if (wide) { widen(x, K8, rows); widen(y, K8, row1); x = rows; y = row1; }
    for (let n = 0; n < N; n += 16) {
      tile2x16(x, y, step, pairs, wide, Wp + <usize>(n >> 4) * panel, n, N, ax, ay, sw, c, c1, bias, accumulate);
    }
  }
  if (m < M) {
    const c = C + (<usize>m * <usize>ldc << 2), ax = load<f32>(sa + (<usize>m << 2));
    let x = Q + <usize>m * <usize>ldq;
    if (wide) { widen(x, K8, rows); x = rows; }
    for (let n = 0; n < N; n += 16) tile1x16(x, step, pairs, wide, Wp + <usize>(n >> 4) * panel, n, N, ax, sw, c, bias, accumulate);
  }
}

/**
 * C[m, n] = f32(Σ_k Q[m, k] · W[n, k]) · (sa[m] · sw[n]) (+ bias[n] when
 * bias ≠ 0) (+ C[m, n] when accumulate ≠ 0), for int8 Q [M, ldq] from
 * i8_quantize_rows and W packed by i8_pack_panels (K ≤ 131 072), C
 * [M, ldc ≥ N] f32. Without accumulate C is only written.
 */
export function i8_gemm(M: i32, N: i32, K: i32, Q: usize, ldq: i32, sa: usize, Wp: usize, sw: usize,
                        accumulate: i32, C: usize, ldc: i32, bias: usize): void {
  if (M <= 0 || N <= 0) return;
  const K8 = k8(K);
  if (ASC_FEATURE_SIMD) {
    if (K8 <= WIDE_MAX_K8) gemmSimd(true, M, N, K8, Q, ldq, sa, Wp, sw, accumulate, C, ldc, bias);
    else gemmSimd(false, M, N, K8, Q, ldq, sa, Wp, sw, accumulate, C, ldc, bias);
    return;
  }
  const panel = <usize>K8 << 4;
  for (let m = 0; m < M; m++) {
    const q = Q + <usize>m * <usize>ldq, c = C + (<usize>m * <usize>ldc << 2);
    const am = load<f32>(sa + (<usize>m << 2));
    for (let n = 0; n < N; n++) {
      const p = Wp + <usize>(n >> 4) * panel + <usize>((n & 15) << 1);
      let acc: i32 = 0;
      for (let k = 0; k < K8; k += 2) {
        const w = p + (<usize>k << 4);
        acc += <i32>load<i8>(q + <usize>k) * <i32>load<i8>(w) + <i32>load<i8>(q + <usize>k + 1) * <i32>load<i8>(w + 1);
      }
      let y: f32 = <f32>acc * (am * load<f32>(sw + (<usize>n << 2)));
      if (bias) y += load<f32>(bias + (<usize>n << 2));
      const at = c + (<usize>n << 2);
      if (accumulate) y += load<f32>(at);
      store<f32>(at, y);
    }
  }
}
