// A product in the background in pieces (background.ts): the calling thread
// asks for rows step by step (need), in the order a recurrent layer reads
// them (the first rows first, or the last ones in the reverse direction);
// every row it was told is done equals one call's, whoever ran its piece.
import t, { type Test } from 'tap';
import { createBackend, type Backend } from '../../src/index.js';
import { poolOf, packedCase, packedOut } from '../helpers/backends.js';

const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));

/**
 * Walks the steps of B rows of a product started with startRows (forward
 * or `last`), as a layer does: need() at the first step past what is known
 * done, then checks every step's rows against `want`. The bounds need()
 * returned.
 */
function walk(t: Test, be: Backend, a: number[], want: Float32Array, B: number, last: boolean, what: string): number[] {
  const pool = be.pool!, M = a[1]!, N = a[2]!, T = Math.ceil(M / B);
  const rows = pool.startRows(be.k, a, last)!;
  const bounds: number[] = [];
  let at = last ? T - Math.ceil(rows[0] / B) : Math.floor(rows[1] / B), bad = -1;
  for (let s = 0; s < T; s++) {
    const st = last ? T - 1 - s : s, lo = st * B, hi = Math.min(M, (st + 1) * B);
    if (s === at) {
      const r = pool.need(lo, hi);
      bounds.push(r);
      at = r < 0 ? -1 : last ? T - Math.ceil(r / B) : Math.floor(r / B);
      if (at !== -1 && at <= s) { t.fail(`${what}: need() at step ${s} returned ${r}, no progress`); break; }
    }
    if (bad < 0 && !same(be.heap.read(a[9]! + 4 * lo * N, (hi - lo) * N), want.subarray(lo * N, hi * N))) bad = s;
  }
  t.equal(bad, -1, `${what}: every step's rows are one call's when the walk reads them`);
  pool.settle();
  t.ok(same(be.heap.read(a[9]!, M * N), want), `${what}: every row after settle()`);
  return bounds;
}

t.test('need(): rows step by step in the order a layer reads them, one call\'s bits, on 2 and 3 threads', async (t) => {
  const one = await createBackend('wasm-simd', { debug: false });
  for (const n of [2, 3]) {
    const be = await createBackend('wasm-simd', { threads: n, debug: false });
    for (const [M, N, K] of [[100, 512, 64], [203, 64, 128], [640, 96, 40]] as const) {
      for (const B of [1, 3, 32]) {
        for (const last of [false, true]) {
          const want = packedOut(one, packedCase(one, M + K + B, M, N, K));
          const bounds = walk(t, be, packedCase(be, M + K + B, M, N, K), want, B, last, `${n} threads [${M},${K}]x[${K},${N}], steps of ${B}, ${last ? 'last rows first' : 'first rows first'}`);
          t.ok(bounds.length === 0 || bounds.at(-1) === -1, 'the last need() says every row is done');
        }
      }
    }
    t.equal(be.pool!.need(0, 4), -1, 'nothing started: −1 at once');
    void be.pool!.stop();
  }
});

t.test('need() with the worker held: this thread claims and runs the pieces it needs; the held worker\'s part runs at settle(), nothing left in it', async (t) => {
  const one = await createBackend('wasm-simd', { debug: false });
  const be = await createBackend('wasm-simd', { threads: 2, debug: false }), pool = poolOf(be);
  const M = 400, N = 128, K = 64, want = packedOut(one, packedCase(one, 9, M, N, K));
  for (const last of [false, true]) {
    const a = packedCase(be, 9, M, N, K);
    pool.hold(1, true);
    const taken = pool.taken;
    const bounds = walk(t, be, a, want, 8, last, `held worker, ${last ? 'last' : 'first'} rows first`);
    t.ok(bounds.length > 2, `need() went piece by piece (${bounds.length} calls: ${bounds.join(', ')})`);
    t.equal(pool.taken, taken + 1, 'settle() ran the held worker\'s part here (its claim loop: nothing left)');
    pool.hold(1, false);
  }
  void pool.stop();
});

t.test('a piece that traps where need() runs it: THREAD_FAILED, and the pool goes on', async (t) => {
  const be = await createBackend('wasm-simd', { threads: 2, debug: false }), pool = poolOf(be), h = be.heap;
  const M = 256, N = 256, K = 64;
  pool.hold(1, true);
  // C's rows past 32 are past the end of memory: this thread's share is in bounds, the pieces are not.
  pool.share = 0.1;
  const a = packedCase(be, 3, M, N, K, h.f32.length * 4 - 4 * 32 * N);
  const rows = pool.startRows(be.k, a, false)!;
  t.ok(rows && rows[1] <= 32, `started: this thread's rows [${rows[0]}, ${rows[1]}) are in bounds`);
  t.throws(() => pool.need(rows[1], rows[1] + 4), { code: 'THREAD_FAILED', message: /threads: f32_gemm_packed_bias failed \(memory access out of bounds\); the pool goes on/ });
  pool.hold(1, false);
  t.equal(pool.size, 2, 'still two threads');
  t.equal(pool.need(0, 4), -1, 'nothing is left pending');
  const one = await createBackend('wasm-simd', { debug: false }), want = packedOut(one, packedCase(one, 4, M, N, K));
  const b = packedCase(be, 4, M, N, K);
  walk(t, be, b, want, 4, false, 'the next product');
  void pool.stop();
});
