// Pieces claimed one at a time (claimed.ts, worker.ts: runClaimed) and how a
// step program's rows are cut into them (steps.ts: pieces4). Which thread
// runs a piece changes no bit (threads.test.ts checks the layers); here: each
// piece runs once whatever the interleaving, the cuts are what they say, and
// a call that does not fit the area is refused.
import t from 'tap';
import { createBackend, type Backend } from '../../src/index.js';
import { runClaimed, MAX_CLAIMED, CLAIMED_ARGS, MAX_PROGS, progsOf } from '../../src/backend/worker.js';
import { KERNEL_NAMES } from '../../src/backend/kernel_args.js';
import { claimedParts, CLAIM_PARTS } from '../../src/backend/claimed.js';
import { pieces4 } from '../../src/backend/steps.js';
import { poolOf } from '../helpers/backends.js';

t.test('pieces4: from 0 to ⌊B/4⌋, each piece a thread\'s share of what is left, at most `most` of them', async (t) => {
  t.same(pieces4(32, 2), [0, 4, 6, 7, 8], 'B = 32 on 2 threads: 16, 8, 4 and 4 rows');
  t.same(pieces4(16, 2), [0, 2, 3, 4], 'B = 16: 8, 4, 4');
  t.same(pieces4(35, 2), [0, 4, 6, 7, 8], 'B = 35: the last piece also takes the 3 rows left');
  for (const [B, n, most] of [[8, 2, 16], [17, 3, 16], [64, 4, 16], [256, 4, 16], [1000, 8, 16], [4096, 64, 64], [100, 2, 3], [1 << 16, 2, 16]]) {
    const at = pieces4(B!, n!, most!), units = Math.floor(B! / 4);
    t.ok(at[0] === 0 && at[at.length - 1] === units, `B = ${B}, ${n} threads: from 0 to ${units} (${at.join(',')})`);
    t.ok(at.every((u, i) => i === 0 || u > at[i - 1]!), 'every piece has rows');
    t.ok(at.length - 1 <= most!, `at most ${most} pieces (${at.length - 1})`);
    // Each piece is at most a thread's share of the units left when it is cut (so the first are the largest).
    t.ok(at.every((u, i) => i === 0 || u - at[i - 1]! <= Math.max(2 * Math.ceil(units / most!), Math.floor((units - at[i - 1]!) / n!), 1)),
      'no piece over a thread\'s share of what was left (or the least piece that fits the count)');
  }
  t.equal(progsOf(2), MAX_PROGS, 'programs of a pool: MAX_PROGS');
  t.equal(progsOf(40), 40, 'or one a thread, when there are more threads');
});

t.test('runClaimed: every piece runs once, in claim order, however the claims of several threads interleave', async (t) => {
  const C = 9, m = 3, f64 = new Float64Array(2 + C * m), i32 = new Int32Array(new SharedArrayBuffer(4 * (2 + C)));
  for (let i = 0; i < C; i++) for (let j = 0; j < m; j++) f64[2 + i * m + j] = 10 * i + j;
  const ran: number[] = [], by: string[] = [];
  // "Thread" A runs a piece; while it does, B and then C claim and run theirs (nested: another thread's claims in the middle).
  const args = [[0], [0], [0]].map(() => new Array<number>(CLAIMED_ARGS).fill(0));
  let depth = 0;
  const piece = (who: string) => (x: number, y: number, z: number): void => {
    t.equal(y, x + 1, 'the piece\'s own arguments');
    t.equal(z, x + 2);
    ran.push(x / 10);
    by.push(who);
    if (depth < 2 && ran.length % 3 === 1) { depth++; runClaimed(piece(depth === 1 ? 'B' : 'C'), f64, i32, 0, 2, C, m, args[depth]!); depth--; }
  };
  runClaimed(piece('A'), f64, i32, 0, 2, C, m, args[0]!);
  t.same([...ran].sort((a, b) => a - b), Array.from({ length: C }, (_, i) => i), 'each of the 9 pieces once');
  t.same(ran, Array.from({ length: C }, (_, i) => i), 'in the order claimed');
  t.ok(by.includes('A') && by.includes('B') && by.includes('C'), `three claimers ran pieces (${by.join('')})`);
  t.ok(i32[0]! >= C, 'the counter is past the last piece');
  t.same([...i32.subarray(2)], new Array<number>(C).fill(1), 'and every piece says it is done (its flag at counter + 2 + i)');
  const none: number[] = [];
  runClaimed((x) => { none.push(x); }, f64, i32, 0, 2, C, m, args[0]!);
  t.same(none, [], 'a thread that comes after every piece is claimed runs nothing');
});

