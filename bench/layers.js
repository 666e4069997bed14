// Layer benchmarks: whole-sequence forward, forward + backward, and the
// streaming step, on every backend in one run (I = 64, H = 128, T = 100).
import { init, tensor, LSTM, GRU, Linear, Sequential, optim } from '../dist/index.js';
import { rng, measure, progress } from './common.js';

const I = 64, H = 128, T = 100;

function input(shape, seed) {
  const r = rng(seed), n = shape.reduce((a, b) => a * b, 1);
  return tensor(Float32Array.from({ length: n }, r), shape);
}

export const layerCases = [];
// The layer-normalized cells (layerNorm: true) beside the plain ones.
for (const [Cell, name, layerNorm] of [[LSTM, 'LSTM', false], [GRU, 'GRU', false], [LSTM, 'LN-LSTM', true], [GRU, 'LN-GRU', true]]) {
  for (const B of [1, 32]) {
    layerCases.push({
      name: `${name} forward`, shape: `I=${I} H=${H} T=${T} B=${B}`, unit: 'seq/s', per: B,
      setup() {
        const layer = new Cell({ inputSize: I, hiddenSize: H, batchFirst: true, layerNorm, seed: 1 });
        const x = input([B, T, I], 2);
        return () => layer.forward(x);
      },
    });
    if (Cell === LSTM) {
      layerCases.push({
        name: `${name} forward+backward`, shape: `I=${I} H=${H} T=${T} B=${B}`, unit: 'seq/s', per: B,
        setup() {
          const layer = new Cell({ inputSize: I, hiddenSize: H, batchFirst: true, layerNorm, seed: 1 });
          const x = input([B, T, I], 2), dy = input([B, T, H], 3);
          return () => { layer.forward(x, { train: true }); layer.backward(dy); };
        },
      });
    }
  }
}
layerCases.push({
  name: 'LSTM step', shape: `I=${I} H=${H} B=1`, unit: 'µs/step', per: 1, lowerIsBetter: true,
  setup() {
    const layer = new LSTM({ inputSize: I, hiddenSize: H, seed: 1 });
    const state = layer.zeroState(1), xt = input([1, I], 4);
    return () => layer.step(xt, state);
  },
});

// One training step of a model: 2-layer LSTM (I = 32, H = 128), T = 50, batch 32, Adam.
layerCases.push({
  name: 'train step 2×LSTM+Linear, Adam', shape: 'I=32 H=128 T=50 B=32', unit: 'seq/s', per: 32,
  setup() {
    const model = new Sequential([
      new LSTM({ inputSize: 32, hiddenSize: 128, numLayers: 2, seed: 1 }),
      new Linear({ inFeatures: 128, outFeatures: 1, seed: 2 }),
    ]);
    model.compile({ optimizer: optim.adam({ lr: 1e-3 }), loss: 'mse' });
    const x = input([32, 50, 32], 5), y = input([32, 1], 6);
    // fit is async (it yields between batches); time the synchronous step it runs.
    return () => model.trainOnBatch(x, y);
  },
});

export async function runLayers(names) {
  const rows = [];
  for (const c of layerCases) {
    const row = { suite: 'layers', kernel: c.name, shape: c.shape, unit: c.unit, results: {} };
    for (const n of names) {
      await init({ backend: n, threads: 1 });
      const r = await measure(c.setup());
      row.results[n] = r.error ? { error: r.error } : { rate: c.lowerIsBetter ? 1e6 / r.hz : r.hz * c.per, rme: r.rme };
      progress();
    }
    const s = row.results['wasm-simd']?.rate, j = row.results.js?.rate;
    row.simdOverJs = s && j ? (c.lowerIsBetter ? j / s : s / j) : null;
    rows.push(row);
  }
  return rows;
}
