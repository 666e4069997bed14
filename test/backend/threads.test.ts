// Threads: the threaded SIMD build and its pool. Large kernel calls are split
// across threads where every output element keeps the arithmetic of one call,
// so every thread count gives the bits one thread gives; small calls stay on
// the calling thread. Faults: a worker that traps or dies gives THREAD_FAILED
// and the library goes on; an idle pool never holds the process.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  init, threads, dispose, createBackend, getBackend, detectFeatures, tensor, LSTM, GRU, RNN, Linear, Sequential, Seq2Seq, optim,
  type Backend, type Kernels,
} from '../../src/index.js';
import { rng } from '../helpers/rng.js';
import { poolOf, packedCase, packedOut } from '../helpers/backends.js';
import { W_SLEEPS } from '../../src/backend/worker.js';
import { lstmCell } from '../../src/layers/recurrent/cells/lstm.js';
import { Recurrent } from '../../src/layers/recurrent/index.js';


/** f32_gemm's arguments for C [M, N] = A [M, K] · B [K, N], A and B seeded on b's heap. */
function gemmCase(b: Backend, seed: number, M: number, N: number, K: number): number[] {
  const r = rng(seed), h = b.heap, put = (n: number): number => { const p = h.alloc(n); h.write(p, Float32Array.from({ length: n }, () => r())); return p; };
  return [0, 0, M, N, K, 1, put(M * K), K, put(K * N), N, 0, h.alloc(M * N), N];
}

/** Runs the f32_gemm call of gemmCase's arguments on x; its C [M, N]. */
function gemmOut(x: Backend, args: number[], M: number, N: number): Float32Array {
  x.k.f32_gemm(...(args as Parameters<Kernels['f32_gemm']>));
  return x.heap.read(args[11]!, M * N);
}

const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));

t.test('threads: options, what init chooses, threads()', async (t) => {
  t.equal(detectFeatures().threads, true, 'Node has shared memory and worker_threads');
  await t.rejects(init({ threads: 0 }), { code: 'INVALID_ARGUMENT', message: /init: options\.threads is 0, expected an integer in \[1, 64\] or 'auto'/ });
  await t.rejects(init({ threads: 1.5 }), { message: /options\.threads is 1\.5/ });
  await t.rejects(init({ threads: 'all' as never }), { message: /options\.threads is "all"/ });
  await t.rejects(init({ thread: 2 } as never), { message: /options\.thread is not an option; did you mean options\.threads\?/ });
  t.equal(await init({ threads: 2 }), 'wasm-simd');
  t.equal(threads(), 2);
  t.equal(await init({ threads: 3 }), 'wasm-simd');
  t.equal(threads(), 3, 'more threads than cores is allowed (the caller asked)');
  await init({ threads: 1 });
  t.equal(threads(), 1);
  await init({ backend: 'wasm', threads: 2 });
  t.equal(threads(), 1, 'the scalar build has no threaded twin');
  t.equal(await init({ relaxed: true, threads: 2 }), 'wasm-relaxed', 'relaxed SIMD has one (where the runtime has relaxed SIMD)');
  t.equal(threads(), 2);
  await init({ backend: 'js', threads: 2 });
  t.equal(threads(), 1, 'nor the JS backend');
  await init();
  t.ok(threads() >= 1 && threads() <= 4, `'auto' by default: ${threads()} here`);
  // Calls in flight at once: the last one made wins, whichever finishes last (a pool of 3 takes longer to start).
  const [a, b] = await Promise.all([init({ threads: 3 }), init({ threads: 1 })]);
  t.same([a, b], ['wasm-simd', 'wasm-simd'], 'both resolve');
  t.equal(threads(), 1, 'init({ threads: 3 }) then init({ threads: 1 }) at once: 1 thread');
  await Promise.all([init({ threads: 1 }), init({ threads: 2 })]);
  t.equal(threads(), 2, 'and the other way round: 2');
});

