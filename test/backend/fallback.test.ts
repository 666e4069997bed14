// The pure-JS fallback takes over where WebAssembly is missing (node
// --jitless has no WebAssembly global) or refused (a content-security policy
// without 'wasm-unsafe-eval' makes compiling throw), with the same results.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = pathToFileURL(fileURLToPath(new URL('../../dist/index.js', import.meta.url))).href;
const body = `
const { init, LSTM, tensor } = await import(${JSON.stringify(dist)});
const name = await init();
const y = new LSTM({ inputSize: 3, hiddenSize: 4, seed: 1 }).forward(tensor(Float32Array.from({ length: 12 }, (_, i) => Math.sin(i)), [4, 1, 3])).output.data;
console.log(JSON.stringify({ name, y: Array.from(y) }));`;
const run = (args: string[], prelude = ''): { name: string; y: number[] } => {
  const r = spawnSync(process.execPath, [...args, '--input-type=module', '-e', prelude + body], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
};

t.test('no WebAssembly at all, and WebAssembly refused: JS runs, same numbers', async (t) => {
  const normal = run([]);
  t.equal(normal.name, 'wasm-simd');
  const none = run(['--jitless']);
  t.equal(none.name, 'js', 'node --jitless: no WebAssembly → js');
  const refused = run([], `WebAssembly.compile = () => Promise.reject(new WebAssembly.CompileError("Refused to compile or instantiate WebAssembly module because 'wasm-unsafe-eval' is not an allowed source"));\n`);
  t.equal(refused.name, 'js', 'compiling refused → js');
  for (const [label, r] of [['no wasm', none], ['refused', refused]] as const) {
    const d = Math.max(...r.y.map((v, i) => Math.abs(v - normal.y[i]!)));
    t.ok(d < 1e-6, `${label}: same output as wasm SIMD within 1e-6 (max |Δ| ${d.toExponential(1)})`);
  }
});
