// The model: gradients equal the layers' own backward composed by hand,
// truncated BPTT with k ≥ T is full BPTT, padding changes nothing, runs are
// reproducible, save/load round trips, and the guards work.
import t from 'tap';
import { init, tensor, LSTM, GRU, RNN, Linear, Dropout, Sequential, optim, io, computeLoss, type Tensor } from '../../src/index.js';
import { forEachCurrentBackend } from '../helpers/current.js';
import { close } from '../helpers/backends.js';
import { rng, uniform } from '../helpers/rng.js';

function data(N: number, T: number, F: number, O: number, seed: number, all = false): { x: Tensor; y: Tensor } {
  const r = rng(seed);
  return { x: tensor(uniform(r, N * T * F), [N, T, F]), y: tensor(uniform(r, N * (all ? T : 1) * O), all ? [N, T, O] : [N, O]) };
}

t.test("model gradients equal the layers' backward composed by hand", async (t) => {
  await forEachCurrentBackend(t, async (t) => {
    for (const output of ['last', 'mean', 'all'] as const) {
      const N = 3, T = 5, F = 4, H = 6, O = 2, lengths = [5, 2, 4];
      const { x, y } = data(N, T, F, O, 7, output === 'all');
      const rec = new LSTM({ inputSize: F, hiddenSize: H, numLayers: 2, seed: 1 });
      const lin = new Linear({ inFeatures: H, outFeatures: O, activation: 'tanh', seed: 2 });
      // Reference: standalone layers with the same weights, batchFirst, composed by hand.
      const rec2 = new LSTM({ inputSize: F, hiddenSize: H, numLayers: 2, batchFirst: true, seed: 1 });
      const lin2 = new Linear({ inFeatures: H, outFeatures: O, activation: 'tanh', seed: 2 });
      const model = new Sequential([rec, lin], { output });
      model.compile({ optimizer: optim.sgd({ lr: 1e-9 }), loss: 'mse' });
      const f = rec2.forward(x, { lengths });
      let rows: Tensor;
      if (output === 'last') {
        rows = { data: f.h.data.slice(H * N), shape: [N, H] }; // top layer's final states
      } else if (output === 'mean') {
        const m = new Float32Array(N * H);
        for (let n = 0; n < N; n++) for (let s2 = 0; s2 < lengths[n]!; s2++) for (let j = 0; j < H; j++) m[n * H + j] += f.output.data[(n * T + s2) * H + j]! / lengths[n]!;
        rows = { data: m, shape: [N, H] };
      } else {
        rows = { data: f.output.data, shape: [N * T, H] };
      }
      const p = lin2.forward(rows);
      // Loss over valid rows only (mask for 'all').
      const weight = new Float32Array(p.data.length / O).fill(1);
      if (output === 'all') for (let n = 0; n < N; n++) for (let s = 0; s < T; s++) weight[n * T + s] = s < lengths[n]! ? 1 : 0;
      const grad = new Float32Array(p.data.length);
      const want = computeLoss('mse', { pred: p.data, target: y.data, weight, rows: weight.length, outs: O, grad });
      const dRows = lin2.backward({ data: grad, shape: p.shape }).dx;
      if (output === 'last') {
        const dh = new Float32Array(2 * N * H);
        dh.set(dRows.data, N * H);
        rec2.backward({ data: new Float32Array(N * T * H), shape: [N, T, H] }, { dh: { data: dh, shape: [2, N, H] } });
      } else if (output === 'mean') {
        const dOut = new Float32Array(N * T * H);
        for (let n = 0; n < N; n++) for (let s2 = 0; s2 < lengths[n]!; s2++) for (let j = 0; j < H; j++) dOut[(n * T + s2) * H + j] = dRows.data[n * H + j]! / lengths[n]!;
        rec2.backward({ data: dOut, shape: [N, T, H] });
      } else {
        rec2.backward({ data: dRows.data, shape: [N, T, H] });
      }
      const ev = model.evaluate(x, y, { lengths });
      t.ok(Math.abs(ev.loss - want.loss) < 1e-6, `${output}: loss ${ev.loss} vs ${want.loss}`);
      // One training step with a negligible lr leaves the model's gradients in place.
      await model.fit(x, y, { lengths, batchSize: N, shuffle: false });
      const g = model.gradStateDict();
      for (const [k, v] of Object.entries(rec2.gradStateDict())) close(t, g[`layers.0.${k}`]!.data, v.data, 1e-6, 1e-4, `${output}: d${k}`);
      for (const [k, v] of Object.entries(lin2.gradStateDict())) close(t, g[`layers.1.${k}`]!.data, v.data, 1e-6, 1e-4, `${output}: d${k}`);
    }
  });
});

