// Threads on configurations no other test picks: seeded random layer
// shapes (odd sizes, 1 to 3 layers, both directions, masks, every output
// mode, dropout) through the public API, trained with Adam and clipping,
// must give the bits of one thread on two and on three; and a Seq2Seq with
// a GRU encoder and an LSTM decoder, trained and decoding by beam search.
import t from 'tap';
import { init, threads, getBackend, tensor, LSTM, GRU, RNN, Linear, Sequential, Seq2Seq, optim } from '../../src/index.js';
import { poolOf } from '../helpers/backends.js';

/** A seeded generator in [0, 1) (an LCG: the same draws on every runtime). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
}

interface Config { cell: 'LSTM' | 'GRU' | 'RNN'; I: number; H: number; L: number; bi: boolean; B: number; T: number; drop: number; masked: boolean; out: 'last' | 'all' | 'mean'; seed: number }

const draw = lcg(20261207);
const int = (a: number, b: number): number => a + Math.floor(draw() * (b - a + 1));
const pick = <X>(xs: readonly X[]): X => xs[int(0, xs.length - 1)]!;
const configs: Config[] = Array.from({ length: 8 }, () => ({
  cell: pick(['LSTM', 'GRU', 'RNN'] as const), I: int(1, 70), H: pick([int(1, 40), int(90, 150)]), L: int(1, 3), bi: draw() < 0.5,
  B: pick([1, int(2, 9), int(16, 44)]), T: int(1, 24), drop: draw() < 0.3 ? 0.25 : 0, masked: draw() < 0.5, out: pick(['last', 'all', 'mean'] as const), seed: int(1, 1e6),
}));

/** A forward of a layer and two epochs of a model: every output, state and trained weight. */
async function outputs(c: Config): Promise<Float32Array[]> {
  const r = lcg(c.seed), floats = (n: number): Float32Array => Float32Array.from({ length: n }, () => 2 * r() - 1);
  const Cell = { LSTM, GRU, RNN }[c.cell], D = c.bi ? 2 : 1, K = 3;
  const opts = { inputSize: c.I, hiddenSize: c.H, numLayers: c.L, bidirectional: c.bi, dropout: c.L > 1 ? c.drop : 0, seed: c.seed };
  const x = tensor(floats(c.B * c.T * c.I), [c.B, c.T, c.I]);
  const lengths = c.masked ? Array.from({ length: c.B }, (_, b) => (b === 0 ? c.T : 1 + ((b * 7919) % c.T))) : undefined;
  const layer = new Cell({ ...opts, batchFirst: true });
  const f = layer.forward(x, lengths ? { lengths } : {});
  const model = new Sequential([new Cell(opts), new Linear({ inFeatures: D * c.H, outFeatures: K, seed: c.seed + 1 })], { output: c.out });
  model.compile({ optimizer: optim.adam({ lr: 1e-2 }), loss: 'mse', clipNorm: 1 });
  const y = c.out === 'all' ? tensor(floats(c.B * c.T * K), [c.B, c.T, K]) : tensor(floats(c.B * K), [c.B, K]);
  await model.fit(x, y, { epochs: 2, batchSize: Math.max(1, c.B >> 1), seed: c.seed, ...(lengths ? { lengths } : {}) });
  const sd = model.stateDict();
  const all = [f.output.data, f.h.data, ...(f.c ? [f.c.data] : []), ...Object.keys(sd).sort().map((k) => sd[k]!.data as Float32Array)];
  layer.dispose();
  model.dispose();
  return all;
}

function seq2seq(): Float32Array[] {
  const m = new Seq2Seq({ srcVocab: 17, tgtVocab: 19, embeddingDim: 24, encoder: { cell: 'gru', hiddenSize: 36, numLayers: 2, bidirectional: true },
    decoder: { cell: 'lstm', hiddenSize: 40 }, attention: 'bahdanau', tokens: { pad: 0, bos: 1, eos: 2 }, seed: 5 });
  const B = 37, S = 9, T = 7;
  const src = Int32Array.from({ length: B * S }, (_, i) => 3 + ((i * 31 + 5) % 14));
  const tgt = Int32Array.from({ length: B * T }, (_, i) => (i % T === T - 1 ? 2 : 3 + ((i * 17 + 5) % 16)));
  m.compile({ optimizer: optim.adam({ lr: 1e-2 }) });
  for (let i = 0; i < 3; i++) m.trainOnBatch({ data: src, shape: [B, S] }, { data: tgt, shape: [B, T] });
  const r = m.translate({ data: src, shape: [B, S] }, { beam: 4, maxLength: 9, batchSize: 19 });
  const sd = m.stateDict();
  const all = [Float32Array.from(r.scores), Float32Array.from(r.tokens.flat()), ...Object.keys(sd).sort().map((k) => sd[k]!.data as Float32Array)];
  m.dispose();
  return all;
}

/** Index of the first array that differs from want in a bit (or in length), −1 when none does. */
const firstDiff = (got: Float32Array[], want: Float32Array[]): number =>
  got.length !== want.length ? got.length : got.findIndex((a, i) => a.length !== want[i]!.length || a.some((v, j) => !Object.is(v, want[i]![j])));

t.test('random layer shapes: two and three threads give one thread\'s bits', async (t) => {
  const want: Float32Array[][] = [], wantS2s: Float32Array[] = [];
  for (const n of [1, 2, 3]) {
    await init({ threads: n });
    t.equal(threads(), n, `${n} threads in use`);
    // Counts the calls the pool cuts, in claimed pieces and in one part a thread.
    const cut = { pieces: 0, parts: 0 };
    if (n > 1) {
      const pool = poolOf(getBackend()), run = pool.run.bind(pool);
      pool.run = (kernel, fn, parts, count, claimed = false) => { cut[claimed ? 'pieces' : 'parts']++; run(kernel, fn, parts, count, claimed); };
    }
    for (const [i, c] of configs.entries()) {
      const got = await outputs(c);
      t.ok(got.every((a) => a.every(Number.isFinite)), `config ${i} on ${n} threads: finite`);
      if (n === 1) want.push(got);
      else t.equal(firstDiff(got, want[i]!), -1, `config ${i} on ${n} threads: the same bits (${JSON.stringify(c)})`);
    }
    const s = seq2seq();
    if (n === 1) wantS2s.push(...s);
    else t.equal(firstDiff(s, wantS2s), -1, `Seq2Seq on ${n} threads: the same scores, tokens and trained weights`);
    if (n > 1) t.ok(cut.pieces > 0 && cut.parts > 0, `on ${n} threads the pool cut calls both ways (${cut.pieces} in claimed pieces, ${cut.parts} in one part a thread)`);
  }
  // The draws reach what the threads cut: a batch of 16 or more (whole sequences a thread) and one of 1.
  t.ok(configs.some((c) => c.B >= 16) && configs.some((c) => c.B === 1), 'the configurations include a batch that is cut and a batch of 1');
  await init({ threads: 1 });
});
