// npm run bench:peers [-- --quick] [-- --json] [-- --peers onnx,tfjs] [-- --workloads lstm-b1,gru-b1]
//   --peers / --workloads keep the runners whose names start with / the
//   workloads whose ids are in the lists (simd-rnn wasm-simd always runs, it
//   is the base); a filtered run prints its table and writes no files.
// simd-rnn side by side with TensorFlow.js (cpu, wasm), brain.js, ONNX
// Runtime (web's wasm build and node's native build) and PyTorch (CPU, when
// /usr/bin/python3 has torch), in one run, on identical computations with
// identical weights, one thread each. Before timing, every peer's output is
// checked against ours. Writes bench/results/peers.{md,json,svg}; then runs
// bench/seq2seq.js (training and decoding of a sequence-to-sequence model).
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import Benchmark from 'benchmark';
import { init, tensor, quantize, LSTM, GRU, Linear, Sequential, optim, io } from '../dist/index.js';
import { lossCurveSvg } from '../dist/cli/svg.js';
import { QUICK, JSON_OUT, rng } from './common.js';

// The peers live in bench/peers (installed on demand: npm run setup:peers).
const require = createRequire(new URL('./peers/package.json', import.meta.url));
const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, 'results');
mkdirSync(outDir, { recursive: true });
const I = 64, H = 128, T = 100;
const maxTime = QUICK ? 0.2 : 2;
const log = (s) => { if (!JSON_OUT) process.stderr.write(`${s}\n`); };

const listArg = (flag) => {
  const i = process.argv.indexOf(flag);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1].split(',').filter(Boolean) : null;
};
const onlyPeers = listArg('--peers'), onlyWorkloads = listArg('--workloads');
const FILTERED = Boolean(onlyPeers || onlyWorkloads);

const ALL_WORKLOADS = [
  { id: 'lstm-b1', title: 'LSTM inference, batch 1', cell: 'LSTM', B: 1, H, layers: 1, bidirectional: false, kind: 'infer' },
  { id: 'lstm-b32', title: 'LSTM inference, batch 32', cell: 'LSTM', B: 32, H, layers: 1, bidirectional: false, kind: 'infer' },
  { id: 'gru-b1', title: 'GRU inference, batch 1', cell: 'GRU', B: 1, H, layers: 1, bidirectional: false, kind: 'infer' },
  { id: 'gru-b32', title: 'GRU inference, batch 32', cell: 'GRU', B: 32, H, layers: 1, bidirectional: false, kind: 'infer' },
  { id: 'lstm-train-b32', title: 'LSTM training step (fwd, bwd, Adam), batch 32', cell: 'LSTM', B: 32, H, layers: 1, bidirectional: false, kind: 'train' },
  { id: 'lstm-step', title: 'LSTM streaming step, batch 1', cell: 'LSTM', B: 1, H, layers: 1, bidirectional: false, kind: 'step' },
  { id: 'gru-train-b32', title: 'GRU training step (fwd, bwd, Adam), batch 32', cell: 'GRU', B: 32, H, layers: 1, bidirectional: false, kind: 'train' },
  { id: 'gru-step', title: 'GRU streaming step, batch 1', cell: 'GRU', B: 1, H, layers: 1, bidirectional: false, kind: 'step' },
  { id: 'bilstm2-b8', title: '2-layer bidirectional LSTM (H = 256) inference, batch 8', cell: 'LSTM', B: 8, H: 256, layers: 2, bidirectional: true, kind: 'infer' },
];
const WORKLOADS = onlyWorkloads ? ALL_WORKLOADS.filter((w) => onlyWorkloads.includes(w.id)) : ALL_WORKLOADS;
if (WORKLOADS.length === 0) {
  console.error(`--workloads: expected ids among ${ALL_WORKLOADS.map((w) => w.id).join(', ')}, got ${onlyWorkloads.join(',')}`);
  process.exit(2);
}

