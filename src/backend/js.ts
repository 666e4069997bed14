// The pure-JS backend: every kernel of assembly/ with the same name and
// argument order, written as fast plain JS (Float32Array, register-blocked
// loops). It is the fallback where wasm is missing and the yardstick the
// wasm backend's speed is reported against, so it must stay honest.
import type { Backend, Kernels } from './backend.js';
import { Heap, arrayBufferMemory } from './heap.js';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const relu = (x: number): number => (x > 0 ? x : x !== x ? x : 0);
// Scratch row for f32_gemm's leftover rows (grown, never shrunk).
let rowAcc = new Float64Array(1024);
// Tile accumulators of f32_gemm_packed_bias, stored once per tile.
const pbAcc = new Float64Array(16);

export function jsKernels(heap: Heap): Kernels {
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

    f32_rnn_cell_fwd(B, H, act, g, hPrev, h, mask, y, ldy) {
      const f = heap.f32;
      for (let b = 0; b < B; b++) {
        const r = b * H, yr = (y >> 2) + b * ldy;
        if (mask !== 0 && f[(mask >> 2) + b] === 0) {
          f.copyWithin((h >> 2) + r, (hPrev >> 2) + r, (hPrev >> 2) + r + H);
          f.fill(0, yr, yr + H);
          continue;
        }
        const gi = (g >> 2) + r, ho = (h >> 2) + r;
        for (let j = 0; j < H; j++) {
          const v = act ? relu(f[gi + j]!) : Math.tanh(f[gi + j]!);
          f[ho + j] = v;
          f[yr + j] = v;
        }
      }
    },
    f32_rnn_cell_bwd(B, H, act, h, mask, dy, ldy, dh, dG) {
      const f = heap.f32;
      for (let b = 0; b < B; b++) {
        const r = b * H;
        if (mask !== 0 && f[(mask >> 2) + b] === 0) {
          f.fill(0, (dG >> 2) + r, (dG >> 2) + r + H);
          continue;
        }
        const dyr = (dy >> 2) + b * ldy, hr = (h >> 2) + r, dhr = (dh >> 2) + r, dgr = (dG >> 2) + r;
        for (let j = 0; j < H; j++) {
          const d = f[dhr + j]! + (dy !== 0 ? f[dyr + j]! : 0);
          const v = f[hr + j]!;
          f[dgr + j] = act ? (v > 0 ? d : 0) : d * (1 - v * v);
          f[dhr + j] = 0;
        }
      }
    },

    f32_lstm_cell_fwd(B, H, gates, cPrev, hPrev, c, h, mask, y, ldy) {
      const f = heap.f32;
      for (let b = 0; b < B; b++) {
        const r = b * H, yr = (y >> 2) + b * ldy;
        if (mask !== 0 && f[(mask >> 2) + b] === 0) {
          f.copyWithin((c >> 2) + r, (cPrev >> 2) + r, (cPrev >> 2) + r + H);
          f.copyWithin((h >> 2) + r, (hPrev >> 2) + r, (hPrev >> 2) + r + H);
          f.fill(0, yr, yr + H);
          continue;
        }
        const gi = (gates >> 2) + 4 * r, gf = gi + H, gg = gf + H, go = gg + H;
        const cp = (cPrev >> 2) + r, co = (c >> 2) + r, ho = (h >> 2) + r;
        for (let j = 0; j < H; j++) {
          const i1 = sigmoid(f[gi + j]!), f1 = sigmoid(f[gf + j]!), g1 = Math.tanh(f[gg + j]!), o1 = sigmoid(f[go + j]!);
          f[gi + j] = i1; f[gf + j] = f1; f[gg + j] = g1; f[go + j] = o1;
          const c1 = f1 * f[cp + j]! + i1 * g1;
          f[co + j] = c1;
          const h1 = o1 * Math.tanh(Math.fround(c1));
          f[ho + j] = h1;
          f[yr + j] = h1;
        }
      }
    },
    f32_lstm_cell_bwd(B, H, gates, cPrev, c, mask, dy, ldy, dh, dc, dGates) {
      const f = heap.f32;
      for (let b = 0; b < B; b++) {
        const r = b * H;
        const di = (dGates >> 2) + 4 * r, df = di + H, dg = df + H, dO = dg + H;
        if (mask !== 0 && f[(mask >> 2) + b] === 0) {
          f.fill(0, di, di + 4 * H);
          continue;
        }
        const gi = (gates >> 2) + 4 * r, gf = gi + H, gg = gf + H, go = gg + H;
        const dyr = (dy >> 2) + b * ldy, dhr = (dh >> 2) + r, dcr = (dc >> 2) + r;
        const cp = (cPrev >> 2) + r, cr = (c >> 2) + r;
        for (let j = 0; j < H; j++) {
          const d = f[dhr + j]! + (dy !== 0 ? f[dyr + j]! : 0);
          const i1 = f[gi + j]!, f1 = f[gf + j]!, g1 = f[gg + j]!, o1 = f[go + j]!;
          const tc = Math.tanh(f[cr + j]!);
          const dct = d * o1 * (1 - tc * tc) + f[dcr + j]!;
          f[di + j] = dct * g1 * (i1 * (1 - i1));
          f[df + j] = dct * f[cp + j]! * (f1 * (1 - f1));
          f[dg + j] = dct * i1 * (1 - g1 * g1);
          f[dO + j] = d * tc * (o1 * (1 - o1));
          f[dcr + j] = dct * f1;
          f[dhr + j] = 0;
        }
      }
    },

    f32_gru_cell_fwd(B, H, gx, gh, hPrev, h, mask, y, ldy) {
      const f = heap.f32;
      for (let b = 0; b < B; b++) {
        const r = b * H, yr = (y >> 2) + b * ldy;
        if (mask !== 0 && f[(mask >> 2) + b] === 0) {
          f.copyWithin((h >> 2) + r, (hPrev >> 2) + r, (hPrev >> 2) + r + H);
          f.fill(0, yr, yr + H);
          continue;
        }
        const xr = (gx >> 2) + 3 * r, xz = xr + H, xn = xz + H;
        const hr = (gh >> 2) + 3 * r, hz = hr + H, hn = hz + H;
        const hp = (hPrev >> 2) + r, ho = (h >> 2) + r;
        for (let j = 0; j < H; j++) {
          const r1 = Math.fround(sigmoid(f[xr + j]! + f[hr + j]!));
          const z1 = sigmoid(f[xz + j]! + f[hz + j]!);
          const n1 = Math.fround(Math.tanh(f[xn + j]! + r1 * f[hn + j]!));
          const h1 = n1 + z1 * (f[hp + j]! - n1);
          f[xr + j] = r1; f[xz + j] = z1; f[xn + j] = n1;
          f[ho + j] = h1;
          f[yr + j] = h1;
        }
      }
    },
    f32_gru_cell_bwd(B, H, gx, gh, hPrev, mask, dy, ldy, dh, dGx, dGh) {
      const f = heap.f32;
      for (let b = 0; b < B; b++) {
        const r = b * H;
        const dxr = (dGx >> 2) + 3 * r, dxz = dxr + H, dxn = dxz + H;
        const dhr = (dGh >> 2) + 3 * r, dhz = dhr + H, dhn = dhz + H;
        if (mask !== 0 && f[(mask >> 2) + b] === 0) {
          f.fill(0, dxr, dxr + 3 * H);
          f.fill(0, dhr, dhr + 3 * H);
          continue;
        }
        const xr = (gx >> 2) + 3 * r, xz = xr + H, xn = xz + H;
        const hn = (gh >> 2) + 3 * r + 2 * H;
        const dyr = (dy >> 2) + b * ldy, dho = (dh >> 2) + r, hp = (hPrev >> 2) + r;
        for (let j = 0; j < H; j++) {
          const d = f[dho + j]! + (dy !== 0 ? f[dyr + j]! : 0);
          const r1 = f[xr + j]!, z1 = f[xz + j]!, n1 = f[xn + j]!;
          const dnp = d * (1 - z1) * (1 - n1 * n1);
          const dzp = d * (f[hp + j]! - n1) * (z1 * (1 - z1));
          const drp = dnp * f[hn + j]! * (r1 * (1 - r1));
          f[dxr + j] = drp; f[dxz + j] = dzp; f[dxn + j] = dnp;
          f[dhr + j] = drp; f[dhz + j] = dzp; f[dhn + j] = dnp * r1;
          f[dho + j] = d * z1;
        }
      }
    },

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

/** A JS backend with its own heap. */
export function createJsBackend(maxBytes?: number): Backend {
  const heap = new Heap(arrayBufferMemory(1 << 20), 0, maxBytes);
  return { name: 'js', heap, k: jsKernels(heap) };
}
