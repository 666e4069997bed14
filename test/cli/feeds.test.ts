// The CLI reads CSV and text files as streams: the same records, lines,
// windows and splits whichever way the file is cut into chunks (a quote, a
// CRLF or a multi-byte character straddling two chunks), the same as a
// plain in-memory reading, and a process whose memory does not grow with
// the file.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CsvParser, csvRecords, csvRows, csvHeader, Moments, type Record_ } from '../../src/cli/data.js';
import { readText, scanUtf8 } from '../../src/cli/files.js';
import { csvWindows, textLines, lineBatches, charWindows } from '../../src/cli/feeds.js';
import { Holdout, randomSplit } from '../../src/cli/split.js';
import { UsageError } from '../../src/cli/args.js';
import { rng } from '../helpers/rng.js';

const dir = mkdtempSync(join(tmpdir(), 'simd-rnn-feeds-'));
const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

async function* pieces(text: string, cuts: number[]): AsyncGenerator<string> {
  let at = 0;
  for (const c of cuts) { yield text.slice(at, c); at = c; }
  yield text.slice(at);
}
async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}
function parseIn(text: string, cuts: number[]): Record_[] {
  const p = new CsvParser('f'), out: Record_[] = [];
  let at = 0;
  for (const c of [...cuts, text.length]) { p.push(text.slice(at, c), out); at = c; }
  p.end(out);
  return out;
}

t.test('CSV records are the same at every cut of the text (quotes, "" escapes, CRLF, CR, blank lines)', async (t) => {
  const text = 'a,"b ""x"", y"\r\n"1\n2",3\r\r\n\n"",""""\rq,"z"\n';
  const whole = csvRecords(text, 'f');
  t.same(whole.map((r) => r.fields), [['a', 'b "x", y'], ['1\n2', '3'], ['', '"'], ['q', 'z']]);
  t.same(whole.map((r) => r.line), [1, 2, 6, 7], 'line numbers count the line inside quotes and each CR, LF or CRLF');
  let bad = 0;
  for (let i = 0; i <= text.length; i++) {
    for (let j = i; j <= text.length; j += 3) {
      if (JSON.stringify(parseIn(text, [i, j])) !== JSON.stringify(whole)) bad++;
    }
  }
  t.equal(bad, 0, 'every pair of cuts gives the same records');
  for (const [txt, msg] of [['t,v\n1,"2"x\n', /f:2: a character after a closing quote/], ['t,v\n1,"2\n', /f:2: a quoted field is never closed/], ['t,v\n1,2"3\n', /f:2: a quote inside an unquoted field/]] as const) {
    for (let i = 0; i <= txt.length; i++) t.throws(() => parseIn(txt, [i]), msg, `${JSON.stringify(txt)} cut at ${i}`);
  }
});

t.test('strict UTF-8 in chunks: characters split across chunks, a BOM, bad bytes at their file offset', async (t) => {
  const text = 'héllo, €uro 𝄞 clef\nzwnbsp \ufeff inside\n'.repeat(5);
  const path = join(dir, 'u.txt');
  writeFileSync(path, '\ufeff' + text);
  for (const chunk of [1, 2, 3, 5, 7, 64, 1 << 20]) {
    const got = (await all(readText(path, 'x', chunk))).join('');
    t.equal(got, text, `chunks of ${chunk} bytes: the same text, the BOM dropped once, an inner U+FEFF kept`);
  }
  t.same(scanUtf8(Uint8Array.from([0x61, 0xe2, 0x82]), false), { bad: -1, complete: 1 }, 'a character cut at the chunk end waits for the next');
  t.same(scanUtf8(Uint8Array.from([0x61, 0xe2, 0x41]), false), { bad: 1, complete: 1 }, 'not if its next byte cannot continue it');
  const bytes = Buffer.concat([Buffer.from('abc€'.repeat(10)), Buffer.from([0xe9]), Buffer.from('tail')]);
  writeFileSync(join(dir, 'bad.txt'), bytes);
  for (const chunk of [1, 4, 5, 16]) {
    await t.rejects(all(readText(join(dir, 'bad.txt'), 'x', chunk)), /bad\.txt is not UTF-8 text: byte 60 is 0xe9/, `chunks of ${chunk}`);
  }
  writeFileSync(join(dir, 'cut.txt'), Buffer.from([0x61, 0xf0, 0x9d]));
  await t.rejects(all(readText(join(dir, 'cut.txt'), 'x', 2)), /byte 1 is 0xf0/, 'a character cut off by the end of the file');
  await t.rejects(all(readText(join(dir, 'nope.txt'), 'x')), /x: cannot read .*nope\.txt: no such file/);
  await t.rejects(all(readText(dir, 'x')), /cannot read .*: .*EISDIR/, 'a directory');
});

