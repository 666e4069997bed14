// Seq2Seq as users meet it: it learns (reversing digit strings), decoding
// keeps its promises (scores equal logProb, beam at least as good as greedy,
// n-best order, attention weights, seeded sampling), files and checkpoints
// round-trip, scheduled sampling, abort, BUSY, dispose, no allocation per
// step, and clear errors for bad input.
import t from 'tap';
import { init, getBackend, Seq2Seq, optim, io, type Seq2SeqOptions, type TokenTensor } from '../../src/index.js';
import { stampCrc } from '../../src/io/crc32.js';
import { rng } from '../helpers/rng.js';

const PAD = 0, BOS = 1, EOS = 2, S = 8;

// Reversal of digit strings (tokens 3..12) of lengths 3..8: targets end with eos.
function reversal(N: number, seed: number): { src: TokenTensor; tgt: TokenTensor; want: number[][] } {
  const r = rng(seed), src = new Int32Array(N * S), tgt = new Int32Array(N * (S + 1)), want: number[][] = [];
  for (let n = 0; n < N; n++) {
    const L = 3 + Math.floor(r() * 6), xs = Array.from({ length: L }, () => 3 + Math.floor(r() * 10));
    xs.forEach((v, i) => { src[n * S + i] = v; tgt[n * (S + 1) + (L - 1 - i)] = v; });
    tgt[n * (S + 1) + L] = EOS;
    want.push([...xs].reverse());
  }
  return { src: { data: src, shape: [N, S] }, tgt: { data: tgt, shape: [N, S + 1] }, want };
}

const base = (o: Partial<Seq2SeqOptions> = {}): Seq2SeqOptions => ({
  srcVocab: 13, tgtVocab: 13, embeddingDim: 16, encoder: { cell: 'lstm', hiddenSize: 32, bidirectional: true }, decoder: { cell: 'lstm', hiddenSize: 64 },
  attention: 'bahdanau', tokens: { pad: PAD, bos: BOS, eos: EOS }, seed: 1, ...o,
});

// Targets (tokens + eos, padded) of decoded outputs, to score them with logProb.
function asTargets(tokens: number[][], L: number): TokenTensor {
  const d = new Int32Array(tokens.length * L);
  tokens.forEach((tk, i) => { tk.forEach((v, j) => { d[i * L + j] = v; }); d[i * L + tk.length] = EOS; });
  return { data: d, shape: [tokens.length, L] };
}

t.test('it learns to reverse strings; decoding keeps its promises', async (t) => {
  await init();
  const train = reversal(3000, 1), test = reversal(200, 2);
  for (const attention of ['bahdanau', 'luong-general'] as const) {
    const m = new Seq2Seq(base({ attention }));
    m.compile({ optimizer: optim.adam({ lr: 1e-2 }), clipNorm: 5 });
    const h = await m.fit(train.src, train.tgt, { epochs: 6, batchSize: 64, seed: 1 });
    t.ok(h.loss[h.loss.length - 1]! < h.loss[0]! / 10, `${attention}: loss ${h.loss[0]!.toFixed(3)} → ${h.loss[h.loss.length - 1]!.toFixed(3)}`);
    const g = m.translate(test.src, { beam: 1, maxLength: 12 });
    const acc = g.tokens.filter((tk, i) => JSON.stringify(tk) === JSON.stringify(test.want[i])).length / test.want.length;
    t.ok(acc >= 0.9, `${attention}: greedy exact-match accuracy ${acc} on 200 held-out strings`);
    // Scores are the raw Σ log p, eos included: logProb of the same pairs.
    const lp = m.logProb(test.src, asTargets(g.tokens, 14));
    t.ok(g.scores.every((s, i) => Math.abs(s - lp[i]!) <= 1e-4 * Math.max(1, Math.abs(s))), `${attention}: greedy scores equal logProb (max |Δ| ${Math.max(...g.scores.map((s, i) => Math.abs(s - lp[i]!))).toExponential(1)})`);
    const b5 = m.translate(test.src, { beam: 5, maxLength: 12 });
    const lp5 = m.logProb(test.src, asTargets(b5.tokens, 14));
    t.ok(b5.scores.every((s, i) => Math.abs(s - lp5[i]!) <= 1e-4 * Math.max(1, Math.abs(s))), `${attention}: beam-5 scores equal logProb`);
    const atLeast = b5.scores.filter((s, i) => s >= g.scores[i]! - 1e-6).length / b5.scores.length;
    t.ok(atLeast >= 0.99, `${attention}: beam 5 scores at least as high as greedy on ${(100 * atLeast).toFixed(1)} % of strings`);
    const nb = m.translate(test.src, { beam: 4, nBest: 3, maxLength: 12, lengthPenalty: 0.6 });
    t.equal(nb.tokens.length, 600, `${attention}: nBest 3 gives 3 hypotheses per source`);
    const lpn = (s: number, n: number): number => s / ((5 + n) / 6) ** 0.6;
    let ordered = true;
    for (let i = 0; i < 200; i++) for (let j = 1; j < 3; j++) if (lpn(nb.scores[i * 3 + j]!, nb.tokens[i * 3 + j]!.length + 1) > lpn(nb.scores[i * 3 + j - 1]!, nb.tokens[i * 3 + j - 1]!.length + 1) + 1e-9) ordered = false;
    t.ok(ordered, `${attention}: n-best lists are ranked by the length-penalized score`);
    m.dispose();
  }
});

