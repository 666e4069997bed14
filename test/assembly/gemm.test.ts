// f32_gemm on every backend against a float64 reference, for every
// transpose pair, β ∈ {0, 1} (and a general α, β), leading dimensions wider
// than the matrix, and the sizes where register tiles and blocks have
// remainders. Tolerance: the forward error bound of an f32 dot product,
// (K+4)·2⁻²⁴·(|α|·Σ|a·b| + |β·c|), per element.
import t from 'tap';
import { forEachBackend, put, get, worst } from '../helpers/backends.js';
import { gemmRef } from '../helpers/ref.js';
import { rng, uniform } from '../helpers/rng.js';
import type { Test } from "tap";
import { packedSize, type Backend } from '../../src/index.js';

const SIZES = [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 127, 257];

function shapes(): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (const s of SIZES) {
    out.push([s, 17, 9], [5, s, 3], [7, 6, s]);
    if (s <= 65) out.push([s, s, s]);
  }
  // Past the K block (256) and the N block (512) of the SIMD kernel, with and
  // without packed B panels (M ≥ 64) and packed A tiles (M ≥ 4), and the
  // batch-1 recurrent shape.
  out.push([9, 1030, 300], [3, 520, 5], [1, 512, 128], [32, 512, 128], [40, 70, 300], [21, 1030, 260], [70, 9, 520], [66, 530, 270]);
  return out;
}

function check(t: Test, be: Backend, tA: number, tB: number, M: number, N: number, K: number,
               alpha: number, beta: number, seed: number, pad: number, packed = false): boolean {
  const r = rng(seed);
  const lda = (tA ? M : K) + pad, ldb = (tB ? K : N) + pad, ldc = N + pad;
  const A = uniform(r, (tA ? K : M) * lda), B = uniform(r, (tB ? N : K) * ldb), C = uniform(r, M * ldc);
  if (beta === 0) for (let i = 0; i < C.length; i += 7) C[i] = NaN; // β = 0 must not read C
  const pa = put(be, A), pb = put(be, B), pc = put(be, C);
  let pp = 0, pbias = 0;
  // f32_gemm_packed_bias adds a bias row when given one (every other case).
  const bias = packed && seed % 4 < 2 ? uniform(r, N) : null;
  if (packed) {
    pp = be.heap.alloc(packedSize(K, N));
    if (bias) pbias = put(be, bias);
    be.k.f32_pack_b(tB, K, N, pb, ldb, pp);
    be.k.f32_gemm_packed_bias(tA, M, N, K, alpha, pa, lda, pp, beta, pc, ldc, pbias);
  } else {
    be.k.f32_gemm(tA, tB, M, N, K, alpha, pa, lda, pb, ldb, beta, pc, ldc);
  }
  const got = get(be, pc, C.length);
  const want = gemmRef(tA, tB, M, N, K, Math.fround(alpha), A, lda, B, ldb, Math.fround(beta), C, ldc);
  if (bias) {
    // One more f32 rounding: the add of the bias.
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        const o = i * ldc + j;
        want.bound[o] += 2 ** -24 * (Math.abs(want.c[o]!) + Math.abs(bias[j]!));
        want.c[o] += bias[j]!;
      }
    }
  }
  // Elements of C outside the M×N block must come back untouched (NaN included).
  for (let i = 0; i < M; i++) for (let j = N; j < ldc; j++) want.c[i * ldc + j] = C[i * ldc + j]!;
  be.heap.free(pa); be.heap.free(pb); be.heap.free(pc); be.heap.free(pp);
  if (pbias) be.heap.free(pbias);
  const w = worst(got, want.c, want.bound);
  const ok = w.excess <= 0;
  if (!ok) {
    t.fail(`gemm${packed ? '_pb' : ''} ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'} M=${M} N=${N} K=${K} α=${alpha} β=${beta} pad=${pad}${bias ? ' +bias' : ''}: ` +
      `[${w.index}] got ${w.got}, want ${w.want}`);
  }
  return ok;
}

t.test('f32_gemm matches the float64 reference', async (t) => {
  await forEachBackend(t, (t, be) => {
    let n = 0, bad = 0, seed = 1;
    for (const [M, N, K] of shapes()) {
      for (const tA of [0, 1]) {
        for (const tB of [0, 1]) {
          for (const [alpha, beta] of [[1, 0], [1, 1], [-0.5, 0.25]] as const) {
            const pad = (seed % 3) * 3; // 0, 3 or 6 extra columns in every leading dimension
            if (!check(t, be, tA, tB, M, N, K, alpha, beta, seed++, pad)) bad++;
            n++;
          }
        }
      }
    }
    t.equal(bad, 0, `${n} products within the f32 error bound`);
  });
});

t.test('f32_pack_b + f32_gemm_packed_bias match the float64 reference', async (t) => {
  await forEachBackend(t, (t, be) => {
    let n = 0, bad = 0, seed = 5000;
    for (const [M, N, K] of shapes()) {
      for (const tA of [0, 1]) {
        for (const tB of [0, 1]) {
          const [alpha, beta] = seed % 2 ? [1, 0] : [-0.5, 0.25];
          if (!check(t, be, tA, tB, M, N, K, alpha, beta, seed++, seed % 3, true)) bad++;
          n++;
        }
      }
    }
    t.equal(bad, 0, `${n} packed products within the f32 error bound`);
  });
});

t.test('f32_gemm degenerate sizes', async (t) => {
  await forEachBackend(t, (t, be) => {
    const C = new Float32Array([1, 2, 3, 4]);
    const pc = put(be, C), pa = put(be, [1, 1]), pb = put(be, [1, 1]);
    be.k.f32_gemm(0, 0, 2, 2, 0, 1, pa, 1, pb, 2, 2, pc, 2); // K = 0: C = β·C
    t.same(Array.from(get(be, pc, 4)), [2, 4, 6, 8], 'K = 0 scales C by β');
    be.k.f32_gemm(0, 0, 2, 2, 0, 1, pa, 1, pb, 2, 0, pc, 2);
    t.same(Array.from(get(be, pc, 4)), [0, 0, 0, 0], 'K = 0, β = 0 zeroes C');
    be.heap.write(pc, [5, 6, 7, 8]);
    be.k.f32_gemm(0, 0, 0, 2, 2, 1, pa, 2, pb, 2, 0, pc, 2); // M = 0: nothing
    be.k.f32_gemm(0, 0, 2, 0, 2, 1, pa, 2, pb, 2, 0, pc, 2); // N = 0: nothing
    t.same(Array.from(get(be, pc, 4)), [5, 6, 7, 8], 'M = 0 or N = 0 leaves C alone');
    const pp = be.heap.alloc(packedSize(0, 2)), pbias = put(be, [10, 20]);
    be.k.f32_gemm_packed_bias(0, 2, 2, 0, 1, pa, 1, pp, 0, pc, 2, pbias); // K = 0 with a bias: C = bias rows
    t.same(Array.from(get(be, pc, 4)), [10, 20, 10, 20], 'K = 0, β = 0 with a bias gives the bias rows');
    be.k.f32_gemm_packed_bias(0, 2, 2, 0, 1, pa, 1, pp, 0.5, pc, 2, pbias);
    t.same(Array.from(get(be, pc, 4)), [15, 30, 15, 30], 'K = 0: β·C + bias');
  });
});
