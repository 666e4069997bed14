// A model's streaming step equals predict on the prefix, step by step; and
// free-running generation from a character model trained with teacher forcing.
import t from 'tap';
import { init, tensor, Embedding, LSTM, GRU, Linear, Dropout, Sequential, optim } from '../../src/index.js';
import { forEachCurrentBackend } from '../helpers/current.js';
import { close } from '../helpers/backends.js';
import { rng, uniform } from '../helpers/rng.js';

t.test('step equals predict over each prefix', async (t) => {
  await forEachCurrentBackend(t, (t) => {
    const T = 5, F = 3, B = 2;
    const m = new Sequential([
      new LSTM({ inputSize: F, hiddenSize: 6, numLayers: 2, seed: 1 }), new Dropout({ p: 0.3, seed: 1 }),
      new GRU({ inputSize: 6, hiddenSize: 4, seed: 2 }),
      new Linear({ inFeatures: 4, outFeatures: 3, activation: 'tanh', seed: 3 }), new Linear({ inFeatures: 3, outFeatures: 2, seed: 4 }),
    ], { output: 'all' });
    const x = uniform(rng(3), B * T * F);
    const all = m.predict(tensor(x, [B, T, F])).data;
    const st = m.zeroState(B);
    for (let s = 0; s < T; s++) {
      const xt = new Float32Array(B * F);
      for (let b = 0; b < B; b++) xt.set(x.subarray((b * T + s) * F, (b * T + s + 1) * F), b * F);
      const y = m.step(xt, st);
      const want = new Float32Array(B * 2);
      for (let b = 0; b < B; b++) want.set(all.subarray((b * T + s) * 2, (b * T + s + 1) * 2), b * 2);
      close(t, y.data, want, 2e-6, 1e-5, `step ${s}`);
    }
    st.dispose();
    const bi = new Sequential([new GRU({ inputSize: 2, hiddenSize: 2, bidirectional: true })]);
    t.throws(() => bi.zeroState(1), { message: /expected a unidirectional model/ });
  });
});

t.test('teacher forcing, then free-running generation', async (t) => {
  await init();
  // A cyclic "language": a b c d a b c d …; the model learns the successor.
  const V = 4, N = 64, T = 12, r = rng(8);
  const x = new Int32Array(N * T), y = new Int32Array(N * T);
  for (let n = 0; n < N; n++) {
    const s0 = Math.floor(r() * V);
    for (let s = 0; s < T; s++) { x[n * T + s] = (s0 + s) % V; y[n * T + s] = (s0 + s + 1) % V; }
  }
  const m = new Sequential([
    new Embedding({ numEmbeddings: V, embeddingDim: 4, seed: 1 }),
    new GRU({ inputSize: 4, hiddenSize: 16, seed: 2 }),
    new Linear({ inFeatures: 16, outFeatures: V, seed: 3 }),
  ], { output: 'all' });
  m.compile({ optimizer: optim.adam({ lr: 0.02 }), loss: 'crossEntropy', metrics: ['accuracy'] });
  const h = await m.fit(tensor(Float32Array.from(x), [N, T]), y, { epochs: 20, batchSize: 16, seed: 1 });
  t.ok(h.metrics.accuracy!.at(-1)! > 0.99, 'learned with teacher forcing');
  const st = m.zeroState(1);
  let tok = 2;
  const out: number[] = [tok];
  for (let s = 0; s < 10; s++) {
    const logits = m.step(new Int32Array([tok]), st).data;
    tok = logits.indexOf(Math.max(...logits));
    out.push(tok);
  }
  t.same(out, [2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0], 'generates the cycle from its own outputs');
});
