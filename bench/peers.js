// npm run bench:peers [-- --quick] [-- --json] [-- --rounds=3] [-- --peers onnx,tfjs] [-- --workloads lstm-b1,gru-b1]
//   --peers / --workloads keep the runners whose names start with / the
//   workloads whose ids are in the lists (simd-rnn wasm-simd and its ×2
//   always run, they are the bases); a filtered run prints its table (or
//   JSON) and writes no files. --rounds: how many times each runner
//   measures each workload (3; 2 with --quick), alternating with the others.
// simd-rnn side by side with TensorFlow.js (cpu, wasm), brain.js, ONNX
// Runtime (web's wasm build and node's native build) and PyTorch (CPU, when
// /usr/bin/python3 has torch), in one run, on identical computations with
// identical weights, one thread each and two in the rows marked ×2. Before timing, every peer's output is
// checked against ours. Writes bench/results/peers.{md,json,svg}; then runs
// bench/seq2seq.js (training and decoding of a sequence-to-sequence model).
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import Benchmark from 'benchmark';
import { init, tensor, LSTM, GRU, io } from '../dist/index.js';
import { QUICK, JSON_OUT, rng } from './common.js';
import { runners } from './peer-runners.js';

// The peers live in bench/peers (installed on demand: npm run setup:peers).
const require = createRequire(new URL('./peers/package.json', import.meta.url));
const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, 'results');
mkdirSync(outDir, { recursive: true });
const I = 64, H = 128, T = 100;
const maxTime = QUICK ? 0.2 : 2;
const ROUNDS = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? (QUICK ? 2 : 3));
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