// Random arguments for the split kernels, at sizes that cut unevenly across 3 threads.
function cases(be: Backend, r: () => number): { name: keyof Kernels; args: number[]; out: [number, number][] }[] {
  const h = be.heap;
  const buf = (n: number): number => { const p = h.alloc(n); h.write(p, Float32Array.from({ length: n }, () => 2 * r() - 1)); return p; };
  const mask = (n: number): number => { const p = h.alloc(n); h.write(p, Float32Array.from({ length: n }, (_, i) => (i % 5 === 3 ? 0 : 1))); return p; };
  const out: { name: keyof Kernels; args: number[]; out: [number, number][] }[] = [];
  for (const [M, N, K] of [[37, 200, 33], [64, 96, 300], [66, 48, 17], [5, 520, 64], [3200 / 16, 512, 64], [130, 130, 130]] as const) {
    for (const tA of [0, 1]) for (const tB of [0, 1]) for (const beta of [0, 1]) {
      const C = buf(M * N);
      out.push({ name: 'f32_gemm', args: [tA, tB, M, N, K, 0.75, buf(M * K), tA ? M : K, buf(K * N), tB ? K : N, beta, C, N], out: [[C, M * N]] });
    }
    const Bp = h.alloc(Math.ceil(N / 8) * 8 * K), W = buf(K * N);
    be.k.f32_pack_b(0, K, N, W, N, Bp);
    for (const tA of [0, 1]) {
      const C = buf(M * N);
      out.push({ name: 'f32_gemm_packed_bias', args: [tA, M, N, K, 1, buf(M * K), tA ? M : K, Bp, 1, C, N, buf(N)], out: [[C, M * N]] });
    }
  }
  for (const [M, N] of [[1600, 512], [37, 300], [300, 100]] as const) {
    const y = buf(N);
    out.push({ name: 'f32_sum_rows', args: [M, N, buf(M * (N + 3)), N + 3, y], out: [[y, N]] });
    const Bp = h.alloc(Math.ceil(N / 8) * 8 * 64), Bq = h.alloc(Math.ceil(N / 8) * 8 * 64);
    out.push({ name: 'f32_pack_b', args: [0, 64, N, buf(64 * N), N, Bp], out: [[Bp, Math.ceil(N / 8) * 8 * 64]] });
    out.push({ name: 'f32_pack_b', args: [1, 64, N, buf(64 * N), 64, Bq], out: [[Bq, Math.ceil(N / 8) * 8 * 64]] });
  }
  // ([257, 176]: large enough for claimed pieces, with an odd batch; the others one part a thread.)
  for (const [B, H] of [[37, 130], [64, 64], [9, 512], [257, 176]] as const) {
    const ldy = 2 * H + 3, y = buf(B * ldy), m = mask(B);
    let c = buf(B * H), hh = buf(B * H), g = buf(4 * B * H), g2 = buf(3 * B * H);
    out.push({ name: 'f32_lstm_cell_fwd', args: [B, H, g, buf(B * H), buf(B * H), c, hh, m, y, ldy], out: [[c, B * H], [hh, B * H], [y, B * ldy], [g, 4 * B * H]] });
    const dh = buf(B * H), dc = buf(B * H), dg = buf(4 * B * H);
    out.push({ name: 'f32_lstm_cell_bwd', args: [B, H, buf(4 * B * H), buf(B * H), buf(B * H), m, buf(B * ldy), ldy, dh, dc, dg], out: [[dh, B * H], [dc, B * H], [dg, 4 * B * H]] });
    hh = buf(B * H);
    out.push({ name: 'f32_gru_cell_fwd', args: [B, H, g2, buf(3 * B * H), buf(B * H), hh, 0, y, ldy], out: [[hh, B * H], [y, B * ldy], [g2, 3 * B * H]] });
    const dgx = buf(3 * B * H), dgh = buf(3 * B * H), dh2 = buf(B * H);
    out.push({ name: 'f32_gru_cell_bwd', args: [B, H, buf(3 * B * H), buf(3 * B * H), buf(B * H), m, 0, ldy, dh2, dgx, dgh], out: [[dh2, B * H], [dgx, 3 * B * H], [dgh, 3 * B * H]] });
    c = buf(B * H);
    const gr = buf(B * H);
    out.push({ name: 'f32_rnn_cell_fwd', args: [B, H, 0, gr, buf(B * H), c, m, y, ldy], out: [[c, B * H], [y, B * ldy]] });
    const dG = buf(B * H), dh3 = buf(B * H);
    out.push({ name: 'f32_rnn_cell_bwd', args: [B, H, 1, buf(B * H), m, buf(B * ldy), ldy, dh3, dG], out: [[dh3, B * H], [dG, B * H]] });
  }
  // int8: quantized rows (odd M, N not a multiple of 16, a batch-1 step cut by columns), with and without bias/accumulate.
  for (const [M, N, K, acc] of [[37, 200, 33, 0], [1, 1030, 256, 1], [64, 96, 130, 1], [3200 / 16, 512, 64, 0]] as const) {
    const K8 = (K + 7) & ~7, ldq = K8 + 8;
    const Q = h.alloc(Math.ceil((M * ldq) / 4)), S = h.alloc(M), Wq = h.alloc(Math.ceil((N * K8) / 4)), SW = h.alloc(N);
    const Wp = h.alloc(Math.ceil(N / 16) * 4 * K8), C = buf(M * N), A = buf(M * (K + 2));
    be.k.i8_quantize_rows(N, K, buf(N * K), K, Wq, K8, SW);
    be.k.i8_pack_panels(N, K, Wq, K8, Wp);
    out.push({ name: 'i8_quantize_rows', args: [M, K, A, K + 2, Q, ldq, S], out: [[Q, Math.ceil((M * ldq) / 4)], [S, M]] });
    out.push({ name: 'i8_gemm', args: [M, N, K, Q, ldq, S, Wp, SW, acc, C, N, acc ? buf(N) : 0], out: [[C, M * N]] });
  }
  for (const n of [70001, 1 << 16, 300007]) {
    const p = buf(n), m = buf(n), v = h.alloc(n);
    h.write(v, Float32Array.from({ length: n }, () => r()));
    out.push({ name: 'f32_adam_update', args: [n, p, buf(n), m, v, 1e-3, 0.9, 0.999, 1e-8, 0.01, 0.1, 0.01], out: [[p, n], [m, n], [v, n]] });
    const q = buf(n), mom = buf(n);
    out.push({ name: 'f32_sgd_update', args: [n, q, buf(n), mom, 0.1, 0.9, 0, 1e-4, 1, 0], out: [[q, n], [mom, n]] });
  }
  return out;
}

// The relaxed-SIMD build has a threaded twin too (tap passes Node 20 its flag).
const FLAVORS = detectFeatures().relaxedSimd ? ['wasm-simd', 'wasm-relaxed'] as const : ['wasm-simd'] as const;

t.test('every split kernel gives the bits of one call, on 2 and 3 threads', async (t) => {
  t.equal(FLAVORS.length, 2, 'the relaxed build is tested too');
  for (const flavor of FLAVORS) for (const n of [2, 3]) {
    const one = await createBackend(flavor);
    const many = await createBackend(flavor, { threads: n });
    t.equal(many.name, flavor, `the threaded ${flavor} build keeps its name`);
    t.equal(poolOf(many).size, n, `${flavor}: ${n} threads started`);
    const ca = cases(one, rng(5)), cb = cases(many, rng(5));
    let runs = 0, pieced = 0;
    const spy = poolOf(many).run.bind(poolOf(many));
    poolOf(many).run = (...a: Parameters<typeof spy>) => { runs++; if (a[4]) pieced++; return spy(...a); };
    let bad = 0;
    for (let i = 0; i < ca.length; i++) {
      const a = ca[i]!, b = cb[i]!;
      (one.k[a.name] as (...x: number[]) => void)(...a.args);
      (many.k[b.name] as (...x: number[]) => void)(...b.args);
      a.out.forEach(([p, len], j) => { if (!same(one.heap.read(p, len), many.heap.read(b.out[j]![0], len))) { bad++; t.fail(`${a.name} ${JSON.stringify(a.args.slice(0, 5))}: output ${j} differs`); } });
    }
    t.equal(bad, 0, `${flavor}: ${ca.length} calls on ${n} threads: every output bit-identical`);
    t.ok(runs > ca.length / 2, `most of them were split (${runs} of ${ca.length})`);
    t.ok(pieced >= 20 && pieced < runs, `in claimed pieces or one part a thread (${pieced} and ${runs - pieced})`);
    poolOf(many).stop();
  }
});