t.test('attention weights, sampling, and the pad and bos tokens', async (t) => {
  await init();
  const m = new Seq2Seq(base({ attention: 'luong-general', seed: 4 }));
  const src: TokenTensor = { data: Int32Array.from([3, 4, 5, 0, 0, 6, 7, 8, 9, 10]), shape: [2, 5] };
  const r = m.translate(src, { beam: 3, maxLength: 6, returnAttention: true });
  t.equal(r.attention!.length, 2);
  r.attention!.forEach((a, i) => {
    const [n, Sa] = a.shape as [number, number], len = i === 0 ? 3 : 5;
    t.equal(Sa, 5, 'a row per output step over the source positions');
    t.equal(n, r.tokens[i]!.length + (r.tokens[i]!.length < 6 ? 1 : 0), 'a row per output token, eos included');
    for (let s = 0; s < n; s++) {
      const row = a.data.subarray(s * 5, s * 5 + 5);
      t.ok(Math.abs(row.reduce((x, y) => x + y, 0) - 1) < 1e-5 && row.subarray(len).every((v) => v === 0), `source ${i} step ${s}: weights sum to 1, 0 at padding`);
    }
  });
  t.ok(r.tokens.every((tk) => tk.every((v) => v !== PAD && v !== BOS && v !== EOS)), 'outputs hold no pad, bos or eos');
  const s1 = m.translate(src, { sample: { temperature: 0.7, topK: 5, seed: 9 }, maxLength: 6 });
  const s2 = m.translate(src, { sample: { temperature: 0.7, topK: 5, seed: 9 }, maxLength: 6 });
  t.same(s1, s2, 'sampling with a seed reproduces');
  const top1 = m.translate(src, { sample: { topK: 1, seed: 1 }, maxLength: 6 }), greedy = m.translate(src, { maxLength: 6 });
  t.same(top1.tokens, greedy.tokens, 'top-1 sampling is greedy');
  t.throws(() => m.translate(src, { sample: { temperature: 0 } }), { message: /options.sample.temperature is 0, expected a finite number > 0/ });
  t.throws(() => m.translate(src, { beam: 3, sample: {} }), { message: /options.beam is 3, expected 1 with sampling/ });
  t.throws(() => m.translate(src, { beam: 2, nBest: 3 }), { message: /options.nBest is 3, expected an integer in \[1, 2\]/ });
  m.dispose();
});