function measure(fn, async = false) {
  return new Promise((resolve) => {
    const opts = { maxTime, minSamples: 5, initCount: 1 };
    const b = async
      ? new Benchmark('x', { ...opts, defer: true, fn: (d) => fn().then(() => d.resolve()) })
      : new Benchmark('x', fn, opts);
    b.on('complete', () => resolve(b.error ? { error: String(b.error) } : { sample: [...b.stats.sample].sort((p, q) => p - q) }));
    b.run({ async: true });
  });
}

function maxDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

// ---------------------------------------------------------------- data --
const data = {};
await init();
for (const w of WORKLOADS) {
  const Cell = w.cell === 'LSTM' ? LSTM : GRU;
  const layer = new Cell({ inputSize: I, hiddenSize: w.H, numLayers: w.layers, bidirectional: w.bidirectional, seed: 1 });
  const r = rng(2);
  const x = Float32Array.from({ length: T * w.B * I }, () => r());
  const sd = layer.stateDict();
  const file = join(outDir, `${w.id}.safetensors`);
  const tensors = { x: tensor(x, [T, w.B, I]) };
  for (const [k, v] of Object.entries(sd)) tensors[`param.${k}`] = v;
  writeFileSync(file, io.writeSafetensors(tensors));
  data[w.id] = { sd, x, file, onnx: io.toOnnx(layer), ref: layer.forward(tensor(x, [T, w.B, I])).output.data };
}

// ------------------------------------------------------------- runners --
const toBatchFirst = (x, B, F) => {
  const out = new Float32Array(x.length);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) out.set(x.subarray((t * B + b) * F, (t * B + b + 1) * F), (b * T + t) * F);
  return out;
};

async function simdRnn(backendName, threads = 1, int8 = false) {
  await init({ backend: backendName, threads });
  return (w) => {
    const d = data[w.id], Cell = w.cell === 'LSTM' ? LSTM : GRU;
    if (int8 && w.kind === 'train') return { skip: 'int8 is for inference' };
    const mk = () => {
      const l = new Cell({ inputSize: I, hiddenSize: w.H, numLayers: w.layers, bidirectional: w.bidirectional, seed: 9 });
      l.loadStateDict(d.sd);
      if (!int8) return l;
      const q = quantize(l);
      l.dispose();
      return q;
    };
    if (w.kind === 'infer') {
      const l = mk(), x = tensor(d.x, [T, w.B, I]);
      return { fn: () => l.forward(x), out: () => l.forward(x).output.data, per: w.B };
    }
    if (w.kind === 'step') {
      const l = mk(), st = l.zeroState(1), xt = d.x.subarray(0, I);
      return { fn: () => l.step(xt, st), per: 1 };
    }
    const l = mk();
    const model = new Sequential([l, new Linear({ inFeatures: w.H, outFeatures: 1, seed: 3 })]);
    model.compile({ optimizer: optim.adam({ lr: 1e-3 }), loss: 'mse' });
    const x = tensor(toBatchFirst(d.x, w.B, I), [w.B, T, I]), y = tensor(new Float32Array(w.B), [w.B, 1]);
    return { fn: () => model.trainOnBatch(x, y), per: w.B };
  };
}

