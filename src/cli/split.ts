// --val: which samples are held out for validation. Drawn at random from the
// seed (a file sorted by name or date would make a last-10 % split tell
// nothing about the rest), each set kept in file order.
import { Random } from '../util/rng.js';
import type { Tensor } from '../tensor.js';

/** Splits [0, N) into training and validation indices; floor(N·frac) go to validation. */
export function randomSplit(N: number, frac: number, seed: number): { train: Int32Array; val: Int32Array } {
  const order = Int32Array.from({ length: N }, (_, i) => i), r = new Random((seed ^ 0x6a09e667) >>> 0);
  for (let i = N - 1; i > 0; i--) {
    const j = Math.floor(r.next() * (i + 1));
    const t = order[i]!; order[i] = order[j]!; order[j] = t;
  }
  const nVal = Math.floor(N * frac);
  return { val: order.slice(0, nVal).sort(), train: order.slice(nVal).sort() };
}

export interface Samples { x: Tensor; y: Tensor | Int32Array; lengths?: Int32Array }

/** The samples at idx (rows of x, y and lengths). */
export function take(s: Samples, idx: Int32Array): Samples {
  const N = s.x.shape[0]!, per = s.x.data.length / N;
  const x = new Float32Array(idx.length * per);
  idx.forEach((n, i) => x.set(s.x.data.subarray(n * per, (n + 1) * per), i * per));
  const yd = s.y instanceof Int32Array ? s.y : s.y.data, py = yd.length / N;
  const y = s.y instanceof Int32Array ? new Int32Array(idx.length * py) : new Float32Array(idx.length * py);
  idx.forEach((n, i) => y.set(yd.subarray(n * py, (n + 1) * py), i * py));
  const out: Samples = { x: { data: x, shape: [idx.length, ...s.x.shape.slice(1)] }, y: s.y instanceof Int32Array ? y as Int32Array : { data: y as Float32Array, shape: [idx.length, ...s.y.shape.slice(1)] } };
  if (s.lengths) out.lengths = Int32Array.from(idx, (n) => s.lengths![n]!);
  return out;
}