t.test('files and checkpoints round-trip; hostile files are refused', async (t) => {
  await init();
  const d = reversal(64, 3);
  const m = new Seq2Seq(base({ encoder: { cell: 'gru', hiddenSize: 12, numLayers: 2 }, decoder: { cell: 'gru', hiddenSize: 10, layerNorm: true }, attention: 'bahdanau', attentionSize: 7 }));
  const before = m.translate(d.src, { beam: 3, maxLength: 10 });
  const bytes = io.save(m, { note: 'mine' });
  const again = io.load<Seq2Seq>(bytes);
  t.ok(again instanceof Seq2Seq, 'io.load gives a Seq2Seq');
  t.same(again.translate(d.src, { beam: 3, maxLength: 10 }), before, 'the same translations');
  t.same(again.config(), m.config(), 'the same config');
  const { tensors, metadata } = io.readSafetensorsFile(bytes);
  delete tensors['attention.v'];
  t.throws(() => io.load(stampCrc(io.writeSafetensors(tensors, { ...metadata, crc32: '00000000' }))), { code: 'BAD_FILE', message: /needs a tensor "attention\.v" of shape \[7\]; the file has none/ });
  const arch = JSON.parse(metadata.architecture!);
  arch.decoder.hiddenSize = 1e9;
  t.throws(() => io.load(stampCrc(io.writeSafetensors(io.readSafetensors(bytes), { ...metadata, architecture: JSON.stringify(arch), crc32: '00000000' }))), { code: 'BAD_FILE', message: /decoder.hiddenSize is 1000000000, expected an integer in/ });
  const heap = getBackend().heap, used = heap.usedBytes;
  for (let i = 0; i < 20; i++) t.throws(() => io.load(stampCrc(io.writeSafetensors(tensors, { ...metadata, crc32: '00000000' }))));
  t.equal(heap.usedBytes, used, 'failed loads leave the heap as it was');
  // Checkpoint and resume: bit-identical to an uninterrupted run (scheduled sampling's generator included).
  const run = async (resume?: Uint8Array): Promise<{ model: Seq2Seq; ck: Uint8Array[] }> => {
    const model = new Seq2Seq(base({ seed: 8, encoder: { hiddenSize: 8 }, decoder: { hiddenSize: 8 } }));
    model.compile({ optimizer: optim.adam({ lr: 5e-3 }) });
    const ck: Uint8Array[] = [];
    await model.fit(d.src, d.tgt, { epochs: 4, batchSize: 16, seed: 2, teacherForcing: 0.7, checkpoint: { save: (b) => { ck.push(b); } }, resume });
    return { model, ck };
  };
  const full = await run();
  const resumed = await run(full.ck[1]);
  t.same(resumed.model.stateDict(), full.model.stateDict(), 'resumed from epoch 2: the same weights as the uninterrupted run');
  const fromCk = io.load<Seq2Seq>(full.ck[3]!);
  t.same(fromCk.stateDict(), full.model.stateDict(), 'io.load reads a Seq2Seq checkpoint');
  for (const x of [m, again, full.model, resumed.model, fromCk]) x.dispose();
});

t.test('training: scheduled sampling, abort, BUSY, dispose, no allocation after the first batch', async (t) => {
  await init();
  const d = reversal(256, 5), heap = getBackend().heap;
  const m = new Seq2Seq(base({ encoder: { hiddenSize: 16, bidirectional: true }, decoder: { hiddenSize: 16, numLayers: 2, dropout: 0.1 } }));
  m.compile({ optimizer: optim.adam({ lr: 1e-2 }), clipNorm: 1, labelSmoothing: 0.1 });
  const seen: number[] = [];
  const h = await m.fit(d.src, d.tgt, { epochs: 3, batchSize: 32, teacherForcing: (e) => { seen.push(e); return 1 - 0.2 * e; } });
  t.same(seen, [0, 1, 2], 'a teacher-forcing schedule is called once per epoch');
  t.ok(h.loss.every(Number.isFinite), 'finite losses under scheduled sampling');
  await t.rejects(m.fit(d.src, d.tgt, { teacherForcing: 1.5 }), { message: /options.teacherForcing is 1.5, expected a number in \[0, 1\]/ });
  const ac = new AbortController();
  const p = m.fit(d.src, d.tgt, { epochs: 50, batchSize: 32, signal: ac.signal, callbacks: { onBatchEnd: (i) => { if (i === 2) ac.abort(); } } });
  t.throws(() => m.trainOnBatch(d.src, d.tgt), { code: 'BUSY' }, 'trainOnBatch during a fit is refused');
  t.equal((await p).stopped, 'aborted', 'an AbortSignal stops the fit');
  // After the first batch of a shape, a training step and a translation allocate nothing.
  const sub = { data: d.src.data.subarray(0, 32 * S), shape: [32, S] }, subT = { data: d.tgt.data.subarray(0, 32 * (S + 1)), shape: [32, S + 1] };
  m.trainOnBatch(sub, subT);
  const bytes = heap.usedBytes, blocks = heap.usedBlocks;
  for (let i = 0; i < 5; i++) m.trainOnBatch(sub, subT);
  t.equal(heap.usedBytes, bytes, 'training steps leave the heap unchanged');
  t.equal(heap.usedBlocks, blocks, 'and its block count');
  m.translate(sub, { beam: 4, maxLength: 10 });
  const b2 = heap.usedBytes;
  for (let i = 0; i < 3; i++) m.translate(sub, { beam: 4, maxLength: 10 });
  t.equal(heap.usedBytes, b2, 'beam search leaves the heap unchanged after its first call');
  // The non-finite guard: an update that would leave a weight non-finite is undone and refused.
  const w0 = m.stateDict();
  m.compile({ optimizer: optim.sgd({ lr: 1e39 }) });
  t.throws(() => m.trainOnBatch(sub, subT), { code: 'NON_FINITE', message: /Seq2Seq.trainOnBatch: the update at step 1 \(learning rate 1e\+39\) would make a parameter non-finite; it was undone/ });
  t.same(m.stateDict(), w0, 'the weights are as before the refused step');
  m.dispose();
  for (const call of [() => m.translate(sub), () => m.logProb(sub, subT), () => m.stateDict(), () => m.trainOnBatch(sub, subT), () => m.config()]) t.throws(call, { code: 'DISPOSED' });
  t.doesNotThrow(() => m.dispose(), 'a second dispose does nothing');
});

