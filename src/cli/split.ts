// --val: which samples are held out for validation. Drawn at random from the
// seed (a file sorted by name or date would make a last-10 % split tell
// nothing about the rest), each set kept in file order.
import { Random } from '../util/rng.js';

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
