// int8 kernels: i8_quantize_rows and i8_gemm. Every backend gives the JS
// twin's bits (not within a tolerance: the same integers and the same f32
// operations); the quantization is the symmetric per-row one (checked
// against a float64 reference), and the product's error against the f32
// product stays within what the rounding of both operands allows.
import t from 'tap';
import { createBackend, type Backend } from '../../src/index.js';
import { packedSizeI8 } from '../../src/backend/kernels.js';
import { availableBackends, put } from '../helpers/backends.js';
import { rng, uniform } from '../helpers/rng.js';

const k8 = (K: number): number => (K + 7) & ~7;
const bytesOf = (be: Backend, p: number, n: number): Int8Array => be.heap.i8.slice(p, p + n);
const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));

/** Quantizes [rows, K] on a backend: the int8 bytes (stride ldq) and the scales. */
function quantize(be: Backend, x: Float32Array, rows: number, K: number, ldq: number, garbage = true): { q: Int8Array; s: Float32Array; Q: number; S: number } {
  const X = put(be, x), Q = be.heap.alloc(Math.ceil((rows * ldq) / 4) + 1), S = be.heap.alloc(rows);
  if (garbage) be.heap.i8.fill(0x5a, Q, Q + rows * ldq); // the tail must be written, not assumed
  be.k.i8_quantize_rows(rows, K, X, K, Q, ldq, S);
  return { q: bytesOf(be, Q, rows * ldq), s: be.heap.read(S, rows), Q, S };
}

t.test('i8_quantize_rows: symmetric per row, round half to even, tail zeroed; every backend equals the JS twin', async (t) => {
  const js = await createBackend('js');
  const r = rng(17);
  for (const [M, K] of [[1, 1], [1, 7], [3, 8], [5, 13], [4, 64], [2, 130], [1, 256]] as const) {
    const ldq = k8(K) + 8;
    const x = uniform(r, M * K, -3, 3);
    const ref = quantize(js, x, M, K, ldq);
    for (let m = 0; m < M; m++) {
      let amax = 0;
      for (let k = 0; k < K; k++) amax = Math.max(amax, Math.abs(x[m * K + k]!));
      t.equal(ref.s[m], Math.fround(amax / 127), `[${M},${K}] row ${m}: scale = max|x| / 127`);
      let worst = 0;
      for (let k = 0; k < K; k++) {
        const exact = (x[m * K + k]! * 127) / amax, q = ref.q[m * ldq + k]!;
        worst = Math.max(worst, Math.abs(q - exact));
      }
      t.ok(worst <= 0.5 + 1e-5, `[${M},${K}] row ${m}: every q within half a step of x / scale (worst ${worst.toFixed(6)})`);
      t.ok(ref.q.subarray(m * ldq + K, m * ldq + k8(K)).every((v) => v === 0), `[${M},${K}] row ${m}: the tail up to ⌈K/8⌉·8 is zero`);
    }
    for (const name of availableBackends()) {
      if (name === 'js') continue;
      const be = await createBackend(name);
      const got = quantize(be, x, M, K, ldq);
      // Compare the used bytes of each row (past k8(K) nothing is written).
      let bytesSame = true;
      for (let m = 0; m < M; m++) if (!same(got.q.subarray(m * ldq, m * ldq + k8(K)), ref.q.subarray(m * ldq, m * ldq + k8(K)))) bytesSame = false;
      t.ok(bytesSame, `${name} [${M},${K}]: the int8 rows equal the twin's`);
      t.ok(same(got.s, ref.s), `${name} [${M},${K}]: the scales too`);
    }
  }
});

t.test('i8_quantize_rows: ties, zero rows, NaN and ±∞', async (t) => {
  for (const name of availableBackends()) {
    const be = await createBackend(name);
    // amax 127 → inv 1: halves round to even.
    const ties = quantize(be, Float32Array.from([127, 2.5, -2.5, 3.5, -3.5, 0.5, -0.5, 1.5]), 1, 8, 8);
    t.same(Array.from(ties.q), [127, 2, -2, 4, -4, 0, -0, 2], `${name}: halves round to even`);
    const zero = quantize(be, new Float32Array(16), 2, 8, 8);
    t.same(Array.from(zero.s), [0, 0], `${name}: a zero row has scale 0`);
    t.ok(zero.q.every((v) => v === 0), `${name}: and q 0`);
    const bad = quantize(be, Float32Array.from([1, NaN, 2, 3, 0, 0, 0, 0, 1, Infinity, -2, 0, 0, 0, 0, 0]), 2, 8, 8);
    t.ok(Number.isNaN(bad.s[0]) && Number.isNaN(bad.s[1]), `${name}: a row with NaN or ∞ has a NaN scale (its outputs are NaN, not wrong numbers)`);
    t.ok(bad.q.every((v) => v === 0), `${name}: and q 0`);
  }
});

