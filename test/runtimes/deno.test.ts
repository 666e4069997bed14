// Deno (from npm): the package loads, picks wasm SIMD and computes what Node
// computes. (Bun runs the seeded workload in npm run test:runtimes: tap
// cannot run under Bun.)
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { init, LSTM, tensor } from '../../src/index.js';

const deno = fileURLToPath(new URL('../../node_modules/.bin/deno', import.meta.url));
const dist = pathToFileURL(fileURLToPath(new URL('../../dist/index.js', import.meta.url))).href;

t.test('Deno runs the package', { skip: existsSync(deno) ? false : 'deno is not installed' }, async (t) => {
  const r = spawnSync(deno, ['eval', '--quiet', `
const m = await import(${JSON.stringify(dist)});
const name = await m.init({ threads: 2 });
const y = new m.LSTM({ inputSize: 3, hiddenSize: 4, seed: 1 }).forward(m.tensor(Float32Array.from({ length: 12 }, (_, i) => Math.sin(i)), [4, 1, 3])).output.data;
console.log(JSON.stringify({ name, y: Array.from(y), threads: m.threads(), features: m.detectFeatures().threads }));`], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } });
  t.equal(r.signal, null, 'the script ends on its own (no pool holds it)');
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { name: string; y: number[]; threads: number; features: boolean };
  t.equal(out.name, 'wasm-simd');
  t.same([out.threads, out.features], [1, false], "one thread in Deno, said by detectFeatures().threads (its workers cannot be unref'd)");
  await init();
  const y = new LSTM({ inputSize: 3, hiddenSize: 4, seed: 1 }).forward(tensor(Float32Array.from({ length: 12 }, (_, i) => Math.sin(i)), [4, 1, 3])).output.data;
  const d = Math.max(...out.y.map((v, i) => Math.abs(v - y[i]!)));
  t.ok(d < 1e-5, `Deno equals Node within 1e-5 (max |Δ| ${d.toExponential(1)})`);
});
