// npm run size: the budgets of issue "everywhere it should run":
// - gzipped size of the SIMD .wasm and of the JS an inference-only app ships
//   (esbuild bundle, minified, of an entry that loads and runs an LSTM);
// - cold start: a fresh Node process to the first LSTM inference, minus an
//   empty `node -e 0`, median of 11 runs each, with its import, init() and
//   first forward, for the bundled Node entry and the module-per-file build;
// - heap memory a model needs (parameters, gradients, packed weights, workspace).
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { init, tensor, LSTM, getBackend } from '../dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'simd-rnn-size-'));
const dist = pathToFileURL(join(root, 'dist/node/index.js')).href; // what Node resolves 'simd-rnn' to
const entry = join(dir, 'entry.js');
// The program imports io's functions from simd-rnn/io (dist/io/index.js for bundlers): an `io.` namespace
// is kept whole by esbuild (every exporter and importer with it). Split as an app's bundler splits it: the JS
// backend's kernels are a chunk of their own, loaded only where wasm is missing.
writeFileSync(entry, `import { init, LSTM } from ${JSON.stringify(join(root, 'dist/index.js'))};
import { readSafetensors } from ${JSON.stringify(join(root, 'dist/io/index.js'))};
export async function infer(bytes, x) { await init(); const l = new LSTM({ inputSize: 8, hiddenSize: 32 }); l.loadStateDict(readSafetensors(bytes)); return l.forward(x); }
`);
const out = await build({ entryPoints: [entry], bundle: true, minify: true, format: 'esm', platform: 'neutral', write: false, external: ['node:*'], logLevel: 'silent', splitting: true, outdir: join(dir, 'out'), metafile: true });
// What the program loads at start: its entry chunk and the chunks that one imports statically.
const meta = out.metafile.outputs, bytesOf = new Map(out.outputFiles.map((f) => [f.path, f.contents]));
const abs = (k) => resolve(process.cwd(), k), main = Object.keys(meta).find((k) => meta[k].entryPoint), loaded = new Set([main]);
for (const k of loaded) for (const i of meta[k].imports) if (i.kind === 'import-statement' && meta[i.path]) loaded.add(i.path);
const js = Buffer.concat([...loaded].map((k) => bytesOf.get(abs(k))));
// The chunks loaded on demand: the JS backend (where wasm is missing) and threads (where shared memory works).
const lazy = Object.keys(meta).filter((k) => !loaded.has(k) && k.endsWith('.js')).map((k) => ({ name: k.split('/').pop().replace(/-[A-Z0-9]+\.js$/, ''), bytes: bytesOf.get(abs(k)) }));
const lazyRows = () => lazy.map((c) => `| + the ${c.name === 'js' ? "JS backend's chunk, loaded only where wasm is missing" : c.name === 'threads' ? 'threads chunk, loaded only where shared memory and workers are (init picks threads)' : `chunk ${c.name}`} | ${kb(gz(c.bytes))} (${kb(c.bytes.length)} raw) |`).join('\n');
const wasm = readFileSync(join(root, 'wasm/simd-rnn.simd.wasm'));
const gz = (b) => gzipSync(b, { level: 9 }).length;

// Cold start, as Node resolves 'simd-rnn' (the bundle, dist/node/index.js) and, for comparison in the same
// run, the module-per-file build (dist/index.js, what bundlers get): each process reports its import,
// init() and first forward; the total is the process's wall time beyond an empty `node -e 0`.
const cold = join(dir, 'cold.mjs');
writeFileSync(cold, `const t0 = performance.now();
const { init, LSTM, tensor } = await import(process.argv[2]);
const t1 = performance.now();
await init();
const t2 = performance.now();
new LSTM({ inputSize: 8, hiddenSize: 32, seed: 1 }).forward(tensor(new Float32Array(80), [10, 1, 8]));
const t3 = performance.now();
process.stdout.write(JSON.stringify([t1 - t0, t2 - t1, t3 - t2]));
`);
const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
const time = (args) => { const t = process.hrtime.bigint(); const r = spawnSync(process.execPath, args, { encoding: 'utf8' }); if (r.status !== 0) throw new Error(String(r.stderr)); return [Number(process.hrtime.bigint() - t) / 1e6, r.stdout]; };
const RUNS = 11, entries = { bundle: dist, modules: pathToFileURL(join(root, 'dist/index.js')).href };
const empty = [], runs = { bundle: [], modules: [] };
for (let i = 0; i < RUNS; i++) {
  empty.push(time(['-e', '0'])[0]);
  for (const [k, url] of Object.entries(entries)) { const [wall, out] = time([cold, url]); runs[k].push([wall, ...JSON.parse(out)]); }
}
const col = (k, j) => median(runs[k].map((r) => r[j]));
const startRow = (k, label) => `| cold start, ${label}: import ${col(k, 1).toFixed(1)} ms, init() ${col(k, 2).toFixed(1)} ms, first forward ${col(k, 3).toFixed(1)} ms; total beyond \`node -e 0\` (median of ${RUNS}) | **${(col(k, 0) - median(empty)).toFixed(1)} ms** (${col(k, 0).toFixed(1)} vs ${median(empty).toFixed(1)} ms) |`;

await init({ threads: 1 });
const heap = getBackend().heap, before = heap.usedBytes;
const lstm = new LSTM({ inputSize: 64, hiddenSize: 128, batchFirst: true, seed: 1 });
const afterBuild = heap.usedBytes;
const x = tensor(new Float32Array(32 * 100 * 64), [32, 100, 64]);
lstm.forward(x);
const afterFwd = heap.usedBytes;
lstm.backward(tensor(new Float32Array(32 * 100 * 128), [32, 100, 128]));
const afterBwd = heap.usedBytes;
const kb = (n) => `${(n / 1024).toFixed(1)} kB`, mb = (n) => `${(n / 2 ** 20).toFixed(2)} MiB`;
console.log(`| budget | measured |
|---|---|
| SIMD .wasm, gzipped | ${kb(gz(wasm))} (${kb(wasm.length)} raw) |
| inference JS bundle (esbuild, minified), gzipped: what it loads at start | ${kb(gz(js))} (${kb(js.length)} raw) |
${lazyRows()}
| wasm + JS for inference, gzipped | **${kb(gz(wasm) + gz(js))}** |
${startRow('bundle', "Node's entry (one bundled module)")}
${startRow('modules', 'a module per source file (dist/index.js)')}
| LSTM I=64 H=128: parameters + gradients | ${mb(afterBuild - before)} (${lstm.numParams} parameters) |
| + packed weights and forward workspace for T=100, B=32 | ${mb(afterFwd - afterBuild)} |
| + backward workspace | ${mb(afterBwd - afterFwd)} |`);
