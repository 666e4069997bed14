// Batch 1 in lanes (backend/lanes.ts): a batch-1 sequence on every thread,
// each its block of hidden units with a barrier a step. Whatever thread
// runs a lane's piece, every output, state and gradient is one thread's
// bits; where lanes do not apply (training, batches, small layers, int8)
// nothing runs in them; a worker held or failing leaves the pool working.
import t from 'tap';
import { init, getBackend, tensor, LSTM, GRU, RNN, Sequential, Linear, Seq2Seq, quantize, optim, type Tensor } from '../../src/index.js';
import type { Recurrent } from '../../src/layers/recurrent/index.js';
import { poolOf, put } from '../helpers/backends.js';
import { laneCuts, LaneGauge, type lanePrograms } from '../../src/backend/lanes.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
}
const floats = (n: number, seed: number): Float32Array => { const r = lcg(seed); return Float32Array.from({ length: n }, () => 2 * r() - 1); };
const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));

/**
 * Counts the sequences the pool ran in lanes from now on; its gauge is held
 * (lanes whatever the timings: short sequences on a shared machine would
 * send some the other way, and what is counted here is where lanes apply).
 */
function countLanes(): { n: number } {
  const pool = poolOf(getBackend()), c = { n: 0 }, run = pool.laner! as ReturnType<typeof lanePrograms>;
  run.gauge.adaptive = false;
  pool.laner = (r) => { const ok = run(r); if (ok) c.n++; return ok; };
  return c;
}

interface Case { cell: 'LSTM' | 'GRU' | 'RNN'; relu?: boolean; I: number; H: number; L: number; bi: boolean; T: number; len?: number; states?: boolean }
const cases: Case[] = [
  { cell: 'LSTM', I: 24, H: 128, L: 1, bi: false, T: 37 },
  { cell: 'GRU', I: 5, H: 96, L: 2, bi: true, T: 23, len: 17 },
  { cell: 'RNN', I: 33, H: 112, L: 1, bi: false, T: 9, states: true },
  { cell: 'RNN', relu: true, I: 7, H: 160, L: 2, bi: false, T: 4 },
  { cell: 'LSTM', I: 64, H: 256, L: 2, bi: true, T: 11, len: 3, states: true },
  { cell: 'GRU', I: 1, H: 144, L: 1, bi: false, T: 3 },
];

function make(c: Case, seed: number): Recurrent {
  const Cell = { LSTM, GRU, RNN }[c.cell];
  return new Cell({ inputSize: c.I, hiddenSize: c.H, numLayers: c.L, bidirectional: c.bi, batchFirst: true, seed, ...(c.relu ? { nonlinearity: 'relu' as const } : {}) });
}

/** A forward (with lengths and initial states where the case says), a backward through it, and a forward after new weights: everything read. */
function outputs(c: Case, seed: number): Float32Array[] {
  const layer = make(c, seed), D = c.bi ? 2 : 1, S = c.L * D * c.H;
  const x = tensor(floats(c.T * c.I, seed + 1), [1, c.T, c.I]);
  const opts: { lengths?: number[]; h0?: Tensor; c0?: Tensor } = {};
  if (c.len) opts.lengths = [c.len];
  if (c.states) {
    opts.h0 = tensor(floats(S, seed + 2), [c.L * D, 1, c.H]);
    if (c.cell === 'LSTM') opts.c0 = tensor(floats(S, seed + 3), [c.L * D, 1, c.H]);
  }
  const f = layer.forward(x, opts);
  // Backward reads the gates the forward kept: in lanes they were in the lanes' layout.
  const b = layer.backward(tensor(floats(c.T * D * c.H, seed + 4), [1, c.T, D * c.H]));
  const grads = layer.gradStateDict();
  // New weights: the lanes' packs follow them.
  const sd = layer.stateDict();
  layer.loadStateDict(Object.fromEntries(Object.entries(sd).map(([k, v], i) => [k, tensor(floats(v.data.length, seed + 10 + i).map((z) => z * 0.2), v.shape)])));
  const f2 = layer.forward(x, opts);
  const all = [f.output.data, f.h.data, ...(f.c ? [f.c.data] : []), b.dx.data, b.dh0.data, ...(b.dc0 ? [b.dc0.data] : []),
    ...Object.keys(grads).sort().map((k) => grads[k]!.data as Float32Array), f2.output.data, f2.h.data];
  layer.dispose();
  return all as Float32Array[];
}

