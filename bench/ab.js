// npm run bench:ab -- BASE_DIST [NEW_DIST]: the layer suite's cases (and two
// training steps), one build against another, in ONE process, interleaved,
// best of 5 rounds (--rounds N), so that a change's effect is measured on the same
// machine state. BASE_DIST is the dist/ folder of another checkout (build one
// with: git worktree add ../base <commit> && cd ../base && npm install);
// NEW_DIST defaults to this checkout's dist/.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const argv = process.argv.slice(2), flag = argv.findIndex((a) => a === '--rounds');
const ROUNDS = flag >= 0 ? Number(argv.splice(flag, 2)[1]) : 5;
const [baseDir, newDir = new URL('../dist', import.meta.url).pathname] = argv;
if (!baseDir) { console.error('usage: npm run bench:ab -- BASE_DIST [NEW_DIST]'); process.exit(2); }
const load = (d) => import(pathToFileURL(resolve(d, 'index.js')).href);
const A = await load(baseDir), B = await load(newDir);
const I = 64, H = 128, T = 100;

function rng(seed) { let s = seed >>> 0; return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1; }
const input = (L, shape, seed) => { const r = rng(seed), n = shape.reduce((a, b) => a * b, 1); return L.tensor(Float32Array.from({ length: n }, r), shape); };

function cases(L) {
  const out = [];
  for (const [Cell, name] of [[L.LSTM, 'LSTM'], [L.GRU, 'GRU']]) {
    for (const Bn of [1, 32]) {
      const layer = new Cell({ inputSize: I, hiddenSize: H, batchFirst: true, seed: 1 }), x = input(L, [Bn, T, I], 2);
      out.push([`${name} forward I=${I} H=${H} T=${T} B=${Bn}`, () => layer.forward(x), Bn]);
      if (name === 'LSTM') {
        const l2 = new Cell({ inputSize: I, hiddenSize: H, batchFirst: true, seed: 1 }), dy = input(L, [Bn, T, H], 3);
        out.push([`LSTM forward+backward B=${Bn}`, () => { l2.forward(x, { train: true }); l2.backward(dy); }, Bn]);
      }
    }
  }
  const x = input(L, [32, 50, 32], 5);
  const m = new L.Sequential([new L.LSTM({ inputSize: 32, hiddenSize: 128, numLayers: 2, seed: 1 }), new L.Linear({ inFeatures: 128, outFeatures: 1, seed: 2 })]);
  m.compile({ optimizer: L.optim.adam({ lr: 1e-3 }), loss: 'mse' });
  const y = input(L, [32, 1], 6);
  out.push(['train step 2×LSTM+Linear, output last, B=32', () => m.trainOnBatch(x, y), 32]);
  const ma = new L.Sequential([new L.GRU({ inputSize: 32, hiddenSize: 128, seed: 1 }), new L.Linear({ inFeatures: 128, outFeatures: 8, seed: 2 })], { output: 'all' });
  ma.compile({ optimizer: L.optim.adam({ lr: 1e-3 }), loss: 'mse' });
  const ya = input(L, [32, 50, 8], 7);
  out.push(['train step GRU+Linear, output all, B=32', () => ma.trainOnBatch(x, ya), 32]);
  const s = new L.LSTM({ inputSize: I, hiddenSize: H, seed: 1 }), st = s.zeroState(1), xt = input(L, [1, I], 4);
  out.push(['LSTM streaming step B=1', () => s.step(xt, st), 0]);
  return out;
}

function time(f, ms) { let n = 0; const s = performance.now(); while (performance.now() - s < ms) { f(); n++; } return (performance.now() - s) / n; }
await A.init({ backend: 'wasm-simd' }); const ca = cases(A);
await B.init({ backend: 'wasm-simd' }); const cb = cases(B);
const res = ca.map(() => ({ a: [], b: [] }));
for (let round = 0; round < ROUNDS; round++) ca.forEach((c, i) => { res[i].a.push(time(c[1], 300)); res[i].b.push(time(cb[i][1], 300)); });
// The best round: interference from a shared machine only ever slows a round down.
const med = (v) => Math.min(...v);
console.log(`best of ${ROUNDS} interleaved rounds of 300 ms\n\n| case | ${baseDir} | ${newDir} | ratio (higher: the second is faster) |\n|---|---|---|---|`);
ca.forEach((c, i) => {
  const a = med(res[i].a), b = med(res[i].b), per = c[2];
  const fmt = (ms) => (per ? `${((per * 1000) / ms).toFixed(0)} seq/s` : `${(ms * 1000).toFixed(2)} µs`);
  console.log(`| ${c[0]} | ${fmt(a)} | ${fmt(b)} | ${(a / b).toFixed(3)}× |`);
});
