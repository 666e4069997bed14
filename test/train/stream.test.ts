// Data bigger than memory: fit, evaluate and predict on a stream of batches
// ({ x, y, lengths } from an array, an (async) iterable or a function of the
// epoch). A stream of the batches fit would cut from tensors trains to the
// same weights bit for bit; a shuffle buffer re-batches sequences of any
// length exactly (masks); a stream many times the heap cap trains in a heap
// that never grows; bad batches are named by their place in the stream.
import t from 'tap';
import { init, tensor, LSTM, GRU, Linear, Embedding, Sequential, optim, getBackend, io, type Batch, type Tensor } from '../../src/index.js';
import { forEachCurrentBackend } from '../helpers/current.js';
import { rng, uniform } from '../helpers/rng.js';

const N = 40, T = 6, F = 3, B = 8;
const r = rng(11);
const x = tensor(uniform(r, N * T * F), [N, T, F]), y = tensor(uniform(r, N), [N, 1]);
const lengths = Array.from({ length: N }, (_, i) => 1 + (i * 7) % T);

function build(seed = 1): Sequential {
  const m = new Sequential([
    new LSTM({ inputSize: F, hiddenSize: 8, numLayers: 2, seed }),
    new Linear({ inFeatures: 8, outFeatures: 1, seed: seed + 1 }),
  ]);
  m.compile({ optimizer: optim.adam({ lr: 0.01 }), loss: 'mse' });
  return m;
}

/** Rows [a, b) of x, y and lengths as one batch. */
function rows(a: number, b: number, withLengths = true): Batch {
  return {
    x: tensor(x.data.slice(a * T * F, b * T * F), [b - a, T, F]),
    y: tensor(y.data.slice(a, b), [b - a, 1]),
    ...(withLengths ? { lengths: lengths.slice(a, b) } : {}),
  };
}
const inOrder = (withLengths = true): Batch[] => Array.from({ length: N / B }, (_, i) => rows(i * B, (i + 1) * B, withLengths));

t.test('a stream of the batches fit cuts from tensors trains to the same weights, bit for bit', async (t) => {
  await forEachCurrentBackend(t, async (t) => {
    const a = build(), b = build(), c = build();
    const ha = await a.fit(x, y, { epochs: 3, batchSize: B, shuffle: false, lengths });
    const hb = await b.fit(inOrder(), { epochs: 3 });
    async function* gen(): AsyncGenerator<Batch> { for (const batch of inOrder()) { await null; yield batch; } }
    const hc = await c.fit(() => gen(), { epochs: 3 });
    t.same(b.stateDict(), a.stateDict(), 'an array of batches');
    t.same(c.stateDict(), a.stateDict(), 'an async generator function, called per epoch');
    t.same(hb.loss, ha.loss, 'same loss history');
    t.equal(hb.steps, 15, '5 batches × 3 epochs');
    const e1 = a.evaluate(x, y, { lengths, batchSize: B });
    const e2 = await a.evaluate(inOrder());
    t.equal(e2.loss, e1.loss, 'evaluate on the stream equals evaluate on the tensors');
    const p1 = a.predict(x, { lengths, batchSize: B });
    const outs: Tensor[] = [];
    for await (const out of a.predict(inOrder())) outs.push(out);
    t.equal(outs.length, N / B, 'predict yields one tensor per batch');
    t.same(outs[2]!.shape, [B, 1]);
    t.same(Array.from(outs.flatMap((o) => Array.from(o.data))), Array.from(p1.data), 'and the same predictions');
    for (const m of [a, b, c]) m.dispose();
  });
});