t.test('batch 1 in lanes on 2 and 3 threads: one thread\'s outputs, states, gradients, and after new weights', async (t) => {
  await init({ threads: 1, debug: false });
  const want = cases.map((c, i) => outputs(c, 100 + i));
  for (const n of [2, 3]) {
    await init({ threads: n, debug: false });
    const used = countLanes();
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i]!, before = used.n, got = outputs(c, 100 + i);
      const bad = got.findIndex((a, j) => !same(a, want[i]![j]!));
      t.equal(bad, -1, `${n} threads, ${c.cell}${c.relu ? ' relu' : ''} H=${c.H} L=${c.L}${c.bi ? ' bi' : ''} T=${c.T}${c.len ? ` length ${c.len}` : ''}: every array one thread's bits`);
      // Two forwards, each layer and direction in lanes where H has 48 units a thread.
      const expect = laneCuts(c.H, n, 48) ? 2 * c.L * (c.bi ? 2 : 1) : 0;
      t.equal(used.n - before, expect, `  ran ${expect} sequences in lanes`);
    }
  }
  await init({ threads: 1, debug: false });
});

t.test('where lanes do not apply, nothing runs in them (and the bits are one thread\'s)', async (t) => {
  const run = async (n: number): Promise<{ out: Float32Array[]; lanes: number }> => {
    await init({ threads: n, debug: false });
    const used = n > 1 ? countLanes() : { n: 0 };
    const out: Float32Array[] = [];
    // A batch of two; too few units a thread; a quantized layer; training a model at batch 1.
    const l2 = new LSTM({ inputSize: 8, hiddenSize: 128, batchFirst: true, seed: 1 });
    out.push(l2.forward(tensor(floats(2 * 9 * 8, 1), [2, 9, 8])).output.data as Float32Array);
    const small = new GRU({ inputSize: 8, hiddenSize: 64, batchFirst: true, seed: 2 });
    out.push(small.forward(tensor(floats(9 * 8, 2), [1, 9, 8])).output.data as Float32Array);
    const q = quantize(new LSTM({ inputSize: 8, hiddenSize: 128, batchFirst: true, seed: 3 }));
    out.push(q.forward(tensor(floats(9 * 8, 3), [1, 9, 8])).output.data as Float32Array);
    const m = new Sequential([new LSTM({ inputSize: 8, hiddenSize: 128, seed: 4 }), new Linear({ inFeatures: 128, outFeatures: 2, seed: 5 })], { output: 'last' });
    m.compile({ optimizer: optim.sgd({ lr: 0.1 }), loss: 'mse' });
    m.trainOnBatch(tensor(floats(9 * 8, 4), [1, 9, 8]), tensor(floats(2, 5), [1, 2]));
    out.push(m.stateDict()['layers.0.weight_hh_l0']!.data as Float32Array);
    const trainedLanes = used.n;
    // Its predict at batch 1 does run in lanes.
    out.push(m.predict(tensor(floats(9 * 8, 6), [1, 9, 8])).data as Float32Array);
    for (const x of [l2, small, q, m]) x.dispose();
    return { out, lanes: n > 1 ? (t.equal(trainedLanes, 0, 'none of batch 2, H = 64, int8 or a training step ran in lanes'), used.n) : 0 };
  };
  const one = await run(1), two = await run(2);
  t.equal(two.lanes, 1, 'the model\'s predict at batch 1 ran in lanes');
  two.out.forEach((a, i) => t.ok(same(a, one.out[i]!), `output ${i}: one thread's bits`));
  await init({ threads: 1, debug: false });
});

