// The CLI's sequence-to-sequence commands as a user runs them: train --pairs
// on a TSV file, translate arguments and stdin lines, n-best lists, info,
// resume, and one-line errors with exit code 2.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rng } from '../helpers/rng.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'simd-rnn-pairs-'));
const run = (args: string[], input?: string): { code: number | null; out: string; err: string } => {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', input });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

// Reversal of short strings over a–f; and a words → words file.
const r = rng(7), lines: string[] = [];
for (let i = 0; i < 1200; i++) {
  const L = 3 + Math.floor(r() * 4);
  let w = '';
  for (let j = 0; j < L; j++) w += 'abcdef'[Math.floor(r() * 6)];
  lines.push(`${w}\t${[...w].reverse().join('')}`);
}
writeFileSync(join(dir, 'rev.tsv'), lines.join('\n') + '\n');
writeFileSync(join(dir, 'words.tsv'), 'one two\tTWO ONE\nthree one\tONE THREE\ntwo three\tTHREE TWO\n');

t.test('train --pairs, translate, info', async (t) => {
  const tr = run(['train', '--pairs', 'rev.tsv', '--hidden', '32', '--epochs', '12', '--batch', '32', '--lr', '0.01', '--out', 'rev.safetensors', '--seed', '2']);
  t.equal(tr.code, 0, tr.err);
  t.match(tr.out, /pairs: 1200 \(1080 to train on\), 6 source and 6 target tokens \(chars → chars\)/);
  t.match(tr.out, /epoch 12\/12: loss/);
  t.ok(existsSync(join(dir, 'rev.safetensors')) && existsSync(join(dir, 'rev.safetensors.ckpt')), 'the model and its checkpoint');
  const a = run(['translate', 'rev.safetensors', 'abcd', 'fed']);
  t.equal(a.code, 0, a.err);
  t.equal(a.out.trim().split('\n').length, 2, 'arguments are translated, one line each');
  t.ok(a.out.trim().split('\n').every((l) => /^[a-f]+$/.test(l)), 'into target tokens');
  const src = lines.slice(0, 50).map((l) => l.split('\t')[0]!), want = lines.slice(0, 50).map((l) => l.split('\t')[1]!);
  const s = run(['translate', 'rev.safetensors', '--beam', '3'], src.join('\n') + '\n');
  const got = s.out.trim().split('\n');
  t.equal(got.length, 50, 'stdin lines are translated, one output line each');
  const right = got.filter((g, i) => g === want[i]).length;
  t.ok(right >= 35, `${right} of 50 reversed exactly (the model learned)`);
  const n = run(['translate', 'rev.safetensors', '--n-best', '3', 'abc']);
  const rows = n.out.trim().split('\n').map((l) => l.split('\t'));
  t.equal(rows.length, 3, 'three hypotheses');
  t.ok(rows.every((x, i) => i === 0 || Number(x[1]) <= Number(rows[i - 1]![1])), 'with scores, best first');
  const i = run(['info', 'rev.safetensors']);
  t.match(i.out, /sequence to sequence; \d+ parameters/);
  t.match(i.out, /trained on: pairs \(chars → chars\)/);
  const res = run(['train', '--pairs', 'rev.tsv', '--hidden', '32', '--epochs', '13', '--batch', '32', '--lr', '0.01', '--out', 'rev.safetensors', '--seed', '2', '--resume']);
  t.equal(res.code, 0, res.err);
  t.match(res.out, /epoch 13\/13/, 'resume continues from the checkpoint (one more epoch)');
  t.notMatch(res.out, /epoch 1\/13/);
  const w = run(['train', '--pairs', 'words.tsv', '--tokens', 'words', '--hidden', '8', '--epochs', '2', '--val', '0', '--out', 'words.safetensors']);
  t.equal(w.code, 0, w.err);
  t.match(w.out, /3 source and 3 target tokens \(words → words\)/);
  const wt = run(['translate', 'words.safetensors', 'one two']);
  t.equal(wt.code, 0, wt.err);
  t.ok(wt.out.trim().split(' ').every((x) => ['ONE', 'TWO', 'THREE', ''].includes(x)), 'word outputs are target words, space-separated');
});

t.test('errors are one line, exit 2', async (t) => {
  writeFileSync(join(dir, 'notab.tsv'), 'abc\tcba\nxyz\n');
  const e1 = run(['train', '--pairs', 'notab.tsv', '--out', 'x.safetensors']);
  t.equal(e1.code, 2);
  t.match(e1.err, /notab\.tsv:2: no TAB between source and target/);
  const e2 = run(['translate', 'rev.safetensors', 'abz']);
  t.equal(e2.code, 2);
  t.match(e2.err, /input 1 has "z", which the model never saw/);
  const e3 = run(['eval', 'rev.safetensors', '--text', 'rev.tsv']);
  t.equal(e3.code, 2);
  t.match(e3.err, /is a sequence-to-sequence model: use simd-rnn translate/);
  const e4 = run(['train', '--pairs', 'rev.tsv', '--text', 'rev.tsv']);
  t.match(e4.err, /give exactly one of --csv FILE, --text FILE or --pairs FILE/);
  writeFileSync(join(dir, 'model.txt'), 'not a model');
  const e5 = run(['translate', 'model.txt', 'abc']);
  t.equal(e5.code, 2);
  t.match(e5.err, /model\.txt is not a usable model/);
  const e6 = run(['translate', 'rev.safetensors'], '');
  t.match(e6.err, /no input/);
  t.equal(e1.err.trim().split('\n').length, 1, 'one line');
});

t.test('pairs are read as a stream into compact ids: every token comes back, past 65 536 distinct ones too', async (t) => {
  const { readPairs } = await import('../../src/cli/commands/pairs.js');
  // 700 lines of 100 distinct words (70 000 in all: the ids outgrow 16 bits); CRLF ends, a BOM, blank lines.
  const rows: [string[], string[]][] = [];
  for (let i = 0; i < 700; i++) rows.push([Array.from({ length: 100 }, (_, j) => `w${i * 100 + j}`), [`T${i % 7}`, `U${i % 3}`]]);
  const text = '\ufeff' + rows.map(([s, g], i) => `${s.join(' ')}\t${g.join(' ')}${i % 50 === 0 ? '\r\n' : ''}`).join('\r\n') + '\n';
  writeFileSync(join(dir, 'big.tsv'), text);
  const { src, tgt } = await readPairs(join(dir, 'big.tsv'), 'words', 'words');
  t.equal(src.n, 700);
  const sv = src.vocab(), tv = tgt.vocab();
  t.equal(sv.tokens.length, 70000);
  t.same(tv.tokens, ['T0', 'T1', 'T2', 'T3', 'T4', 'T5', 'T6', 'U0', 'U1', 'U2']);
  t.same([...sv.tokens].sort(), sv.tokens, 'ids in sorted token order');
  const idx = [699, 0, 350];
  const es = src.encode(idx, sv.remap, false), et = tgt.encode(idx, tv.remap, true);
  t.same(es.shape, [3, 100]);
  t.same(et.shape, [3, 3]);
  let bad = 0;
  idx.forEach((n, i) => {
    rows[n]![0].forEach((w, j) => { if (sv.tokens[es.data[i * 100 + j]! - 3] !== w) bad++; });
    rows[n]![1].forEach((w, j) => { if (tv.tokens[et.data[i * 3 + j]! - 3] !== w) bad++; });
    if (et.data[i * 3 + 2] !== 2) bad++;
  });
  t.equal(bad, 0, 'every token of the encoded pairs is the file\'s');
  // Errors name the line as the file numbers it (CRLF and blank lines counted).
  writeFileSync(join(dir, 'crlf.tsv'), 'ab\tba\r\n\r\ncd\tdc\r\nef\r\n');
  await t.rejects(readPairs(join(dir, 'crlf.tsv'), 'chars', 'chars'), { message: /crlf\.tsv:4: no TAB between source and target/ });
  writeFileSync(join(dir, 'long.tsv'), 'ab\tba\n' + 'x'.repeat(70000) + '\ty\n');
  await t.rejects(readPairs(join(dir, 'long.tsv'), 'chars', 'chars'), { message: /long\.tsv:2: longer than 65536 characters \(a pair holds at most 4096 tokens a side\)/ });
  writeFileSync(join(dir, 'one.tsv'), 'ab\tba\n\n');
  await t.rejects(readPairs(join(dir, 'one.tsv'), 'chars', 'chars'), { message: /one\.tsv has fewer than 2 pairs/ });
});
