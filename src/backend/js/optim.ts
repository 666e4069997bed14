// The JS twins of optimizer updates in torch.optim's order of operations, and clipping (assembly/optim.ts).
import type { Kernels } from '../backend.js';
import type { Heap } from '../heap.js';

export function optimKernels(heap: Heap): Pick<Kernels, 'f32_sgd_update' | 'f32_adam_update' | 'f32_adamw_update' | 'f32_rmsprop_update' | 'f32_adagrad_update' | 'f32_clip_value'> {
  return {
    f32_sgd_update(n, p, g, buf, lr, momentum, dampening, weightDecay, nesterov, first) {
      const f = heap.f32, P = p >> 2, G = g >> 2, U = buf >> 2;
      for (let i = 0; i < n; i++) {
        const w = f[P + i]!;
        let d = f[G + i]!;
        if (weightDecay !== 0) d = Math.fround(d + weightDecay * w);
        if (momentum !== 0) {
          const b = first ? d : Math.fround(momentum * f[U + i]! + (1 - dampening) * d);
          f[U + i] = b;
          d = nesterov ? d + momentum * b : b;
        }
        f[P + i] = w - lr * d;
      }
    },
    f32_adam_update(n, p, g, m, v, lr, beta1, beta2, eps, weightDecay, bc1, bc2) {
      adam(heap.f32, n, p, g, m, v, lr, beta1, beta2, eps, weightDecay, bc1, bc2);
    },
    f32_adamw_update(n, p, g, m, v, lr, beta1, beta2, eps, weightDecay, bc1, bc2) {
      const f = heap.f32, P = p >> 2;
      if (weightDecay !== 0) {
        const s = Math.fround(1 - Math.fround(lr) * Math.fround(weightDecay));
        for (let i = 0; i < n; i++) f[P + i] = f[P + i]! * s;
      }
      adam(f, n, p, g, m, v, lr, beta1, beta2, eps, 0, bc1, bc2);
    },
    f32_rmsprop_update(n, p, g, sq, gavg, buf, lr, alpha, eps, weightDecay, momentum, centered) {
      const f = heap.f32, P = p >> 2, G = g >> 2, S = sq >> 2, A = gavg >> 2, U = buf >> 2;
      for (let i = 0; i < n; i++) {
        const w = f[P + i]!;
        let d = f[G + i]!;
        if (weightDecay !== 0) d = Math.fround(d + w * weightDecay);
        const s = Math.fround(f[S + i]! * alpha + d * d * (1 - alpha));
        f[S + i] = s;
        let avg: number;
        if (centered) {
          const ga = Math.fround(f[A + i]! * alpha + d * (1 - alpha));
          f[A + i] = ga;
          avg = Math.sqrt(s - ga * ga) + eps;
        } else {
          avg = Math.sqrt(s) + eps;
        }
        if (momentum > 0) {
          const b = Math.fround(f[U + i]! * momentum + d / avg);
          f[U + i] = b;
          f[P + i] = w - lr * b;
        } else {
          f[P + i] = w - lr * (d / avg);
        }
      }
    },
    f32_adagrad_update(n, p, g, sum, lr, eps, weightDecay, lrDecay, step) {
      const f = heap.f32, P = p >> 2, G = g >> 2, S = sum >> 2;
      const clr = Math.fround(lr / (1 + (step - 1) * lrDecay));
      for (let i = 0; i < n; i++) {
        const w = f[P + i]!;
        let d = f[G + i]!;
        if (weightDecay !== 0) d = Math.fround(d + w * weightDecay);
        const s = Math.fround(f[S + i]! + d * d);
        f[S + i] = s;
        f[P + i] = w - clr * (d / (Math.sqrt(s) + eps));
      }
    },
    f32_clip_value(n, x, lo, hi) {
      const f = heap.f32, o = x >> 2;
      for (let i = 0; i < n; i++) {
        const v = f[o + i]!;
        if (v < lo) f[o + i] = lo; else if (v > hi) f[o + i] = hi;
      }
    },
  };
}

function adam(f: Float32Array, n: number, p: number, g: number, m: number, v: number, lr: number,
              beta1: number, beta2: number, eps: number, l2: number, bc1: number, bc2: number): void {
  const P = p >> 2, G = g >> 2, Mo = m >> 2, V = v >> 2;
  const stepSize = Math.fround(lr / bc1), bc2sqrt = Math.fround(Math.sqrt(bc2));
  for (let i = 0; i < n; i++) {
    const w = f[P + i]!;
    let d = f[G + i]!;
    if (l2 !== 0) d = Math.fround(d + w * l2);
    const mm = Math.fround(f[Mo + i]! * beta1 + d * (1 - beta1));
    const vv = Math.fround(f[V + i]! * beta2 + d * d * (1 - beta2));
    f[Mo + i] = mm;
    f[V + i] = vv;
    f[P + i] = w - stepSize * (mm / (Math.sqrt(vv) / bc2sqrt + eps));
  }
}