async function tfjs(backendName) {
  const tf = require('@tensorflow/tfjs');
  if (backendName === 'wasm') {
    const wasm = require('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/'));
  }
  await tf.setBackend(backendName);
  await tf.ready();
  return (w) => {
    if (w.layers > 1 || w.bidirectional) return { skip: 'not built (tfjs bidirectional stack omitted)' };
    const d = data[w.id], s = w.cell === 'LSTM' ? 'l0' : 'l0';
    const G = w.cell === 'LSTM' ? 4 : 3, Hh = w.H;
    const transpose = (a, rows, cols) => { const o = new Float32Array(a.length); for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) o[c * rows + r] = a[r * cols + c]; return o; };
    const model = tf.sequential();
    const layerOpts = { units: Hh, returnSequences: true, inputShape: [w.kind === 'step' ? 1 : T, I], recurrentActivation: 'sigmoid', kernelInitializer: 'zeros', recurrentInitializer: 'zeros' };
    // tfjs's GRU has no reset_after: it applies r before the recurrent product, unlike PyTorch (and us).
    model.add(w.cell === 'LSTM' ? tf.layers.lstm({ ...layerOpts, unitForgetBias: false }) : tf.layers.gru(layerOpts));
    if (w.kind === 'train') { model.add(tf.layers.globalAveragePooling1d()); model.add(tf.layers.dense({ units: 1 })); }
    // Weights: kernel [I, G·H] = W_ihᵀ, recurrent [H, G·H] = W_hhᵀ (gate order i,f,g,o = Keras i,f,c,o).
    let wih = d.sd[`weight_ih_${s}`].data, whh = d.sd[`weight_hh_${s}`].data;
    let bias = Float32Array.from(d.sd[`bias_ih_${s}`].data, (v, i) => v + d.sd[`bias_hh_${s}`].data[i]);
    const rnn = model.layers[0];
    if (w.cell === 'GRU') {
      // Keras order z, r, h; with resetAfter the bias is [input bias; recurrent bias].
      const re = (m, K) => { const o = new Float32Array(m.length); [1, 0, 2].forEach((g, j) => o.set(m.subarray(g * Hh * K, (g + 1) * Hh * K), j * Hh * K)); return o; };
      wih = re(wih, I); whh = re(whh, Hh);
      bias = re(bias, 1);
      rnn.setWeights([tf.tensor(transpose(wih, G * Hh, I), [I, G * Hh]), tf.tensor(transpose(whh, G * Hh, Hh), [Hh, G * Hh]), tf.tensor(bias, [G * Hh])]);
    } else {
      rnn.setWeights([tf.tensor(transpose(wih, G * Hh, I), [I, G * Hh]), tf.tensor(transpose(whh, G * Hh, Hh), [Hh, G * Hh]), tf.tensor(bias, [G * Hh])]);
    }
    const Tx = w.kind === 'step' ? 1 : T;
    const x = tf.tensor(toBatchFirst(d.x, w.B, I).subarray(0, w.B * Tx * I), [w.B, Tx, I]);
    if (w.kind === 'infer') {
      return {
        fn: () => tf.tidy(() => model.predict(x).dataSync()),
        out: () => { const y = tf.tidy(() => model.predict(x).dataSync()); return toBatchFirstBack(y, w.B, Hh); },
        per: w.B,
      };
    }
    if (w.kind === 'step') return { fn: () => tf.tidy(() => model.predict(x).dataSync()), per: 1, note: 'one predict of one step (stateless)' };
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
    const y = tf.zeros([w.B, 1]);
    return { fn: () => model.trainOnBatch(x, y), async: true, per: w.B, note: 'head: mean over time + dense' };
  };
}

function toBatchFirstBack(y, B, F) {
  const out = new Float32Array(y.length);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out.set(y.subarray((b * T + t) * F, (b * T + t + 1) * F), (t * B + b) * F);
  return out;
}

async function onnx(kind, threads = 1) {
  const ort = kind === 'web' ? require('onnxruntime-web') : require('onnxruntime-node');
  if (kind === 'web') { ort.env.wasm.numThreads = threads; ort.env.wasm.simd = true; }
  return async (w) => {
    if (w.kind !== 'infer') return { skip: 'inference only' };
    const d = data[w.id];
    const session = await ort.InferenceSession.create(d.onnx, kind === 'web'
      ? { executionProviders: ['wasm'] }
      : { intraOpNumThreads: threads, interOpNumThreads: 1, executionProviders: ['cpu'] });
    const feeds = { x: new ort.Tensor('float32', d.x, [T, w.B, I]) };
    return { fn: () => session.run(feeds), async: true, out: async () => (await session.run(feeds)).y.data, per: w.B };
  };
}

function brain() {
  const b = require('brain.js');
  return (w) => {
    if (w.B !== 1 && w.kind === 'infer') return { skip: 'no batches' };
    if (w.layers > 1) return { skip: 'no bidirectional layers' };
    const Net = w.cell === 'LSTM' ? b.recurrent.LSTMTimeStep : b.recurrent.GRUTimeStep;
    const net = new Net({ inputSize: I, hiddenLayers: [w.H], outputSize: I });
    const d = data[w.id];
    const seq = Array.from({ length: T }, (_, t) => Array.from(d.x.subarray(t * w.B * I, t * w.B * I + I)));
    net.train([seq], { iterations: 1 }); // builds the network
    if (w.kind === 'infer') return { fn: () => net.run(seq), per: 1, note: w.cell === 'LSTM' ? 'its own math (no cell state in LSTMTimeStep); per sequence' : 'its own math (GRUTimeStep); per sequence' };
    if (w.kind === 'step') return { fn: () => net.run([seq[0]]), per: 1, note: 'one run of a one-step sequence' };
    return { fn: () => net.train([seq], { iterations: 1, log: false }), per: 1, note: 'one sequence per step (no batches)' };
  };
}

