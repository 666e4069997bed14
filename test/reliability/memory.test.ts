// Memory stays flat: disposed models return their heap regions, which new
// models reuse; streaming steps allocate nothing on the heap.
import t from 'tap';
import { init, tensor, LSTM, GRU, Linear, Sequential, optim, getBackend } from '../../src/index.js';

t.test('creating and disposing models leaves the heap flat', async (t) => {
  await init();
  const heap = getBackend().heap;
  const cycle = (): void => {
    const m = new Sequential([new LSTM({ inputSize: 4, hiddenSize: 16, seed: 1 }), new Linear({ inFeatures: 16, outFeatures: 1, seed: 2 })]);
    m.compile({ optimizer: optim.adam(), loss: 'mse' });
    m.trainOnBatch(tensor(new Float32Array(8 * 5 * 4).fill(0.1), [8, 5, 4]), tensor(new Float32Array(8), [8, 1]));
    m.dispose();
  };
  for (let i = 0; i < 20; i++) cycle(); // warm up: the heap grows to its working size once
  const used = heap.usedBytes, size = heap.byteLength, rss = process.memoryUsage().rss;
  for (let i = 0; i < 2000; i++) cycle();
  t.equal(heap.usedBytes, used, `heap in use unchanged after 2000 more models (${used} bytes)`);
  t.equal(heap.byteLength, size, 'wasm memory did not grow');
  const grew = (process.memoryUsage().rss - rss) / 2 ** 20;
  t.ok(grew < 64, `RSS grew ${grew.toFixed(1)} MiB`);
});

t.test('streaming steps allocate nothing on the heap', async (t) => {
  await init();
  const heap = getBackend().heap;
  const g = new GRU({ inputSize: 8, hiddenSize: 32, numLayers: 2, seed: 1 });
  const st = g.zeroState(1);
  const xt = new Float32Array(8).fill(0.3);
  g.step(xt, st);
  const used = heap.usedBytes, size = heap.byteLength;
  for (let i = 0; i < 100000; i++) g.step(xt, st);
  t.equal(heap.usedBytes, used, 'no heap growth over 100 000 steps');
  t.equal(heap.byteLength, size);
  t.ok(st.h.data.every(Number.isFinite), 'state stays finite');
  st.dispose();
  g.dispose();
});
