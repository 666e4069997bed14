// --val: which samples are held out for validation. Drawn at random from the
// seed (a file sorted by name or date would make a last-10 % split tell
// nothing about the rest), exactly floor(N·frac) of them, decided one sample
// at a time in file order (selection sampling, Knuth's Algorithm S), so a
// file streamed again and again is split the same way every pass without
// holding a list of N indices.
import { Random } from '../util/rng.js';

/** The held-out decisions for samples 0, 1, …, N − 1 in order: a new Holdout with the same arguments repeats them. */
export class Holdout {
  private readonly random: Random;
  private i = 0;
  private chosen = 0;
  /** How many of the N are held out: floor(N·frac). */
  readonly count: number;

  constructor(private readonly N: number, frac: number, seed: number) {
    this.random = new Random((seed ^ 0x6a09e667) >>> 0);
    this.count = Math.floor(N * frac);
  }

  /** Whether the next sample is held out (after N samples: false). */
  next(): boolean {
    if (this.i >= this.N) return false;
    const left = this.N - this.i++, need = this.count - this.chosen;
    const pick = need > 0 && this.random.next() * left < need;
    if (pick) this.chosen++;
    return pick;
  }
}

/** Splits [0, N) into training and validation indices (as Holdout decides them); floor(N·frac) go to validation. */
export function randomSplit(N: number, frac: number, seed: number): { train: Int32Array; val: Int32Array } {
  const h = new Holdout(N, frac, seed), val = new Int32Array(h.count), train = new Int32Array(N - h.count);
  for (let n = 0, v = 0, t = 0; n < N; n++) {
    if (h.next()) val[v++] = n; else train[t++] = n;
  }
  return { train, val };
}
