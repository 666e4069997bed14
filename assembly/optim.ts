// Optimizer updates over one flat region of n parameters (p), gradients (g)
// and state, in torch.optim's order of operations so results match it in f32.
// Scalars that torch computes in double (bias corrections) are computed in
// f64 here too and rounded once.

/** SGD: g' = g + wd·p; buf = first ? g' : μ·buf + (1−dampening)·g';
 * step = nesterov ? g' + μ·buf : buf (μ = 0: step = g'); p −= lr·step. */
export function f32_sgd_update(n: i32, p: usize, g: usize, buf: usize, lr: f32, momentum: f32,
                               dampening: f32, weightDecay: f32, nesterov: i32, first: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vwd = f32x4.splat(weightDecay), vmu = f32x4.splat(momentum), vdm = f32x4.splat(1 - dampening), vlr = f32x4.splat(lr);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const w = v128.load(p + o);
      let d = v128.load(g + o);
      if (weightDecay != 0) d = f32x4.add(d, f32x4.mul(vwd, w));
      if (momentum != 0) {
        const b = first ? d : f32x4.add(f32x4.mul(vmu, v128.load(buf + o)), f32x4.mul(vdm, d));
        v128.store(buf + o, b);
        d = nesterov ? f32x4.add(d, f32x4.mul(vmu, b)) : b;
      }
      v128.store(p + o, f32x4.sub(w, f32x4.mul(vlr, d)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const w = load<f32>(p + o);
    let d = load<f32>(g + o);
    if (weightDecay != 0) d = d + weightDecay * w;
    if (momentum != 0) {
      const b: f32 = first ? d : momentum * load<f32>(buf + o) + (1 - dampening) * d;
      store<f32>(buf + o, b);
      d = nesterov ? d + momentum * b : b;
    }
    store<f32>(p + o, w - lr * d);
  }
}

// @ts-ignore: decorator
@inline function adamCore(n: i32, p: usize, g: usize, m: usize, v: usize, lr: f32, beta1: f32, beta2: f32,
                          eps: f32, l2: f32, decay: f32, bc1: f64, bc2: f64): void {
  const stepSize = <f32>(<f64>lr / bc1);
  const bc2sqrt = <f32>Math.sqrt(bc2);
  const a1: f32 = 1 - beta1, a2: f32 = 1 - beta2;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vb1 = f32x4.splat(beta1), vb2 = f32x4.splat(beta2), va1 = f32x4.splat(a1), va2 = f32x4.splat(a2);
    const vl2 = f32x4.splat(l2), vs = f32x4.splat(stepSize), vc = f32x4.splat(bc2sqrt), ve = f32x4.splat(eps);
    const vdecay = f32x4.splat(decay);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      let w = v128.load(p + o);
      if (decay != 1) w = f32x4.mul(w, vdecay);
      let d = v128.load(g + o);
      if (l2 != 0) d = f32x4.add(d, f32x4.mul(w, vl2));
      const mm = f32x4.add(f32x4.mul(v128.load(m + o), vb1), f32x4.mul(d, va1));
      const vv = f32x4.add(f32x4.mul(v128.load(v + o), vb2), f32x4.mul(f32x4.mul(d, d), va2));
      const den = f32x4.add(f32x4.div(f32x4.sqrt(vv), vc), ve);
      v128.store(m + o, mm);
      v128.store(v + o, vv);
      v128.store(p + o, f32x4.sub(w, f32x4.mul(vs, f32x4.div(mm, den))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let w = load<f32>(p + o);
    if (decay != 1) w = w * decay;
    let d = load<f32>(g + o);
    if (l2 != 0) d = d + w * l2;
    const mm = load<f32>(m + o) * beta1 + d * a1;
    const vv = load<f32>(v + o) * beta2 + d * d * a2;
    const den = Mathf.sqrt(vv) / bc2sqrt + eps;
    store<f32>(m + o, mm);
    store<f32>(v + o, vv);
    store<f32>(p + o, w - stepSize * (mm / den));
  }
}

/** Adam (L2 weight decay added to the gradient). bc1 = 1 − β1^t and bc2 = 1 − β2^t
 * (t counts from 1) come from the caller in f64, as torch computes them. */
export function f32_adam_update(n: i32, p: usize, g: usize, m: usize, v: usize, lr: f32, beta1: f32,
                                beta2: f32, eps: f32, weightDecay: f32, bc1: f64, bc2: f64): void {
  adamCore(n, p, g, m, v, lr, beta1, beta2, eps, weightDecay, 1, bc1, bc2);
}

/** AdamW: p *= 1 − lr·wd, then Adam without L2 (bc1, bc2 as for Adam). */
export function f32_adamw_update(n: i32, p: usize, g: usize, m: usize, v: usize, lr: f32, beta1: f32,
                                 beta2: f32, eps: f32, weightDecay: f32, bc1: f64, bc2: f64): void {
  adamCore(n, p, g, m, v, lr, beta1, beta2, eps, 0, 1 - lr * weightDecay, bc1, bc2);
}

/** RMSprop: sq = α·sq + (1−α)·g'²; centered: ga = α·ga + (1−α)·g', avg = √(sq − ga²) + ε,
 * else avg = √sq + ε; momentum μ > 0: buf = μ·buf + g'/avg, p −= lr·buf; else p −= lr·g'/avg. */
export function f32_rmsprop_update(n: i32, p: usize, g: usize, sq: usize, gavg: usize, buf: usize, lr: f32,
                                   alpha: f32, eps: f32, weightDecay: f32, momentum: f32, centered: i32): void {
  const a1: f32 = 1 - alpha;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f32x4.splat(alpha), va1 = f32x4.splat(a1), vwd = f32x4.splat(weightDecay), veps = f32x4.splat(eps);
    const vmu = f32x4.splat(momentum), vlr = f32x4.splat(lr);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const w = v128.load(p + o);
      let d = v128.load(g + o);
      if (weightDecay != 0) d = f32x4.add(d, f32x4.mul(w, vwd));
      const s = f32x4.add(f32x4.mul(v128.load(sq + o), va), f32x4.mul(f32x4.mul(d, d), va1));
      v128.store(sq + o, s);
      let avg: v128;
      if (centered) {
        const ga = f32x4.add(f32x4.mul(v128.load(gavg + o), va), f32x4.mul(d, va1));
        v128.store(gavg + o, ga);
        avg = f32x4.add(f32x4.sqrt(f32x4.sub(s, f32x4.mul(ga, ga))), veps);
      } else {
        avg = f32x4.add(f32x4.sqrt(s), veps);
      }
      if (momentum > 0) {
        const b = f32x4.add(f32x4.mul(v128.load(buf + o), vmu), f32x4.div(d, avg));
        v128.store(buf + o, b);
        v128.store(p + o, f32x4.sub(w, f32x4.mul(vlr, b)));
      } else {
        v128.store(p + o, f32x4.sub(w, f32x4.mul(vlr, f32x4.div(d, avg))));
      }
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const w = load<f32>(p + o);
    let d = load<f32>(g + o);
    if (weightDecay != 0) d = d + w * weightDecay;
    const s = load<f32>(sq + o) * alpha + d * d * a1;
    store<f32>(sq + o, s);
    let avg: f32;
    if (centered) {
      const ga = load<f32>(gavg + o) * alpha + d * a1;
      store<f32>(gavg + o, ga);
      avg = Mathf.sqrt(s - ga * ga) + eps;
    } else {
      avg = Mathf.sqrt(s) + eps;
    }
    if (momentum > 0) {
      const b = load<f32>(buf + o) * momentum + d / avg;
      store<f32>(buf + o, b);
      store<f32>(p + o, w - lr * b);
    } else {
      store<f32>(p + o, w - lr * (d / avg));
    }
  }
}

/** Adagrad: g' = g + wd·p; sum += g'²; p −= clr·g'/(√sum + ε), clr = lr / (1 + (step−1)·lrDecay). */
export function f32_adagrad_update(n: i32, p: usize, g: usize, sum: usize, lr: f32, eps: f32,
                                   weightDecay: f32, lrDecay: f32, step: i32): void {
  const clr = <f32>(<f64>lr / (1.0 + <f64>(step - 1) * <f64>lrDecay));
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vwd = f32x4.splat(weightDecay), veps = f32x4.splat(eps), vclr = f32x4.splat(clr);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const w = v128.load(p + o);
      let d = v128.load(g + o);
      if (weightDecay != 0) d = f32x4.add(d, f32x4.mul(w, vwd));
      const s = f32x4.add(v128.load(sum + o), f32x4.mul(d, d));
      v128.store(sum + o, s);
      v128.store(p + o, f32x4.sub(w, f32x4.mul(vclr, f32x4.div(d, f32x4.add(f32x4.sqrt(s), veps)))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const w = load<f32>(p + o);
    let d = load<f32>(g + o);
    if (weightDecay != 0) d = d + w * weightDecay;
    const s = load<f32>(sum + o) + d * d;
    store<f32>(sum + o, s);
    store<f32>(p + o, w - clr * (d / (Mathf.sqrt(s) + eps)));
  }
}

/** x = min(max(x, lo), hi) (NaN stays NaN). */
export function f32_clip_value(n: i32, x: usize, lo: f32, hi: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    // pmax/pmin with x first keep NaN (see vmath.ts).
    const vlo = f32x4.splat(lo), vhi = f32x4.splat(hi);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(x + o, f32x4.pmin(f32x4.pmax(v128.load(x + o), vlo), vhi));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    if (v < lo) store<f32>(x + o, lo);
    else if (v > hi) store<f32>(x + o, hi);
  }
}
