// Naive float64 references for every kernel: obviously correct, slow.

export function gemmRef(tA: number, tB: number, M: number, N: number, K: number, alpha: number,
                        A: ArrayLike<number>, lda: number, B: ArrayLike<number>, ldb: number,
                        beta: number, C: ArrayLike<number>, ldc: number): { c: Float64Array; bound: Float64Array } {
  const c = Float64Array.from(C);
  const bound = new Float64Array(C.length);
  const u = 2 ** -24;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0, sa = 0;
      for (let k = 0; k < K; k++) {
        const a = tA ? A[k * lda + i]! : A[i * lda + k]!;
        const b = tB ? B[j * ldb + k]! : B[k * ldb + j]!;
        s += a * b;
        sa += Math.abs(a * b);
      }
      const old = C[i * ldc + j]!;
      const r = alpha * s + (beta === 0 ? 0 : beta * old);
      c[i * ldc + j] = r;
      // Forward error bound of an f32 dot product of length K, plus the α/β roundings.
      bound[i * ldc + j] = (K + 4) * u * (Math.abs(alpha) * sa + Math.abs(beta * old)) + 1e-30;
    }
  }
  return { c, bound };
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
export const relu = (x: number): number => (x > 0 ? x : Number.isNaN(x) ? x : 0);