t.test('lines are the same at every cut (LF, CRLF, CR, trailing white space), numbered as in the file', async (t) => {
  const text = 'ab  \r\ncd\r\rxé𝄞\n\n  \nlast';
  const want = [{ text: 'ab', line: 1 }, { text: 'cd', line: 2 }, { text: 'xé𝄞', line: 4 }, { text: 'last', line: 7 }];
  const never = (): UsageError => new UsageError('too long');
  let bad = 0;
  for (let i = 0; i <= text.length; i++) {
    for (let j = i; j <= text.length; j++) {
      if (JSON.stringify(await all(textLines(pieces(text, [i, j]), 100, never))) !== JSON.stringify(want)) bad++;
    }
  }
  t.equal(bad, 0);
  await t.rejects(all(textLines(pieces('ok\n' + 'x'.repeat(500), [3, 100, 200]), 50, (l) => new UsageError(`line ${l} too long`))), /line 2 too long/, 'a long line refused before it is held whole');
  await t.rejects(all(textLines(pieces('ok\n𝄞𝄞𝄞\n', []), 2, (l) => new UsageError(`line ${l} too long`))), /line 2 too long/, 'counted in characters');
});

t.test('Holdout: exactly floor(N·frac), the same decisions every pass, seeded', async (t) => {
  for (const [N, frac] of [[1, 0.5], [10, 0.1], [997, 0.1], [1000, 0.9], [5, 0]] as const) {
    const pass = (seed: number): boolean[] => { const h = new Holdout(N, frac, seed); return Array.from({ length: N }, () => h.next()); };
    const a = pass(3);
    t.equal(a.filter(Boolean).length, Math.floor(N * frac), `${N} × ${frac}`);
    t.same(pass(3), a, 'repeatable');
  }
  const x = randomSplit(1000, 0.1, 1), y = randomSplit(1000, 0.1, 2);
  t.notSame(Array.from(x.val), Array.from(y.val), 'another seed, another split');
  // Spread over the file: each tenth holds some of the 100.
  const tenths = new Array(10).fill(0);
  for (const v of x.val) tenths[Math.floor(v / 100)]++;
  t.ok(tenths.every((c) => c > 0), `every tenth of the file has held-out samples (${tenths})`);
});

t.test('CSV windows streamed equal the windows computed in memory; the split partitions them', async (t) => {
  const g = rng(5), R = 103, F = 3, W = 7, h = 2, target = 1, N = R - W - h + 1;
  const rows = Array.from({ length: R }, () => Array.from({ length: F }, () => Math.round((g() * 200 - 50) * 1000) / 1000));
  const text = 'a,b,c\n' + rows.map((r) => r.join(',')).join('\n') + '\n';
  const m = new Moments(F);
  for await (const r of csvRows(pieces(text, [5, 40, 41, 300]), 'f', ['a', 'b', 'c'])) m.add(r);
  t.equal(m.count, R);
  const s = m.scaler();
  for (let f = 0; f < F; f++) {
    const col = rows.map((r) => r[f]!), mean = col.reduce((p, v) => p + v, 0) / R;
    const std = Math.sqrt(col.reduce((p, v) => p + (v - mean) ** 2, 0) / R);
    t.ok(Math.abs(s.mean[f]! - mean) < 1e-9 * Math.abs(mean) + 1e-12 && Math.abs(s.std[f]! - std) < 1e-9 * std, `column ${f}: Welford's mean and std equal the two-pass ones`);
  }
  // The reference: every window in memory.
  const refX = new Float32Array(N * W * F), refY = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    for (let t2 = 0; t2 < W; t2++) for (let f = 0; f < F; f++) refX[(n * W + t2) * F + f] = (rows[n + t2]![f]! - s.mean[f]!) / s.std[f]!;
    refY[n] = (rows[n + W + h - 1]![target]! - s.mean[target]!) / s.std[target]!;
  }
  const rowsOf = (): AsyncIterable<number[]> => csvRows(pieces(text, [17]), 'f', ['a', 'b', 'c']);
  const got = await all(csvWindows(rowsOf(), s, W, h, target, 16, null));
  t.same(got.map((b) => b.x.shape), [...new Array(5).fill([16, W, F]), [N - 80, W, F]], 'batches of 16 and the rest');
  t.same(Float32Array.from(got.flatMap((b) => Array.from(b.x.data))), refX, 'x: every window, bit for bit');
  t.same(Float32Array.from(got.flatMap((b) => Array.from(b.y.data))), refY, 'y: the target h rows after each window');
  // Training and validation passes: disjoint, together all N windows, the held-out count exact.
  const tr = await all(csvWindows(rowsOf(), s, W, h, target, 8, { N, frac: 0.2, seed: 4, val: false }));
  const va = await all(csvWindows(rowsOf(), s, W, h, target, 8, { N, frac: 0.2, seed: 4, val: true }));
  const ys = (bs: typeof tr): number[] => bs.flatMap((b) => Array.from(b.y.data));
  t.equal(ys(va).length, Math.floor(N * 0.2));
  t.equal(ys(tr).length + ys(va).length, N);
  const split = randomSplit(N, 0.2, 4);
  t.same(ys(va), Array.from(split.val, (n) => refY[n]!), 'the held-out windows are randomSplit\'s');
  t.same(ys(tr), Array.from(split.train, (n) => refY[n]!));
  await t.rejects(all(csvRows(pieces('a,b\n', []), 'f', ['a'])), /f: no data rows/);
  await t.rejects(all(csvRows(pieces('a,b\n1,2\n3\n', []), 'f', ['a'])), /f:3: 1 fields, expected 2/);
  t.same(await csvHeader(pieces('"x ",y\n1,2', [2]), 'f'), ['x', 'y']);
});

