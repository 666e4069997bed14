// A recurrent layer's sequence over the pool's threads (its input projection
// starts in the background: background.ts). Its steps run as whole
// sequences on every thread (stepPrograms):
// cut by rows of the batch into pieces, one program a piece (worker.ts:
// runSteps), which the threads claim one at a time, so each thread runs its
// rows of every step with no hand-off a step. Rows of a batch never read
// each other's state, and every call of a step is cut at the same 4-row
// points (splits.ts: ROWS), where a product's rows keep their arithmetic:
// the bits are those of one thread.
import type { Heap } from './heap.js';
import type { Kernels } from './backend.js';
import { KERNEL_NAMES } from './kernel_args.js';
import { cutStepRows, stepRowsOf, guided, type Claimed } from './splits.js';
import { PROG, MAX_PROGS, progsOf, runSteps } from './worker.js';

type Fn = (...a: number[]) => unknown;

/** One kernel call of a step: its arguments at step 0 and their increments a step. */
export interface StepCall {
  name: keyof Kernels;
  a: readonly number[];
  d: readonly number[];
}

/** What the programs need of the pool. */
interface StepPool {
  readonly size: number;
  /** One piece a thread instead of pieces4's (benchmarks). */
  readonly evenPieces: boolean;
  /** The programs' area: PROG bytes a program, progsOf(size) of them. */
  readonly progs: number;
}

/** The index of the step-program pseudo-kernel (after the real ones). */
export const STEPS = KERNEL_NAMES.length;

/**
 * Where B rows are cut into pieces for n threads, in 4-row units (from 0 to
 * ⌊B/4⌋; the last piece also takes the B mod 4 rows left), at most `most`:
 * splits.ts's guided pieces, e.g. 16, 8, 4, 4 rows for B = 32 on 2 threads.
 */
export function pieces4(B: number, n: number, most = MAX_PROGS): number[] {
  return guided(Math.floor(B / 4), n, most);
}

/**
 * Makes the function that runs T steps of `calls` on every thread of the
 * pool: false (nothing run) when a call cannot be cut by rows or the
 * program does not fit; the caller then runs the steps itself. The rows
 * are cut into pieces (pieces4), one program each, which the threads claim
 * one at a time (claimed.ts).
 */
export function stepPrograms(pool: StepPool, heap: Heap, exports: Kernels, claimed: Claimed): (calls: readonly StepCall[], T: number) => boolean {
  const raw = KERNEL_NAMES.map((n) => (exports as unknown as Record<string, Fn>)[n]!);
  const args: number[][] = [];
  const here: Fn = (p) => runSteps(raw, new Float64Array(heap.f32.buffer), p!, args);
  return (calls, T) => {
    if (calls.length === 0) return false;
    const n = pool.size, at = pieces4(stepRowsOf(calls[0]!.name, calls[0]!.a), n, pool.evenPieces ? n : progsOf(n)), C = at.length - 1;
    if (C < n) return false;
    const cut = calls.map(() => Array.from({ length: C }, () => new Array<number>(18).fill(0)));
    let words = 2;
    for (let c = 0; c < calls.length; c++) {
      const { name, a } = calls[c]!;
      if (!cutStepRows(name, a, C, cut[c]!, at)) return false;
      words += 2 + 2 * a.length;
    }
    if (words > PROG / 8) return false;
    const f64 = new Float64Array(heap.f32.buffer), pieces: number[][] = [];
    for (let p = 0; p < C; p++) {
      let q = (pool.progs + p * PROG) >> 3;
      pieces.push([q]);
      f64[q++] = T;
      f64[q++] = calls.length;
      for (let c = 0; c < calls.length; c++) {
        const { name, a, d } = calls[c]!, x = cut[c]![p]!;
        f64[q++] = KERNEL_NAMES.indexOf(name);
        f64[q++] = a.length;
        for (let j = 0; j < a.length; j++) f64[q + j] = x[j]!;
        for (let j = 0; j < a.length; j++) f64[q + a.length + j] = d[j]!;
        q += 2 * a.length;
      }
    }
    claimed(STEPS, here, pieces, C);
    return true;
  };
}
