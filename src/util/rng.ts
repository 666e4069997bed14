// Seeded randomness: initialization, dropout masks, shuffling. The state is
// one 32-bit integer, so checkpoints can save and restore it exactly.

/** mulberry32 with readable state. */
export class Random {
  state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** A generator function over a fresh Random. */
export function rng(seed: number): () => number {
  const r = new Random(seed);
  return () => r.next();
}

/** A seed for when the caller gives none. */
export function randomSeed(): number {
  return (Math.random() * 4294967296) >>> 0;
}