t.test('claimed pieces on a pool: every piece\'s result (worker held or not); a call larger than the area is refused', async (t) => {
  const be = await createBackend('wasm-simd', { threads: 2, debug: false }), pool = poolOf(be), h = be.heap;
  const claimed = claimedParts(pool, h);
  // Pieces of f32_fill (n, value, ptr): piece i fills 16 floats with i + 1, each at its own place.
  const C = 40, out = h.zeros(C * 16);
  const pieces = Array.from({ length: C }, (_, i) => [16, i + 1, out + 64 * i]);
  const fill = be.k.f32_fill as unknown as (...a: number[]) => unknown;
  const index = KERNEL_NAMES.indexOf('f32_fill');
  const want = Float32Array.from({ length: C * 16 }, (_, i) => Math.floor(i / 16) + 1);
  for (const held of [true, false]) {
    h.write(out, new Float32Array(C * 16));
    pool.hold(1, held);
    claimed(index, fill, pieces, C);
    t.same(Array.from(h.read(out, C * 16)), Array.from(want), held ? 'the worker held: every piece, on the calling thread' : 'both threads: every piece');
  }
  t.throws(() => claimed(index, fill, Array.from({ length: MAX_CLAIMED + 1 }, () => [1, 0, out]), MAX_CLAIMED + 1), { name: 'RangeError', message: /65 pieces of 3 arguments, more than the area holds \(64 of 18\)/ });
  t.throws(() => claimed(index, fill, [new Array(CLAIMED_ARGS + 1).fill(0)], 1), { name: 'RangeError', message: /1 pieces of 19 arguments/ });
  await pool.stop();
});

t.test('a held worker and large calls cut in claimed pieces: the calling thread runs them all, one thread\'s bits, no wait, never "late"', async (t) => {
  const one = await createBackend('wasm-simd'), be = await createBackend('wasm-simd', { threads: 3 });
  const pool = poolOf(be), inner = pool as unknown as { late: number };
  // (5 Mflop: over the work of a call cut in claimed pieces.)
  const M = 128, N = 128, K = 160, r = (n: number, s: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(s + i));
  const gemm = (x: Backend): Float32Array => {
    const h = x.heap, A = h.alloc(M * K), B = h.alloc(K * N), C = h.alloc(M * N);
    h.write(A, r(M * K, 1)); h.write(B, r(K * N, 2));
    x.k.f32_gemm(0, 0, M, N, K, 1, A, K, B, N, 0, C, N);
    const out = h.read(C, M * N);
    h.free(A); h.free(B); h.free(C);
    return out;
  };
  const want = gemm(one);
  pool.hold(2, true);
  const taken = pool.taken, t0 = Date.now();
  let all = true;
  for (let i = 0; i < 20; i++) all &&= Array.from(gemm(be)).every((v, j) => Object.is(v, want[j]));
  t.ok(all, 'twenty calls with thread 2 held: one thread\'s bits');
  t.ok(pool.taken >= taken + 20, `the held worker's part taken each time (${pool.taken - taken}), its pieces run by the others`);
  t.ok(Date.now() - t0 < 60_000, 'never waited out the timeout');
  t.equal(inner.late, 0, 'not counted late: a late worker of claimed pieces runs fewer of them, it holds nothing up');
  pool.hold(2, false);
  let claimed = false;
  for (let i = 0; i < 200 && !claimed; i++) {
    const before = pool.taken;
    all &&= Array.from(gemm(be)).every((v, j) => Object.is(v, want[j]));
    claimed = pool.taken === before;
    if (!claimed) await new Promise((res) => setTimeout(res, 5));
  }
  t.ok(all && claimed, 'released: it claims again, the same bits');
  await pool.stop();
});

t.test('which calls are cut in claimed pieces: large ones (≥ 16 × the least work cut), not a batch-1 step product', async (t) => {
  const be = await createBackend('wasm-simd', { threads: 2, debug: false }), pool = poolOf(be), h = be.heap;
  const seen: [number, boolean][] = [], run = pool.run.bind(pool);
  pool.run = (kernel, fn, parts, count, claimed = false) => { seen.push([kernel, claimed]); run(kernel, fn, parts, count, claimed); };
  const gemm = (M: number, N: number, K: number): [number, boolean] => {
    seen.length = 0;
    be.k.f32_gemm(0, 0, M, N, K, 1, h.alloc(M * K), K, h.alloc(K * N), N, 0, h.alloc(M * N), N);
    t.equal(seen.length, 1, 'one run a call');
    return seen[0]!;
  };
  t.same(gemm(64, 96, 80), [KERNEL_NAMES.indexOf('f32_gemm'), false], '1 Mflop: one part a thread');
  t.same(gemm(128, 128, 160), [CLAIM_PARTS, true], '5 Mflop: claimed pieces');
  t.same(gemm(1, 1024, 256), [KERNEL_NAMES.indexOf('f32_gemm'), false], 'a batch-1 step product (H = 256): one part a thread');
  seen.length = 0;
  const n = 1 << 18, p = h.alloc(n);
  be.k.f32_fill(n, 1, p);
  t.same(seen, [], 'a kernel the pool does not cut: not run on it');
  await pool.stop();
});
