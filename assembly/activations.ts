// Pointwise activations and their backward, over n contiguous f32.
// Pointers are byte offsets; no alignment is assumed (v128.load is unaligned-safe).
// Forward: y = f(x) (y may alias x). Backward takes the forward OUTPUT y and
// writes dx = dy · f'(y) (dx may alias dy); like every _bwd kernel, it writes
// the gradients of its inputs and accumulates into nothing. Error bound of
// sigmoid/tanh: see vmath.ts.
import { sigmoid1, tanh1, relu1, vsigmoid, vtanh, vrelu, kc, K_ONE } from './vmath';

export function f32_sigmoid(n: i32, x: usize, y: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, vsigmoid(v128.load(x + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, sigmoid1(load<f32>(x + o)));
  }
}

export function f32_sigmoid_bwd(n: i32, y: usize, dy: usize, dx: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const one = kc(K_ONE);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const s = v128.load(y + o);
      v128.store(dx + o, f32x4.mul(v128.load(dy + o), f32x4.mul(s, f32x4.sub(one, s))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const s = load<f32>(y + o);
    store<f32>(dx + o, load<f32>(dy + o) * (s * (1 - s)));
  }
}

export function f32_tanh(n: i32, x: usize, y: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, vtanh(v128.load(x + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, tanh1(load<f32>(x + o)));
  }
}

export function f32_tanh_bwd(n: i32, y: usize, dy: usize, dx: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const one = kc(K_ONE);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const t = v128.load(y + o);
      v128.store(dx + o, f32x4.mul(v128.load(dy + o), f32x4.sub(one, f32x4.mul(t, t))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const t = load<f32>(y + o);
    store<f32>(dx + o, load<f32>(dy + o) * (1 - t * t));
  }
}

export function f32_relu(n: i32, x: usize, y: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, vrelu(v128.load(x + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, relu1(load<f32>(x + o)));
  }
}

export function f32_relu_bwd(n: i32, y: usize, dy: usize, dx: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const pos = f32x4.gt(v128.load(y + o), zero);
      v128.store(dx + o, v128.and(v128.load(dy + o), pos));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(y + o) > 0 ? load<f32>(dy + o) : 0);
  }
}