/** A seeded model trained for 2 epochs on the current backend: its weights and predictions. */
async function trained(kind: 'lstm' | 'gru' | 'rnn'): Promise<{ w: Float32Array[]; p: Float32Array }> {
  const r = rng(11), N = 40, T = 12, F = 5;
  const Cell = kind === 'lstm' ? LSTM : kind === 'gru' ? GRU : RNN;
  const m = new Sequential([new Cell({ inputSize: F, hiddenSize: 24, numLayers: 2, bidirectional: true, seed: 3 }), new Linear({ inFeatures: 48, outFeatures: 3, seed: 4 })], { output: 'all' });
  m.compile({ optimizer: optim.adam({ lr: 1e-2 }), loss: 'mse', clipNorm: 1 });
  const x = tensor(Float32Array.from({ length: N * T * F }, () => 2 * r() - 1), [N, T, F]);
  const y = tensor(Float32Array.from({ length: N * T * 3 }, () => r()), [N, T, 3]);
  const lengths = Int32Array.from({ length: N }, (_, i) => 1 + (i * 7) % T);
  await m.fit(x, y, { epochs: 2, batchSize: 16, lengths, seed: 9 });
  const out = { w: Object.values(m.stateDict()).map((v) => v.data.slice()), p: m.predict(x, { lengths }).data.slice() };
  m.dispose();
  return out;
}

t.test('training and prediction: bit-identical on 1, 2 and 3 threads (masked, stacked, bidirectional)', async (t) => {
  for (const flavor of FLAVORS) for (const kind of ['lstm', 'gru', 'rnn'] as const) {
    if (flavor === 'wasm-relaxed' && kind !== 'lstm') continue;
    await init({ backend: flavor, threads: 1 });
    const a = await trained(kind);
    for (const n of [2, 3]) {
      t.equal(await init({ backend: flavor, threads: n }), flavor);
      t.equal(threads(), n);
      const b = await trained(kind);
      t.ok(a.w.every((w, i) => same(w, b.w[i]!)), `${flavor} ${kind}: every weight after 2 epochs equals one thread's, on ${n}`);
      t.ok(same(a.p, b.p), `${flavor} ${kind}: predictions too`);
    }
  }
});

t.test('Seq2Seq: fit and beam search bit-identical on 2 threads', async (t) => {
  const run = async (n: number): Promise<{ w: Float32Array; s: number[]; tk: number[][] }> => {
    await init({ threads: n });
    const r = rng(2), N = 48, S = 9, T = 8;
    const src = new Int32Array(N * S), tgt = new Int32Array(N * T);
    for (let i = 0; i < N; i++) {
      const L = 3 + (i % 6);
      for (let j = 0; j < L; j++) src[i * S + j] = 3 + Math.floor(r() * 20);
      for (let j = 0; j < L - 1; j++) tgt[i * T + j] = 3 + ((src[i * S + j]! * 7) % 17);
      tgt[i * T + L - 1] = 2;
    }
    const m = new Seq2Seq({ srcVocab: 23, tgtVocab: 20, embeddingDim: 16, encoder: { cell: 'lstm', hiddenSize: 32, bidirectional: true }, decoder: { cell: 'lstm', hiddenSize: 64 }, attention: 'bahdanau', tokens: { pad: 0, bos: 1, eos: 2 }, seed: 1 });
    m.compile({ optimizer: optim.adam({ lr: 3e-3 }), clipNorm: 5 });
    await m.fit({ data: src, shape: [N, S] }, { data: tgt, shape: [N, T] }, { epochs: 2, batchSize: 32, seed: 3 });
    const tr = m.translate({ data: src, shape: [N, S] }, { beam: 4, maxLength: 10 });
    const w = m.stateDict()['decoder.weight_hh_l0']!.data.slice();
    m.dispose();
    return { w, s: tr.scores, tk: tr.tokens };
  };
  const a = await run(1), b = await run(2);
  t.ok(same(a.w, b.w), 'trained weights equal');
  t.same(b.tk, a.tk, 'beam search outputs equal');
  t.ok(same(a.s, b.s), 'and their scores');
});

t.test('a replaced backend stops its threads; its models go on, on one thread', async (t) => {
  await init({ threads: 2 });
  const l = new LSTM({ inputSize: 16, hiddenSize: 64, batchFirst: true, seed: 1 });
  const x = tensor(Float32Array.from({ length: 32 * 20 * 16 }, (_, i) => Math.cos(i)), [32, 20, 16]);
  const before = l.forward(x).output.data.slice();
  await init({ threads: 1 });
  t.ok(same(l.forward(x).output.data, before), 'same output after the pool stopped');
  l.dispose();
});

t.test('dispose() stops the threads; models go on, on one thread, with the same bits', async (t) => {
  await init({ threads: 2 });
  t.equal(threads(), 2, 'two threads');
  const be = getBackend(), h = be.heap;
  const l = new GRU({ inputSize: 16, hiddenSize: 64, batchFirst: true, seed: 2 });
  const x = tensor(Float32Array.from({ length: 32 * 20 * 16 }, (_, i) => Math.sin(i)), [32, 20, 16]);
  const before = l.forward(x).output.data.slice();
  const used = h.usedBytes;
  const p = dispose();
  t.equal(threads(), 1, 'threads() is 1 at once');
  t.equal(dispose(), p, 'a second dispose() is the same stop');
  await p;
  t.ok(h.usedBytes < used, `the pool's slots and scratch went back to the heap (${used} → ${h.usedBytes} bytes)`);
  t.ok(same(l.forward(x).output.data, before), 'the same output on one thread');
  await init({ threads: 2 });
  t.equal(threads(), 2, 'init() starts threads again');
  l.dispose();
});

