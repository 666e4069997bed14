// The browser side of browser.test.ts: bundled by esbuild with the package,
// run by headless Chromium. Inference and a few training steps on the
// default backend (wasm SIMD) and on JS; results go to window.result.
import { init, threads, detectFeatures, tensor, LSTM, GRU, Linear, Sequential, optim } from '../../dist/index.js';

async function run(backendName) {
  const name = backendName ? await init({ backend: backendName }) : await init();
  const x = tensor(Float32Array.from({ length: 5 * 2 * 3 }, (_, i) => Math.sin(i)), [5, 2, 3]);
  const y = new LSTM({ inputSize: 3, hiddenSize: 4, seed: 1 }).forward(x).output.data;
  const m = new Sequential([new GRU({ inputSize: 3, hiddenSize: 4, seed: 2 }), new Linear({ inFeatures: 4, outFeatures: 1, seed: 3 })]);
  m.compile({ optimizer: optim.adam({ lr: 0.01 }), loss: 'mse' });
  const xb = tensor(Float32Array.from({ length: 2 * 5 * 3 }, (_, i) => Math.cos(i)), [2, 5, 3]), yb = tensor(new Float32Array([0.5, -0.5]), [2, 1]);
  const losses = [];
  for (let i = 0; i < 5; i++) losses.push(m.trainOnBatch(xb, yb));
  return { name, y: Array.from(y), losses };
}

// Two threads where the page is cross-origin isolated (one elsewhere), and the same bits as one thread.
async function threaded() {
  const x = tensor(Float32Array.from({ length: 32 * 20 * 16 }, (_, i) => Math.sin(i * 0.1)), [32, 20, 16]);
  const out = async (n) => {
    const name = await init({ threads: n });
    const used = threads();
    const y = new LSTM({ inputSize: 16, hiddenSize: 64, batchFirst: true, seed: 5 }).forward(x).output.data;
    return { name, used, y: Array.from(y) };
  };
  const two = await out(2), one = await out(1);
  return { features: detectFeatures().threads, isolated: self.crossOriginIsolated, name: two.name, threads: two.used, same: two.y.every((v, i) => Object.is(v, one.y[i])) };
}

window.result = (async () => {
  try {
    return { auto: await run(), js: await run('js'), threaded: await threaded() };
  } catch (e) {
    return { error: String(e && e.stack || e) };
  }
})();
