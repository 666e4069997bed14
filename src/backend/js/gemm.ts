// The JS twins of gEMMs: C = α·op(A)·op(B) + β·C with register-blocked loops, B packed into 8-wide panels, the bias row added as tiles are stored (assembly/gemm.ts).
import type { Kernels } from '../backend.js';
import type { Heap } from '../heap.js';

// Scratch row for f32_gemm's leftover rows (grown, never shrunk).
let rowAcc = new Float64Array(1024);
// Tile accumulators of f32_gemm_packed_bias, stored once per tile.
const pbAcc = new Float64Array(16);

export function gemmKernels(heap: Heap): Pick<Kernels, 'f32_gemm' | 'f32_pack_b' | 'f32_gemm_packed_bias'> {
  return {
    f32_gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) {
      if (M <= 0 || N <= 0) return;
      const f = heap.f32;
      const a0 = A >> 2, b0 = B >> 2, c0 = C >> 2;
      if (K <= 0 || alpha === 0) {
        for (let i = 0; i < M; i++) {
          const c = c0 + i * ldc;
          for (let j = 0; j < N; j++) f[c + j] = beta === 0 ? 0 : beta * f[c + j]!;
        }
        return;
      }
      const rsA = transA ? 1 : lda, csA = transA ? lda : 1;
      const rsB = transB ? 1 : ldb, csB = transB ? ldb : 1;
      const M4 = M & ~3, N4 = N & ~3;
      // 4×4 register tile; element strides cover every transpose.
      for (let i = 0; i < M4; i += 4) {
        const p0 = a0 + i * rsA, p1 = p0 + rsA, p2 = p1 + rsA, p3 = p2 + rsA;
        for (let j = 0; j < N4; j += 4) {
          const q0 = b0 + j * csB, q1 = q0 + csB, q2 = q1 + csB, q3 = q2 + csB;
          let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
          let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
          for (let k = 0, ka = 0, kb = 0; k < K; k++, ka += csA, kb += rsB) {
            const x0 = f[p0 + ka]!, x1 = f[p1 + ka]!, x2 = f[p2 + ka]!, x3 = f[p3 + ka]!;
            const y0 = f[q0 + kb]!, y1 = f[q1 + kb]!, y2 = f[q2 + kb]!, y3 = f[q3 + kb]!;
            s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
            s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
            s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3;
            s30 += x3 * y0; s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3;
          }
          let c = c0 + i * ldc + j;
          if (beta === 0) {
            f[c] = alpha * s00; f[c + 1] = alpha * s01; f[c + 2] = alpha * s02; f[c + 3] = alpha * s03; c += ldc;
            f[c] = alpha * s10; f[c + 1] = alpha * s11; f[c + 2] = alpha * s12; f[c + 3] = alpha * s13; c += ldc;
            f[c] = alpha * s20; f[c + 1] = alpha * s21; f[c + 2] = alpha * s22; f[c + 3] = alpha * s23; c += ldc;
            f[c] = alpha * s30; f[c + 1] = alpha * s31; f[c + 2] = alpha * s32; f[c + 3] = alpha * s33;
          } else {
            f[c] = alpha * s00 + beta * f[c]!; f[c + 1] = alpha * s01 + beta * f[c + 1]!;
            f[c + 2] = alpha * s02 + beta * f[c + 2]!; f[c + 3] = alpha * s03 + beta * f[c + 3]!; c += ldc;
            f[c] = alpha * s10 + beta * f[c]!; f[c + 1] = alpha * s11 + beta * f[c + 1]!;
            f[c + 2] = alpha * s12 + beta * f[c + 2]!; f[c + 3] = alpha * s13 + beta * f[c + 3]!; c += ldc;
            f[c] = alpha * s20 + beta * f[c]!; f[c + 1] = alpha * s21 + beta * f[c + 1]!;
            f[c + 2] = alpha * s22 + beta * f[c + 2]!; f[c + 3] = alpha * s23 + beta * f[c + 3]!; c += ldc;
            f[c] = alpha * s30 + beta * f[c]!; f[c + 1] = alpha * s31 + beta * f[c + 1]!;
            f[c + 2] = alpha * s32 + beta * f[c + 2]!; f[c + 3] = alpha * s33 + beta * f[c + 3]!;
          }
        }
      }
      // Rows left over with B's rows contiguous (the batch-1 recurrent step):
      // row-times-matrix as axpys into a float64 row, streaming B once.
      if (!transB && M4 < M) {
        if (rowAcc.length < N) rowAcc = new Float64Array(N);
        const acc = rowAcc;
        for (let i = M4; i < M; i++) {
          acc.fill(0, 0, N);
          const p = a0 + i * rsA;
          for (let k = 0; k < K; k++) {
            const a = f[p + k * csA]!;
            const q = b0 + k * ldb;
            for (let j = 0; j < N; j++) acc[j] = acc[j]! + a * f[q + j]!;
          }
          const c = c0 + i * ldc;
          for (let j = 0; j < N; j++) f[c + j] = beta === 0 ? alpha * acc[j]! : alpha * acc[j]! + beta * f[c + j]!;
        }
        M = M4;
      }
      // Edges: rows ≥ M4 (all columns) and columns ≥ N4 (rows < M4).
      for (let i = 0; i < M; i++) {
        const p = a0 + i * rsA;
        for (let j = i < M4 ? N4 : 0; j < N; j++) {
          const q = b0 + j * csB;
          let s = 0;
          for (let k = 0; k < K; k++) s += f[p + k * csA]! * f[q + k * rsB]!;
          const c = c0 + i * ldc + j;
          f[c] = beta === 0 ? alpha * s : alpha * s + beta * f[c]!;
        }
      }
    },
    f32_pack_b(transB, K, N, B, ldb, Bp) {
      const f = heap.f32, b0 = B >> 2, o = Bp >> 2;
      for (let p = 0; p * 8 < N; p++) {
        for (let k = 0; k < K; k++) {
          const d = o + (p * K + k) * 8;
          for (let jj = 0; jj < 8; jj++) {
            const j = p * 8 + jj;
            f[d + jj] = j < N ? f[transB ? b0 + j * ldb + k : b0 + k * ldb + j]! : 0;
          }
        }
      }
    },
    f32_gemm_packed_bias(transA, M, N, K, alpha, A, lda, Bp, beta, C, ldc, bias) {
      if (M <= 0 || N <= 0) return;
      const f = heap.f32, a0 = A >> 2, b0 = Bp >> 2, c0 = C >> 2, bi = bias >> 2;
      const rsA = transA ? 1 : lda, csA = transA ? lda : 1;
      const acc = pbAcc;
      // Two rows against one 8-wide panel at a time (16 accumulators), each
      // panel row read once for both rows; B streams linearly.
      if (M === 1) {
        // One row (the batch-1 recurrent step): 8 accumulators per panel.
        for (let p = 0; p * 8 < N; p++) {
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
          let q = b0 + p * K * 8;
          for (let k = 0, ka = a0; k < K; k++, q += 8, ka += csA) {
            const x = f[ka]!;
            s0 += x * f[q]!; s1 += x * f[q + 1]!; s2 += x * f[q + 2]!; s3 += x * f[q + 3]!;
            s4 += x * f[q + 4]!; s5 += x * f[q + 5]!; s6 += x * f[q + 6]!; s7 += x * f[q + 7]!;
          }
          acc[0] = s0; acc[1] = s1; acc[2] = s2; acc[3] = s3; acc[4] = s4; acc[5] = s5; acc[6] = s6; acc[7] = s7;
          const w = Math.min(8, N - p * 8), c = c0 + p * 8;
          for (let jj = 0; jj < w; jj++) {
            const v = alpha * acc[jj]!;
            f[c + jj] = (beta === 0 ? v : v + beta * f[c + jj]!) + (bias ? f[bi + p * 8 + jj]! : 0);
          }
        }
        return;
      }
      for (let i = 0; i < M; i += 2) {
        const two = i + 1 < M;
        const p0 = a0 + i * rsA, p1 = two ? p0 + rsA : p0;
        for (let p = 0; p * 8 < N; p++) {
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
          let t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5 = 0, t6 = 0, t7 = 0;
          let q = b0 + p * K * 8;
          if (alpha !== 0) {
            for (let k = 0, ka = 0; k < K; k++, q += 8, ka += csA) {
              const x = f[p0 + ka]!, y = f[p1 + ka]!;
              const w0 = f[q]!, w1 = f[q + 1]!, w2 = f[q + 2]!, w3 = f[q + 3]!, w4 = f[q + 4]!, w5 = f[q + 5]!, w6 = f[q + 6]!, w7 = f[q + 7]!;
              s0 += x * w0; s1 += x * w1; s2 += x * w2; s3 += x * w3; s4 += x * w4; s5 += x * w5; s6 += x * w6; s7 += x * w7;
              t0 += y * w0; t1 += y * w1; t2 += y * w2; t3 += y * w3; t4 += y * w4; t5 += y * w5; t6 += y * w6; t7 += y * w7;
            }
          }
          acc[0] = s0; acc[1] = s1; acc[2] = s2; acc[3] = s3; acc[4] = s4; acc[5] = s5; acc[6] = s6; acc[7] = s7;
          acc[8] = t0; acc[9] = t1; acc[10] = t2; acc[11] = t3; acc[12] = t4; acc[13] = t5; acc[14] = t6; acc[15] = t7;
          const w = Math.min(8, N - p * 8);
          for (let r = 0; r < (two ? 2 : 1); r++) {
            const c = c0 + (i + r) * ldc + p * 8;
            for (let jj = 0; jj < w; jj++) {
              const v = alpha * acc[r * 8 + jj]!;
              f[c + jj] = (beta === 0 ? v : v + beta * f[c + jj]!) + (bias ? f[bi + p * 8 + jj]! : 0);
            }
          }
        }
      }
    },
  };
}