t.test('a held worker: the calling thread runs every lane, the same bits; a worker back takes its lane again', async (t) => {
  const c: Case = { cell: 'LSTM', I: 16, H: 128, L: 1, bi: false, T: 40 };
  await init({ threads: 1, debug: false });
  const want = outputs(c, 7);
  await init({ threads: 2, debug: false });
  const pool = poolOf(getBackend()), used = countLanes();
  pool.hold(1, true);
  const taken = pool.taken;
  const got = outputs(c, 7);
  pool.hold(1, false);
  t.ok(got.every((a, j) => same(a, want[j]!)), 'held: one thread\'s bits');
  t.equal(used.n, 2, 'both forwards ran in lanes');
  t.ok(pool.taken >= taken + 2, 'the held worker\'s part ran here (nothing left of it)');
  const again = outputs(c, 7);
  t.ok(again.every((a, j) => same(a, want[j]!)), 'released: one thread\'s bits');
  t.equal(pool.size, 2, 'still two threads');
  await init({ threads: 1, debug: false });
});

t.test('a lane that traps: THREAD_FAILED naming the fault, and the pool goes on', async (t) => {
  await init({ threads: 2, debug: false });
  const be = getBackend(), pool = poolOf(be), h = be.heap, k = be.k;
  const H = 96, K = 8, T = 3;
  const A = put(be, floats(T * K, 1)), Bp = h.alloc(4 * H * K + 64);
  k.f32_pack_b(0, K, H, put(be, floats(K * H, 2)), H, Bp);
  const g = h.alloc(T * H), hs = h.alloc((T + 1) * H), y = h.alloc(T * H);
  // The projection's one row ends 48 floats before the end of memory: lane 0's columns are in bounds, lane 1's are not.
  const C = h.f32.length * 4 - 4 * 48;
  const proj = [0, 1, H, K, 1, A, K, Bp, 0, C, H, 0];
  const calls = [{ name: 'f32_rnn_cell_fwd' as const, a: [1, H, 0, g, hs, hs + 4 * H, 0, y, H], d: [0, 0, 0, 4 * H, 4 * H, 4 * H, 0, 4 * H, 0] }];
  for (const hold of [false, true]) {
    // Held, the calling thread runs lane 1 itself and traps there.
    pool.hold(1, hold);
    t.throws(() => pool.lanes(k, { proj, calls, T, cuts: [0, 48, 96], gates: 1 }), { code: 'THREAD_FAILED', message: /threads: a step program failed \(memory access out of bounds\); the pool goes on/ }, hold ? 'trapped here' : 'trapped on the worker (or here)');
    pool.hold(1, false);
  }
  t.equal(pool.size, 2, 'still two threads');
  const c: Case = { cell: 'GRU', I: 4, H: 96, L: 1, bi: false, T: 12 };
  const used = countLanes(), got = outputs(c, 9);
  await init({ threads: 1, debug: false });
  const want = outputs(c, 9);
  t.ok(got.every((a, j) => same(a, want[j]!)), 'the next layer in lanes: one thread\'s bits');
  t.equal(used.n, 2, 'it ran in lanes');
});

t.test('laneCuts: 16-unit blocks, a thread each, none too small', async (t) => {
  t.same(laneCuts(128, 2, 48), [0, 64, 128]);
  t.same(laneCuts(112, 2, 48), [0, 64, 112], '7 blocks: 4 and 3');
  t.same(laneCuts(160, 3, 48), [0, 48, 112, 160]);
  t.equal(laneCuts(64, 2, 48), null, '32 units a thread: too few');
  t.equal(laneCuts(100, 2, 48), null, 'H not a multiple of 16');
  t.equal(laneCuts(256, 1, 48), null, 'one thread');
  for (const [H, n] of [[96, 2], [208, 4], [1024, 3], [4096, 64]] as const) {
    const c = laneCuts(H, n, 48)!, sizes = c.slice(1).map((v, i) => v - c[i]!);
    t.ok(c[0] === 0 && c[n] === H && sizes.every((s) => s >= 48 && s % 16 === 0), `H = ${H} on ${n}: ${sizes.join(', ')}`);
  }
});

