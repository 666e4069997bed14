// The JS twins of the int8 kernels (assembly/int8.ts): the same f32
// operations in the same order (Math.fround after each), round half to even
// like f32.nearest, and integer sums (exact in any order), so the results
// equal wasm's bit for bit.
import type { Kernels } from '../backend.js';
import type { Heap } from '../heap.js';

const fr = Math.fround;

let scratch = new Int32Array(16);
/** A reused array of n int32 sums (the twin allocates nothing per call). */
function sums(n: number): Int32Array {
  if (scratch.length < n) scratch = new Int32Array(n);
  return scratch;
}

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
      const q8 = heap.i8, K8 = (K + 7) & ~7, NP = (N + 15) & ~15;
      for (let n = 0; n < NP; n++) {
        const at = Wp + (n >> 4) * K8 * 16 + (n & 15) * 2;
        for (let k = 0; k < K8; k += 2) {
          q8[at + k * 16] = n < N ? q8[W + n * ldw + k]! : 0;
          q8[at + k * 16 + 1] = n < N ? q8[W + n * ldw + k + 1]! : 0;
        }
      }
    },
    i8_gemm(M, N, K, Q, ldq, sa, Wp, sw, accumulate, C, ldc, bias) {
      if (M <= 0 || N <= 0) return;
      const f = heap.f32, q8 = heap.i8, K8 = (K + 7) & ~7, acc = sums(16);
      for (let m = 0; m < M; m++) {
        const q = Q + m * ldq, c = (C >> 2) + m * ldc, am = f[(sa >> 2) + m]!;
        // A panel at a time: each pair of the row read once for 16 columns (integer sums: any order is exact).
        for (let n = 0; n < N; n += 16) {
          acc.fill(0);
          for (let k = 0, p = Wp + (n >> 4) * K8 * 16; k < K8; k += 2, p += 32) {
            const x0 = q8[q + k]!, x1 = q8[q + k + 1]!;
            for (let j = 0; j < 16; j++) acc[j] = acc[j]! + x0 * q8[p + 2 * j]! + x1 * q8[p + 2 * j + 1]!;
          }
          for (let j = 0; j < 16 && n + j < N; j++) {
            let y = fr(fr(acc[j]!) * fr(am * f[(sw >> 2) + n + j]!));
            if (bias) y = fr(y + f[(bias >> 2) + n + j]!);
            if (accumulate) y = fr(y + f[c + n + j]!);
            f[c + n + j] = y;
          }
        }
      }
    },
  };
}
