// npm run bench:seq2seq [-- --quick]: a sequence-to-sequence model (bi-LSTM
// encoder 2 × 128, LSTM decoder 256, Bahdanau attention, embeddings 64,
// vocabularies 30 → 45) on wasm SIMD, on the pure-JS backend and in PyTorch
// (CPU, one thread, the same weights; when /usr/bin/python3 has torch), in one
// run: a training step (batch 64, sources and targets of 10 tokens, Adam),
// and greedy and beam-5 decoding (256 sources of 10 tokens, up to 12 output
// tokens). PyTorch's greedy and beam outputs are checked against ours first.
// Writes bench/results/seq2seq.md (unless --quick).
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { init, Seq2Seq, optim, io } from '../dist/index.js';
import { QUICK, rng } from './common.js';

const here = dirname(fileURLToPath(import.meta.url)), outDir = join(here, 'results');
mkdirSync(outDir, { recursive: true });
const cfg = { srcVocab: 30, tgtVocab: 45, embeddingDim: 64, encoder: { cell: 'lstm', hiddenSize: 128, bidirectional: true }, decoder: { cell: 'lstm', hiddenSize: 256 },
  attention: 'bahdanau', tokens: { pad: 0, bos: 1, eos: 2 } };
const B = 64, S = 10, T = 10, ND = QUICK ? 64 : 256, maxLength = 12, minMs = QUICK ? 300 : 3000;
const r = rng(5);
const u = () => (r() + 1) / 2; // rng gives [−1, 1)
const tok = (n, lo, hi) => Int32Array.from({ length: n }, () => lo + Math.min(hi - lo - 1, Math.floor(u() * (hi - lo))));
const src = { data: tok(B * S, 3, 30), shape: [B, S] };
const tgtData = tok(B * T, 3, 45);
for (let b = 0; b < B; b++) tgtData[b * T + T - 1] = 2;
const tgt = { data: tgtData, shape: [B, T] };
const dsrc = { data: tok(ND * S, 3, 30), shape: [ND, S] };

function time(fn) {
  fn();
  const samples = [], t0 = performance.now();
  while (performance.now() - t0 < minMs || samples.length < 3) { const t = performance.now(); fn(); samples.push(performance.now() - t); }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

const rows = {}, weightsFile = join(outDir, 'seq2seq.safetensors');
for (const name of ['wasm-simd', 'js']) {
  await init({ backend: name, threads: 1 });
  const m = new Seq2Seq({ ...cfg, seed: 1 }); // the same weights on every backend (the init is the seed's)
  if (name === 'wasm-simd') writeFileSync(weightsFile, io.save(m));
  const probe = m.translate(dsrc, { beam: 5, maxLength });
  if (name === 'wasm-simd') rows.ours = { greedy: m.translate(dsrc, { maxLength }).tokens, beam: probe.tokens };
  m.compile({ optimizer: optim.adam({ lr: 1e-3 }) });
  const train = time(() => m.trainOnBatch(src, tgt));
  const greedy = time(() => m.translate(dsrc, { maxLength, batchSize: 64 }));
  const beam = time(() => m.translate(dsrc, { beam: 5, maxLength, batchSize: 64 }));
  rows[name] = { train: B / train * 1000, greedy: ND / greedy * 1000, beam: ND / beam * 1000 };
  process.stderr.write(`${name}: ${JSON.stringify(rows[name])}\n`);
  m.dispose();
}

let torch = null;
if (existsSync('/usr/bin/python3')) {
  const job = { file: weightsFile, src: Array.from(src.data), tgt: Array.from(tgt.data), dsrc: Array.from(dsrc.data), B, S, T, ND, maxLength, minTime: minMs / 1000, cfg };
  const p = spawnSync('/usr/bin/python3', [join(here, 'seq2seq_torch.py')], { input: JSON.stringify(job), encoding: 'utf8', maxBuffer: 1 << 26 });
  if (p.status === 0) {
    const res = JSON.parse(p.stdout);
    const same = (a, b) => a.length === b.length && a.every((x, i) => JSON.stringify(x) === JSON.stringify(b[i]));
    const agree = { greedy: same(res.greedy, rows.ours.greedy), beam: res.beam.filter((x, i) => JSON.stringify(x) === JSON.stringify(rows.ours.beam[i])).length / ND };
    torch = { version: res.torch, train: B / res.train * 1000, greedy: ND / res.greedyTime * 1000, beam: ND / res.beamTime * 1000, agree };
  } else process.stderr.write(`PyTorch skipped: ${p.stderr.split('\n').filter(Boolean).pop()}\n`);
}
const f = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const ratio = (a, b) => `${(a / b).toFixed(1)}×`;
const lines = [
  `Seq2Seq (bi-LSTM encoder 2 × 128, LSTM decoder 256, Bahdanau attention), one thread — Node ${process.version}, ${os.cpus()[0]?.model}${torch ? `, PyTorch ${torch.version}` : ''}`, '',
  '| workload | simd-rnn wasm SIMD | pure JS | PyTorch CPU | SIMD ÷ JS | SIMD ÷ PyTorch |', '|---|---|---|---|---|---|',
  ...[['train', `training step, batch ${B}, ${S} → ${T} tokens (pairs/s)`], ['greedy', `greedy decoding, ${ND} sources (words/s)`], ['beam', `beam-5 decoding, ${ND} sources (words/s)`]].map(([k, label]) =>
    `| ${label} | ${f(rows['wasm-simd'][k])} | ${f(rows.js[k])} | ${torch ? f(torch[k]) : '—'} | ${ratio(rows['wasm-simd'][k], rows.js[k])} | ${torch ? ratio(rows['wasm-simd'][k], torch[k]) : '—'} |`),
];
if (torch) lines.push('', `PyTorch's outputs: greedy ${torch.agree.greedy ? 'identical' : 'NOT identical'} to ours; beam 5 identical on ${(100 * torch.agree.beam).toFixed(1)} % of the sources.`);
console.log(lines.join('\n'));
if (!QUICK) writeFileSync(join(outDir, 'seq2seq.md'), lines.join('\n') + '\n');