t.test('a stopped pool keeps its memory until its workers have exited (none can write a reused block)', async (t) => {
  const be = await createBackend('wasm-simd', { threads: 2 });
  const pool = poolOf(be), h = be.heap;
  const args = gemmCase(be, 7, 64, 64, 64);
  gemmOut(be, args, 64, 64);
  const slots = (pool as unknown as { slots: number }).slots;
  t.equal(h.ownerAt(slots)?.label, 'threads', 'the slots belong to the pool');
  const stopped = pool.stop();
  // Allocated the moment stop() returns, the block of the slots' size must not be the slots: a
  // worker between its generation check and its STOP check would find them zeroed (and claim).
  const z = h.zeros(512 / 4);
  t.not(z, slots, 'not handed out while a worker may still run');
  t.equal(h.ownerAt(slots)?.label, 'threads', 'still the pool\'s');
  await stopped;
  t.equal(h.ownerAt(slots), null, 'freed once the workers have exited');
  t.ok(h.read(z, 128).every((v) => v === 0), 'the block allocated meanwhile is untouched');
  const one = await createBackend('wasm-simd');
  t.ok(same(gemmOut(be, args, 64, 64), gemmOut(one, gemmCase(one, 7, 64, 64, 64), 64, 64)), 'then calls run on one thread, the same bits');
});


t.test('a product started in the background (startRows): this thread\'s rows when it returns, the rest at settle(), one call\'s bits', async (t) => {
  const one = await createBackend('wasm-simd', { debug: false });
  for (const n of [2, 3]) {
    const be = await createBackend('wasm-simd', { threads: n, debug: false }), pool = be.pool!;
    for (const [M, N, K] of [[100, 512, 64], [37, 96, 40], [203, 64, 128]] as const) {
      for (const last of [false, true]) {
        const want = packedOut(one, packedCase(one, M + K, M, N, K)), a = packedCase(be, M + K, M, N, K);
        const started = poolOf(be).started;
        const rows = pool.startRows(be.k, a, last);
        t.ok(rows, `${n} threads [${M},${K}]x[${K},${N}]: started`);
        if (!rows) continue;
        t.equal(poolOf(be).started, started + 1, 'counted');
        t.ok(last ? rows[1] === M && rows[0] > 0 : rows[0] === 0 && rows[1] < M, `this thread's share is the ${last ? 'last' : 'first'} rows: [${rows[0]}, ${rows[1]})`);
        t.equal(rows[0] % 4, 0, 'cut at a 4-row tile');
        t.ok(same(be.heap.read(a[9]! + 4 * rows[0] * N, (rows[1] - rows[0]) * N), want.subarray(rows[0] * N, rows[1] * N)), 'its rows are done when startRows returns');
        pool.settle();
        t.ok(same(be.heap.read(a[9]!, M * N), want), 'after settle(), every row equals one call\'s');
        pool.settle();
        t.pass('a second settle() is a no-op');
      }
    }
    t.equal(pool.startRows(be.k, packedCase(be, 1, 4, 64, 32), false), null, 'too small to cut: not started');
    t.equal(pool.startRows(be.k, packedCase(be, 1, 4 * n + 3, 1024, 256), false), null, 'large, but fewer than 8 rows a thread: not started (a split call cuts it by columns)');
    t.equal(pool.startRows({ ...be.k }, packedCase(be, 1, 100, 512, 64), false), null, 'other kernels (int8 routing, debug checks): not started');
    void pool.stop();
  }
});

t.test('a split call while a background product runs settles it first; a held worker\'s background part runs here', async (t) => {
  const one = await createBackend('wasm-simd', { debug: false });
  const be = await createBackend('wasm-simd', { threads: 2, debug: false }), pool = poolOf(be);
  const want = packedOut(one, packedCase(one, 5, 128, 256, 64)), wantG = gemmOut(one, gemmCase(one, 6, 64, 96, 80), 64, 96);
  const a = packedCase(be, 5, 128, 256, 64), g = gemmCase(be, 6, 64, 96, 80);
  t.ok(pool.startRows(be.k, a, false), 'started');
  t.ok(same(gemmOut(be, g, 64, 96), wantG), 'a split call meanwhile: right');
  t.ok(same(be.heap.read(a[9]!, 128 * 256), want), 'and the background product was finished before it');
  pool.hold(1, true);
  const taken = pool.taken;
  t.ok(pool.startRows(be.k, a, true), 'started with the worker held');
  pool.settle();
  t.equal(pool.taken, taken + 1, 'settle() ran the unclaimed part here');
  t.ok(same(be.heap.read(a[9]!, 128 * 256), want), 'the same bits');
  pool.hold(1, false);
  void pool.stop();
});

t.test('the calling thread\'s share of a background product adapts: less while the workers are done early, more when a step waits for their rows (past half: a slower worker)', async (t) => {
  const one = await createBackend('wasm-simd', { debug: false });
  const be = await createBackend('wasm-simd', { threads: 2, debug: false }), pool = poolOf(be);
  const M = 200, N = 256, K = 64, want = packedOut(one, packedCase(one, 11, M, N, K)), a = packedCase(be, 11, M, N, K);
  const inner = pool as unknown as { slots: number; i32: Int32Array; gen: number };
  const done = (): boolean => Atomics.load(inner.i32, (inner.slots >> 2) + 1) === inner.gen;
  t.equal(pool.share, 0.5, 'half to start with');
  for (const share of [0.1, 0.25, 0.5, 0.8]) {
    pool.share = share;
    const rows = pool.startRows(be.k, a, false)!;
    t.equal(rows[1], Math.round((M / 4) * share) * 4, `share ${share}: this thread computed ${rows[1]} of ${M} rows`);
    for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 2));
    pool.settle();
    t.ok(same(be.heap.read(a[9]!, M * N), want), 'one call\'s bits');
    t.equal(pool.share, Math.max(0.1, share - 0.01), 'the worker was done before settle(): a smaller share next time (not below 0.1)');
  }
  pool.hold(1, true);
  pool.share = 0.3;
  let mine = pool.startRows(be.k, a, true)!;
  t.not(pool.need(mine[0] - 4, mine[0]), 0, 'the first step past this thread\'s rows asks for them (a held worker: this thread runs them)');
  pool.settle();
  t.equal(pool.share, 0.35, 'they were not done when asked for: a larger share next time');
  pool.share = 0.88;
  mine = pool.startRows(be.k, a, true)!;
  pool.need(mine[0] - 4, mine[0]);
  pool.settle();
  t.equal(pool.share, 0.9, 'at most 0.9');
  pool.share = 0.3;
  pool.startRows(be.k, a, true);
  pool.settle();
  t.ok(Math.abs(pool.share - 0.29) < 1e-12, `settled with no step asking first (a split call, or the end of the steps): this thread claimed what was left with the worker, a smaller share (${pool.share})`);
  pool.hold(1, false);
  t.ok(same(be.heap.read(a[9]!, M * N), want), 'the same bits throughout');
  void pool.stop();
  const three = await createBackend('wasm-simd', { threads: 3, debug: false }), p3 = poolOf(three), b = packedCase(three, 11, M, N, K);
  const rows = p3.startRows(three.k, b, false)!;
  p3.settle();
  t.equal(rows[1], Math.round((M / 4) / 3) * 4, 'on 3 threads, a third to start with');
  t.ok(same(three.heap.read(b[9]!, M * N), want), 'one call\'s bits');
  void p3.stop();
});

