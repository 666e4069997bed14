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
// these bit for bit, on every build.
//
// Layout: a quantized matrix is int8 rows of stride ld ≥ K8 = ⌈K / 8⌉ · 8
// bytes whose tail [K, K8) is zero (i8_quantize_rows writes it), so the
// product reads 8 bytes at a time without a scalar tail. Weights are
// quantized once with the same kernel ([N, K], the PyTorch layout: W's row n
// gives output column n), then packed into panels of 4 rows (i8_pack_panels).
//
// SIMD: i16x8.load8x8_s widens 8 int8 in one load, i32x4.dot_i16x8_s does 8
// multiply–adds in one instruction. A row of A meets a panel of 4 rows of W
// at a time (1 + 4 loads at constant offsets from two pointers, 4 dots and 4
// adds for 32 multiply–adds: with W read through 4 row pointers, V8 spent
// an add per load on addresses, 1.36× f32 at batch 1 instead of …); the 4
// sums are reduced across lanes with shuffles, converted, scaled and stored
// as one f32x4.

// @ts-ignore: decorator
@inline function k8(K: i32): i32 { return (K + 7) & ~7; }

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

// The 4 lane sums of a, b, c, d as one i32x4 [Σa, Σb, Σc, Σd].
// @ts-ignore: decorator
@inline function sum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i32x4.add(v128.shuffle<i32>(a, b, 0, 4, 1, 5), v128.shuffle<i32>(a, b, 2, 6, 3, 7)); // a0+a2 b0+b2 a1+a3 b1+b3
  const cd = i32x4.add(v128.shuffle<i32>(c, d, 0, 4, 1, 5), v128.shuffle<i32>(c, d, 2, 6, 3, 7));
  return i32x4.add(v128.shuffle<i32>(ab, cd, 0, 1, 4, 5), v128.shuffle<i32>(ab, cd, 2, 3, 6, 7));
}

/**
 * Packs N quantized weight rows (W [N, ldw] from i8_quantize_rows) into
 * panels of 4 rows for i8_gemm: panel p holds rows 4p … 4p+3, and for each
 * group of 8 k their 8 bytes one row after the other (32 bytes a group), so
 * the product reads a panel from one pointer at constant offsets. The last
 * panel is padded with zero rows: ⌈N/4⌉·4·⌈K/8⌉·8 bytes in all.
 */
export function i8_pack_panels(N: i32, K: i32, W: usize, ldw: i32, Wp: usize): void {
  const K8 = k8(K), NP = (N + 3) & ~3;
  for (let n = 0; n < NP; n++) {
    const w = W + <usize>n * <usize>ldw, base = Wp + <usize>(n >> 2) * <usize>K8 * 4 + <usize>((n & 3) << 3);
    for (let k = 0; k < K8; k += 8) store<u64>(base + (<usize>k << 2), n < N ? load<u64>(w + <usize>k) : 0);
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
  const K8 = k8(K), panel = <usize>K8 * 4;
  for (let m = 0; m < M; m++) {
    const q = Q + <usize>m * <usize>ldq, c = C + (<usize>m * <usize>ldc << 2);
    const am = load<f32>(sa + (<usize>m << 2));
    let n = 0;
    if (ASC_FEATURE_SIMD) {
      const va = f32x4.splat(am);
      for (; n < N; n += 4) {
        let p = Wp + <usize>(n >> 2) * panel, a = q;
        const end = q + <usize>K8;
        let s0 = i32x4.splat(0), s1 = i32x4.splat(0), s2 = i32x4.splat(0), s3 = i32x4.splat(0);
        while (a < end) {
          const x = v128.load8x8_s(a);
          s0 = i32x4.add(s0, i32x4.dot_i16x8_s(x, v128.load8x8_s(p)));
          s1 = i32x4.add(s1, i32x4.dot_i16x8_s(x, v128.load8x8_s(p, 8)));
          s2 = i32x4.add(s2, i32x4.dot_i16x8_s(x, v128.load8x8_s(p, 16)));
          s3 = i32x4.add(s3, i32x4.dot_i16x8_s(x, v128.load8x8_s(p, 24)));
          a += 8;
          p += 32;
        }
        const acc = f32x4.convert_i32x4_s(sum4(s0, s1, s2, s3));
        if (n + 4 <= N) {
          let y = f32x4.mul(acc, f32x4.mul(va, v128.load(sw + (<usize>n << 2))));
          if (bias) y = f32x4.add(y, v128.load(bias + (<usize>n << 2)));
          const at = c + (<usize>n << 2);
          if (accumulate) y = f32x4.add(y, v128.load(at));
          v128.store(at, y);
        } else {
          // The last, partial panel: lane by lane, the same operations.
          for (let j = 0; n + j < N; j++) {
            const i = n + j, at = c + (<usize>i << 2);
            let y: f32 = f32x4.extract_lane(acc, 0);
            if (j == 1) y = f32x4.extract_lane(acc, 1);
            else if (j == 2) y = f32x4.extract_lane(acc, 2);
            y = y * (am * load<f32>(sw + (<usize>i << 2)));
            if (bias) y += load<f32>(bias + (<usize>i << 2));
            if (accumulate) y += load<f32>(at);
            store<f32>(at, y);
          }
        }
      }
    } else {
      for (; n < N; n++) {
        const p = Wp + <usize>(n >> 2) * panel + <usize>((n & 3) << 3);
        let acc: i32 = 0;
        for (let k = 0; k < K8; k += 8) {
          for (let j = 0; j < 8; j++) acc += <i32>load<i8>(q + <usize>(k + j)) * <i32>load<i8>(p + (<usize>k << 2) + <usize>j);
        }
        let y: f32 = <f32>acc * (am * load<f32>(sw + (<usize>n << 2)));
        if (bias) y += load<f32>(bias + (<usize>n << 2));
        const at = c + (<usize>n << 2);
        if (accumulate) y += load<f32>(at);
        store<f32>(at, y);
      }
    }
  }
}
