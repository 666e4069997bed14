// A recurrent layer's input projection in the background: the calling
// thread computes the rows of its first steps (its share) and goes on with
// them while the other threads project the rest. The rest is cut into
// pieces in the order the steps need them (the last rows first in the
// reverse direction), which the threads claim one at a time (claimed.ts);
// before each step past what it knows is ready, the calling thread asks for
// that step's rows (need): done already, or it claims and runs the pieces
// nobody has claimed, or it waits for the one a worker is running. So it
// waits for a piece, not for the workers' whole part, and a worker that is
// slow (a shared core) or asleep holds nothing up for long. Pieces are cut
// at 4-row tiles: which thread runs a piece changes no bit.
import { SimdRnnError } from '../errors.js';
import type { Heap } from './heap.js';
import type { Kernels } from './backend.js';
import { KERNEL_NAMES } from './kernel_args.js';
import { cutPackedRows, cutPackedPieces } from './splits.js';
import { CLAIMED_AT, MAX_CLAIMED, SPIN, runClaimed } from './worker.js';
import { CLAIM_PARTS, writeClaims } from './claimed.js';

type Fn = (...a: number[]) => unknown;

/** Rows a background piece has at least (fewer, smaller pieces cost more than they save: each reads all of B). */
const PIECE_ROWS = 16;
/** Pieces of a background product at most. */
const MAX_PIECES = Math.min(32, MAX_CLAIMED);

/** A product started in the background, as the pool holds it until settle(). */
export interface Background {
  /** Runs the calling thread's share (when started). */
  own(): void;
  /** Whether the rows [lo, hi) are done, without doing anything. */
  ready(lo: number, hi: number): boolean;
  /** Makes rows [lo, hi) done (claims and runs pieces nobody has, waits for the others); the next row bound to ask at, or −1 when every row is done. */
  need(lo: number, hi: number): number;
  /** Claims and runs every piece left (settle() does, then waits for the workers). */
  help(): void;
}

/** What a background product needs of the pool. */
interface BackgroundPool {
  readonly size: number;
  /** The calling thread's share of the rows. */
  readonly share: number;
  /** Products started in the background (a count for tests). */
  started: number;
  /** The area the background pieces are claimed from (worker.ts: CLAIMED_BYTES). */
  readonly background: number;
  start(kernel: number, fn: Fn, parts: readonly number[][], count: number, bg?: Background): boolean;
  settle(): void;
}

/**
 * Makes the function that starts a packed product (f32_gemm_packed_bias's
 * arguments, A not transposed) cut by rows: the calling thread's share, the
 * first rows or the `last` ones, is done when it returns ([r0, r1) of C);
 * the rest is the pool's need() and settle(). Null: not started (too small
 * to cut, or the pool cannot take it: make the call yourself).
 */
