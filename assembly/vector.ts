// Level-1 kernels over contiguous f32 (byte-offset pointers, no alignment
// assumed), and the column sums that a bias's gradient needs.

/** y[j] += Σ_i X[i, j] (X rows ldx elements apart): a bias's gradient, accumulated like every parameter gradient. */
export function f32_sum_rows(M: i32, N: i32, X: usize, ldx: i32, y: usize): void {
  for (let i = 0; i < M; i++) {
    const x = X + (<usize>i * <usize>ldx << 2);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= N; j += 4) {
        const o = <usize>j << 2;
        v128.store(y + o, f32x4.add(v128.load(y + o), v128.load(x + o)));
      }
    }
    for (; j < N; j++) {
      const o = <usize>j << 2;
      store<f32>(y + o, load<f32>(y + o) + load<f32>(x + o));
    }
  }
}

/** z = x + y (any may alias). */
export function f32_add(n: i32, x: usize, y: usize, z: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(z + o, f32x4.add(v128.load(x + o), v128.load(y + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(z + o, load<f32>(x + o) + load<f32>(y + o));
  }
}

/** z = x ⊙ y (any may alias). */
export function f32_mul(n: i32, x: usize, y: usize, z: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(z + o, f32x4.mul(v128.load(x + o), v128.load(y + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(z + o, load<f32>(x + o) * load<f32>(y + o));
  }
}

/** x *= a. */
export function f32_scale(n: i32, a: f32, x: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f32x4.splat(a);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(x + o, f32x4.mul(v128.load(x + o), va));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, load<f32>(x + o) * a);
  }
}

/** x[i] = v. */
export function f32_fill(n: i32, v: f32, x: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vv = f32x4.splat(v);
    for (; i + 4 <= n; i += 4) v128.store(x + (<usize>i << 2), vv);
  }
  for (; i < n; i++) store<f32>(x + (<usize>i << 2), v);
}

/** y = x; overlapping regions are handled like memmove. */
export function f32_copy(n: i32, x: usize, y: usize): void {
  if (n > 0) memory.copy(y, x, <usize>n << 2);
}

/** dst[i, j] = src[i, j] for i < rows, j < cols; row strides in elements. */
export function f32_copy2d(rows: i32, cols: i32, src: usize, lds: i32, dst: usize, ldd: i32): void {
  if (cols <= 0) return;
  for (let i = 0; i < rows; i++) {
    memory.copy(dst + (<usize>i * <usize>ldd << 2), src + (<usize>i * <usize>lds << 2), <usize>cols << 2);
  }
}

/** Σ x[i]², accumulated in f64 so a global norm over millions of parameters stays exact to f32. */
export function f32_sumsq(n: i32, x: usize): f64 {
  let i = 0;
  let s: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    let a0 = f64x2.splat(0);
    let a1 = f64x2.splat(0);
    for (; i + 4 <= n; i += 4) {
      const v = v128.load(x + (<usize>i << 2));
      const lo = f64x2.promote_low_f32x4(v);
      const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
      a0 = f64x2.add(a0, f64x2.mul(lo, lo));
      a1 = f64x2.add(a1, f64x2.mul(hi, hi));
    }
    const a = f64x2.add(a0, a1);
    s = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
  }
  for (; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    s += v * v;
  }
  return s;
}

/** out[i, :] = table[idx[i], :] for i < n; idx is i32; rows are dim floats. */
export function f32_gather_rows(n: i32, idx: usize, table: usize, dim: i32, out: usize): void {
  const rb = <usize>dim << 2;
  for (let i = 0; i < n; i++) {
    const r = <usize>load<i32>(idx + (<usize>i << 2));
    memory.copy(out + <usize>i * rb, table + r * rb, rb);
  }
}

/** table[idx[i], :] += src[i, :] for i < n (the backward of f32_gather_rows). */
export function f32_scatter_add_rows(n: i32, idx: usize, src: usize, dim: i32, table: usize): void {
  const rb = <usize>dim << 2;
  for (let i = 0; i < n; i++) {
    const t = table + <usize>load<i32>(idx + (<usize>i << 2)) * rb;
    const s = src + <usize>i * rb;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= dim; j += 4) {
        const o = <usize>j << 2;
        v128.store(t + o, f32x4.add(v128.load(t + o), v128.load(s + o)));
      }
    }
    for (; j < dim; j++) {
      const o = <usize>j << 2;
      store<f32>(t + o, load<f32>(t + o) + load<f32>(s + o));
    }
  }
}
