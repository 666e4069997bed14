// Dropout between stacked layers: training only, seeded, and backward uses
// the same mask as forward.
import t from 'tap';
import { init, LSTM, GRU, tensor } from '../../src/index.js';
import { rng, uniform } from '../helpers/rng.js';

t.test('dropout between layers', async (t) => {
  await init();
  const x = tensor(uniform(rng(1), 5 * 3 * 4), [5, 3, 4]);
  const a = new LSTM({ inputSize: 4, hiddenSize: 6, numLayers: 3, dropout: 0.5, seed: 5 });
  const plain = new LSTM({ inputSize: 4, hiddenSize: 6, numLayers: 3, seed: 99 });
  plain.loadStateDict(a.stateDict());
  t.same(a.forward(x).output, plain.forward(x).output, 'inference ignores dropout');
  t.same(a.forward(x, { train: false }).output, plain.forward(x).output, 'train: false ignores dropout');
  const tr = a.forward(x, { train: true }).output;
  t.notSame(tr.data, plain.forward(x).output.data, 'training applies it');
  const b = new LSTM({ inputSize: 4, hiddenSize: 6, numLayers: 3, dropout: 0.5, seed: 5 });
  t.same(b.forward(x, { train: true }).output, tr, 'same seed, same masks');
  // Backward goes through the forward pass's masks: an upstream gradient of
  // exactly the output gives dx·x + … consistent with a second identical run.
  const dy = tensor(uniform(rng(2), tr.data.length), tr.shape);
  const g1 = a.backward(dy);
  const g2 = a.backward(dy);
  t.same(g1.dx, g2.dx, 'backward is repeatable for one forward pass');
  t.ok(g1.dx.data.every(Number.isFinite) && g1.dx.data.some((v) => v !== 0), 'finite, non-zero gradients');
  // A single-layer model has no dropout to apply.
  const one = new GRU({ inputSize: 4, hiddenSize: 6, dropout: 0.5, seed: 5 });
  const oneRef = new GRU({ inputSize: 4, hiddenSize: 6, seed: 6 });
  oneRef.loadStateDict(one.stateDict());
  t.same(one.forward(x, { train: true }).output, oneRef.forward(x).output, 'no dropout after the last layer');
});

t.test('step takes a bare Float32Array too', async (t) => {
  await init();
  const g = new GRU({ inputSize: 3, hiddenSize: 4, seed: 1 });
  const s1 = g.zeroState(2), s2 = g.zeroState(2);
  const xt = new Float32Array([1, 2, 3, 4, 5, 6]);
  t.same(g.step(xt, s1).data, g.step(tensor(xt, [2, 3]), s2).data);
});

t.test('variational recurrent dropout: one mask per sequence, gradients by finite differences', async (t) => {
  const { forEachCurrentBackend } = await import('../helpers/current.js');
  const { close } = await import('../helpers/backends.js');
  await forEachCurrentBackend(t, (t) => {
    for (const Cell of [LSTM, GRU]) {
      const T = 4, B = 2, I = 3, H = 5;
      const layer = new Cell({ inputSize: I, hiddenSize: H, recurrentDropout: 0.4, seed: 3 });
      const x = tensor(uniform(rng(5), T * B * I), [T, B, I]);
      const dy = uniform(rng(6), T * B * H);
      t.same(layer.forward(x).output, layer.forward(x, { train: false }).output, 'no effect in inference');
      const s0 = layer.random.state;
      const loss = (): number => {
        layer.random.state = s0; // the same masks every evaluation
        const y = layer.forward(x, { train: true }).output.data;
        let s = 0;
        for (let i = 0; i < y.length; i++) s += y[i]! * dy[i]!;
        return s;
      };
      const base = loss();
      const plain = new Cell({ inputSize: I, hiddenSize: H, seed: 9 });
      plain.loadStateDict(layer.stateDict());
      t.not(base, (() => { const y = plain.forward(x).output.data; let s = 0; for (let i = 0; i < y.length; i++) s += y[i]! * dy[i]!; return s; })(), 'training applies the mask');
      layer.zeroGrad();
      layer.random.state = s0;
      layer.forward(x, { train: true });
      layer.backward(tensor(dy, [T, B, H]));
      const g = layer.gradStateDict().weight_hh_l0!.data;
      const sd = layer.stateDict();
      for (const i of [0, 7, 13, 29]) {
        const f = (e: number): number => {
          const w = Float32Array.from(sd.weight_hh_l0!.data);
          w[i] += e;
          layer.loadStateDict({ ...sd, weight_hh_l0: { data: w, shape: sd.weight_hh_l0!.shape } });
          return loss();
        };
        close(t, [g[i]!], [(f(1e-2) - f(-1e-2)) / 2e-2], 3e-4, 2e-2, `${Cell.name} dW_hh[${i}]`);
      }
      layer.loadStateDict(sd);
    }
  });
});
