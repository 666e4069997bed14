// The JS twins of pointwise activations and their backward (assembly/activations.ts).
import type { Kernels } from '../backend.js';
import type { Heap } from '../heap.js';

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
export const relu = (x: number): number => (x > 0 ? x : x !== x ? x : 0);

export function activationsKernels(heap: Heap): Pick<Kernels, 'f32_sigmoid' | 'f32_sigmoid_bwd' | 'f32_tanh' | 'f32_tanh_bwd' | 'f32_relu' | 'f32_relu_bwd'> {
  return {
    f32_sigmoid(n, x, y) {
      const f = heap.f32, a = x >> 2, b = y >> 2;
      for (let i = 0; i < n; i++) f[b + i] = sigmoid(f[a + i]!);
    },
    f32_sigmoid_bwd(n, y, dy, dx) {
      const f = heap.f32, a = y >> 2, d = dy >> 2, o = dx >> 2;
      for (let i = 0; i < n; i++) { const s = f[a + i]!; f[o + i] = f[d + i]! * (s * (1 - s)); }
    },
    f32_tanh(n, x, y) {
      const f = heap.f32, a = x >> 2, b = y >> 2;
      for (let i = 0; i < n; i++) f[b + i] = Math.tanh(f[a + i]!);
    },
    f32_tanh_bwd(n, y, dy, dx) {
      const f = heap.f32, a = y >> 2, d = dy >> 2, o = dx >> 2;
      for (let i = 0; i < n; i++) { const t = f[a + i]!; f[o + i] = f[d + i]! * (1 - t * t); }
    },
    f32_relu(n, x, y) {
      const f = heap.f32, a = x >> 2, b = y >> 2;
      for (let i = 0; i < n; i++) f[b + i] = relu(f[a + i]!);
    },
    f32_relu_bwd(n, y, dy, dx) {
      const f = heap.f32, a = y >> 2, d = dy >> 2, o = dx >> 2;
      for (let i = 0; i < n; i++) f[o + i] = f[a + i]! > 0 ? f[d + i]! : 0;
    },
  };
}
