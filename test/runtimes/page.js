// The browser side of browser.test.ts: bundled by esbuild with the package,
// run by headless Chromium. Inference and a few training steps on the
// default backend (wasm SIMD) and on JS; results go to window.result.
import { init, tensor, LSTM, GRU, Linear, Sequential, optim } from '../../dist/index.js';

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

window.result = (async () => {
  try {
    return { auto: await run(), js: await run('js') };
  } catch (e) {
    return { error: String(e && e.stack || e) };
  }
})();
