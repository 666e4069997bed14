// Options objects hold only options: an unknown key (a typo such as
// `dropuot`, which JavaScript would otherwise ignore) is refused with the
// nearest valid name; the lists of keys are checked by the compiler.
import { SimdRnnError } from '../errors.js';

type Complete<T, K extends readonly string[]> = [Exclude<keyof T & string, K[number]>] extends [never] ? unknown : { missing: Exclude<keyof T & string, K[number]> };

/**
 * The keys of an options interface, checked by the compiler both ways: a key
 * that T lacks, or one of T's keys left out of the list, does not compile.
 */
export const keysOf = <T>() => <const K extends readonly (keyof T & string)[]>(keys: K & Complete<T, K>): readonly string[] => keys;

/** Edit distance with adjacent transpositions (optimal string alignment), case-insensitive. */
function distance(a: string, b: string): number {
  a = a.toLowerCase(); b = b.toLowerCase();
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The allowed name nearest to `key`, when it is near enough to be a typo (or differs only in case). */
export function nearestName(key: string, allowed: readonly string[]): string | null {
  let best: string | null = null, bestD = Infinity;
  for (const a of allowed) { const dd = distance(key, a); if (dd < bestD) { bestD = dd; best = a; } }
  return best !== null && bestD <= Math.max(1, Math.min(3, Math.floor(Math.max(key.length, best.length) / 3))) ? best : null;
}

/**
 * Refuses keys of an options object that are not options (a typo such as
 * `dropuot` would otherwise be ignored), naming the nearest valid one.
 * Non-objects pass: the caller's own check refuses them.
 */
export function checkKeys(where: string, name: string, opts: unknown, allowed: readonly string[]): void {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) return;
  for (const k of Object.keys(opts)) {
    if (allowed.includes(k)) continue;
    const near = nearestName(k, allowed);
    throw new SimdRnnError('INVALID_ARGUMENT', `${where}: ${name}.${k} is not an option${near ? `; did you mean ${name}.${near}?` : ''} (the options are ${allowed.join(', ')})`);
  }
}
