// `npm start` (until the training and CLI issues land): an LSTM layer, I = 64,
// H = 128, T = 100, run forward and forward + backward on wasm SIMD and on the
// pure-JS backend with the same weights; prints the speed-up and checks that
// both backends agree.
import { init, tensor, LSTM, type BackendName, type Tensor } from './index.js';
import { rng } from './util/rng.js';

const I = 64, H = 128, T = 100;

function rand(shape: number[], seed: number): Tensor {
  const r = rng(seed);
  return tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 2 * r() - 1), shape);
}

function rate(fn: () => void, per: number, budgetMs = 1200): number {
  fn();
  let n = 0;
  const t0 = performance.now();
  do { fn(); n++; } while (performance.now() - t0 < budgetMs);
  return (n * per * 1000) / (performance.now() - t0);
}

async function main(): Promise<void> {
  console.log(`simd-rnn: LSTM layer, input ${I}, hidden ${H}, ${T} steps (batchFirst)\n`);
  let weights: Record<string, Tensor> | null = null;
  const res: Record<string, { fwd1: number; fwd32: number; train32: number; y: Float32Array }> = {};
  for (const name of ['wasm-simd', 'js'] as BackendName[]) {
    await init({ backend: name });
    const lstm = new LSTM({ inputSize: I, hiddenSize: H, batchFirst: true, seed: 1 });
    if (weights) lstm.loadStateDict(weights); else weights = lstm.stateDict();
    const x1 = rand([1, T, I], 2), x32 = rand([32, T, I], 3), dy = rand([32, T, H], 4);
    res[name] = {
      fwd1: rate(() => lstm.forward(x1), 1),
      fwd32: rate(() => lstm.forward(x32), 32),
      train32: rate(() => { lstm.forward(x32, { train: true }); lstm.backward(dy); }, 32),
      y: lstm.forward(x32).output.data,
    };
  }
  const s = res['wasm-simd']!, j = res.js!;
  const row = (label: string, a: number, b: number): string =>
    `${label.padEnd(28)} wasm-simd ${a.toFixed(0).padStart(6)} seq/s   js ${b.toFixed(0).padStart(5)} seq/s   ${(a / b).toFixed(1)}×`;
  console.log(row('forward, batch 1', s.fwd1, j.fwd1));
  console.log(row('forward, batch 32', s.fwd32, j.fwd32));
  console.log(row('forward+backward, batch 32', s.train32, j.train32));
  let maxDiff = 0;
  for (let i = 0; i < s.y.length; i++) maxDiff = Math.max(maxDiff, Math.abs(s.y[i]! - j.y[i]!));
  console.log(`\nsame weights, same input: max |y_wasm − y_js| = ${maxDiff.toExponential(1)}`);
  console.log('npm test checks every kernel and layer against float64 references and PyTorch; npm run bench times them.');
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
