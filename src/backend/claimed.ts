// Parts of a call that the pool's threads claim one at a time. A call cut
// into one part a thread ends when its slowest thread does: on a shared
// machine one core runs the same work 30–50 % slower than the other for
// milliseconds at a time (measured: a 4 ms half of a step program took 4.2
// on one thread and 6.3 on the other), and laptops mix fast and efficiency
// cores. Cut into more, smaller pieces, each thread claims the next piece
// when it is done with one (an atomic counter in the heap), so a slower
// thread runs fewer. The pieces are cut where the arithmetic of every
// output element stays what it is in one call (splits.ts): which thread
// runs a piece changes no bit.
import type { Heap } from './heap.js';
import { KERNEL_NAMES } from './kernel_args.js';
import { MAX_CLAIMED, CLAIMED_ARGS, CLAIMED_AT, runClaimed } from './worker.js';

type Fn = (...a: number[]) => unknown;

/** The index of the claimed-parts pseudo-kernel (after the step programs'). */
export const CLAIM_PARTS = KERNEL_NAMES.length + 1;

/** What claimed parts need of the pool. */
interface ClaimPool {
  readonly size: number;
  /** The claimed parts' area (worker.ts: CLAIMED_BYTES). */
  readonly claims: number;
  run(kernel: number, fn: Fn, parts: readonly number[][], count: number, claimed?: boolean): void;
}

/**
 * Makes the function that runs `count` pieces of a kernel call (`fn` is the
 * kernel on this thread; `kernel` its index for the workers, a real kernel
 * or a pseudo-kernel) on every thread of the pool, each claiming the next
 * piece until none is left; it returns when all are done.
 */
export function claimedParts(pool: ClaimPool, heap: Heap): (kernel: number, fn: Fn, pieces: readonly (readonly number[])[], count: number) => void {
  const a = new Array<number>(CLAIMED_ARGS).fill(0), part = [0, 0, 0, 0, 0];
  let f64: Float64Array = new Float64Array(0), i32: Int32Array = new Int32Array(0), parts: number[][] = [], fn: Fn = () => undefined;
  const mine: Fn = (_k, c, t, C, m) => runClaimed(fn, f64, i32, c!, t!, C!, m!, a);
  return (kernel, f, pieces, count) => {
    let m = 0;
    for (let i = 0; i < count; i++) m = Math.max(m, pieces[i]!.length);
    if (count > MAX_CLAIMED || m > CLAIMED_ARGS) throw new RangeError(`threads: ${count} pieces of ${m} arguments, more than the area holds (${MAX_CLAIMED} of ${CLAIMED_ARGS})`);
    const buf = heap.f32.buffer;
    if (f64.buffer !== buf) { f64 = new Float64Array(buf); i32 = new Int32Array(buf); }
    const c = pool.claims >> 2, t = (pool.claims + CLAIMED_AT) >> 3;
    writeClaims(f64, i32, c, t, pieces, count, m);
    part[0] = kernel; part[1] = c; part[2] = t; part[3] = count; part[4] = m;
    const n = pool.size;
    if (parts.length !== n) parts = Array.from({ length: n }, () => part);
    fn = f;
    pool.run(CLAIM_PARTS, mine, parts, n, true);
  };
}

/**
 * Writes `count` pieces of m arguments into a claimed parts' area (counter
 * at i32 index c, arguments from f64 index t): the arguments, every done
 * flag cleared, then the counter at 0 (last: the workers read it first).
 */
export function writeClaims(f64: Float64Array, i32: Int32Array, c: number, t: number, pieces: readonly (readonly number[])[], count: number, m: number): void {
  for (let i = 0; i < count; i++) {
    const x = pieces[i]!, q = t + i * m;
    for (let j = 0; j < m; j++) f64[q + j] = j < x.length ? x[j]! : 0;
  }
  i32.fill(0, c + 2, c + 2 + count);
  Atomics.store(i32, c, 0);
}
