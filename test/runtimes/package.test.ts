// The package as a user installs it: `npm pack`, unpacked into an app's
// node_modules. Node resolves 'simd-rnn' to the bundled entry
// (dist/node/index.js), which finds its .wasm files, computes what the
// module-per-file build computes bit for bit, and whose stack traces map
// back into src/ through its source map; the command line runs from the
// package too.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, existsSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const built = existsSync(join(root, 'dist/node/index.js')) && existsSync(join(root, 'wasm/simd-rnn.simd.wasm'));

t.test('an installed package: the bundled Node entry, its wasm, its source map, the CLI', { skip: built ? false : 'not built (npm run build)' }, async (t) => {
  const app = mkdtempSync(join(tmpdir(), 'simd-rnn-app-'));
  const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', app], { cwd: root, encoding: 'utf8' });
  t.equal(pack.status, 0, pack.stderr);
  const tgz = pack.stdout.trim().split('\n').pop()!;
  mkdirSync(join(app, 'node_modules'));
  t.equal(spawnSync('tar', ['xzf', join(app, tgz), '-C', join(app, 'node_modules')]).status, 0, 'unpacked');
  renameSync(join(app, 'node_modules/package'), join(app, 'node_modules/simd-rnn'));
  const probe = (url: string): string => `
const m = await import(${JSON.stringify(url)});
const backend = await m.init();
const l = new m.LSTM({ inputSize: 5, hiddenSize: 7, numLayers: 2, bidirectional: true, seed: 3 });
const x = m.tensor(Float32Array.from({ length: 4 * 6 * 5 }, (_, i) => Math.sin(i * 0.37)), [6, 4, 5]);
const y = l.forward(x).output.data;
const model = m.io.load(m.io.save(new m.Sequential([new m.GRU({ inputSize: 5, hiddenSize: 4, seed: 1 }), new m.Linear({ inFeatures: 4, outFeatures: 2, seed: 2 })])));
const p = model.predict(m.tensor(x.data, [4, 6, 5])).data;
let where = '';
try { l.forward(m.tensor(new Float32Array(3), [1, 1, 3])); } catch (e) { where = String(e.stack).split('\\n').slice(0, 3).join(' '); }
console.log(JSON.stringify({ backend, y: Array.from(y), p: Array.from(p), where }));
`;
  writeFileSync(join(app, 'bundle.mjs'), `console.error(import.meta.resolve('simd-rnn'));\n${probe('simd-rnn')}`);
  writeFileSync(join(app, 'modules.mjs'), probe('./node_modules/simd-rnn/dist/index.js'));
  const run = (file: string, ...flags: string[]): { out: { backend: string; y: number[]; p: number[]; where: string }; err: string } => {
    const r = spawnSync(process.execPath, [...flags, file], { cwd: app, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME } });
    t.equal(r.status, 0, `${file}: ${r.stderr}`);
    return { out: JSON.parse(r.stdout), err: r.stderr };
  };
  const b = run('bundle.mjs', '--enable-source-maps'), m = run('modules.mjs');
  t.match(b.err, /node_modules\/simd-rnn\/dist\/node\/index\.js/, "Node resolves 'simd-rnn' to the bundle");
  t.equal(b.out.backend, 'wasm-simd', 'the bundle finds the SIMD .wasm beside it');
  t.same(b.out.y, m.out.y, 'a stacked bidirectional LSTM: bit-identical to the module-per-file build');
  t.same(b.out.p, m.out.p, 'a saved and loaded Sequential: bit-identical');
  t.match(b.out.where, /SimdRnnError: LSTM\.forward: x/, 'errors keep their names (identifiers are not minified)');
  t.match(b.out.where, /src\/layers\/recurrent\/\w+\.ts:\d+/, 'stack traces map into src/ through the source map');
  // simd-rnn/io: the same functions as the io namespace, sharing its classes (a model from 'simd-rnn' saves
  // and loads through it), under Node and as the module-per-file build bundlers get.
  writeFileSync(join(app, 'io.mjs'), `
import * as io from 'simd-rnn/io';
import { init, io as ns, Sequential, GRU } from 'simd-rnn';
await init();
const model = new Sequential([new GRU({ inputSize: 2, hiddenSize: 3, seed: 1 })]);
const back = io.load(io.save(model));
console.log(JSON.stringify({ same: Object.keys(io).every((k) => io[k] === ns[k]), n: Object.keys(io).length, names: Object.keys(ns).length, sequential: back instanceof Sequential, resolved: import.meta.resolve('simd-rnn/io') }));
`);
  const io = spawnSync(process.execPath, ['io.mjs'], { cwd: app, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  t.equal(io.status, 0, io.stderr);
  const r = JSON.parse(io.stdout) as { same: boolean; n: number; names: number; sequential: boolean; resolved: string };
  t.ok(r.same && r.n === r.names, `simd-rnn/io exports the io namespace's ${r.names} values, the very same ones`);
  t.ok(r.sequential, "io.load from simd-rnn/io gives the Sequential of 'simd-rnn'");
  t.match(r.resolved, /dist\/node\/io\.js$/, 'Node resolves simd-rnn/io beside the bundle');
  const v = spawnSync(process.execPath, [join(app, 'node_modules/simd-rnn/dist/cli/main.js'), 'info'], { cwd: app, encoding: 'utf8' });
  t.equal(v.status, 0, v.stderr);
  t.match(v.stdout, /backend: wasm-simd/, 'the CLI bundle runs from the package and finds its wasm');
});