t.test('a worker that traps in a background part: THREAD_FAILED at settle(), and the pool goes on', async (t) => {
  const be = await createBackend('wasm-simd', { threads: 2, debug: false }), pool = be.pool!, h = be.heap;
  const M = 64, N = 256, K = 64;
  // C's second half (the worker's rows) past the end of memory.
  const a = packedCase(be, 3, M, N, K, h.f32.length * 4 - 4 * (M / 2) * N);
  t.ok(pool.startRows(be.k, a, false), 'started: this thread\'s rows are in bounds');
  // (The workers' rows are pieces any thread may claim: the failure is the piece's, wherever it ran.)
  t.throws(() => pool.settle(), { code: 'THREAD_FAILED', message: /threads: f32_gemm_packed_bias failed \(memory access out of bounds\); the pool goes on/ });
  t.equal(pool.size, 2, 'still two threads');
  const b = packedCase(be, 3, M, N, K);
  t.ok(pool.startRows(be.k, b, false), 'the next one starts');
  pool.settle();
  t.pass('and finishes');
  const one = await createBackend('wasm-simd', { debug: false }), want = packedOut(one, packedCase(one, 3, M, N, K));
  poolOf(be).hold(1, true);
  be.heap.write(b[9]!, new Float32Array(M * N));
  t.ok(pool.startRows(be.k, b, true), 'one more starts (C cleared), its worker held');
  await pool.stop();
  t.ok(same(be.heap.read(b[9]!, M * N), want), 'stopping the pool finished it first: every row, one call\'s bits');
  pool.settle();
  t.pass('and nothing is left to settle');
});

/** n seeded floats in [-1, 1). */
const seeded = (n: number, seed: number): Float32Array => { const r = rng(seed); return Float32Array.from({ length: n }, () => 2 * r() - 1); };

/** Every cell's batch-first forward over shapes [B, T, I, H, layers, bidirectional], masked by lengths(B, T) where it gives some: outputs and final states. */
function forwardAll(shapes: readonly (readonly [number, number, number, number, number, boolean])[], lengths: (B: number, T: number) => number[] | undefined): Float32Array[] {
  const outs: Float32Array[] = [];
  for (const C of [LSTM, GRU, RNN]) {
    for (const [B, T, I, H, L, bi] of shapes) {
      const l = new C({ inputSize: I, hiddenSize: H, numLayers: L, bidirectional: bi, batchFirst: true, seed: 3 });
      const len = lengths(B, T);
      const r = l.forward(tensor(seeded(B * T * I, 7 + B), [B, T, I]), len ? { lengths: len } : {});
      outs.push(r.output.data.slice(), r.h.data.slice());
      l.dispose();
    }
  }
  return outs;
}

/** The weights after three Adam steps of a 2-layer bidirectional `C` (H = 40) and a Linear head on [B, T, 12], masked by `lengths`. */
function trainedWeights(C: typeof LSTM | typeof GRU, B: number, T: number, lengths: number[], output: 'last' | 'all'): Float32Array[] {
  const m = new Sequential([new C({ inputSize: 12, hiddenSize: 40, numLayers: 2, bidirectional: true, seed: 4 }), new Linear({ inFeatures: 80, outFeatures: 3, seed: 5 })], { output });
  m.compile({ optimizer: optim.adam({ lr: 1e-2 }), loss: 'mse' });
  const x = tensor(seeded(B * T * 12, 8), [B, T, 12]), y = output === 'all' ? tensor(seeded(B * T * 3, 9), [B, T, 3]) : tensor(seeded(B * 3, 9), [B, 3]);
  for (let i = 0; i < 3; i++) m.trainOnBatch(x, y, { lengths });
  const w = Object.values(m.stateDict()).map((v) => v.data.slice());
  m.dispose();
  return w;
}

t.test('layers over a background projection: every cell, direction, depth, mask and batch gives one thread\'s bits (forward and training)', async (t) => {
  const shapes = [[1, 100, 64, 128, 1, false], [1, 37, 16, 64, 2, true], [3, 41, 20, 50, 1, true], [5, 13, 64, 96, 2, false], [1, 7, 200, 128, 1, true], [2, 64, 8, 33, 3, true]] as const;
  const run = (): Float32Array[] => [
    ...forwardAll(shapes, (B, T) => (B > 1 ? Array.from({ length: B }, (_, b) => Math.max(1, T - 3 * b)) : undefined)),
    ...trainedWeights(GRU, 3, 60, [60, 51, 17], 'last'),
  ];
  await init({ threads: 1, debug: false });
  const want = run();
  for (const n of [2, 3]) {
    await init({ threads: n, debug: false });
    const pool = poolOf(getBackend()), started = pool.started;
    const got = run();
    t.ok(pool.started > started + 20, `${n} threads: projections started in the background (${pool.started - started})`);
    t.equal(got.length, want.length);
    t.ok(got.every((g, i) => same(g, want[i]!)), `${n} threads: outputs, final states and trained weights equal one thread's`);
  }
});