t.test('a shuffle buffer draws sequences of different lengths into new batches, exactly and reproducibly', async (t) => {
  await init();
  // Batches of different T (4 to 9 steps), an Embedding, 'all' outputs and class targets.
  const V = 7, C = 3, rr = rng(5);
  const make = (): Batch[] => Array.from({ length: 12 }, (_, i) => {
    const Tb = 4 + (i % 6), Bb = 3 + (i % 4);
    const ids = Int32Array.from({ length: Bb * Tb }, () => Math.floor(rr() * V));
    const tgt = Int32Array.from(ids, (v) => v % C); // learnable: the class is the token mod 3
    return { x: { data: new Float32Array(ids), shape: [Bb, Tb] }, y: tgt, lengths: Array.from({ length: Bb }, (_, b) => 1 + ((b + i) % Tb)) };
  });
  const data = make();
  const model = (): Sequential => {
    const m = new Sequential([new Embedding({ numEmbeddings: V, embeddingDim: 4, seed: 1 }), new GRU({ inputSize: 4, hiddenSize: 12, seed: 2 }), new Linear({ inFeatures: 12, outFeatures: C, seed: 3 })], { output: 'all' });
    m.compile({ optimizer: optim.adam({ lr: 0.05 }), loss: 'crossEntropy', metrics: ['accuracy'] });
    return m;
  };
  const m1 = model(), m2 = model();
  const before = await m1.evaluate(data);
  const h1 = await m1.fit(data, { epochs: 8, shuffleBuffer: 20, batchSize: 6, seed: 3 });
  const h2 = await m2.fit(data, { epochs: 8, shuffleBuffer: 20, batchSize: 6, seed: 3 });
  t.same(m2.stateDict(), m1.stateDict(), 'same seed: the same draws, the same weights');
  const after = await m1.evaluate(data);
  t.ok(after.loss < before.loss * 0.5, `it learns (loss ${before.loss.toFixed(3)} → ${after.loss.toFixed(3)})`);
  t.ok(h1.metrics.accuracy!.at(-1)! > 0.9, `accuracy ${h1.metrics.accuracy!.at(-1)}`);
  const total = data.reduce((s, b) => s + b.x.shape[0]!, 0);
  t.equal(h1.steps, 8 * Math.ceil(total / 6), 'every sequence drawn once per epoch, in batches of 6');
  t.same(h1.loss, h2.loss);
  // Exactness of the re-batching: all the sequences in one batch padded to the longest equals the loss over the stream.
  const one = await m1.evaluate(data);
  const m3 = model();
  m3.loadStateDict(m1.stateDict());
  const h3 = await m3.fit(data, { epochs: 1, shuffleBuffer: total, batchSize: total, seed: 9 });
  t.ok(Math.abs(h3.loss[0]! - one.loss) < 1e-5 * Math.max(1, one.loss), `one drawn batch of every sequence: loss ${h3.loss[0]} ≈ ${one.loss}`);
  for (const m of [m1, m2, m3]) m.dispose();
});

t.test('a stream many times the heap cap trains in a heap that never grows', async (t) => {
  await init({ backend: 'wasm-simd', maxMemory: 4 << 20 });
  const heap = getBackend().heap;
  const Tb = 32, Bb = 64, Fb = 8, steps = 700;
  const floatsPerBatch = Bb * Tb * Fb + Bb;
  const m = new Sequential([new LSTM({ inputSize: Fb, hiddenSize: 16, seed: 1 }), new Linear({ inFeatures: 16, outFeatures: 1, seed: 2 })]);
  m.compile({ optimizer: optim.adam({ lr: 0.01 }), loss: 'mse' });
  let made = 0, bytes = 0, blocks = 0, changed = 0;
  function* stream(): Generator<Batch> {
    const g = rng(99);
    for (;;) {
      const xb = uniform(g, Bb * Tb * Fb);
      const yb = new Float32Array(Bb);
      for (let b = 0; b < Bb; b++) yb[b] = xb[(b * Tb + Tb - 1) * Fb]!; // the last step's first feature
      made++;
      yield { x: { data: xb, shape: [Bb, Tb, Fb] }, y: { data: yb, shape: [Bb, 1] } };
    }
  }
  const h = await m.fit(stream(), {
    epochs: 2, stepsPerEpoch: steps / 2,
    callbacks: {
      onBatchEnd: (i) => {
        if (made === 1) { bytes = heap.usedBytes; blocks = heap.usedBlocks; } else if (heap.usedBytes !== bytes || heap.usedBlocks !== blocks) changed++;
      },
    },
  });
  const streamed = made * floatsPerBatch * 4;
  t.equal(made, steps, 'one batch read per step, the stream read on across epochs');
  t.ok(streamed > 10 * (4 << 20), `streamed ${(streamed / 2 ** 20).toFixed(0)} MiB through a 4 MiB heap`);
  t.equal(changed, 0, 'heap bytes and blocks unchanged after the first batch');
  t.ok(h.loss[1]! < h.loss[0]!, `it learns (${h.loss[0]} → ${h.loss[1]})`);
  t.equal(h.stopped, undefined);
  m.dispose();
  await init({ backend: 'wasm-simd', maxMemory: 2 ** 31 });
});