/** C = int8 product on a backend, from f32 A [M, K] and W [N, K]. */
function product(be: Backend, a: Float32Array, w: Float32Array, M: number, N: number, K: number, opts: { bias?: Float32Array; c0?: Float32Array } = {}): Float32Array {
  const ld = k8(K);
  const A = quantize(be, a, M, K, ld), W = quantize(be, w, N, K, ld + 8);
  const Wp = be.heap.alloc(Math.ceil(packedSizeI8(N, K) / 4));
  be.heap.i8.fill(0x33, Wp, Wp + packedSizeI8(N, K)); // every byte of the panels is written
  be.k.i8_pack_panels(N, K, W.Q, ld + 8, Wp);
  const C = put(be, opts.c0 ?? uniform(rng(3), M * N, -100, 100)); // garbage unless accumulating
  const bias = opts.bias ? put(be, opts.bias) : 0;
  be.k.i8_gemm(M, N, K, A.Q, ld, A.S, Wp, W.S, opts.c0 ? 1 : 0, C, N, bias);
  return be.heap.read(C, M * N);
}

t.test('i8_pack_panels + i8_gemm: every backend equals the JS twin bit for bit; the error against f32 is the rounding\'s', async (t) => {
  const js = await createBackend('js');
  const r = rng(29);
  // K = 65 800: past the rows the kernel widens in its scratch (K8 ≤ 65 792), the pairs are widened as read.
  for (const [M, N, K] of [[1, 1, 1], [1, 4, 8], [1, 512, 128], [3, 17, 13], [5, 7, 130], [32, 64, 64], [2, 1024, 256], [1, 6, 1000], [4, 33, 24], [3, 18, 65800]] as const) {
    const a = uniform(r, M * K, -2, 2), w = uniform(r, N * K, -0.5, 0.5), bias = uniform(r, N), c0 = uniform(r, M * N);
    for (const mode of ['plain', 'bias', 'bias + accumulate'] as const) {
      const opts = mode === 'plain' ? {} : mode === 'bias' ? { bias } : { bias, c0 };
      const ref = product(js, a, w, M, N, K, opts);
      // Against the f32 product: |error| ≤ ½·sa·Σ|w| + ½·sw·Σ|a| + ¼·sa·sw·K (+ f32 rounding).
      let worst = 0;
      for (let m = 0; m < M; m++) {
        let amax = 0;
        for (let k = 0; k < K; k++) amax = Math.max(amax, Math.abs(a[m * K + k]!));
        for (let n = 0; n < N; n++) {
          let wmax = 0, exact = 0, sa = 0, sw = 0;
          for (let k = 0; k < K; k++) wmax = Math.max(wmax, Math.abs(w[n * K + k]!));
          for (let k = 0; k < K; k++) { exact += a[m * K + k]! * w[n * K + k]!; sa += Math.abs(a[m * K + k]!); sw += Math.abs(w[n * K + k]!); }
          if (opts.bias) exact += bias[n]!;
          if (opts.c0) exact += c0[m * N + n]!;
          const qa = amax / 127, qw = wmax / 127;
          const bound = 0.5 * qa * sw + 0.5 * qw * sa + 0.25 * qa * qw * K + 1e-5 * (Math.abs(exact) + 1);
          worst = Math.max(worst, Math.abs(ref[m * N + n]! - exact) / bound);
        }
      }
      t.ok(worst <= 1, `[${M},${K}]×[${K},${N}] ${mode}: within the rounding bound (worst ${worst.toFixed(3)} of it)`);
      for (const name of availableBackends()) {
        if (name === 'js') continue;
        const be = await createBackend(name);
        t.ok(same(product(be, a, w, M, N, K, opts), ref), `${name} [${M},${K}]×[${K},${N}] ${mode}: the twin's bits`);
      }
    }
  }
});

t.test('i8_gemm: the dequantization is f32(Σ q·q) · (sa·sw), + bias, + C, in that order', async (t) => {
  for (const name of availableBackends()) {
    const be = await createBackend(name);
    // Hand-made int8 rows: A = [3, -2, 0 …], W rows [1, 1, 0 …] and [127, 127, 0 …].
    const Q = be.heap.alloc(2), W = be.heap.alloc(4), S = put(be, [0.5]), SW = put(be, [0.25, 1 / 3]), C = put(be, [10, 20]), bias = put(be, [1, -1]);
    be.heap.i8.fill(0, Q, Q + 8); be.heap.i8.fill(0, W, W + 16);
    be.heap.i8.set([3, -2], Q); be.heap.i8.set([1, 1], W); be.heap.i8.set([127, 127], W + 8);
    const Wp = be.heap.alloc(packedSizeI8(2, 2) / 4);
    be.k.i8_pack_panels(2, 2, W, 8, Wp);
    t.same(Array.from(be.heap.i8.subarray(Wp, Wp + packedSizeI8(2, 2))), [1, 1, 127, 127, ...new Array(124).fill(0)],
      `${name}: a panel holds, pair of k by pair, the 16 columns' two bytes; missing columns and k are zero`);
    be.k.i8_gemm(1, 2, 2, Q, 8, S, Wp, SW, 1, C, 2, bias);
    const f = Math.fround;
    const want = [f(f(f(f(1) * f(f(0.5) * f(0.25))) + 1) + 10), f(f(f(f(127) * f(f(0.5) * f(1 / 3))) - 1) + 20)];
    t.same(Array.from(be.heap.read(C, 2)), want, `${name}: ${want.join(', ')}`);
  }
});