t.test('text: line batches and character windows equal their in-memory encodings', async (t) => {
  const ix = new Map([['\n', 0], ['a', 1], ['b', 2], ['é', 3]]);
  const lines = (): AsyncIterable<{ text: string; line: number }> => textLines(pieces('ab\naé\nb\nbba\n', [4]), 100, () => new UsageError('long'));
  const bs = await all(lineBatches(lines(), ix, 3, null));
  t.same(bs.map((b) => b.x.shape), [[3, 3], [1, 4]], 'each batch padded to its own longest line');
  t.same(Array.from(bs[0]!.x.data), [0, 1, 2, 0, 1, 3, 0, 2, 0], 'x: the boundary, then the line');
  t.same(Array.from(bs[0]!.y as Int32Array), [1, 2, 0, 1, 3, 0, 2, 0, -100], 'y: the line, then the boundary; padding ignored');
  t.same(Array.from(bs[0]!.lengths!), [3, 3, 2]);
  t.same(Array.from(bs[1]!.y as Int32Array), [2, 2, 1, 0]);
  const text = 'abba\nbaé\nab';
  const ids = Array.from(text, (c) => ix.get(c)!), W = 3, N = Math.floor((ids.length - 1) / W);
  const ws = await all(charWindows(pieces(text, [1, 5, 6]), ix, W, 2, null));
  t.same(ws.map((b) => b.x.shape), [[2, 3], [1, 3]]);
  t.same(ws.flatMap((b) => Array.from(b.x.data)), ids.slice(0, N * W), 'x: consecutive windows');
  t.same(ws.flatMap((b) => Array.from(b.y as Int32Array)), ids.slice(1, N * W + 1), 'y: shifted by one character');
});

t.test('the CLI streams: memory does not grow with the file', async (t) => {
  // A wrapper reports the process's peak resident memory after the CLI ran.
  const wrap = join(dir, 'wrap.mjs');
  writeFileSync(wrap, `process.on('exit', () => process.stderr.write('maxRSS ' + process.resourceUsage().maxRSS + '\\n'));\nprocess.argv.splice(1, 1);\nawait import(${JSON.stringify(CLI)});\n`);
  const csv = (name: string, rows: number): string => {
    const g = rng(rows), lines = ['t,v'];
    let v = 0;
    for (let i = 0; i < rows; i++) { v = 0.9 * v + g() - 0.5; lines.push(`${i},${v.toFixed(4)}`); }
    writeFileSync(join(dir, name), lines.join('\n') + '\n');
    return name;
  };
  // A plain node, as a user runs it (tap's environment loads its TypeScript loader and coverage into every child).
  const bare = { PATH: process.env.PATH, HOME: process.env.HOME };
  // The old space is capped so that V8's lazy collection of garbage is not counted; typed arrays (the
  // windows an in-memory reading builds) are outside it and would show in full.
  const peak = (file: string, rows: number): number => {
    const r = spawnSync(process.execPath, ['--max-old-space-size=64', wrap, 'x', 'train', '--csv', file, '--columns', 'v', '--window', '200', '--cell', 'rnn', '--hidden', '2', '--epochs', '1', '--batch', '256', '--shuffle-buffer', '512', '--out', `${file}.safetensors`], { cwd: dir, encoding: 'utf8', env: bare });
    t.equal(r.status, 0, r.stderr);
    t.match(r.stdout, new RegExp(`csv: ${rows} rows, ${rows - 200} windows of 200 × 1`));
    t.match(r.stdout, /shuffling in a buffer of 512 of the \d+ training samples/);
    return Number(/maxRSS (\d+)/.exec(r.stderr)![1]) * 1024;
  };
  const mid = peak(csv('mid.csv', 60_000), 60_000), big = peak(csv('big.csv', 150_000), 150_000);
  const more = 90_000 * 200 * 4;
  t.ok(more > 64 * 2 ** 20, `the big file's windows would take ${(more / 2 ** 20).toFixed(0)} MiB more than the other's in memory`);
  t.ok(big - mid < 24 * 2 ** 20, `peak memory: ${(mid / 2 ** 20).toFixed(0)} MiB for 60 000 rows, ${(big / 2 ** 20).toFixed(0)} MiB for 150 000 rows`);
  // The same seed, the same model: the streamed passes and the shuffle buffer are deterministic.
  const again = (out: string): Buffer => {
    const r = spawnSync(process.execPath, [CLI, 'train', '--csv', csv('small.csv', 3_000), '--columns', 'v', '--window', '20', '--hidden', '4', '--epochs', '2', '--shuffle-buffer', '100', '--out', out], { cwd: dir, encoding: 'utf8' });
    t.equal(r.status, 0, r.stderr);
    return readFileSync(join(dir, out));
  };
  t.ok(again('a.safetensors').equals(again('b.safetensors')), 'bit-identical model files');
});