function measure(fn, async, seconds) {
  return new Promise((resolve) => {
    const opts = { maxTime: seconds, minSamples: 5, initCount: 1 };
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

// ------------------------------------------------------------------ run --
// Rounds: each workload is measured ROUNDS times by every runner, one after
// the other in an order that rotates each round, each time for maxTime ÷
// ROUNDS after a warm-up; a runner's figures are over its samples of every
// round. Runners measured one after the other for minutes each would
// compare the machine's moments as much as the code (this VM's speed moves
// by 30 % for seconds at a time); rounds give every runner the same moments.
const allPeers = runners({ data, T, I, require });
let peers = allPeers.filter(([n]) => !onlyPeers || n === 'simd-rnn wasm-simd' || n === 'simd-rnn wasm-simd ×2' || onlyPeers.some((p) => n.startsWith(p)));
const results = {};
for (const w of WORKLOADS) results[w.id] = {};
// onnxruntime-web reads numThreads once, at its first session: its ×2 row runs in a child process
// (this script, --peers "onnxruntime-web wasm ×2") with simd-rnn ×2 in rounds there, its ratio to that.
const WEB2 = 'onnxruntime-web wasm ×2';
const webChild = peers.some(([n]) => n === 'onnxruntime-web wasm') && peers.some(([n]) => n === WEB2);
if (webChild) peers = peers.filter(([n]) => n !== WEB2);

// PyTorch: one process a thread count (bench/peers_torch.py), sent one workload a round.
const py = '/usr/bin/python3';
const torchNames = [['PyTorch CPU', 1], ['PyTorch CPU ×2', 2]].filter(([n]) => !onlyPeers || onlyPeers.some((p) => n.toLowerCase().startsWith(p.toLowerCase())));
let torchVersion = null;
const torch = new Map();
if (torchNames.length > 0 && existsSync(py) && spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0) {
  for (const [name, n] of torchNames) {
    const child = spawn(py, [join(here, 'peers_torch.py'), '--threads', String(n)], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdin.on('error', () => { /* it ended: the next ask() says so */ });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const ask = async (job) => {
      if (job) child.stdin.write(`${JSON.stringify(job)}\n`);
      const { value, done } = await lines.next();
      if (done) throw new Error(`${name}: peers_torch.py ended`);
      return JSON.parse(value);
    };
    torchVersion = (await ask(null)).torch;
    torch.set(name, { ask, child });
  }
}
const allNames = [...peers.map(([n]) => n), ...torch.keys()];

// Calls fn for at least `ms` and twice (JIT, the workers' code tiering up, a new pool's first wake-ups).
async function warm(r, ms) {
  const t0 = performance.now();
  for (let i = 0; i < 2 || performance.now() - t0 < ms; i++) await r.fn();
}

const samples = {}, info = {};
for (const w of WORKLOADS) {
  for (const n of allNames) samples[`${w.id}/${n}`] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = allNames.map((_, i) => allNames[(i + round) % allNames.length]);
    for (const name of order) {
      const key = `${w.id}/${name}`;
      if (results[w.id][name]?.skip) continue;
      if (torch.has(name)) {
        const job = { workload: { ...w, I, file: data[w.id].file }, minTime: maxTime / ROUNDS };
        try { samples[key].push(...(await torch.get(name).ask(job)).samples); } catch (e) { results[w.id][name] = { skip: `failed: ${e.message}` }; }
        info[key] ??= { per: w.kind === 'step' ? 1 : w.B, check: w.kind === 'infer' ? 'torch' : 'same computation, not compared' };
        continue;
      }
      let factory, r;
      try { factory = await peers.find(([n]) => n === name)[1](); } catch (e) {
        for (const v of WORKLOADS) if (!results[v.id][name]) results[v.id][name] = { skip: `unavailable: ${e.message.split('\n')[0]}` };
        continue;
      }
      try { r = await factory(w); } catch (e) { results[w.id][name] = { skip: `failed: ${e.message.split('\n')[0]}` }; continue; }
      if (r.skip) { results[w.id][name] = { skip: r.skip }; log(`${w.id} ${name}: skipped (${r.skip})`); continue; }
      try {
        if (round === 0) {
          let check = name.startsWith('brain') ? undefined : w.kind === 'infer' ? undefined
            : w.cell === 'GRU' && name.startsWith('tfjs') ? 'GRU math differs (no reset_after), not compared' : 'same computation, not compared';
          if (r.out) {
            const diff = maxDiff(await r.out(), data[w.id].ref);
            check = w.cell === 'GRU' && name.startsWith('tfjs') && diff > 1e-4 ? `GRU math differs (max |Δ| ${diff.toExponential(1)})`
              : name.includes('int8') ? `int8 rounding: max |Δ| ${diff.toExponential(1)} from f32`
                : diff <= 1e-4 ? `max |Δ| ${diff.toExponential(1)}` : `MISMATCH max |Δ| ${diff.toExponential(1)}`;
          }
          info[key] = { per: r.per, check, note: r.note };
        }
        await warm(r, QUICK ? 30 : 150);
        const m = await measure(r.fn, Boolean(r.async), maxTime / ROUNDS);
        if (m.error) results[w.id][name] = { skip: `error: ${m.error}` };
        else samples[key].push(...m.sample);
      } finally {
        await r.dispose?.();
      }
    }
  }
  for (const name of allNames) {
    const key = `${w.id}/${name}`, s = samples[key].sort((p, q) => p - q);
    if (results[w.id][name]?.skip || s.length === 0) continue;
    const { per, note } = info[key], med = s[s.length >> 1];
    let { check } = info[key];
    if (check === 'torch') {
      const diff = maxDiff(new Float32Array(readFileSync(`${data[w.id].file}.torch.bin`).buffer.slice(0)), data[w.id].ref);
      check = diff <= 1e-4 ? `max |Δ| ${diff.toExponential(1)}` : `MISMATCH max |Δ| ${diff.toExponential(1)}`;
    }
    results[w.id][name] = { median: per / med, min: per / s[s.length - 1], max: per / s[0], medianSec: med, check, note };
    log(`${w.id} ${name}: ${(per / med).toFixed(1)} ${w.kind === 'step' ? 'steps' : 'seq'}/s (${check ?? ''})`);
  }
}
for (const { child } of torch.values()) child.stdin.end();
for (const n of ['PyTorch CPU', 'PyTorch CPU ×2'].filter((x) => !torch.has(x))) {
  const why = torchNames.some(([x]) => x === n) ? 'skipped: not installed (apt-get install -y python3-torch)' : 'not selected (--peers)';
  for (const w of WORKLOADS) results[w.id][n] = { skip: why };
}
if (webChild) {
  const ids = WORKLOADS.filter((w) => w.kind === 'infer').map((w) => w.id);
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--json', '--peers', WEB2, '--workloads', ids.join(','), `--rounds=${ROUNDS}`, ...(QUICK ? ['--quick'] : [])],
    { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] });
  const child = r.status === 0 ? JSON.parse(r.stdout).results : null;
  for (const w of WORKLOADS) {
    const row = child?.[w.id]?.[WEB2], ours = child?.[w.id]?.['simd-rnn wasm-simd ×2'];
    results[w.id][WEB2] = !child ? { skip: `failed: its process exited with ${r.status}` }
      : !row ? { skip: 'inference only' }
        : row.skip || !ours?.median ? row : { ...row, ours: ours.median, note: `simd-rnn ×2 in its process (onnxruntime-web fixes its thread count at its first session): ${ours.median.toFixed(1)}/s` };
  }
}

// --------------------------------------------------------------- report --
// Rows in the runners' order, PyTorch last.
const ORDER = [...allPeers.map(([n]) => n), 'PyTorch CPU', 'PyTorch CPU ×2'];
for (const w of WORKLOADS) results[w.id] = Object.fromEntries(ORDER.filter((n) => results[w.id][n]).map((n) => [n, results[w.id][n]]));
// A row at two threads is compared with simd-rnn at two threads; the rest with one.
const baseOf = (w, name) => results[w.id][name].ours ?? results[w.id][name.endsWith('×2') ? 'simd-rnn wasm-simd ×2' : 'simd-rnn wasm-simd']?.median;
const pkgVersion = (n) => {
  try { return require(`${n}/package.json`).version; } catch { /* exports may hide package.json */ }
  try {
    let d = dirname(require.resolve(n));
    while (!existsSync(join(d, 'package.json'))) d = dirname(d);
    return JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')).version;
  } catch { return '—'; }
};
const meta = {
  date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length, rounds: ROUNDS, quick: QUICK,
  versions: { '@tensorflow/tfjs': pkgVersion('@tensorflow/tfjs'), '@tensorflow/tfjs-backend-wasm': pkgVersion('@tensorflow/tfjs-backend-wasm'), 'onnxruntime-web': pkgVersion('onnxruntime-web'), 'onnxruntime-node': pkgVersion('onnxruntime-node'), 'brain.js': pkgVersion('brain.js'), torch: torchVersion ?? 'not installed' },
  shape: { I, H, T },
};
const lines = [`# simd-rnn vs peers — ${meta.date.slice(0, 10)}`, '',
  `Node ${meta.node}, ${meta.cpu} (${meta.cores} cores), one thread each, and two threads each in the rows marked ×2 (their "ours ×" is simd-rnn ×2 ÷ the peer ×2); I = ${I}, H = ${H} (256 for the stacked one), T = ${T}. ` +
  `Versions: ${Object.entries(meta.versions).map(([k, v]) => `${k} ${v}`).join(', ')}.`, '',
  `Sequences (or steps) per second: median, min–max over benchmark.js samples of ${ROUNDS} rounds (every runner measured once a round, in an order that rotates); "ours ×" is simd-rnn wasm SIMD divided by the peer (higher is ours).`, ''];
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
  console.log(JSON_OUT ? JSON.stringify({ meta, results }, null, 2) : md);
  process.exit(0);
}
writeFileSync(join(outDir, 'peers.md'), md);
writeFileSync(join(outDir, 'peers.json'), JSON.stringify({ meta, results }, null, 2));
// Bar chart: ours × per peer and workload (log-free, capped for legibility).
const svgRows = [];
const names = ORDER.filter((n) => n !== 'simd-rnn wasm-simd' && n !== 'simd-rnn wasm-simd ×2');
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
// The sequence-to-sequence workloads (simd-rnn, JS, PyTorch) run in their own script, in this run too.
if (!FILTERED && !JSON_OUT) spawnSync(process.execPath, [join(here, 'seq2seq.js'), ...(QUICK ? ['--quick'] : [])], { stdio: 'inherit' });
process.exit(0);
