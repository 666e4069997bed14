// The JS twins of level-1 kernels, column sums, 2-D copies and row gathers (assembly/vector.ts).
import type { Kernels } from '../backend.js';
import type { Heap } from '../heap.js';

export function vectorKernels(heap: Heap): Pick<Kernels, 'f32_sum_rows' | 'f32_add' | 'f32_mul' | 'f32_scale' | 'f32_fill' | 'f32_copy' | 'f32_copy2d' | 'f32_sumsq' | 'f32_gather_rows' | 'f32_scatter_add_rows'> {
  return {
    f32_sum_rows(M, N, X, ldx, y) {
      const f = heap.f32, o = y >> 2;
      for (let i = 0; i < M; i++) {
        const x = (X >> 2) + i * ldx;
        for (let j = 0; j < N; j++) f[o + j] = f[o + j]! + f[x + j]!;
      }
    },
    f32_add(n, x, y, z) {
      const f = heap.f32, a = x >> 2, b = y >> 2, c = z >> 2;
      for (let i = 0; i < n; i++) f[c + i] = f[a + i]! + f[b + i]!;
    },
    f32_mul(n, x, y, z) {
      const f = heap.f32, a = x >> 2, b = y >> 2, c = z >> 2;
      for (let i = 0; i < n; i++) f[c + i] = f[a + i]! * f[b + i]!;
    },
    f32_scale(n, a, x) {
      const f = heap.f32, o = x >> 2;
      for (let i = 0; i < n; i++) f[o + i] = f[o + i]! * a;
    },
    f32_fill(n, v, x) {
      if (n > 0) heap.f32.fill(v, x >> 2, (x >> 2) + n);
    },
    f32_copy(n, x, y) {
      if (n > 0) heap.f32.copyWithin(y >> 2, x >> 2, (x >> 2) + n);
    },
    f32_copy2d(rows, cols, src, lds, dst, ldd) {
      if (cols <= 0) return;
      const f = heap.f32;
      for (let i = 0; i < rows; i++) {
        const s = (src >> 2) + i * lds;
        f.copyWithin((dst >> 2) + i * ldd, s, s + cols);
      }
    },
    f32_sumsq(n, x) {
      const f = heap.f32, o = x >> 2;
      let s = 0;
      for (let i = 0; i < n; i++) { const v = f[o + i]!; s += v * v; }
      return s;
    },
    f32_gather_rows(n, idx, table, dim, out) {
      const f = heap.f32, ix = heap.i32, t0 = table >> 2, o = out >> 2;
      for (let i = 0; i < n; i++) {
        const r = t0 + ix[(idx >> 2) + i]! * dim;
        f.copyWithin(o + i * dim, r, r + dim);
      }
    },
    f32_scatter_add_rows(n, idx, src, dim, table) {
      const f = heap.f32, ix = heap.i32, s0 = src >> 2;
      for (let i = 0; i < n; i++) {
        const r = (table >> 2) + ix[(idx >> 2) + i]! * dim, s = s0 + i * dim;
        for (let j = 0; j < dim; j++) f[r + j] = f[r + j]! + f[s + j]!;
      }
    },
  };
}
