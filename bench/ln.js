// npm run bench:ln: the layer-normalized cells against the plain ones, per time step (I = 64, H = 128,
// T = 100), forward and forward+backward, interleaved in one process, best of 9 rounds of 250 ms.
import { init, tensor, LSTM, GRU } from '../dist/index.js';
await init({ backend: 'wasm-simd', threads: 1 });
const I = 64, H = 128, T = 100;
let s = 7; const r = () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32 * 2 - 1; };
function time(f, ms) { let n = 0; const t0 = performance.now(); while (performance.now() - t0 < ms) { f(); n++; } return (performance.now() - t0) / n; }
console.log('| cell | batch | plain µs/step | LN µs/step | LN ÷ plain | plain fwd+bwd | LN fwd+bwd | LN ÷ plain |\n|---|---|---|---|---|---|---|---|');
for (const B of [1, 32]) {
  const x = tensor(Float32Array.from({ length: B * T * I }, r), [B, T, I]), dy = tensor(Float32Array.from({ length: B * T * H }, r), [B, T, H]);
  for (const [C, n] of [[LSTM, 'LSTM'], [GRU, 'GRU']]) {
    const p = new C({ inputSize: I, hiddenSize: H, batchFirst: true, seed: 1 }), q = new C({ inputSize: I, hiddenSize: H, batchFirst: true, layerNorm: true, seed: 1 });
    const best = { pf: Infinity, qf: Infinity, pb: Infinity, qb: Infinity };
    for (let round = 0; round < 9; round++) {
      best.pf = Math.min(best.pf, time(() => p.forward(x), 250)); best.qf = Math.min(best.qf, time(() => q.forward(x), 250));
      best.pb = Math.min(best.pb, time(() => { p.forward(x, { train: true }); p.backward(dy); }, 250));
      best.qb = Math.min(best.qb, time(() => { q.forward(x, { train: true }); q.backward(dy); }, 250));
    }
    const us = (ms) => (ms / T * 1000).toFixed(1);
    console.log(`| ${n} | B=${B} | ${us(best.pf)} | ${us(best.qf)} | ${(best.qf / best.pf).toFixed(2)}× | ${us(best.pb)} | ${us(best.qb)} | ${(best.qb / best.pb).toFixed(2)}× |`);
  }
}