t.test('truncated BPTT with k ≥ T is full BPTT, bit for bit', async (t) => {
  await init();
  const { x, y } = data(20, 8, 3, 1, 3, true);
  const run = async (tbptt: number): Promise<Float32Array[]> => {
    const m = new Sequential([new GRU({ inputSize: 3, hiddenSize: 5, seed: 4 }), new Linear({ inFeatures: 5, outFeatures: 1, seed: 5 })], { output: 'all' });
    m.compile({ optimizer: optim.adam({ lr: 0.01 }), loss: 'mse' });
    await m.fit(x, y, { epochs: 2, batchSize: 6, seed: 9, tbptt });
    return Object.values(m.stateDict()).map((v) => v.data);
  };
  const full = await run(0);
  t.same(await run(8), full, 'k = T');
  t.same(await run(50), full, 'k > T');
  t.notSame(await run(3), full, 'k < T trains differently');
});

t.test('padding changes nothing: masked batches equal the unpadded sequences', async (t) => {
  await forEachCurrentBackend(t, async (t) => {
    for (const output of ['last', 'all'] as const) {
      const T = 6, F = 2, lengths = [6, 3, 4, 1];
      const r = rng(11);
      const m = new Sequential([new LSTM({ inputSize: F, hiddenSize: 5, seed: 1 }), new Linear({ inFeatures: 5, outFeatures: 1, seed: 2 })], { output });
      m.compile({ optimizer: optim.sgd({ lr: 0.1 }), loss: 'mae' });
      const xs = lengths.map((n) => uniform(r, n * F));
      const ys = lengths.map((n) => uniform(r, output === 'all' ? n : 1));
      // Padded batch with garbage in the padding.
      const x = new Float32Array(4 * T * F).map(() => 1e3 * (r() - 0.5)), y = new Float32Array(4 * (output === 'all' ? T : 1)).fill(77);
      lengths.forEach((n, i) => { x.set(xs[i]!, i * T * F); y.set(ys[i]!, i * (output === 'all' ? T : 1)); });
      const padded = m.evaluate(tensor(x, [4, T, F]), tensor(y, output === 'all' ? [4, T, 1] : [4, 1]), { lengths }).loss;
      // Each sequence alone, unpadded; combine as the mean over elements.
      let sum = 0, cnt = 0;
      lengths.forEach((n, i) => {
        const l = m.evaluate(tensor(xs[i]!, [1, n, F]), tensor(ys[i]!, output === 'all' ? [1, n, 1] : [1, 1])).loss;
        const c = output === 'all' ? n : 1;
        sum += l * c; cnt += c;
      });
      t.ok(Math.abs(padded - sum / cnt) < 1e-6, `${output}: ${padded} vs ${sum / cnt}`);
      if (output === 'all') {
        // predict: each sequence's valid steps equal it alone, and padding steps are zero (not the head's bias).
        const p = m.predict(tensor(x, [4, T, F]), { lengths }).data;
        lengths.forEach((n, i) => {
          const alone = m.predict(tensor(xs[i]!, [1, n, F])).data;
          // (batch 1 and batch 4 take different GEMM paths: equal to rounding)
          const d = Math.max(...Array.from(alone, (v, k) => Math.abs(v - p[i * T + k]!)));
          t.ok(d < 1e-6, `sequence ${i}: valid steps equal the sequence alone (max |Δ| ${d})`);
          t.same(Array.from(p.subarray(i * T + n, (i + 1) * T)), new Array(T - n).fill(0), `sequence ${i}: padding steps are zero`);
        });
        const pre = new Float32Array(T * 4).fill(0);
        lengths.forEach((n, i) => { for (let s2 = T - n; s2 < T; s2++) pre[i * T + s2] = 1; });
        const q = m.predict(tensor(x, [4, T, F]), { mask: tensor(pre, [4, T]) }).data;
        t.equal(q.filter((v, k) => pre[k] === 0 && v !== 0).length, 0, 'mask: every masked step is zero');
      }
    }
  });
});

