// The JS twins of the int8 kernels (assembly/int8.ts): the same f32
// operations in the same order (Math.fround after each), round half to even
// like f32.nearest, and integer sums (exact in any order), so the results
// equal wasm's bit for bit.
import type { Kernels } from '../backend.js';
import type { Heap } from '../heap.js';

const fr = Math.fround;

/** Round half to even, as wasm's nearest (|v| < 2²³ here, or NaN). */
function nearest(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function int8Kernels(heap: Heap): Pick<Kernels, 'i8_quantize_rows' | 'i8_pack_panels' | 'i8_gemm'> {
  return {
    i8_quantize_rows(M, K, X, ldx, Q, ldq, scales) {
      const f = heap.f32, q8 = heap.i8, K8 = (K + 7) & ~7;
      for (let m = 0; m < M; m++) {
        const x = (X >> 2) + m * ldx, q = Q + m * ldq;
        let amax = 0;
        for (let k = 0; k < K; k++) amax = Math.max(amax, Math.abs(f[x + k]!));
        const finite = amax - amax === 0;
        const scale = finite ? fr(amax / 127) : NaN, inv = finite && amax > 0 ? fr(127 / amax) : 0;
        f[(scales >> 2) + m] = scale;
        for (let k = 0; k < K; k++) {
          const v = nearest(fr(f[x + k]! * inv));
          q8[q + k] = v !== v ? 0 : v > 127 ? 127 : v < -127 ? -127 : v;
        }
        for (let k = K; k < K8; k++) q8[q + k] = 0;
      }
    },
    i8_pack_panels(N, K, W, ldw, Wp) {
      const q8 = heap.i8, K8 = (K + 7) & ~7, NP = (N + 3) & ~3;
      for (let n = 0; n < NP; n++) {
        const base = Wp + (n >> 2) * K8 * 4 + (n & 3) * 8;
        for (let k = 0; k < K8; k += 8) for (let j = 0; j < 8; j++) q8[base + k * 4 + j] = n < N ? q8[W + n * ldw + k + j]! : 0;
      }
    },
    i8_gemm(M, N, K, Q, ldq, sa, Wp, sw, accumulate, C, ldc, bias) {
      const f = heap.f32, q8 = heap.i8, K8 = (K + 7) & ~7;
      const out = (c: number, n: number, acc: number, am: number): void => {
        let y = fr(fr(acc) * fr(am * f[(sw >> 2) + n]!));
        if (bias) y = fr(y + f[(bias >> 2) + n]!);
        if (accumulate) y = fr(y + f[c + n]!);
        f[c + n] = y;
      };
      for (let m = 0; m < M; m++) {
        const q = Q + m * ldq, c = (C >> 2) + m * ldc, am = f[(sa >> 2) + m]!;
        // A panel at a time: one read of a row of Q for 4 rows of W (integer sums: any order is exact).
        for (let n = 0; n < N; n += 4) {
          let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
          for (let k = 0, p = Wp + (n >> 2) * K8 * 4; k < K8; k += 8, p += 32) {
            for (let j = 0; j < 8; j++) {
              const x = q8[q + k + j]!;
              a0 += x * q8[p + j]!; a1 += x * q8[p + 8 + j]!; a2 += x * q8[p + 16 + j]!; a3 += x * q8[p + 24 + j]!;
            }
          }
          out(c, n, a0, am);
          if (n + 1 < N) out(c, n + 1, a1, am);
          if (n + 2 < N) out(c, n + 2, a2, am);
          if (n + 3 < N) out(c, n + 3, a3, am);
        }
      }
    },
  };
}