/** Counts the step programs a backend's pool ran (pool.steps returned true). */
function countPrograms(be: Backend): { n: number } {
  const pool = be.pool!, steps = pool.steps.bind(pool), c = { n: 0 };
  pool.steps = (...a) => { const r = steps(...a); if (r) c.n++; return r; };
  return c;
}

t.test('whole sequences on every thread (step programs): every cell, direction, depth and mask gives one thread\'s bits, forward and training', async (t) => {
  const shapes = [[16, 20, 8, 32, 1, false], [33, 37, 16, 64, 2, true], [24, 5, 20, 50, 1, true], [64, 3, 12, 128, 1, true], [17, 64, 8, 33, 3, true]] as const;
  const run = (): Float32Array[] => [
    ...forwardAll(shapes, (B, T) => Array.from({ length: B }, (_, b) => Math.max(1, T - (b % 7)))),
    ...trainedWeights(LSTM, 32, 30, Array.from({ length: 32 }, (_, b) => 30 - (b % 11)), 'last'),
  ];
  await init({ threads: 1, debug: false });
  const want = run();
  for (const n of [2, 3]) {
    await init({ threads: n, debug: false });
    const c = countPrograms(getBackend());
    const got = run();
    t.ok(c.n >= (n === 2 ? 40 : 20), `${n} threads: sequences run as step programs (${c.n})`);
    t.ok(got.length === want.length && got.every((g, i) => same(g, want[i]!)), `${n} threads: outputs, final states and trained weights equal one thread's`);
  }
});

t.test('a training step runs each layer and direction as step programs, forward and backward, with one thread\'s bits', async (t) => {
  const train = (): Float32Array[] => trainedWeights(GRU, 32, 30, Array.from({ length: 32 }, (_, b) => 30 - (b % 11)), 'all');
  await init({ threads: 1, debug: false });
  const want = train();
  await init({ threads: 2, debug: false });
  const c = countPrograms(getBackend());
  const got = train();
  t.equal(c.n, 3 * 2 * 2 * 2, 'three steps × two layers × two directions × (forward, backward)');
  t.ok(got.every((g, i) => same(g, want[i]!)), 'trained weights equal one thread\'s');
});

t.test('step programs only where they apply: small batches, recurrent dropout, layer norm, debug checks and cells that are not plain calls run step by step', async (t) => {
  const x = (B: number, T: number, I: number): ReturnType<typeof tensor> => tensor(seeded(B * T * I, B * T), [B, T, I]);
  // A cell that says it only calls kernels but calls one more on its first step: not affine, so step by step.
  let first = true;
  const odd = { ...lstmCell, forward(k: Kernels, s: Parameters<typeof lstmCell.forward>[1]) { if (first) { k.f32_fill(0, 0, s.y); first = false; } lstmCell.forward(k, s); } };
  const cases: [string, () => Float32Array, number][] = [
    ['batch 15 on 2 threads (under 8 rows a thread)', () => new LSTM({ inputSize: 8, hiddenSize: 32, batchFirst: true, seed: 1 }).forward(x(15, 9, 8)).output.data, 0],
    ['recurrent dropout', () => new GRU({ inputSize: 8, hiddenSize: 32, batchFirst: true, recurrentDropout: 0.3, seed: 1 }).forward(x(32, 9, 8), { train: true }).output.data, 0],
    ['layer-normalized LSTM', () => new LSTM({ inputSize: 8, hiddenSize: 32, batchFirst: true, layerNorm: true, seed: 1 }).forward(x(32, 9, 8)).output.data, 0],
    ['a cell whose calls change with the step', () => { first = true; return new Recurrent(odd, { inputSize: 8, hiddenSize: 32, batchFirst: true, seed: 1 }).forward(x(32, 9, 8)).output.data; }, 0],
    ['two steps (T < 3: nothing to check the record against)', () => new LSTM({ inputSize: 8, hiddenSize: 32, batchFirst: true, seed: 1 }).forward(x(32, 2, 8)).output.data, 0],
    ['and a plain LSTM at batch 32', () => new LSTM({ inputSize: 8, hiddenSize: 32, batchFirst: true, seed: 1 }).forward(x(32, 9, 8)).output.data, 1],
  ];
  await init({ threads: 1, debug: false });
  const want = cases.map(([, f]) => f());
  await init({ threads: 2, debug: false });
  const c = countPrograms(getBackend());
  cases.forEach(([what, f, programs], i) => {
    const before = c.n;
    t.ok(same(f(), want[i]!), `${what}: one thread's bits`);
    t.equal(c.n - before, programs, `${what}: ${programs ? 'a step program' : 'step by step'}`);
  });
  await init({ threads: 2, debug: true });
  const d = countPrograms(getBackend());
  t.ok(same(cases[5]![1](), want[5]!), 'debug checks on: one thread\'s bits');
  t.equal(d.n, 0, 'debug checks on: step by step (every call is checked)');
});

