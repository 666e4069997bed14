// Learning tests on known tasks, on the default backend, each reaching a
// stated loss within a bounded number of optimizer steps.
import t from 'tap';
import { init, tensor, LSTM, GRU, Linear, Sequential, optim, getBackend } from '../../src/index.js';
import { rng } from '../helpers/rng.js';

t.test('adding problem, T = 50: LSTM reaches test MSE < 0.01 within 2000 steps', async (t) => {
  await init();
  const T = 50;
  const make = (N: number, seed: number): { x: Float32Array; y: Float32Array } => {
    const r = rng(seed), x = new Float32Array(N * T * 2), y = new Float32Array(N);
    for (let n = 0; n < N; n++) {
      const a = Math.floor(r() * (T / 2)), b = T / 2 + Math.floor(r() * (T / 2));
      for (let s = 0; s < T; s++) {
        const v = r();
        x[(n * T + s) * 2] = v;
        if (s === a || s === b) { x[(n * T + s) * 2 + 1] = 1; y[n] += v; }
      }
    }
    return { x, y };
  };
  const tr = make(10000, 1), te = make(1000, 2);
  const model = new Sequential([new LSTM({ inputSize: 2, hiddenSize: 32, seed: 1 }), new Linear({ inFeatures: 32, outFeatures: 1, seed: 2 })]);
  model.compile({ optimizer: optim.adam({ lr: 1e-2 }), loss: 'mse', clipNorm: 1 });
  let mse = Infinity, steps = 0;
  for (let epoch = 0; epoch < 10 && mse >= 0.01; epoch++) {
    const h = await model.fit(tensor(tr.x, [10000, T, 2]), tensor(tr.y, [10000, 1]), { epochs: 1, batchSize: 50, seed: epoch });
    steps = h.steps;
    mse = model.evaluate(tensor(te.x, [1000, T, 2]), tensor(te.y, [1000, 1])).loss;
  }
  t.ok(mse < 0.01, `test MSE ${mse.toFixed(4)} after ${steps} steps (a constant guess scores ≈ 0.17)`);
  t.ok(steps <= 2000, `${steps} steps`);
});

t.test('delayed recall: output the symbol seen 3 steps earlier, accuracy > 0.95 within 1500 steps', async (t) => {
  await init();
  const N = 2000, T = 12, C = 4, D = 3, r = rng(3);
  const x = new Float32Array(N * T * C), y = new Int32Array(N * T);
  for (let n = 0; n < N; n++) {
    const sym: number[] = [];
    for (let s = 0; s < T; s++) {
      const c = Math.floor(r() * C);
      sym.push(c);
      x[(n * T + s) * C + c] = 1;
      y[n * T + s] = s >= D ? sym[s - D]! : -100; // nothing to recall yet: ignored
    }
  }
  const model = new Sequential([new GRU({ inputSize: C, hiddenSize: 24, seed: 1 }), new Linear({ inFeatures: 24, outFeatures: C, seed: 2 })], { output: 'all' });
  model.compile({ optimizer: optim.adam({ lr: 0.01 }), loss: 'crossEntropy', metrics: ['accuracy'] });
  const h = await model.fit(tensor(x, [N, T, C]), y, { epochs: 15, batchSize: 32, seed: 1, earlyStopping: { monitor: 'loss', patience: 100 } });
  const acc = h.metrics.accuracy!.at(-1)!;
  t.ok(acc > 0.95, `accuracy ${acc.toFixed(3)} after ${h.steps} steps (chance: 0.25)`);
  t.ok(h.steps <= 1500);
});

t.test('noisy sine, next-step forecasting with truncated BPTT over one long series', async (t) => {
  await init();
  // One series of 100 000 steps, trained in chunks of 50: the workspace holds 50 steps, not 100 000.
  const L = 100000, r = rng(9), s = new Float32Array(L + 1);
  for (let i = 0; i <= L; i++) s[i] = Math.sin(0.07 * i) * Math.cos(0.011 * i) + 0.05 * (r() - 0.5);
  const x = tensor(s.subarray(0, L), [1, L, 1]), y = tensor(s.slice(1), [1, L, 1]);
  const model = new Sequential([new LSTM({ inputSize: 1, hiddenSize: 16, seed: 1 }), new Linear({ inFeatures: 16, outFeatures: 1, seed: 2 })], { output: 'all' });
  model.compile({ optimizer: optim.adam({ lr: 5e-3 }), loss: 'mse' });
  const h = await model.fit(x, y, { epochs: 2, batchSize: 1, tbptt: 50 });
  const mse = h.loss.at(-1)!;
  t.ok(mse < 0.005, `MSE ${mse.toFixed(5)} after ${h.steps} steps (series variance ≈ 0.25; noise floor ≈ 0.0002)`);
  t.equal(h.steps, 4000, 'one update per 50-step chunk');
  const heapAfter = getBackend().heap.byteLength;
  t.ok(heapAfter < 64 << 20, `heap ${(heapAfter / 2 ** 20).toFixed(1)} MiB: activations for one chunk, not the whole series`);
});
