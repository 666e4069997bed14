// Embedding: lookup, gradients through a model, padding index, save/load.
import t from 'tap';
import { init, tensor, Embedding, GRU, LSTM, Linear, Sequential, optim, io } from '../../src/index.js';
import { forEachCurrentBackend } from '../helpers/current.js';
import { close } from '../helpers/backends.js';

t.test('lookup and errors', async (t) => {
  await init();
  const e = new Embedding({ numEmbeddings: 5, embeddingDim: 3, paddingIdx: 0, seed: 1 });
  const w = e.stateDict().weight!.data;
  t.same(Array.from(w.subarray(0, 3)), [0, 0, 0], 'padding row is zero');
  const std = Math.sqrt(Array.from(w.subarray(3)).reduce((a, v) => a + v * v, 0) / 12);
  t.ok(std > 0.4 && std < 1.8, `N(0, 1) init (sample std ${std.toFixed(2)})`);
  const out = e.forward(new Int32Array([2, 4, 2]));
  t.same(out.shape, [3, 3]);
  t.same(Array.from(out.data.subarray(0, 3)), Array.from(w.subarray(6, 9)));
  t.throws(() => e.forward(new Int32Array([5])), { message: 'Embedding.forward: indices[0] is 5, expected an index in [0, 4]' });
  t.throws(() => new Embedding({ numEmbeddings: 5, embeddingDim: 3, paddingIdx: 7 }), { message: /paddingIdx is 7, expected an integer in \[0, 4\]/ });
});

t.test('a model with an Embedding: gradients by finite differences of the loss', async (t) => {
  await forEachCurrentBackend(t, async (t) => {
    const V = 6, N = 4, T = 5;
    const idx = new Int32Array([1, 2, 3, 0, 0, 5, 5, 4, 1, 0, 2, 2, 2, 2, 2, 3, 1, 4, 0, 0]);
    const y = new Int32Array(N * T).map((_, i) => (i * 7) % V);
    const build = (): Sequential => {
      const m = new Sequential([
        new Embedding({ numEmbeddings: V, embeddingDim: 4, paddingIdx: 0, seed: 1 }),
        new GRU({ inputSize: 4, hiddenSize: 5, seed: 2 }),
        new Linear({ inFeatures: 5, outFeatures: V, seed: 3 }),
      ], { output: 'all' });
      m.compile({ optimizer: optim.sgd({ lr: 1e-12 }), loss: 'crossEntropy' });
      return m;
    };
    const m = build();
    const x = tensor(Float32Array.from(idx), [N, T]);
    const lengths = [5, 3, 5, 4];
    await m.fit(x, y, { lengths, batchSize: N, shuffle: false });
    const g = m.gradStateDict()['layers.0.weight']!.data;
    t.same(Array.from(g.subarray(0, 4)), [0, 0, 0, 0], 'padding row gets no gradient');
    // Central differences (f32 model, eps 1e-2) on a few embedding entries.
    const probe = build();
    const base = probe.stateDict();
    for (const i of [4, 9, 14, 23]) {
      const f = (d: number): number => {
        const w = { ...base, 'layers.0.weight': { data: Float32Array.from(base['layers.0.weight']!.data), shape: [V, 4] } };
        w['layers.0.weight'].data[i] += d;
        probe.loadStateDict(w);
        return probe.evaluate(x, y, { lengths, batchSize: N }).loss;
      };
      const num = (f(1e-2) - f(-1e-2)) / 2e-2;
      close(t, [g[i]!], [num], 2e-4, 2e-2, `dL/dW[${i}]`);
    }
    const again = io.load(io.save(m));
    t.same(again.predict(x, { lengths }).data, m.predict(x, { lengths }).data, 'save/load with an Embedding');
  });
});

t.test('Embedding must come first, then a recurrent layer', async (t) => {
  await init();
  t.throws(() => new Sequential([new Embedding({ numEmbeddings: 3, embeddingDim: 2 }), new Linear({ inFeatures: 2, outFeatures: 1 })]), { message: /layers\[1\] is a Linear, expected a recurrent layer right after the Embedding/ });
  t.throws(() => new Sequential([new LSTM({ inputSize: 2, hiddenSize: 2 }), new Embedding({ numEmbeddings: 3, embeddingDim: 2 })]), { message: /layers\[1\]/ });
  const m = new Sequential([new Embedding({ numEmbeddings: 3, embeddingDim: 2, seed: 1 }), new LSTM({ inputSize: 2, hiddenSize: 2, seed: 1 })]);
  t.throws(() => m.predict(tensor([0, 1, 3], [1, 3])), { message: 'Sequential.predict: x[2] is 3, expected an index in [0, 2]' });
  t.throws(() => m.predict(tensor(new Float32Array(6), [1, 3, 2])), { message: /x is a tensor of shape \[1,3,2\], expected a tensor of indices \[N, T\]/ });
});
