// A recurrent layer's sequence over the pool's threads. Its input projection
// starts in the background (backgroundRows: the calling thread computes the
// rows of its first steps and goes on with them while the workers project
// the rest). Its steps run as whole sequences on every thread (stepPrograms):
// cut by rows of the batch, one program a thread (worker.ts: runSteps), so
// each thread runs its rows of every step with no hand-off a step. Rows of a
// batch never read each other's state, and each call of a step is cut at the
// same 4-row points as the split kernels cut it (splits.ts: ROWS): the bits
// are those of one thread.
import type { Heap } from './heap.js';
import type { Kernels } from './backend.js';
import { KERNEL_NAMES } from './kernel_args.js';
import { cutStepRows, cutPackedRows } from './splits.js';
import { PROG, runSteps } from './worker.js';

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
  /** The calling thread's share of a background product's rows. */
  readonly share: number;
  /** Products started in the background (a count for tests). */
  started: number;
  start(kernel: number, fn: Fn, parts: readonly number[][], count: number): boolean;
  /** The programs' area: PROG bytes a thread. */
  readonly progs: number;
  run(kernel: number, fn: Fn, parts: readonly number[][], count: number): void;
}

/** The index of the step-program pseudo-kernel (after the real ones). */
export const STEPS = KERNEL_NAMES.length;

/**
 * Makes the function that runs T steps of `calls` on every thread of the
 * pool: false (nothing run) when a call cannot be cut by rows or the
 * program does not fit; the caller then runs the steps itself.
 */
export function stepPrograms(pool: StepPool, heap: Heap, exports: Kernels): (calls: readonly StepCall[], T: number) => boolean {
  const raw = KERNEL_NAMES.map((n) => (exports as unknown as Record<string, Fn>)[n]!);
  const args = new Array<number>(56).fill(0);
  const here: Fn = (p) => runSteps(raw, new Float64Array(heap.f32.buffer), p!, args);
  return (calls, T) => {
    const n = pool.size;
    const cut = calls.map(() => Array.from({ length: n }, () => new Array<number>(18).fill(0)));
    let words = 2;
    for (let c = 0; c < calls.length; c++) {
      const { name, a } = calls[c]!;
      if (!cutStepRows(name, a, n, cut[c]!)) return false;
      words += 2 + 2 * a.length;
    }
    if (words > PROG / 8) return false;
    const f64 = new Float64Array(heap.f32.buffer), parts: number[][] = [];
    for (let p = 0; p < n; p++) {
      let q = (pool.progs + p * PROG) >> 3;
      parts.push([q]);
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
    pool.run(STEPS, here, parts, n);
    return true;
  };
}

/**
 * Makes the function that starts a packed product (f32_gemm_packed_bias's
 * arguments, A not transposed) cut by rows: the calling thread's share, the
 * first rows or the `last` ones, is done when it returns ([r0, r1) of C);
 * the workers' rows are the pool's settle(). Null: not started (too small
 * to cut, or the pool cannot take it: make the call yourself).
 */
export function backgroundRows(pool: StepPool, exports: Kernels): (a: readonly number[], last: boolean) => readonly [number, number] | null {
  const raw = exports.f32_gemm_packed_bias as unknown as Fn, index = KERNEL_NAMES.indexOf('f32_gemm_packed_bias');
  let parts: number[][] = [];
  return (a, last) => {
    const n = pool.size;
    if (parts.length !== n) parts = Array.from({ length: n }, () => new Array<number>(12).fill(0));
    if (!cutPackedRows(a, n, parts, Math.min(pool.share, 1 / n), last)) return null;
    if (last) { const x = parts[0]!; parts[0] = parts[n - 1]!; parts[n - 1] = x; }
    if (!pool.start(index, raw, parts, n)) return null;
    pool.started++;
    const mine = parts[0]!, r0 = (mine[9]! - a[9]!) / (4 * a[10]!);
    return [r0, r0 + mine[1]!];
  };
}
