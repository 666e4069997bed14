// Character-level text: a vocabulary, encoding lines into padded batches,
// and sampling from a trained model one character at a time.
import type { Sequential } from '../model/sequential.js';
import type { Tensor } from '../tensor.js';
import { Random } from '../util/rng.js';

/** Id 0 is the boundary: it starts every line as input and ends it as target. */
export interface Vocab {
  chars: string[];
}

export function buildVocab(lines: string[]): Vocab {
  const set = new Set<string>();
  for (const l of lines) for (const ch of l) set.add(ch);
  return vocabFromSet(set);
}

/** The vocabulary of a set of characters: the boundary, then the others in code-unit order. */
export function vocabFromSet(set: Set<string>): Vocab {
  return { chars: ['\n', ...[...set].filter((c) => c !== '\n').sort()] };
}

/** A vocabulary read from a model file's metadata: distinct single characters, the boundary first. */
export function vocabOf(chars: unknown): Vocab | null {
  if (!Array.isArray(chars) || chars.length < 2 || chars.length > 1 << 20 || chars[0] !== '\n') return null;
  if (!chars.every((c) => typeof c === 'string' && charCount(c) === 1 && c.length <= 2)) return null;
  if (new Set(chars).size !== chars.length) return null;
  return { chars: chars as string[] };
}

export function indexOf(v: Vocab): Map<string, number> {
  return new Map(v.chars.map((c, i) => [c, i]));
}

/** Most steps (sequences × padded length) the CLI puts in one batch: x and y take 8 bytes a step. */
export const MAX_TEXT_STEPS = 1 << 26;

/** Length of a string in characters (code points), without making an array of them. */
export function charCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

/**
 * x: boundary + line (ids), y: line + boundary, padded to T with ignored
 * targets. Lines longer than T − 1 characters are an error, not cut.
 */
export function encodeLines(lines: string[], v: Vocab, T: number): { x: Tensor; y: Int32Array; lengths: Int32Array } {
  const ix = indexOf(v), N = lines.length;
  const x = new Float32Array(N * T), y = new Int32Array(N * T).fill(-100), lengths = new Int32Array(N);
  lines.forEach((line, n) => {
    let t = 0;
    x[n * T] = 0;
    for (const ch of line) {
      if (t + 1 >= T) throw new RangeError(`line ${n + 1} is longer than ${T - 1} characters`);
      const id = ix.get(ch) ?? 0;
      y[n * T + t] = id;
      x[n * T + t + 1] = id;
      t++;
    }
    y[n * T + t] = 0;
    lengths[n] = t + 1;
  });
  return { x: { data: x, shape: [N, T] }, y, lengths };
}

/** Samples one line: softmax(logits / temperature), until the boundary or maxLen characters. */
export function sampleLine(model: Sequential, v: Vocab, random: Random, temperature: number, maxLen: number, prefix = ''): string {
  const state = model.zeroState(1);
  const ix = indexOf(v);
  let out = '';
  let tok = 0;
  const feed = [0, ...[...prefix].map((c) => ix.get(c) ?? 0)];
  let logits: Float32Array = new Float32Array(0);
  for (const id of feed) logits = model.step(new Int32Array([id]), state).data;
  out = prefix;
  while (out.length < maxLen) {
    let m = -Infinity;
    for (const l of logits) m = Math.max(m, l / temperature);
    let z = 0;
    const p = Array.from(logits, (l) => { const e = Math.exp(l / temperature - m); z += e; return e; });
    let u = random.next() * z;
    tok = p.length - 1;
    for (let i = 0; i < p.length; i++) { u -= p[i]!; if (u <= 0) { tok = i; break; } }
    if (tok === 0) break;
    out += v.chars[tok];
    logits = model.step(new Int32Array([tok]), state).data;
  }
  state.dispose();
  return out;
}
