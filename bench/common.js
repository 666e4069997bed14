// Shared by the benchmark suites: seeded data, one benchmark.js run, tables.
import Benchmark from 'benchmark';
import { rng as libRng } from '../dist/util/rng.js';

export const args = new Set(process.argv.slice(2));
export const JSON_OUT = args.has('--json');
export const QUICK = args.has('--quick');

/** The library's seeded generator, mapped to [-1, 1). */
export function rng(seed) {
  const r = libRng(seed);
  return () => 2 * r() - 1;
}

/** Runs fn under benchmark.js; resolves { hz, rme } or { error }. */
export function measure(fn, maxTime = QUICK ? 0.05 : 1) {
  return new Promise((resolve) => {
    const bench = new Benchmark('b', fn, { maxTime, minSamples: QUICK ? 2 : 5, initCount: 1 });
    bench.on('complete', () => resolve(bench.error ? { error: String(bench.error) } : { hz: bench.hz, rme: bench.stats.rme }));
    bench.run({ async: false });
  });
}

export function progress() {
  if (!JSON_OUT) process.stderr.write('.');
}

/** A markdown table: rows of { cells: [...] }. */
export function table(head, lines) {
  const out = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const l of lines) out.push(`| ${l.join(' | ')} |`);
  return out.join('\n');
}

export const fmtRate = (v) => (v === undefined ? '—' : v.error ? 'error' : v.rate >= 100 ? v.rate.toFixed(0) : v.rate >= 1 ? v.rate.toFixed(2) : v.rate.toPrecision(3));
