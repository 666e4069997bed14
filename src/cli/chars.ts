// Character-level text: a vocabulary, encoding lines into padded batches,
// and sampling from a trained model one character at a time.
import type { Sequential } from '../train/sequential.js';
import type { Tensor } from '../tensor.js';
import { Random } from '../util/rng.js';

/** Id 0 is the boundary: it starts every line as input and ends it as target. */
export interface Vocab {
  chars: string[];
}

export function buildVocab(lines: string[]): Vocab {
  const set = new Set<string>();
  for (const l of lines) for (const ch of l) set.add(ch);
  return { chars: ['\n', ...[...set].filter((c) => c !== '\n').sort()] };
}

export function indexOf(v: Vocab): Map<string, number> {
  return new Map(v.chars.map((c, i) => [c, i]));
}

/** x: boundary + line (ids), y: line + boundary, padded to T with ignored targets. */
export function encodeLines(lines: string[], v: Vocab, T: number): { x: Tensor; y: Int32Array; lengths: Int32Array } {
  const ix = indexOf(v), N = lines.length;
  const x = new Float32Array(N * T), y = new Int32Array(N * T).fill(-100), lengths = new Int32Array(N);
  lines.forEach((line, n) => {
    const ids = [...line].slice(0, T - 1).map((c) => ix.get(c) ?? 0);
    const seq = [0, ...ids];
    for (let t = 0; t < seq.length; t++) {
      x[n * T + t] = seq[t]!;
      y[n * T + t] = t + 1 < seq.length ? seq[t + 1]! : 0;
    }
    lengths[n] = seq.length;
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
