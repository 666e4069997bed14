// One test body, every backend: js, wasm (scalar), wasm-simd, and
// wasm-relaxed where the runtime validates it (tap passes
// --experimental-wasm-relaxed-simd, so on Node 20 it runs too).
import type { Test } from 'tap';
import { createBackend, detectFeatures, packedSize, type Backend, type BackendName, type Kernels } from '../../src/index.js';
import { rng } from './rng.js';
import type { ThreadPool } from '../../src/backend/threads.js';

export function availableBackends(): BackendName[] {
  const f = detectFeatures();
  const names: BackendName[] = ['js'];
  if (f.wasm) names.push('wasm');
  if (f.simd) names.push('wasm-simd');
  if (f.relaxedSimd) names.push('wasm-relaxed');
  return names;
}

export async function forEachBackend(t: Test, body: (t: Test, be: Backend) => void | Promise<void>): Promise<void> {
  for (const name of availableBackends()) {
    const be = await createBackend(name);
    await t.test(name, async (tt) => { await body(tt, be); });
  }
}

/** A threaded backend's pool, with the members tests reach (hold, kill, run, taken, …). */
export const poolOf = (b: Backend): ThreadPool => b.pool as unknown as ThreadPool;

/** f32_gemm_packed_bias's arguments for C [M, N] = A [M, K] · W [K, N] (packed) + bias, seeded on b's heap (C at `C`, or new). */
export function packedCase(b: Backend, seed: number, M: number, N: number, K: number, C?: number): number[] {
  const r = rng(seed), h = b.heap, put = (n: number): number => { const p = h.alloc(n); h.write(p, Float32Array.from({ length: n }, () => 2 * r() - 1)); return p; };
  const A = put(M * K), W = put(K * N), bias = put(N), Bp = h.alloc(packedSize(K, N));
  b.k.f32_pack_b(0, K, N, W, N, Bp);
  return [0, M, N, K, 1, A, K, Bp, 0, C ?? h.alloc(M * N), N, bias];
}

/** Runs a packedCase on x (one call) and reads its C. */
export function packedOut(x: Backend, a: number[]): Float32Array {
  x.k.f32_gemm_packed_bias(...(a as Parameters<Kernels['f32_gemm_packed_bias']>));
  return x.heap.read(a[9]!, a[1]! * a[2]!);
}

/** Copies an array into the backend's heap; returns its pointer. */
export function put(be: Backend, a: ArrayLike<number>): number {
  const p = be.heap.alloc(a.length);
  be.heap.write(p, a);
  return p;
}

export function get(be: Backend, p: number, n: number): Float32Array {
  return be.heap.read(p, n);
}

/**
 * Largest violation of |got − want| ≤ atol + rtol·|want| (≤ 0 means all
 * within). NaN must match NaN and ±Inf must match exactly.
 */
export function worst(got: ArrayLike<number>, want: ArrayLike<number>, atol: number | ArrayLike<number>, rtol = 0): { excess: number; index: number; got: number; want: number } {
  let excess = -Infinity, index = -1;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    let e: number;
    if (Number.isNaN(w) || Number.isNaN(g)) e = Number.isNaN(w) && Number.isNaN(g) ? -1 : Infinity;
    else if (!Number.isFinite(w) || !Number.isFinite(g)) e = g === w ? -1 : Infinity;
    else {
      const a = typeof atol === 'number' ? atol : atol[i]!;
      e = Math.abs(g - w) - (a + rtol * Math.abs(w));
    }
    if (e > excess) { excess = e; index = i; }
  }
  return { excess, index, got: got[index] ?? NaN, want: want[index] ?? NaN };
}

/** Asserts every element within tolerance, with one informative message. */
export function close(t: Test, got: ArrayLike<number>, want: ArrayLike<number>, atol: number | ArrayLike<number>, rtol: number, msg: string): void {
  t.equal(got.length, want.length, `${msg}: length`);
  const w = worst(got, want, atol, rtol);
  t.ok(w.excess <= 0, `${msg}: worst at [${w.index}] got ${w.got}, want ${w.want}`);
}