t.test('same seed, same backend: bit-identical training; save/load round trip', async (t) => {
  await forEachCurrentBackend(t, async (t) => {
    const { x, y } = data(30, 7, 3, 2, 21);
    const build = (): Sequential => {
      const m = new Sequential([
        new GRU({ inputSize: 3, hiddenSize: 8, numLayers: 2, dropout: 0.3, seed: 1 }),
        new Dropout({ p: 0.2, seed: 3 }),
        new Linear({ inFeatures: 8, outFeatures: 8, activation: 'relu', seed: 2 }),
        new Linear({ inFeatures: 8, outFeatures: 2, seed: 4 }),
      ]);
      m.compile({ optimizer: optim.adamw({ lr: 0.01 }), loss: 'huber', clipNorm: 0.5, clipValue: 1, schedule: optim.schedules.cosine({ totalSteps: 20 }) });
      return m;
    };
    const a = build(), b = build();
    const ha = await a.fit(x, y, { epochs: 3, batchSize: 8, seed: 5 });
    const hb = await b.fit(x, y, { epochs: 3, batchSize: 8, seed: 5 });
    t.same(ha.loss, hb.loss, 'same losses');
    t.same(a.stateDict(), b.stateDict(), 'same weights');
    t.ok(ha.loss[2]! < ha.loss[0]!, 'it learns');
    const bytes = io.save(a);
    const c = io.load(bytes);
    t.same(c.predict(x).data, a.predict(x).data, 'loaded model predicts the same');
    t.same(c.config(), a.config(), 'same architecture');
  });
});

t.test('bad model files are refused', async (t) => {
  await init();
  const m = new Sequential([new RNN({ inputSize: 2, hiddenSize: 3, seed: 1 }), new Linear({ inFeatures: 3, outFeatures: 1, seed: 1 })]);
  const good = m.stateDict();
  const meta = { format: 'simd-rnn/sequential', formatVersion: '1', architecture: JSON.stringify(m.config()) };
  t.throws(() => io.load(io.writeSafetensors(good, { ...meta, formatVersion: '9' })), { code: 'BAD_FILE', message: /format version is "9", expected one of "1", "2"/ });
  t.throws(() => io.load(io.writeSafetensors(good, { ...meta, format: 'x' })), { message: /format is "x"/ });
  t.throws(() => io.load(io.writeSafetensors(good, { ...meta, architecture: '{' })), { message: /architecture metadata is not valid JSON/ });
  t.throws(() => io.load(io.writeSafetensors(good, { ...meta, architecture: JSON.stringify({ output: 'last', layers: [{ type: 'Conv' }] }) })), { message: /layer 0 has unknown type "Conv"/ });
  const nan = { ...good, 'layers.1.bias': tensor([NaN], [1]) };
  t.throws(() => io.load(io.writeSafetensors(nan, meta)), { message: /tensor "layers\.1\.bias" holds NaN at element 0/ });
  const missing = { ...good }; delete missing['layers.1.bias'];
  t.throws(() => io.load(io.writeSafetensors(missing, meta)), { message: /layer 1 needs a tensor "layers\.1\.bias" of shape \[1\]; the file has none/ });
  t.throws(() => io.save({} as never), { message: /io\.save: model is an object, expected a Sequential or a Seq2Seq/ });
});