t.test('bad input is refused with the argument named', async (t) => {
  await init();
  t.throws(() => new Seq2Seq(base({ attention: 'luong-dot', decoder: { hiddenSize: 20 } })), { message: /Seq2Seq: decoder.hiddenSize is 20, expected 64 for 'luong-dot'/ });
  t.throws(() => new Seq2Seq(base({ encoder: { hiddenSize: 8, bidirection: true } as never })), { message: /encoder.bidirection is true, expected one of cell, hiddenSize/ });
  t.throws(() => new Seq2Seq(base({ decoder: { hiddenSize: 8, bidirectional: true } as never })), { message: /decoder.bidirectional is true/ });
  t.throws(() => new Seq2Seq(base({ tokens: { pad: 0, bos: 0, eos: 2 } })), { message: /expected pad, bos and eos to be three different ids/ });
  t.throws(() => new Seq2Seq(base({ attention: 'luong' as never })), { message: /attention is "luong", expected 'bahdanau' \| 'luong-dot' \| 'luong-general' \| 'none'/ });
  t.throws(() => new Seq2Seq(base({ encoder: { cell: 'rnn', hiddenSize: 8, layerNorm: true } })), { message: /layerNorm is true, expected false/ });
  const m = new Seq2Seq(base({ encoder: { hiddenSize: 8 }, decoder: { hiddenSize: 8 } }));
  const src = { data: Int32Array.from([3, 4, 13, 0]), shape: [1, 4] };
  t.throws(() => m.translate(src), { message: /src\[0\]\[2\] is 13, expected a token id in \[0, 12\]/ });
  t.throws(() => m.translate({ data: Int32Array.from([0, 3]), shape: [1, 2] }), { message: /row 0 of src starts with the pad token/ });
  t.throws(() => m.logProb({ data: Int32Array.from([3]), shape: [1, 1] }, { data: Int32Array.from([1, 4, 2]), shape: [1, 3] }), { message: /tgt\[0\]\[0\] is the bos token/ });
  t.throws(() => m.logProb({ data: Int32Array.from([3, 4]), shape: [2, 1] }, { data: Int32Array.from([4, 2]), shape: [1, 2] }), { message: /tgt.shape\[0\] is 1, expected 2/ });
  t.throws(() => m.translate({ data: Int32Array.from([3, 4]), shape: [1, 2] }, { srcLengths: [3] }), { message: /srcLengths\[0\] is 3, expected an integer in \[1, 2\]/ });
  await t.rejects(m.fit({ data: Int32Array.from([3]), shape: [1, 1] }, { data: Int32Array.from([2]), shape: [1, 1] }), { message: /call compile\(\{ optimizer \}\) first/ });
  m.dispose();
});