// ------------------------------------------------------------------ run --
const allPeers = [
  ['simd-rnn wasm-simd', () => simdRnn('wasm-simd')],
  ['simd-rnn wasm', () => simdRnn('wasm')],
  ['simd-rnn js', () => simdRnn('js')],
  // quantize(): int8 weights, the same layers (its outputs differ from f32 by the int8 rounding, shown).
  ['simd-rnn int8', () => simdRnn('wasm-simd', 1, true)],
  ['tfjs wasm', () => tfjs('wasm')],
  ['tfjs cpu', () => tfjs('cpu')],
  ['onnxruntime-web wasm', () => onnx('web')],
  ['onnxruntime-node', () => onnx('node')],
  ['brain.js', () => brain()],
  // Two threads each (init({ threads: 2 }); numThreads; intraOpNumThreads; torch.set_num_threads): "ours ×" of these rows is simd-rnn ×2 ÷ the peer ×2.
  ['simd-rnn wasm-simd ×2', () => simdRnn('wasm-simd', 2)],
  ['simd-rnn int8 ×2', () => simdRnn('wasm-simd', 2, true)],
  // The relaxed-SIMD build (fused multiply-add; Node 20 needs --experimental-wasm-relaxed-simd, which npm run bench:peers passes) and its threaded twin.
  ['simd-rnn wasm-relaxed', () => simdRnn('wasm-relaxed')],
  ['simd-rnn wasm-relaxed ×2', () => simdRnn('wasm-relaxed', 2)],
  ['onnxruntime-web wasm ×2', () => onnx('web', 2)],
  ['onnxruntime-node ×2', () => onnx('node', 2)],
];
const peers = allPeers.filter(([n]) => !onlyPeers || n === 'simd-rnn wasm-simd' || n === 'simd-rnn wasm-simd ×2' || onlyPeers.some((p) => n.startsWith(p)));
// One web session per thread count: onnxruntime-web reads numThreads once, at its first session.
let webThreadsUsed = null;
const results = {};
for (const w of WORKLOADS) results[w.id] = {};
for (const [name, make] of peers) {
  let factory;
  if (name.startsWith('onnxruntime-web')) {
    const n = name.endsWith('×2') ? 2 : 1;
    if (webThreadsUsed !== null && webThreadsUsed !== n) {
      for (const w of WORKLOADS) results[w.id][name] = { skip: `onnxruntime-web fixes its thread count at its first session (${webThreadsUsed}); run with --peers onnxruntime-web-×2 alone` };
      continue;
    }
    webThreadsUsed = n;
  }
  try { factory = await make(); } catch (e) { for (const w of WORKLOADS) results[w.id][name] = { skip: `unavailable: ${e.message.split('\n')[0]}` }; continue; }
  for (const w of WORKLOADS) {
    let r;
    try { r = await factory(w); } catch (e) { r = { skip: `failed: ${e.message.split('\n')[0]}` }; }
    if (r.skip) { results[w.id][name] = { skip: r.skip }; log(`${w.id} ${name}: skipped (${r.skip})`); continue; }
    let check = name.startsWith('brain') ? undefined : w.kind === 'infer' ? undefined
      : w.cell === 'GRU' && name.startsWith('tfjs') ? 'GRU math differs (no reset_after), not compared' : 'same computation, not compared';
    if (r.out) {
      const y = await r.out();
      const diff = maxDiff(y, data[w.id].ref);
      check = w.cell === 'GRU' && name.startsWith('tfjs') && diff > 1e-4 ? `GRU math differs (max |Δ| ${diff.toExponential(1)})`
        : name.includes('int8') ? `int8 rounding: max |Δ| ${diff.toExponential(1)} from f32`
          : diff <= 1e-4 ? `max |Δ| ${diff.toExponential(1)}` : `MISMATCH max |Δ| ${diff.toExponential(1)}`;
    }
    const m = await measure(r.fn, Boolean(r.async));
    if (m.error) { results[w.id][name] = { skip: `error: ${m.error}` }; continue; }
    const s = m.sample, med = s[s.length >> 1];
    results[w.id][name] = { median: r.per / med, min: r.per / s[s.length - 1], max: r.per / s[0], medianSec: med, check, note: r.note };
    log(`${w.id} ${name}: ${(r.per / med).toFixed(1)} ${w.kind === 'step' ? 'steps' : 'seq'}/s (${check ?? ''})`);
  }
}

