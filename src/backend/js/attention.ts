// The JS twins of assembly/attention.ts: the same layouts, passes and f64 softmax.
import type { Kernels } from '../backend.js';
import type { Heap } from '../heap.js';

type AttentionKernels = 'f32_attn_dot_fwd' | 'f32_attn_dot_bwd' | 'f32_attn_additive_fwd' | 'f32_attn_additive_bwd' | 'f32_log_softmax_rows';

// alpha (scores in, weights out) at float index ar; ctx at cr; keys [S, Bk, K] at float index kk.
function softmaxContext(f: Float32Array, S: number, K: number, Bk: number, b: number, kk: number, mk: number, ar: number, cr: number): void {
  let m = -Infinity;
  for (let j = 0; j < S; j++) if (f[mk + j * Bk + b] !== 0) m = Math.max(m, f[ar + j]!);
  f.fill(0, cr, cr + K);
  if (m === -Infinity) { f.fill(0, ar, ar + S); return; }
  let z = 0;
  for (let j = 0; j < S; j++) {
    const e = f[mk + j * Bk + b] !== 0 ? Math.exp(f[ar + j]! - m) : 0;
    f[ar + j] = e;
    z += e;
  }
  for (let j = 0; j < S; j++) {
    f[ar + j] = f[ar + j]! / z;
    const a = f[ar + j]!;
    if (a === 0) continue;
    const kj = kk + (j * Bk + b) * K;
    for (let i = 0; i < K; i++) f[cr + i] = f[cr + i]! + a * f[kj + i]!;
  }
}

function scoreGrad(f: Float32Array, S: number, K: number, Bk: number, b: number, kk: number, ar: number, dcr: number, de: number): void {
  let s = 0;
  for (let j = 0; j < S; j++) {
    const a = f[ar + j]!;
    let da = 0;
    if (a !== 0) { const kj = kk + (j * Bk + b) * K; for (let i = 0; i < K; i++) da += f[dcr + i]! * f[kj + i]!; }
    f[de + j] = da;
    s += a * f[de + j]!;
  }
  for (let j = 0; j < S; j++) f[de + j] = f[ar + j]! * (f[de + j]! - s);
}

export function attentionKernels(heap: Heap): Pick<Kernels, AttentionKernels> {
  return {
    f32_attn_dot_fwd(R, S, K, group, q, keys, mask, alpha, ctx) {
      const f = heap.f32, Bk = R / group, kk = keys >> 2, mk = mask >> 2;
      for (let r = 0; r < R; r++) {
        const b = Math.floor(r / group), qr = (q >> 2) + r * K, ar = (alpha >> 2) + r * S;
        for (let j = 0; j < S; j++) {
          const kj = kk + (j * Bk + b) * K;
          let s = 0;
          for (let i = 0; i < K; i++) s += f[qr + i]! * f[kj + i]!;
          f[ar + j] = s;
        }
        softmaxContext(f, S, K, Bk, b, kk, mk, ar, (ctx >> 2) + r * K);
      }
    },
    f32_attn_dot_bwd(R, S, K, group, q, keys, alpha, dctx, dq, dkeys, de) {
      const f = heap.f32, Bk = R / group, kk = keys >> 2, dk = dkeys >> 2, D = de >> 2;
      for (let r = 0; r < R; r++) {
        const b = Math.floor(r / group), qr = (q >> 2) + r * K, ar = (alpha >> 2) + r * S, dcr = (dctx >> 2) + r * K, dqr = (dq >> 2) + r * K;
        scoreGrad(f, S, K, Bk, b, kk, ar, dcr, D);
        f.fill(0, dqr, dqr + K);
        for (let j = 0; j < S; j++) {
          const a = f[ar + j]!;
          if (a === 0) continue;
          const kj = kk + (j * Bk + b) * K, dkj = dk + (j * Bk + b) * K, e = f[D + j]!;
          for (let i = 0; i < K; i++) {
            f[dqr + i] = f[dqr + i]! + e * f[kj + i]!;
            f[dkj + i] = f[dkj + i]! + a * f[dcr + i]!;
            f[dkj + i] = f[dkj + i]! + e * f[qr + i]!;
          }
        }
      }
    },
    f32_attn_additive_fwd(R, S, A, K, group, u, P, v, keys, mask, alpha, ctx) {
      const f = heap.f32, Bk = R / group, kk = keys >> 2, mk = mask >> 2, V = v >> 2;
      for (let r = 0; r < R; r++) {
        const b = Math.floor(r / group), ur = (u >> 2) + r * A, ar = (alpha >> 2) + r * S;
        for (let j = 0; j < S; j++) {
          let e = 0;
          if (f[mk + j * Bk + b] !== 0) {
            const pj = (P >> 2) + (j * Bk + b) * A;
            for (let a = 0; a < A; a++) e += f[V + a]! * Math.fround(Math.tanh(f[ur + a]! + f[pj + a]!));
          }
          f[ar + j] = e;
        }
        softmaxContext(f, S, K, Bk, b, kk, mk, ar, (ctx >> 2) + r * K);
      }
    },
    f32_attn_additive_bwd(R, S, A, K, group, u, P, v, keys, alpha, dctx, du, dP, dv, dkeys, de) {
      const f = heap.f32, Bk = R / group, kk = keys >> 2, dk = dkeys >> 2, D = de >> 2, V = v >> 2, DV = dv >> 2;
      for (let r = 0; r < R; r++) {
        const b = Math.floor(r / group), ur = (u >> 2) + r * A, ar = (alpha >> 2) + r * S, dcr = (dctx >> 2) + r * K, dur = (du >> 2) + r * A;
        scoreGrad(f, S, K, Bk, b, kk, ar, dcr, D);
        f.fill(0, dur, dur + A);
        for (let j = 0; j < S; j++) {
          const al = f[ar + j]!;
          if (al === 0) continue;
          const e = f[D + j]!, pj = (P >> 2) + (j * Bk + b) * A, dpj = (dP >> 2) + (j * Bk + b) * A, dkj = dk + (j * Bk + b) * K;
          for (let i = 0; i < K; i++) f[dkj + i] = f[dkj + i]! + al * f[dcr + i]!;
          for (let a = 0; a < A; a++) {
            const th = Math.fround(Math.tanh(f[ur + a]! + f[pj + a]!));
            f[DV + a] = f[DV + a]! + e * th;
            const dz = e * f[V + a]! * (1 - th * th);
            f[dur + a] = f[dur + a]! + dz;
            f[dpj + a] = f[dpj + a]! + dz;
          }
        }
      }
    },
    f32_log_softmax_rows(rows, n, x, y) {
      const f = heap.f32;
      for (let r = 0; r < rows; r++) {
        const xr = (x >> 2) + r * n, yr = (y >> 2) + r * n;
        let m = -Infinity;
        for (let c = 0; c < n; c++) m = Math.max(m, f[xr + c]!);
        let z = 0;
        for (let c = 0; c < n; c++) z += Math.exp(f[xr + c]! - m);
        const lse = m + Math.log(z);
        for (let c = 0; c < n; c++) f[yr + c] = f[xr + c]! - lse;
      }
    },
  };
}
