// Seeded randomness for tests: the library's own generator (a failure must reproduce).
import { rng } from '../../src/util/rng.js';

export { rng };

/** n uniform values in [lo, hi) as f32. */
export function uniform(r: () => number, n: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * r();
  return a;
}
