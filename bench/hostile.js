// npm run bench:hostile: how long and how much memory it takes to refuse a
// hostile model file under 1 MiB. Each case runs in a fresh Node process
// (so peak RSS is its own): the process loads the library and reads the
// file, then io.load is timed (best and worst of 5 calls) and the peak RSS
// growth over the process's baseline just before the calls is reported.
// Aim (issue 12): ≤ 50 ms and ≤ 50 MB for every file.
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = pathToFileURL(join(root, 'dist/index.js')).href;
const { io, init, Sequential, LSTM, Linear } = await import(dist);
const { stampCrc } = await import(pathToFileURL(join(root, 'dist/io/crc32.js')).href);
const MiB = 1 << 20;

function raw(header, data = new Uint8Array(0)) {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}
const model = (arch, tensors = {}) => stampCrc(io.writeSafetensors(tensors, {
  format: 'simd-rnn/sequential', formatVersion: '2', architecture: typeof arch === 'string' ? arch : JSON.stringify(arch), crc32: '00000000',
}));
const w = (H, I) => ({
  'layers.0.weight_ih_l0': { data: new Float32Array(H * I), shape: [H, I] }, 'layers.0.weight_hh_l0': { data: new Float32Array(H * H), shape: [H, H] },
});
const fill = (n) => Math.floor((MiB - 200) / n);

await init();
const good = io.save(new Sequential([new LSTM({ inputSize: 64, hiddenSize: 96, seed: 1 }), new Linear({ inFeatures: 96, outFeatures: 1, seed: 1 })]));
const flipped = Uint8Array.from(good); flipped[100] ^= 1;
const cases = {
  'RNN numLayers 1e8': model({ output: 'last', layers: [{ type: 'RNN', inputSize: 1, hiddenSize: 1, numLayers: 1e8, bias: false }] }, w(1, 1)),
  'RNN numLayers 64 (the limit), 1 tensor': model({ output: 'last', layers: [{ type: 'RNN', inputSize: 1, hiddenSize: 1, numLayers: 64, bias: false }] }, w(1, 1)),
  'LSTM hidden 7000, no tensors': model({ output: 'last', layers: [{ type: 'LSTM', inputSize: 1, hiddenSize: 7000 }] }),
  'Embedding 2^24 × 2^24': model({ output: 'all', layers: [{ type: 'Embedding', numEmbeddings: 2 ** 24, embeddingDim: 2 ** 24 }] }),
  '30 000 Dropout layers (1 MiB)': model({ output: 'last', layers: Array.from({ length: 30000 }, () => ({ type: 'Dropout', p: 0 })) }),
  'architecture nested 500 000 deep': model(`{"output":"last","layers":${'['.repeat(fill(2))}${']'.repeat(fill(2))}}`),
  'header nested 500 000 deep': raw(`{"x":{"dtype":"F32","shape":${'['.repeat(fill(2))}1${']'.repeat(fill(2))},"data_offsets":[0,4]}}`, new Uint8Array(4)),
  '1 MiB header of 16 000 tensors': raw(Object.fromEntries(Array.from({ length: 16000 }, (_, i) => [`t${i}`, { dtype: 'U8', shape: [1], data_offsets: [i, i + 1] }])), new Uint8Array(16000)),
  '1 MiB of I8 weights, wrong shape': model({ output: 'last', layers: [{ type: 'RNN', inputSize: 1, hiddenSize: 1 }] }, {}),
  '1 MiB of I8 in one tensor (not a model)': raw({ x: { dtype: 'I8', shape: [MiB - 100], data_offsets: [0, MiB - 100] } }, new Uint8Array(MiB - 100)),
  'duplicate keys, 1 MiB header': raw(`{${Array.from({ length: fill(56) }, () => '"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}').join(',')}}`, new Uint8Array(4)),
  'random bytes, 1 MiB': Uint8Array.from({ length: MiB - 1 }, (_, i) => (i * 2654435761) >>> 24),
  'a valid model with one bit flipped': flipped,
  'a tensor named __proto__': raw('{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', new Uint8Array(4)),
};
// I8 weights of the wrong shape: a tensor of ~1 MiB where the architecture wants [1,1].
{
  const n = MiB - 600;
  const json = JSON.stringify({ __metadata__: { format: 'simd-rnn/sequential', formatVersion: '1', architecture: JSON.stringify({ output: 'last', layers: [{ type: 'RNN', inputSize: 1, hiddenSize: 1, bias: false }] }) },
    'layers.0.weight_ih_l0': { dtype: 'I8', shape: [n, 1], data_offsets: [0, n] }, 'layers.0.weight_hh_l0': { dtype: 'I8', shape: [1, 1], data_offsets: [n, n + 1] } });
  cases['1 MiB of I8 weights, wrong shape'] = raw(json, new Uint8Array(n + 1));
}

const dir = mkdtempSync(join(tmpdir(), 'simd-rnn-hostile-'));
const child = join(dir, 'child.mjs');
writeFileSync(child, `import { readFileSync } from 'node:fs';
import { init, io, SimdRnnError } from ${JSON.stringify(dist)};
await init();
const bytes = readFileSync(process.argv[2]);
const base = process.resourceUsage().maxRSS;
const times = [];
let error = '';
for (let i = 0; i < 5; i++) {
  const s = performance.now();
  try { io.load(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)).dispose(); error = 'LOADED'; }
  catch (e) { error = e instanceof SimdRnnError ? e.code + ': ' + e.message : 'NOT A SimdRnnError: ' + e; }
  times.push(performance.now() - s);
}
process.stdout.write(JSON.stringify({ times, grew: (process.resourceUsage().maxRSS - base) / 1024, error }));
`);

const rows = [];
for (const [name, bytes] of Object.entries(cases)) {
  if (bytes.length >= MiB) throw new Error(`${name}: ${bytes.length} bytes, not under 1 MiB`);
  const path = join(dir, 'case.safetensors');
  writeFileSync(path, bytes);
  const r = spawnSync(process.execPath, [child, path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${name}: the child failed: ${r.stderr}`);
  const o = JSON.parse(r.stdout);
  rows.push({ name, bytes: bytes.length, best: Math.min(...o.times), worst: Math.max(...o.times), grew: o.grew, error: o.error });
}
const json = process.argv.includes('--json');
if (json) console.log(JSON.stringify(rows, null, 2));
else {
  console.log(`| hostile file | bytes | best ms | worst ms | peak RSS growth MB | refused with |`);
  console.log(`|---|---|---|---|---|---|`);
  for (const r of rows) console.log(`| ${r.name} | ${r.bytes} | ${r.best.toFixed(2)} | ${r.worst.toFixed(2)} | ${r.grew.toFixed(1)} | ${r.error.slice(0, 90).replace(/\|/g, '\\|')} |`);
  const worst = Math.max(...rows.map((r) => r.worst)), peak = Math.max(...rows.map((r) => r.grew));
  console.log(`\nworst time ${worst.toFixed(1)} ms, worst peak RSS growth ${peak.toFixed(1)} MB over ${rows.length} files under 1 MiB (Node ${process.version})`);
  if (rows.some((r) => !/^BAD_FILE/.test(r.error))) { console.log('SOME FILE WAS NOT REFUSED WITH BAD_FILE'); process.exitCode = 1; }
}