t.test('guards: non-finite, abort, early stopping, callbacks, bad arguments', async (t) => {
  await init();
  const { x, y } = data(16, 4, 2, 1, 31);
  const mk = (): Sequential => new Sequential([new LSTM({ inputSize: 2, hiddenSize: 4, seed: 1 }), new Linear({ inFeatures: 4, outFeatures: 1, seed: 2 })]);
  const m = mk();
  await t.rejects(m.fit(x, y), { message: 'Sequential.fit: call compile({ optimizer, loss }) first' });
  m.compile({ optimizer: optim.sgd({ lr: 1e30 }), loss: 'mse' });
  await t.rejects(m.fit(x, y, { epochs: 3, batchSize: 4 }), { code: 'NON_FINITE', message: /Sequential\.fit: the (loss|gradient norm) is (NaN|Infinity)/ });
  const s = mk();
  s.compile({ optimizer: optim.sgd({ lr: 1e30 }), loss: 'mse', onNonFinite: 'skip' });
  const hs = await s.fit(x, y, { epochs: 2, batchSize: 4 });
  t.equal(hs.loss.length, 2, "onNonFinite: 'skip' keeps going");
  const ctl = new AbortController();
  const a = mk();
  a.compile({ optimizer: optim.adam(), loss: 'mse' });
  const batches: number[] = [], epochs: number[] = [];
  const h = await a.fit(x, y, { epochs: 5, batchSize: 4, callbacks: { onBatchEnd: (b) => { batches.push(b); if (b === 1) ctl.abort(); }, onEpochEnd: (e) => { epochs.push(e); } }, signal: ctl.signal });
  t.equal(h.stopped, 'aborted');
  t.same(batches, [0, 1]);
  t.same(epochs, []);
  const e = mk();
  e.compile({ optimizer: optim.sgd({ lr: 1e-12 }), loss: 'mse' });
  const he = await e.fit(x, y, { epochs: 50, batchSize: 16, earlyStopping: { patience: 2, minDelta: 1 } });
  t.equal(he.stopped, 'earlyStopping');
  t.equal(he.loss.length, 3, 'stops after patience epochs without improvement');
  const v = mk();
  v.compile({ optimizer: optim.adam(), loss: 'mse', metrics: ['mae', 'rmse'] });
  const hv = await v.fit(x, y, { epochs: 2, batchSize: 4, validationSplit: 0.25 });
  t.equal(hv.valLoss.length, 2);
  t.equal(hv.metrics.mae!.length, 2);
  t.equal(hv.valMetrics.rmse!.length, 2);
  await t.rejects(v.fit(tensor(new Float32Array(16 * 4 * 3), [16, 4, 3]), y), { message: /Sequential\.fit: x has shape \[16,4,3\], expected \[\*,\*,2\]/ });
  await t.rejects(v.fit(x, tensor(new Float32Array(16 * 2), [16, 2])), { message: /Sequential\.fit: y has shape \[16,2\], expected \[16,1\]/ });
  await t.rejects(v.fit(x, y, { lengths: [1, 2] }), { message: /options\.lengths\.length is 2, expected 16 \(the batch size\)/ });
  await t.rejects(v.fit(x, y, { validationSplit: 1.5 }), { message: /validationSplit is 1\.5/ });
  t.throws(() => v.compile({ optimizer: optim.adam(), loss: 'l2' as never }), { message: /Sequential\.compile: loss is "l2", expected 'mse'/ });
  t.throws(() => new Sequential([new Linear({ inFeatures: 2, outFeatures: 1 })]), { message: /Sequential: layers\[0\] is a Linear, expected a Linear or Dropout layer \(recurrent layers come first\)|at least one recurrent layer/ });
  t.throws(() => new Sequential([new LSTM({ inputSize: 2, hiddenSize: 4 }), new Linear({ inFeatures: 5, outFeatures: 1 })]), { message: "Sequential: layers[1].inFeatures is 5, expected 4 (the previous layer's output)" });
  const bi = new Sequential([new GRU({ inputSize: 2, hiddenSize: 3, bidirectional: true, seed: 1 }), new Linear({ inFeatures: 6, outFeatures: 1, seed: 1 })]);
  bi.compile({ optimizer: optim.adam(), loss: 'mse' });
  await t.rejects(bi.fit(x, y, { tbptt: 2 }), { message: /tbptt is 2, expected 0 for a bidirectional model/ });
  const hb = await bi.fit(x, y, { epochs: 2, batchSize: 5 });
  t.ok(hb.loss.every(Number.isFinite), 'bidirectional model trains (last = both directions\' final states)');
});

t.test('classification with crossEntropy and bceWithLogits', async (t) => {
  await init();
  // Which of two features has the larger sum over the sequence?
  const N = 200, T = 6, r = rng(5);
  const x = uniform(r, N * T * 2, 0, 1), cls = new Int32Array(N), bin = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    let a = 0, b = 0;
    for (let s = 0; s < T; s++) { a += x[(n * T + s) * 2]!; b += x[(n * T + s) * 2 + 1]!; }
    cls[n] = a > b ? 1 : 0; bin[n] = cls[n]!;
  }
  const m = new Sequential([new GRU({ inputSize: 2, hiddenSize: 12, seed: 1 }), new Linear({ inFeatures: 12, outFeatures: 2, seed: 2 })]);
  m.compile({ optimizer: optim.adam({ lr: 0.02 }), loss: 'crossEntropy', metrics: ['accuracy'] });
  const h = await m.fit(tensor(x, [N, T, 2]), cls, { epochs: 30, batchSize: 20, seed: 1 });
  t.ok(h.metrics.accuracy!.at(-1)! > 0.9, `crossEntropy accuracy ${h.metrics.accuracy!.at(-1)}`);
  const b = new Sequential([new GRU({ inputSize: 2, hiddenSize: 12, seed: 1 }), new Linear({ inFeatures: 12, outFeatures: 1, seed: 2 })]);
  b.compile({ optimizer: optim.adam({ lr: 0.02 }), loss: 'bceWithLogits', metrics: ['accuracy'] });
  const hb = await b.fit(tensor(x, [N, T, 2]), tensor(bin, [N, 1]), { epochs: 30, batchSize: 20, seed: 1 });
  t.ok(hb.metrics.accuracy!.at(-1)! > 0.9, `bceWithLogits accuracy ${hb.metrics.accuracy!.at(-1)}`);
  await t.rejects(m.fit(tensor(x, [N, T, 2]), new Int32Array(N).fill(2)), { message: /y\[0\] is 2, expected a class index in \[0, 1\]/ });
});