t.test('a Seq2Seq translating one source: its encoder in lanes, one thread\'s tokens and scores', async (t) => {
  const run = async (n: number): Promise<{ out: number[]; lanes: number }> => {
    await init({ threads: n, debug: false });
    const used = n > 1 ? countLanes() : { n: 0 };
    const m = new Seq2Seq({ srcVocab: 21, tgtVocab: 23, embeddingDim: 16, encoder: { cell: 'lstm', hiddenSize: 96, numLayers: 2, bidirectional: true },
      decoder: { cell: 'gru', hiddenSize: 112 }, attention: 'luong-general', tokens: { pad: 0, bos: 1, eos: 2 }, seed: 8 });
    const src = { data: Int32Array.from({ length: 13 }, (_, i) => 3 + ((i * 7) % 18)), shape: [1, 13] };
    const out: number[] = [];
    for (const beam of [1, 4]) {
      const r = m.translate(src, { beam, maxLength: 10 });
      out.push(...r.scores, ...r.tokens.flat());
    }
    m.dispose();
    return { out, lanes: used.n };
  };
  const one = await run(1), two = await run(2);
  t.same(two.out, one.out, 'tokens and scores: one thread\'s');
  t.equal(two.lanes, 8, 'both translations ran the encoder\'s 2 layers × 2 directions in lanes');
  await init({ threads: 1, debug: false });
});

t.test('the gauge: a quarter of recent sequences slower than one thread sends the next the other way, longer each time', async (t) => {
  const g = new LaneGauge(), all = 202;
  // Shared and paying off: 100 pieces here in 300 µs of 330 (alone: 606).
  for (let i = 0; i < 50; i++) g.record(i, 300, 330, 100, all);
  t.ok(g.allow(50) && g.rate < 0.01, 'lanes that gain: allowed');
  // This thread alone (the worker never came): not bad, whatever the time.
  for (let i = 0; i < 50; i++) g.record(100 + i, 600, 900, all, all);
  t.ok(g.allow(150) && g.rate < 0.01, 'a sequence run alone is no sign');
  // A descheduled worker: 100 pieces in 300 µs of 5000.
  let now = 200, bad = 0;
  while (g.allow(now) && bad < 20) { g.record(now, 300, 5000, 100, all); bad++; }
  t.ok(bad >= 2 && bad <= 4, `the other way after ${bad} bad sequences (rate ${g.rate.toFixed(2)})`);
  t.notOk(g.allow(now + 0.4), 'not before 0.5 ms');
  t.ok(g.allow(now + 0.6), 'then lanes again');
  const first = g.until - now;
  g.record(now + 0.6, 300, 5000, 100, all);
  t.ok(g.until - (now + 0.6) > first, `longer the next time (${first} ms, then ${g.until - now - 0.6} ms)`);
  for (let i = 0; i < 10; i++) { g.record(now + 100, 0, 900, 0, all); }
  // (A worker late to come: this thread ran 150 of the pieces, 450 µs of 470: faster than alone, 606.)
  const late = new LaneGauge();
  for (let i = 0; i < 20; i++) late.record(i, 450, 470, 150, all);
  t.ok(late.allow(20) && late.rate === 0, 'a worker that comes late but helps is no sign');
  t.ok(g.until - (now + 100) <= 64, 'at most 64 ms');
  t.notOk(g.allow(now + 100), 'the calling thread robbed of every piece: bad');
  // Good sequences bring it back.
  for (let i = 0; i < 30; i++) g.record(now + 200 + i, 300, 330, 100, all);
  t.ok(g.rate < 0.1 && g.late === 0 && g.allow(now + 230), 'after good sequences: lanes, and the next backoff starts short');
  const off = new LaneGauge();
  off.adaptive = false;
  for (let i = 0; i < 20; i++) off.record(i, 300, 5000, 100, all);
  t.ok(off.allow(20), 'held (tests): always lanes');
});
