// Seeded randomness: initialization, dropout masks, shuffling.

/** mulberry32: a small, fast, well-mixed 32-bit generator; returns [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed for when the caller gives none. */
export function randomSeed(): number {
  return (Math.random() * 4294967296) >>> 0;
}