t.test('a step program: a held worker\'s rows run on the calling thread; a piece that traps gives THREAD_FAILED; the pool goes on', async (t) => {
  const be = await createBackend('wasm-simd', { threads: 2, debug: false }), pool = poolOf(be), h = be.heap;
  const B = 16, H = 32, T = 5;
  const g = h.alloc(T * B * 4 * H), c = h.zeros((T + 1) * B * H), hs = h.zeros((T + 1) * B * H), y = h.alloc(T * B * H);
  // (The cell keeps its activated gates in g: each run starts from the same g.)
  const fresh = (): void => h.write(g, Array.from({ length: T * B * 4 * H }, (_, i) => Math.sin(i)));
  const cell = (y0: number): { name: keyof Kernels; a: number[]; d: number[] }[] =>
    [{ name: 'f32_lstm_cell_fwd', a: [B, H, g, c, hs, c + 4 * B * H, hs + 4 * B * H, 0, y0, H], d: [0, 0, 16 * B * H, 4 * B * H, 4 * B * H, 4 * B * H, 4 * B * H, 0, 4 * B * H, 0] }];
  const one = await createBackend('wasm-simd', { debug: false });
  const g1 = one.heap.alloc(T * B * 4 * H), c1 = one.heap.zeros((T + 1) * B * H), h1 = one.heap.zeros((T + 1) * B * H), y1 = one.heap.alloc(T * B * H);
  one.heap.write(g1, Array.from({ length: T * B * 4 * H }, (_, i) => Math.sin(i)));
  for (let s = 0; s < T; s++) one.k.f32_lstm_cell_fwd(B, H, g1 + 16 * s * B * H, c1 + 4 * s * B * H, h1 + 4 * s * B * H, c1 + 4 * (s + 1) * B * H, h1 + 4 * (s + 1) * B * H, 0, y1 + 4 * s * B * H, H);
  const want = one.heap.read(y1, T * B * H);
  pool.hold(1, true);
  const taken = pool.taken;
  fresh();
  t.ok(pool.steps(be.k, cell(y), T), 'run with the worker held');
  t.ok(pool.taken > taken, 'the calling thread ran the held worker\'s rows');
  t.ok(same(h.read(y, T * B * H), want), 'one thread\'s bits');
  pool.hold(1, false);
  fresh();
  t.ok(pool.steps(be.k, cell(y), T), 'run with the worker released');
  t.ok(same(h.read(y, T * B * H), want), 'the same bits');
  // y past the end of memory for the worker's rows (the second half of each step's rows).
  const end = h.f32.length * 4 - 4 * (B / 2) * H;
  fresh();
  // (The pieces go to whichever thread claims them: the failure is THREAD_FAILED on either.)
  t.throws(() => pool.steps(be.k, [{ ...cell(0)[0]!, a: cell(end)[0]!.a, d: cell(0)[0]!.d.map((v, j) => (j === 8 ? 0 : v)) }], T),
    { code: 'THREAD_FAILED', message: /^threads: a step program failed \(memory access out of bounds\); the pool goes on$/ });
  t.equal(pool.size, 2, 'still two threads');
  fresh();
  t.ok(pool.steps(be.k, cell(y), T) && same(h.read(y, T * B * H), want), 'and the next program runs right');
  t.notOk(pool.steps({ ...be.k }, cell(y), T), 'other kernels (int8 routing, debug checks): not run');
  t.notOk(pool.steps(be.k, [{ name: 'f32_layer_norm_rows', a: [B, H, 1e-5, y, y], d: [0, 0, 0, 0, 0] }], T), 'a kernel that is not cut by rows: not run');
  void pool.stop();
});

t.test('a worker that traps: THREAD_FAILED, and the pool goes on', async (t) => {
  const be = await createBackend('wasm-simd', { threads: 2, debug: false });
  // 16 rows: two parts of 8 (too few rows for claimed pieces), one a thread.
  const M = 16, N = 64, K = 128, h = be.heap;
  const A = h.alloc(M * K), B = h.alloc(K * N), C = h.alloc(M * N);
  // C's second half (the worker's rows) past the end of memory.
  const end = (h.f32.length * 4) - 4 * (M / 2) * N;
  t.throws(() => be.k.f32_gemm(0, 0, M, N, K, 1, A, K, B, N, 0, end, N), { code: 'THREAD_FAILED', message: /threads: f32_gemm failed in part 2 of 2 \(memory access out of bounds\); the pool goes on/ });
  t.equal(poolOf(be).size, 2, 'still two threads');
  // 256 rows (4 Mflop): pieces claimed by either thread; the failure is THREAD_FAILED wherever it happened.
  const A2 = h.alloc(256 * K), C2 = h.alloc(256 * N), end2 = (h.f32.length * 4) - 4 * 128 * N;
  t.throws(() => be.k.f32_gemm(0, 0, 256, N, K, 1, A2, K, B, N, 0, end2, N), { code: 'THREAD_FAILED', message: /^threads: f32_gemm failed \(memory access out of bounds\); the pool goes on$/ });
  be.k.f32_gemm(0, 0, 256, N, K, 1, A2, K, B, N, 0, C2, N);
  t.equal(poolOf(be).size, 2, 'still two threads');
  be.k.f32_gemm(0, 0, M, N, K, 1, A, K, B, N, 0, C, N);
  t.pass('the next call runs');
  poolOf(be).stop();
});

t.test('a worker that dies: one THREAD_FAILED, then one thread, right results', async (t) => {
  const one = await createBackend('wasm-simd');
  const be = await createBackend('wasm-simd', { threads: 2 });
  const M = 64, N = 64, K = 64;
  const a = gemmCase(one, 4, M, N, K), b = gemmCase(be, 4, M, N, K);
  poolOf(be).kill(1);
  // The exit is an event: let it arrive.
  for (let i = 0; i < 100 && poolOf(be).active; i++) await new Promise((r) => setTimeout(r, 20));
  t.notOk(poolOf(be).active, 'the pool knows its worker died');
  t.throws(() => be.k.f32_gemm(...(b as Parameters<Kernels['f32_gemm']>)), { code: 'THREAD_FAILED', message: /threads: thread 1 exited with code 1; the pool is stopped and calls run on one thread from now on \(nothing was computed by this call; call it again\)/ });
  be.k.f32_gemm(...(b as Parameters<Kernels['f32_gemm']>));
  one.k.f32_gemm(...(a as Parameters<Kernels['f32_gemm']>));
  t.ok(same(be.heap.read(b[11]!, M * N), one.heap.read(a[11]!, M * N)), 'then it computes, on one thread, the same bits');
});