// PyTorch, through /usr/bin/python3, same threads.
const py = '/usr/bin/python3';
let torchVersion = null;
for (const [tname, tthreads] of [['PyTorch CPU', 1], ['PyTorch CPU ×2', 2]]) {
if (onlyPeers && !onlyPeers.some((p) => tname.toLowerCase().startsWith(p.toLowerCase()))) {
  for (const w of WORKLOADS) results[w.id][tname] = { skip: 'not selected (--peers)' };
} else if (existsSync(py) && spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0) {
  const job = { threads: tthreads, minTime: maxTime, workloads: WORKLOADS.map((w) => ({ ...w, I, file: data[w.id].file })) };
  const r = spawnSync(py, [join(here, 'peers_torch.py')], { input: JSON.stringify(job), encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status === 0) {
    const out = JSON.parse(r.stdout);
    torchVersion = out.torch;
    for (const w of WORKLOADS) {
      const s = out.results[w.id], per = w.kind === 'step' ? 1 : w.B, med = s[s.length >> 1];
      let check = w.kind === 'infer' ? undefined : 'same computation, not compared';
      if (w.kind === 'infer') {
        const y = new Float32Array(readFileSync(`${data[w.id].file}.torch.bin`).buffer.slice(0));
        const diff = maxDiff(y, data[w.id].ref);
        check = diff <= 1e-4 ? `max |Δ| ${diff.toExponential(1)}` : `MISMATCH max |Δ| ${diff.toExponential(1)}`;
      }
      results[w.id][tname] = { median: per / med, min: per / s[s.length - 1], max: per / s[0], medianSec: med, check };
    }
  } else {
    for (const w of WORKLOADS) results[w.id][tname] = { skip: `failed: ${r.stderr.split('\n').slice(-2).join(' ')}` };
  }
} else {
  for (const w of WORKLOADS) results[w.id][tname] = { skip: 'skipped: not installed (apt-get install -y python3-torch)' };
}
}

// --------------------------------------------------------------- report --
// A row at two threads is compared with simd-rnn at two threads; the rest with one.
const baseOf = (w, name) => results[w.id][name.endsWith('×2') ? 'simd-rnn wasm-simd ×2' : 'simd-rnn wasm-simd']?.median;
const pkgVersion = (n) => {
  try { return require(`${n}/package.json`).version; } catch { /* exports may hide package.json */ }
  try {
    let d = dirname(require.resolve(n));
    while (!existsSync(join(d, 'package.json'))) d = dirname(d);
    return JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')).version;
  } catch { return '—'; }
};
const meta = {
  date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length, threads: 1, quick: QUICK,
  versions: { '@tensorflow/tfjs': pkgVersion('@tensorflow/tfjs'), '@tensorflow/tfjs-backend-wasm': pkgVersion('@tensorflow/tfjs-backend-wasm'), 'onnxruntime-web': pkgVersion('onnxruntime-web'), 'onnxruntime-node': pkgVersion('onnxruntime-node'), 'brain.js': pkgVersion('brain.js'), torch: torchVersion ?? 'not installed' },
  shape: { I, H, T },
};
const lines = [`# simd-rnn vs peers — ${meta.date.slice(0, 10)}`, '',
  `Node ${meta.node}, ${meta.cpu} (${meta.cores} cores), one thread each, and two threads each in the rows marked ×2 (their "ours ×" is simd-rnn ×2 ÷ the peer ×2); I = ${I}, H = ${H} (256 for the stacked one), T = ${T}. ` +
  `Versions: ${Object.entries(meta.versions).map(([k, v]) => `${k} ${v}`).join(', ')}.`, '',
  'Sequences (or steps) per second: median, min–max over benchmark.js samples; "ours ×" is simd-rnn wasm SIMD divided by the peer (higher is ours).', ''];
for (const w of WORKLOADS) {
  lines.push(`## ${w.title}`, '', '| runner | median /s | min–max | ours × | same computation |', '|---|---|---|---|---|');
  for (const [name, r] of Object.entries(results[w.id])) {
    if (r.skip) { lines.push(`| ${name} | — | — | — | ${r.skip} |`); continue; }
    const base = baseOf(w, name);
    lines.push(`| ${name} | ${r.median.toFixed(1)} | ${r.min.toFixed(1)}–${r.max.toFixed(1)} | ${base ? (base / r.median).toFixed(2) : '—'} | ${[r.check, r.note].filter(Boolean).join('; ')} |`);
  }
  lines.push('');
}
const md = lines.join('\n');
if (FILTERED) {
  console.log(md);
  process.exit(0);
}
writeFileSync(join(outDir, 'peers.md'), md);
writeFileSync(join(outDir, 'peers.json'), JSON.stringify({ meta, results }, null, 2));
// Bar chart: ours × per peer and workload (log-free, capped for legibility).
const svgRows = [];
const names = peers.map(([n]) => n).filter((n) => n !== 'simd-rnn wasm-simd' && n !== 'simd-rnn wasm-simd ×2').concat('PyTorch CPU', 'PyTorch CPU ×2');
const colors = ['#888', '#bbb', '#e08a2a', '#f2c14e', '#2a5bd7', '#6c8fe0', '#c0392b', '#2e8b57', '#6c3483', '#17a589', '#7f8c8d'];
const BW = 760, BH = 40 + WORKLOADS.length * (names.length * 9 + 18);
svgRows.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${BW}" height="${BH + 20}" font-family="sans-serif" font-size="11"><rect width="100%" height="100%" fill="white"/>`);
svgRows.push(`<text x="10" y="18" font-size="13">simd-rnn wasm SIMD speed ÷ peer speed (bars; 1 = equal; labels show the ratio)</text>`);
let y0 = 34;
const X0 = 250, scale = (BW - X0 - 60) / 40;
for (const w of WORKLOADS) {
  svgRows.push(`<text x="10" y="${y0 + 10}" font-weight="bold">${w.title}</text>`);
  y0 += 14;
  names.forEach((n, i) => {
    const r = results[w.id][n], base = baseOf(w, n);
    if (!r || r.skip || !base) return;
    const ratio = base / r.median, len = Math.min(ratio, 40) * scale;
    svgRows.push(`<text x="${X0 - 6}" y="${y0 + 7}" text-anchor="end">${n}</text><rect x="${X0}" y="${y0}" width="${len.toFixed(1)}" height="7" fill="${colors[i % colors.length]}"/><text x="${X0 + len + 4}" y="${y0 + 7}">${ratio.toFixed(2)}×</text>`);
    y0 += 9;
  });
  svgRows.push(`<line x1="${X0 + scale}" y1="${y0 - names.length * 9 - 2}" x2="${X0 + scale}" y2="${y0}" stroke="#000" stroke-dasharray="2,2"/>`);
  y0 += 8;
}
svgRows.push('</svg>');
writeFileSync(join(outDir, 'peers.svg'), svgRows.join('\n'));
if (JSON_OUT) console.log(JSON.stringify({ meta, results }, null, 2));
else console.log(md);
void lossCurveSvg;
// The sequence-to-sequence workloads (simd-rnn, JS, PyTorch) run in their own script, in this run too.
if (!FILTERED && !JSON_OUT) spawnSync(process.execPath, [join(here, 'seq2seq.js'), ...(QUICK ? ['--quick'] : [])], { stdio: 'inherit' });
process.exit(0);
