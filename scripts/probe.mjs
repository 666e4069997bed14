// One seeded workload on every backend this runtime has, digested: layers
// (every cell, stacked, bidirectional, masked, layer-normalized) forward and
// backward, a few training steps of a Sequential and of a Seq2Seq, and beam
// search. Prints one JSON line { runtime, arch, digests: { backend: sha256 } }.
// scripts/runtimes.mjs runs it under each Node it tests and compares.
import { createHash } from 'node:crypto';
import { detectFeatures, tensor, LSTM, GRU, RNN, Linear, Sequential, Seq2Seq, optim, init } from '../dist/index.js';

function rng(seed) {
  let s = seed >>> 0;
  return () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}
const uniform = (r, n) => Float32Array.from({ length: n }, () => 2 * r() - 1);

async function workload(name) {
  await init({ backend: name });
  const h = createHash('sha256');
  const add = (t) => h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  const r = rng(7);
  for (const [Cls, o] of [[LSTM, {}], [GRU, {}], [RNN, { nonlinearity: 'relu' }], [LSTM, { layerNorm: true }], [GRU, { layerNorm: true, residual: true, numLayers: 2 }]]) {
    const layer = new Cls({ inputSize: 5, hiddenSize: 9, numLayers: 2, bidirectional: true, batchFirst: true, seed: 3, ...o });
    const x = tensor(uniform(r, 3 * 6 * 5), [3, 6, 5]);
    const f = layer.forward(x, { lengths: [6, 2, 5] });
    add(f.output); add(f.h);
    const b = layer.backward(tensor(uniform(r, f.output.data.length), f.output.shape));
    add(b.dx);
    for (const g of Object.values(layer.gradStateDict())) add(g);
    layer.dispose();
  }
  const m = new Sequential([new LSTM({ inputSize: 4, hiddenSize: 16, numLayers: 2, seed: 1 }), new Linear({ inFeatures: 16, outFeatures: 2, seed: 2 })], { output: 'all' });
  m.compile({ optimizer: optim.adam({ lr: 1e-2 }), loss: 'mse', clipNorm: 1 });
  const X = tensor(uniform(r, 8 * 10 * 4), [8, 10, 4]), Y = tensor(uniform(r, 8 * 10 * 2), [8, 10, 2]);
  await m.fit(X, Y, { epochs: 2, batchSize: 4, seed: 1, lengths: [10, 3, 7, 10, 1, 9, 10, 4] });
  for (const p of Object.values(m.stateDict())) add(p);
  add(m.predict(X));
  m.dispose();
  const s = new Seq2Seq({ srcVocab: 9, tgtVocab: 10, embeddingDim: 6, encoder: { hiddenSize: 8, bidirectional: true }, decoder: { hiddenSize: 12 }, attention: 'bahdanau', tokens: { pad: 0, bos: 1, eos: 2 }, seed: 5 });
  s.compile({ optimizer: optim.adam({ lr: 1e-2 }) });
  const N = 12, S = 5, T = 6, src = new Int32Array(N * S), tgt = new Int32Array(N * T);
  for (let n = 0; n < N; n++) { const L = 2 + (n % 4); for (let i = 0; i < L; i++) src[n * S + i] = 3 + Math.floor(r() * 6); for (let i = 0; i < L; i++) tgt[n * T + i] = src[n * S + L - 1 - i] + 1; tgt[n * T + L] = 2; }
  await s.fit({ data: src, shape: [N, S] }, { data: tgt, shape: [N, T] }, { epochs: 3, batchSize: 4, seed: 2 });
  const tr = s.translate({ data: src, shape: [N, S] }, { beam: 3, nBest: 2, lengthPenalty: 0.6 });
  h.update(JSON.stringify(tr.tokens)); h.update(new Uint8Array(new Float64Array(tr.scores).buffer));
  s.dispose();
  return h.digest('hex').slice(0, 16);
}

const f = detectFeatures();
const names = ['js', ...(f.wasm ? ['wasm'] : []), ...(f.simd ? ['wasm-simd'] : []), ...(f.relaxedSimd ? ['wasm-relaxed'] : [])];
const digests = {};
for (const n of names) digests[n] = await workload(n);
console.log(JSON.stringify({ runtime: globalThis.Bun ? `Bun ${globalThis.Bun.version}` : process.version, arch: process.arch, digests }));