t.test('a late worker (a busy machine): the calling thread runs its part; the same bits, no wait', async (t) => {
  const one = await createBackend('wasm-simd');
  const be = await createBackend('wasm-simd', { threads: 3 });
  const pool = poolOf(be);
  // (12 rows: one part a thread, too few for claimed pieces, whose late worker is claimed.test.ts's.)
  const M = 12, N = 96, K = 240;
  const a = gemmCase(one, 9, M, N, K), b = gemmCase(be, 9, M, N, K);
  const gemm = (x: Backend, args: number[]): Float32Array => gemmOut(x, args, M, N);
  const want = gemm(one, a);
  pool.hold(2, true);
  const taken = pool.taken, t0 = Date.now();
  for (let i = 0; i < 20; i++) t.ok(same(gemm(be, b), want), `call ${i}: one thread's bits with thread 2 held`);
  t.ok(pool.taken >= taken + 20, `the calling thread ran the held worker's part each time (${pool.taken - taken} parts)`);
  t.ok(Date.now() - t0 < 60_000, 'and never waited out the timeout');
  t.ok((pool as unknown as { late: number }).late >= 2, 'late call after call: the pool runs alone for a while (then tries again)');
  pool.hold(2, false);
  let claimed = false;
  for (let i = 0; i < 200 && !claimed; i++) {
    const before = pool.taken;
    t.ok(same(gemm(be, b), want), 'released: the same bits');
    claimed = pool.taken - before < 2;
    if (!claimed) await new Promise((r) => setTimeout(r, 5));
  }
  t.ok(claimed, 'released, the worker claims its parts again');
  t.equal(pool.size, 3, 'the pool still has three threads');
  pool.stop();
});

t.test('a sleeping worker: a part it has not claimed is run by the calling thread, the same bits, not counted late; then it claims again', async (t) => {
  const one = await createBackend('wasm-simd');
  const be = await createBackend('wasm-simd', { threads: 2 });
  const pool = poolOf(be), inner = pool as unknown as { slots: number; i32: Int32Array; late: number };
  const M = 64, N = 96, K = 80;
  const a = gemmCase(one, 13, M, N, K), b = gemmCase(be, 13, M, N, K);
  const gemm = (x: Backend, args: number[]): Float32Array => gemmOut(x, args, M, N);
  const want = gemm(one, a);
  t.ok(same(gemm(be, b), want), 'awake: the same bits');
  // The worker sleeps once it has spun out (W_SLEEPS in its slot).
  const asleep = (): boolean => Atomics.load(inner.i32, (inner.slots >> 2) + W_SLEEPS) === 1;
  for (let i = 0; i < 200 && !asleep(); i++) await new Promise((r) => setTimeout(r, 10));
  t.ok(asleep(), 'the idle worker went to sleep');
  const late = inner.late;
  t.ok(same(gemm(be, b), want), 'asleep: the same bits');
  t.ok(inner.late <= late, `a sleeping worker is not a late one (late ${late} → ${inner.late}: not raised)`);
  let claimed = false;
  for (let i = 0; i < 200 && !claimed; i++) {
    const before = pool.taken;
    t.ok(same(gemm(be, b), want), 'woken: the same bits');
    claimed = pool.taken === before;
    // (On a busy machine the pool may run alone for a while: give it time.)
    if (!claimed) await new Promise((r) => setTimeout(r, 5));
  }
  t.ok(claimed, 'woken, the worker claims its parts again');
  pool.stop();
});

t.test('generations wrap (a long training run): the pool keeps working past 2^30 calls', async (t) => {
  const one = await createBackend('wasm-simd');
  const be = await createBackend('wasm-simd', { threads: 2 });
  const M = 64, N = 64, K = 64;
  const a = gemmCase(one, 11, M, N, K), b = gemmCase(be, 11, M, N, K);
  one.k.f32_gemm(...(a as Parameters<Kernels['f32_gemm']>));
  const want = one.heap.read(a[11]!, M * N);
  (poolOf(be) as unknown as { gen: number }).gen = 0x3fffffff - 3;
  for (let i = 0; i < 8; i++) {
    be.k.f32_gemm(...(b as Parameters<Kernels['f32_gemm']>));
    t.ok(same(be.heap.read(b[11]!, M * N), want), `call ${i} across the wrap: the same bits`);
  }
  t.ok((poolOf(be) as unknown as { gen: number }).gen < 16, 'the generation wrapped to a small number');
  poolOf(be).stop();
});

t.test('a process with an idle pool exits on its own', async (t) => {
  const url = new URL('../../src/index.ts', import.meta.url).href;
  const r = spawnSync(process.execPath, [...process.execArgv, '--input-type=module', '-e',
    `const m = await import(${JSON.stringify(url)}); await m.init({ threads: 2 }); console.log(m.threads());`], { encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  t.equal(r.signal, null, 'not killed by the timeout');
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout.trim(), '2');
  void fileURLToPath;
});

t.test('dispose() before init() does nothing; after it, threads() is 1, the process exits, and init() starts threads again', async (t) => {
  const url = new URL('../../src/index.ts', import.meta.url).href;
  const r = spawnSync(process.execPath, [...process.execArgv, '--input-type=module', '-e',
    `const m = await import(${JSON.stringify(url)}); await m.dispose(); await m.init({ threads: 2 }); const a = m.threads(); await m.dispose(); await m.dispose(); const b = m.threads(); await m.init({ threads: 2 }); console.log(a, b, m.threads());`], { encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  t.equal(r.signal, null, 'not killed by the timeout');
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout.trim(), '2 1 2', 'two threads, one after dispose() (twice), two after init() again');
});

t.test('memory that grows under running threads', async (t) => {
  const one = await createBackend('wasm-simd'), many = await createBackend('wasm-simd', { threads: 2, maxMemory: 256 << 20 });
  const before = many.heap.f32.length;
  const M = 512, N = 512, K = 256;
  const go = (b: Backend): Float32Array => {
    const r = rng(8), h = b.heap, put = (n: number): number => { const p = h.alloc(n); h.write(p, Float32Array.from({ length: n }, () => r())); return p; };
    const pad = h.alloc(8 << 20); void pad; // 32 MiB more: the memory grows
    const A = put(M * K), B = put(K * N), C = h.alloc(M * N);
    b.k.f32_gemm(0, 1, M, N, K, 1, A, K, B, K, 0, C, N);
    return h.read(C, M * N);
  };
  const a = go(one), b = go(many);
  t.ok(many.heap.f32.length > before, 'the shared memory grew');
  t.ok(same(a, b), 'a product in the grown part: the same bits');
  poolOf(many).stop();
});
