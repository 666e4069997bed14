// The CLI's data as streams of batches for fit and evaluate, read from the
// file again on every pass so that only a batch (and fit's shuffle buffer)
// is in memory: CSV rows in windows, text one sequence per line, and text as
// one stream of characters in windows. Each pass splits the samples into
// training and validation the same way (split.ts).
import type { Batch } from '../model/contracts.js';
import type { Tensor } from '../tensor.js';
import { UsageError } from './args.js';
import { charCount } from './chars.js';
import { Holdout } from './split.js';
import type { Scaler } from './data.js';

/** Which samples a pass yields: all, or one side of a seeded split of N. */
export type Side = { N: number; frac: number; seed: number; val: boolean } | null;

/** One decision per sample, in order: whether this pass yields it. */
function selector(side: Side): () => boolean {
  if (!side) return () => true;
  const h = new Holdout(side.N, side.frac, side.seed);
  return () => h.next() === side.val;
}

/** A batch of CSV windows: x [B, W, F], y [B, 1] (z-scored). */
export interface WindowBatch extends Batch { x: Tensor; y: Tensor }

/**
 * Windows of W rows of the chosen columns (z-scored), each with the target
 * column `horizon` rows after the window; window n starts at row n.
 */
export async function* csvWindows(rows: AsyncIterable<number[]>, s: Scaler, W: number, horizon: number, target: number, B: number, side: Side): AsyncGenerator<WindowBatch, void, undefined> {
  const F = s.mean.length, span = W + horizon, ring = new Float32Array(span * F), keep = selector(side);
  let x = new Float32Array(B * W * F), y = new Float32Array(B), b = 0, r = 0;
  for await (const row of rows) {
    const slot = r % span;
    for (let f = 0; f < F; f++) ring[slot * F + f] = (row[f]! - s.mean[f]!) / s.std[f]!;
    if (++r < span || !keep()) continue;
    const n = r - span;
    for (let t = 0; t < W; t++) x.set(ring.subarray(((n + t) % span) * F, ((n + t) % span + 1) * F), (b * W + t) * F);
    y[b] = ring[((n + span - 1) % span) * F + target]!;
    if (++b === B) {
      yield { x: { data: x, shape: [B, W, F] }, y: { data: y, shape: [B, 1] } };
      x = new Float32Array(B * W * F); y = new Float32Array(B); b = 0;
    }
  }
  if (b) yield { x: { data: x.slice(0, b * W * F), shape: [b, W, F] }, y: { data: y.slice(0, b), shape: [b, 1] } };
}

/** A line of a text file and its number (1-based). */
export interface Line { text: string; line: number }

/**
 * The non-empty lines of a stream of text (LF, CRLF or CR ends, trailing
 * white space removed), numbered as in the file. A line longer than
 * maxChars is refused (tooLong) before more of it is held.
 */
export async function* textLines(text: AsyncIterable<string>, maxChars: number, tooLong: (line: number) => UsageError): AsyncGenerator<Line, void, undefined> {
  const end = /[\r\n]/g;
  let pending = '', line = 1, skipLF = false;
  const emit = (): Line | null => {
    const l = pending.trimEnd();
    pending = '';
    if (!l.length) return null;
    if (charCount(l) > maxChars) throw tooLong(line);
    return { text: l, line };
  };
  for await (const c of text) {
    if (!c.length) continue;
    let i = skipLF && c[0] === '\n' ? 1 : 0;
    skipLF = false;
    for (;;) {
      end.lastIndex = i;
      const m = end.exec(c), j = m ? m.index : c.length;
      pending += c.slice(i, j);
      if (pending.length > 2 * maxChars + 64) throw tooLong(line);
      if (!m) break;
      const l = emit();
      if (l) yield l;
      line++;
      if (c[j] === '\r') {
        if (j + 1 === c.length) skipLF = true;
        else if (c[j + 1] === '\n') i = j + 2;
      }
      if (i <= j) i = j + 1;
    }
  }
  const l = emit();
  if (l) yield l;
}

/**
 * Lines as sequences: x = boundary (id 0) then the line, y = the line then the
 * boundary; each batch padded to its longest line, with ignored targets (−100)
 * and lengths.
 */
export async function* lineBatches(lines: AsyncIterable<Line>, ix: Map<string, number>, B: number, side: Side): AsyncGenerator<Batch, void, undefined> {
  const keep = selector(side);
  let held: string[] = [];
  const batch = (): Batch => {
    const ids = held.map((l) => Array.from(l, (ch) => ix.get(ch) ?? 0));
    const N = ids.length, T = Math.max(...ids.map((s) => s.length)) + 1;
    const x = new Float32Array(N * T), y = new Int32Array(N * T).fill(-100), lengths = new Int32Array(N);
    ids.forEach((s, n) => {
      for (let t = 0; t < s.length; t++) { y[n * T + t] = s[t]!; x[n * T + t + 1] = s[t]!; }
      y[n * T + s.length] = 0;
      lengths[n] = s.length + 1;
    });
    held = [];
    return { x: { data: x, shape: [N, T] }, y, lengths };
  };
  for await (const l of lines) {
    if (!keep()) continue;
    held.push(l.text);
    if (held.length === B) yield batch();
  }
  if (held.length) yield batch();
}

/**
 * The text as one stream of characters (line ends included) cut into
 * consecutive windows of W: x a window, y the same shifted by one character
 * (so window n reads characters nW … nW + W).
 */
export async function* charWindows(text: AsyncIterable<string>, ix: Map<string, number>, W: number, B: number, side: Side): AsyncGenerator<Batch, void, undefined> {
  const keep = selector(side), ids = new Int32Array(W + 1);
  let x = new Float32Array(B * W), y = new Int32Array(B * W), b = 0, k = 0;
  for await (const c of text) {
    for (const ch of c) {
      ids[k++] = ix.get(ch) ?? 0;
      if (k < W + 1) continue;
      if (keep()) {
        for (let t = 0; t < W; t++) { x[b * W + t] = ids[t]!; y[b * W + t] = ids[t + 1]!; }
        if (++b === B) {
          yield { x: { data: x, shape: [B, W] }, y };
          x = new Float32Array(B * W); y = new Int32Array(B * W); b = 0;
        }
      }
      ids[0] = ids[W]!;
      k = 1;
    }
  }
  if (b) yield { x: { data: x.slice(0, b * W), shape: [b, W] }, y: y.slice(0, b * W) };
}