t.test('streams read once, stepsPerEpoch, abort, checkpoints', async (t) => {
  await init();
  function* once(): Generator<Batch> { yield* inOrder(); }
  const a = build();
  await t.rejects(a.fit(once(), { epochs: 2 }), { code: 'INVALID_ARGUMENT', message: /Sequential\.fit: data is .*a generator's result is read once: pass the generator function/ });
  const h = await a.fit(once(), { epochs: 3, stepsPerEpoch: 3 });
  t.equal(h.stopped, 'exhausted', 'a stream read once that runs out ends training');
  t.equal(h.steps, 5, '3 batches, then the 2 that were left');
  t.equal(h.loss.length, 2);
  const b = build();
  const h2 = await b.fit(inOrder(), { epochs: 3, stepsPerEpoch: 3 });
  t.equal(h2.steps, 9, 'an array is read again when it ends: 3 epochs of 3 batches');
  t.equal(h2.stopped, undefined);
  // abort: the generator's finally block runs.
  let closed = false;
  function* endless(): Generator<Batch> { try { for (let i = 0; ; i++) yield rows((i % 5) * B, (i % 5 + 1) * B); } finally { closed = true; } }
  const ctl = new AbortController();
  const c = build();
  const h3 = await c.fit(endless(), { epochs: 5, stepsPerEpoch: 10, signal: ctl.signal, callbacks: { onBatchEnd: (i) => { if (i === 3) ctl.abort(); } } });
  t.equal(h3.stopped, 'aborted');
  t.equal(h3.steps, 4);
  t.ok(closed, 'the stream was closed');
  // resume from a checkpoint: a source function gets the epoch it resumes, so the run ends bit-identical.
  const epochOf: number[] = [];
  const src = (e: number): Batch[] => { epochOf.push(e); return inOrder(); };
  const straight = build();
  const hs = await straight.fit(src, { epochs: 4, shuffleBuffer: 16, batchSize: 8, seed: 2 });
  const first = build();
  let saved: Uint8Array | null = null;
  const ctl2 = new AbortController();
  await first.fit(src, { epochs: 4, shuffleBuffer: 16, batchSize: 8, seed: 2, signal: ctl2.signal, checkpoint: { save: (bytes, e) => { saved = bytes; if (e === 1) ctl2.abort(); } } });
  epochOf.length = 0;
  const second = build();
  const hr = await second.fit(src, { epochs: 4, shuffleBuffer: 16, batchSize: 8, seed: 2, resume: saved! });
  t.same(epochOf, [2, 3], 'the resumed run reads epochs 2 and 3');
  t.same(second.stateDict(), straight.stateDict(), 'bit-identical to the uninterrupted run');
  t.same(hr.loss, hs.loss);
  await t.rejects(build().fit(x, y, { epochs: 4, resume: saved! }), { message: /checkpoint was made training on a stream of batches, this fit is on tensors/ });
  // validation on a stream, and on tensors
  const v = build();
  const hv = await v.fit(inOrder(), { epochs: 2, validationData: inOrder().slice(0, 2), validationSteps: 1 });
  t.equal(hv.valLoss.length, 2);
  t.equal(hv.valLoss[1], (await v.evaluate(inOrder().slice(0, 1))).loss, 'validationSteps: 1 batch');
  const hv2 = await v.fit(inOrder(), { epochs: 1, validationData: { x, y, lengths } });
  t.equal(hv2.valLoss[0], v.evaluate(x, y, { lengths }).loss);
  for (const m of [a, b, c, straight, first, second, v]) m.dispose();
});

t.test('bad streams and bad batches get errors naming the batch', async (t) => {
  await init();
  const m = build();
  const good = inOrder();
  const noY = [good[0]!, { x: good[1]!.x }];
  await t.rejects(m.fit(noY, {}), { code: 'INVALID_ARGUMENT', message: /Sequential\.fit \(batch 1 of epoch 1\): batch\.y is undefined, expected the targets/ });
  const badShape = [good[0]!, { x: tensor(new Float32Array(2 * T * 5), [2, T, 5]), y: tensor(new Float32Array(2), [2, 1]) }];
  await t.rejects(m.fit(badShape, {}), { message: /\(batch 1 of epoch 1\): x/ });
  await t.rejects(m.fit([{ ...good[0]!, lenghts: [1] } as Batch], {}), { message: /\(batch 0 of epoch 1\): batch\.lenghts is not an option; did you mean batch\.lengths\?/ });
  await t.rejects(m.fit([1 as unknown as Batch], {}), { message: /batch 0 is 1, expected an object \{ x, y\?, lengths\?, mask\? \}/ });
  await t.rejects(m.fit(good, x as never), { message: /y .*no y with a stream of batches/ });
  await t.rejects(m.fit(good, { validationSplit: 0.2 } as never), { message: /options\.validationSplit is 0\.2, expected no value with a stream of batches \(give validationData/ });
  await t.rejects(m.fit([], {}), { message: /the data stream yielded no batch in epoch 1/ });
  await t.rejects(m.fit(() => 5 as never, {}), { message: /data\(0\) is 5, expected an iterable/ });
  await t.rejects(m.fit(good, { stepsPerEpoch: 0 }), { message: /options\.stepsPerEpoch is 0/ });
  await t.rejects(m.fit(good, { shuffleBuffer: 8, shuffle: false }), { message: /options\.shuffleBuffer is 8, expected 0 with shuffle: false/ });
  await t.rejects(m.evaluate([], {}), { message: /Sequential\.evaluate: the data stream yielded no batch/ });
  await t.rejects(m.evaluate(good, { step: 1 } as never), { message: /options\.step is not an option; did you mean options\.steps\?/ });
  const it = m.predict(good);
  await it.next();
  m.dispose();
  await t.rejects(it.next(), { code: 'DISPOSED' }, 'a disposed model stops its prediction stream');
  const n = build();
  async function* failing(): AsyncGenerator<Batch> { yield good[0]!; throw new Error('disk gone'); }
  await t.rejects(n.fit(failing, {}), { message: 'disk gone' }, 'a failing stream rejects fit with its error');
  t.equal((await n.fit(good, {})).steps, 1 + 5, 'and the model trains again after it (the optimizer had taken 1 step)');
  const s = io.save(n);
  t.ok(s.length > 0);
  n.dispose();
});