export function backgroundRows(pool: BackgroundPool, heap: Heap, exports: Kernels): (a: readonly number[], last: boolean) => readonly [number, number] | null {
  const raw = exports.f32_gemm_packed_bias as unknown as Fn, index = KERNEL_NAMES.indexOf('f32_gemm_packed_bias');
  const two = [new Array<number>(12).fill(0), new Array<number>(12).fill(0)];
  const pieces = Array.from({ length: MAX_PIECES }, () => new Array<number>(12).fill(0));
  /** Where each piece ends in the order of need: its last row + 1 (forward), its first row (last). */
  const bound = new Int32Array(MAX_PIECES);
  const a12 = new Array<number>(12).fill(0), loopArgs = new Array<number>(12).fill(0);
  let f64: Float64Array = new Float64Array(0), i32: Int32Array = new Int32Array(0), workers: number[][] = [];
  let C = 0, next = 0, backward = false, c = 0, t = 0, mine: number[] = two[0]!;
  // A part of the workers' (run here when one has not claimed it, as settle() does): the claim loop.
  const loop: Fn = (_k, cc, tt, CC, m) => runClaimed(raw, f64, i32, cc!, tt!, CC!, m!, loopArgs);
  const run = (i: number): void => {
    const q = t + i * 12;
    for (let j = 0; j < 12; j++) a12[j] = f64[q + j]!;
    raw.apply(null, a12);
    Atomics.store(i32, c + 2 + i, 1);
  };
  // Rows of C from a's start to piece p's (its C pointer, argument 9, moves 4·ldc bytes a row).
  const rowOf = (p: readonly number[], a: readonly number[]): number => (p[9]! - a[9]!) / (4 * a[10]!);
  // The piece that holds row lo (last) or row hi − 1.
  const pieceOf = (lo: number, hi: number): number => {
    let j = 0;
    while (j < C - 1 && (backward ? bound[j]! > lo : bound[j]! < hi)) j++;
    return j;
  };
  const bg: Background = {
    own: () => { raw.apply(null, mine); },
    ready: (lo, hi) => { for (let j = next, e = pieceOf(lo, hi); j <= e; j++) if (!Atomics.load(i32, c + 2 + j)) return false; return true; },
    need: (lo, hi) => {
      const e = pieceOf(lo, hi);
      for (let spins = 0; next <= e;) {
        if (Atomics.load(i32, c + 2 + next)) { next++; spins = 0; continue; }
        if (Atomics.load(i32, c) <= next) {
          // Nobody has claimed it: this thread claims the next piece (it may be a later one, claimed meanwhile by nobody else: run it too).
          const i = Atomics.add(i32, c, 1);
          if (i < C) {
            try { run(i); } catch (e) {
              // (As a piece that fails on a worker: THREAD_FAILED, once the other pieces are done.)
              try { pool.settle(); } catch { /* this failure is the one to tell */ }
              throw new SimdRnnError('THREAD_FAILED', `threads: f32_gemm_packed_bias failed (${String((e as Error).message ?? e)}); the pool goes on`);
            }
          }
        } else if (++spins > SPIN) {
          // A worker has it and is slow (or dead): wait for the whole part as settle() does, with its checks.
          pool.settle();
          return -1;
        }
      }
      return e === C - 1 ? -1 : bound[e]!;
    },
    help: () => runClaimed(raw, f64, i32, c, t, C, 12, a12),
  };
  return (a, last) => {
    const n = pool.size;
    if (!cutPackedRows(a, 2, two, pool.share, last)) return null;
    mine = two[last ? 1 : 0]!;
    const rest = two[last ? 0 : 1]!, rows = rest[1]!;
    C = Math.max(1, Math.min(MAX_PIECES, Math.floor(rows / PIECE_ROWS)));
    if (C === 1 || !cutPackedPieces(rest, C, pieces)) { C = 1; for (let j = 0; j < 12; j++) pieces[0]![j] = rest[j]!; }
    // In the order of need: the last rows first in the reverse direction (the arrays swapped in place).
    for (let i = 0, j = C - 1; last && i < j; i++, j--) { const x = pieces[i]!; pieces[i] = pieces[j]!; pieces[j] = x; }
    for (let j = 0; j < C; j++) bound[j] = rowOf(pieces[j]!, a) + (last ? 0 : pieces[j]![1]!);
    const buf = heap.f32.buffer;
    if (f64.buffer !== buf) { f64 = new Float64Array(buf); i32 = new Int32Array(buf); }
    c = pool.background >> 2; t = (pool.background + CLAIMED_AT) >> 3; next = 0; backward = last;
    writeClaims(f64, i32, c, t, pieces, C, 12);
    if (workers.length !== n) workers = Array.from({ length: n }, () => [0, 0, 0, 0, 0]);
    for (const w of workers) { w[0] = index; w[1] = c; w[2] = t; w[3] = C; w[4] = 12; }
    if (!pool.start(CLAIM_PARTS, loop, workers, n, bg)) return null;
    pool.started++;
    const r0 = rowOf(mine, a);
    return [r0, r0 + mine[1]!];
  };
}
