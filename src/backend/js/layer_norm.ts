// The JS twin of assembly/layer_norm.ts: rows normalized in place, and the
// backward row the layer-normalized cells share.
import type { Kernels } from '../backend.js';
import type { Heap } from '../heap.js';

/** Mean of n floats at float index x. */
export function rowMean(f: Float32Array, n: number, x: number): number {
  let s = 0;
  for (let j = 0; j < n; j++) s += f[x + j]!;
  return s / n;
}

/** 1/√(mean((x − μ)²) + ε), two passes as in the kernel. */
export function rowRstd(f: Float32Array, n: number, x: number, mu: number, eps: number): number {
  let s = 0;
  for (let j = 0; j < n; j++) { const d = f[x + j]! - mu; s += d * d; }
  return 1 / Math.sqrt(s / n + eps);
}

/**
 * Backward of a row of a = γ ⊙ x̂ + β (+ bias) given dA (float indices):
 * dγ += dA ⊙ x̂, dβ += dA, dbias += dA (−1 = none);
 * out = rstd · (u − mean(u) − x̂ · mean(u ⊙ x̂)), u = γ ⊙ dA (out may be dA).
 */
export function lnBackwardRow(f: Float32Array, n: number, dA: number, out: number, xhat: number, gamma: number, rstd: number,
                              dgamma: number, dbeta: number, dbias: number): void {
  let s1 = 0, s2 = 0;
  for (let j = 0; j < n; j++) {
    const d = f[dA + j]!, xh = f[xhat + j]!;
    f[dgamma + j] = f[dgamma + j]! + d * xh;
    f[dbeta + j] = f[dbeta + j]! + d;
    if (dbias >= 0) f[dbias + j] = f[dbias + j]! + d;
    const u = f[gamma + j]! * d;
    s1 += u;
    s2 += u * xh;
  }
  const m1 = s1 / n, m2 = s2 / n;
  for (let j = 0; j < n; j++) f[out + j] = rstd * (f[gamma + j]! * f[dA + j]! - m1 - f[xhat + j]! * m2);
}

export function layerNormKernels(heap: Heap): Pick<Kernels, 'f32_layer_norm_rows'> {
  return {
    f32_layer_norm_rows(rows, n, eps, x, rstd) {
      const f = heap.f32;
      for (let r = 0; r < rows; r++) {
        const xr = (x >> 2) + r * n;
        const mu = rowMean(f, n, xr), rs = rowRstd(f, n, xr, mu, Math.fround(eps));
        f[(rstd >> 2) + r] = rs;
        const rs32 = f[(rstd >> 2) + r]!;
        for (let j = 0; j < n; j++) f[xr + j] = (f[xr + j]! - mu) * rs32;
      }
    },
  };
}
