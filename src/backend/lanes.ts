// Batch 1 on every thread: a layer's hidden units cut into lanes, one a
// thread. A batch of one sequence has no rows to share (steps.ts cuts rows),
// and its step product is too small to cut call by call (~4 µs at H = 128,
// where a hand-off costs a round trip of the worker's slot and the cell runs
// alone). Lanes keep each thread on its own units for the whole sequence:
// the layer's gate columns are laid out lane by lane (the weights' rows
// permuted: weights.ts lanes()), so lane q's units [u0, u1) own one block of
// columns, [gate 0 of u0…u1 | gate 1 … | …], and the cell kernels run on a
// lane as on a layer of u1 − u0 units. Each thread projects its lane's
// columns of every step, then runs its lane's steps; before step s it waits
// until every lane has finished step s − 1 (the h it reads), a word a lane
// in the heap (a spinning barrier). Nothing else is shared: each lane writes
// its own columns and units.
//
// A lane's pieces (its projection, then one a step) are claimed in order
// (compare-and-swap on the lane's next-piece word), so a thread that finds a
// lane behind runs its next piece itself: at once when the lane's thread (a
// worker) has not come yet (asleep when the call was posted), else when
// that thread has not beaten for 1000 spins (descheduled: a thread beats, a
// word on a line of its own, while it waits and after each piece of its
// own), and at once from then on until it beats again. A thread that waits
// for its turn is never robbed (it beats): an earlier rule (at once after a
// first steal) let one thread win every race for the other's lane. Which
// thread runs a piece changes no bit: the products are cut at 16-column
// blocks and the cells by units at 16, where every output element keeps the
// arithmetic of one call over the whole layer.
import type { Heap } from './heap.js';
import type { Kernels, LaneRun } from './backend.js';
import { KERNEL_NAMES } from './kernel_args.js';

type Fn = (...a: number[]) => unknown;

/** The index of the lanes pseudo-kernel (after the step programs' and the claimed parts'). */
export const LANES = KERNEL_NAMES.length + 2;
/** Lanes a sequence may have (a thread each: MAX_THREADS). */
export const MAX_LANES = 64;
/** Units a lane's cut falls on (a 16-column block of every gate). */
export const LANE_UNITS = 16;

/** What the lanes need of the pool. */
interface LanePool {
  readonly size: number;
  /** The programs' area (steps.ts), free while no step program runs: the lanes' control lines and programs go there. */
  readonly progs: number;
  run(kernel: number, fn: Fn, parts: readonly number[][], count: number, claimed?: boolean): void;
}

// How a call is cut to lane [u0, u1) of a layer with `gates` gate blocks: the arguments that change.
// f32_gemm_packed_bias(transA, M, N, K, α, A, lda, Bp, β, C, ldc, bias): columns gates·u0 … gates·u1.
// The cells (B = 1): H → u1 − u0, their gate pointers by gates·u0 floats, states and y by u0.
const cellCut = (gatePtrs: readonly number[], unitPtrs: readonly number[]) => (a: readonly number[], x: number[], u0: number, u1: number, gates: number): boolean => {
  if (a[0] !== 1) return false;
  x[1] = u1 - u0;
  for (const i of gatePtrs) x[i] = a[i]! + 4 * gates * u0;
  for (const i of unitPtrs) if (a[i]) x[i] = a[i]! + 4 * u0;
  return true;
};
const CUTS: Partial<Record<keyof Kernels, (a: readonly number[], x: number[], u0: number, u1: number, gates: number) => boolean>> = {
  f32_gemm_packed_bias: (a, x, u0, u1, gates) => {
    if (a[0]) return false;
    const c0 = gates * u0, K = a[3]!;
    x[2] = gates * (u1 - u0);
    x[7] = a[7]! + 4 * c0 * K;
    x[9] = a[9]! + 4 * c0;
    if (a[11]) x[11] = a[11]! + 4 * c0;
    return true;
  },
  // (B, H, gates, cPrev, hPrev, c, h, mask, y, ldy)
  f32_lstm_cell_fwd: cellCut([2], [3, 4, 5, 6, 8]),
  // (B, H, gx, gh, hPrev, h, mask, y, ldy)
  f32_gru_cell_fwd: cellCut([2, 3], [4, 5, 7]),
  // (B, H, act, g, hPrev, h, mask, y, ldy)
  f32_rnn_cell_fwd: cellCut([3], [4, 5, 7]),
};

/** Whether every call of a step can run in lanes. */
export function laneable(calls: readonly { name: keyof Kernels }[]): boolean {
  return calls.length > 0 && calls.every((c) => CUTS[c.name] !== undefined);
}

/** Cut points of H units for n lanes at LANE_UNITS, each lane at least `least` units; null when H cannot be cut so. */
export function laneCuts(H: number, n: number, least: number): number[] | null {
  if (n < 2 || H % LANE_UNITS || H < n * Math.max(least, LANE_UNITS)) return null;
  const u = H / LANE_UNITS;
  return Array.from({ length: n + 1 }, (_, q) => Math.round((u * q) / n) * LANE_UNITS);
}

/**
 * Runs a sequence's lanes, the pseudo-kernel after the claimed parts: at
 * f64 index p the steps T, the lanes L, the i32 index c of the control
 * lines (lane q's at c + 32q: the next piece to claim, the pieces done,
 * whether its thread has come, lane 0's: whether a thread failed, how
 * long the calling thread worked in its lanes and how long they took (µs),
 * and how many pieces it ran; at
 * c + 32q + 16, a line of its own, its thread's beat), then each lane's block's f64 index. A
 * block: the projection's calls (count, then kernel index, argument count
 * m and m arguments each), then a step's calls (count, then kernel index,
 * m, m arguments at step 0 and m increments a step). Piece 0 of a lane is
 * its projection, piece s + 1 its step s. `me` is this thread's lane;
 * `a` holds an argument array for each arity, `eager` and `seen` a flag
 * and a beat a lane (scratch). Self-contained: the workers get its source.
 */
export function runLanes(fns: ((...a: number[]) => unknown)[], f64: Float64Array, i32: Int32Array, p: number, me: number, a: number[][], eager: Uint8Array, seen: Int32Array, wait: boolean): void {
  const T = f64[p]!, L = f64[p + 1]!, c = f64[p + 2]!;
  Atomics.store(i32, c + 32 * me + 2, 1);
  const piece = (q: number, i: number): void => {
    let b = f64[p + 3 + q]!;
    const np = f64[b++]!;
    for (let k = 0; k < np; k++) {
      const m = f64[b + 1]!;
      if (i === 0) {
        const x = a[m] ?? (a[m] = new Array<number>(m).fill(0));
        for (let j = 0; j < m; j++) x[j] = f64[b + 2 + j]!;
        fns[f64[b]!]!.apply(null, x);
      }
      b += 2 + m;
    }
    if (i === 0) return;
    const ns = f64[b++]!, s = i - 1;
    for (let k = 0; k < ns; k++) {
      const m = f64[b + 1]!, x = a[m] ?? (a[m] = new Array<number>(m).fill(0));
      for (let j = 0; j < m; j++) x[j] = f64[b + 2 + j]! + s * f64[b + 2 + m + j]!;
      fns[f64[b]!]!.apply(null, x);
      b += 2 + 2 * m;
    }
  };
  // (Thrown when another thread failed: this one stops, and the failure told is that thread's.)
  const stop = {};
  // A thread beats (a word on its second line) while it waits and after each piece of its own, so the
  // others can tell one that waits for its turn from one that is descheduled. Lanes whose next piece
  // this thread runs at once (`eager`): it ran their last one, and their thread has not beaten since (`seen`).
  const mine = c + 32 * me;
  eager.fill(0, 0, L);
  // How long this thread's last piece took (ms), and all it ran: the calling thread tells how long it
  // worked, how long its lanes took (µs) and how many pieces it ran (lane 0's words 4, 5 and 6). A wait
  // for another's piece past twice the last one (+ 20 µs) is for a descheduled thread (more threads
  // than free cores): it yields this core (Atomics.wait, where this thread may) to the thread it waits
  // for (with a busy process on one of two cores: 0.58–0.67 ms a forward, 0.67–1.19 without).
  let beats = 0, t0 = 0, own = 0, work = 0, ran = 0;
  const start = performance.now();
  // Until every lane has done i pieces. A lane's piece i − 1 nobody has claimed runs here when its
  // thread (a worker) has not come, or has not beaten for 1000 spins (it beats every 16), or this thread is eager.
  const ready = (i: number): void => {
    for (let q = 0; q < L; q++) {
      const w = c + 32 * q;
      if (Atomics.load(i32, w + 1) >= i) continue;
      let beat = Atomics.load(i32, w + 16), still = 0, since = 0;
      if (eager[q] && beat !== seen[q]) eager[q] = 0;
      for (let n = 1; Atomics.load(i32, w + 1) < i; n++) {
        if ((n & 15) === 0) Atomics.store(i32, mine + 16, ++beats);
        if ((n & 255) === 0) {
          const now = performance.now();
          if (!since) since = now;
          else if (wait && now - since > 2 * own + 0.02 && Atomics.load(i32, w) >= i) Atomics.wait(i32, w + 1, i - 1, 0.05);
        }
        const b = Atomics.load(i32, w + 16);
        if (b !== beat) { beat = b; still = 0; eager[q] = 0; } else still++;
        if ((eager[q] || still > 1000 || (q > 0 && !Atomics.load(i32, w + 2))) && Atomics.load(i32, w) === i - 1 && Atomics.compareExchange(i32, w, i - 1, i) === i - 1) {
          const t = performance.now();
          piece(q, i - 1);
          Atomics.store(i32, w + 1, i);
          work += performance.now() - t;
          ran++;
          eager[q] = 1;
          seen[q] = beat;
          break;
        }
        if (Atomics.load(i32, c + 3)) throw stop;
        // (A thread that died holding a piece: give up after 120 s, as the pool's join() does.)
        if ((n & 0xfffff) === 0) {
          if (!t0) t0 = Date.now();
          else if (Date.now() - t0 > 120000) throw new Error(`lane ${q} did not finish step ${i - 1} within 120 s`);
        }
      }
    }
  };
  try {
    for (let i = 0; i <= T; i++) {
      if (i > 0) ready(i);
      if (Atomics.compareExchange(i32, mine, i, i + 1) === i) {
        const t = performance.now();
        piece(me, i);
        Atomics.store(i32, mine + 1, i + 1);
        Atomics.store(i32, mine + 16, ++beats);
        own = performance.now() - t;
        work += own;
        ran++;
      }
    }
    ready(T + 1);
    if (me === 0) { Atomics.store(i32, c + 4, Math.round(1000 * work)); Atomics.store(i32, c + 5, Math.round(1000 * (performance.now() - start))); Atomics.store(i32, c + 6, ran); }
  } catch (e) {
    if (e === stop) return;
    // (The others stop waiting for a piece that will never be done: lane 0's fourth word.)
    Atomics.store(i32, c + 3, 1);
    throw e;
  }
}

/**
 * Makes the function that runs a layer's sequence in lanes on every thread
 * of the pool (false, nothing run: a call it cannot cut, or a program that
 * does not fit in the area's `bytes`; the caller then runs the steps
 * itself).
 */
export function lanePrograms(pool: LanePool, heap: Heap, exports: Kernels, bytes: number): ((run: LaneRun) => boolean) & { gauge: LaneGauge } {
  const fns = KERNEL_NAMES.map((n) => (exports as unknown as Record<string, Fn>)[n]!);
  const args: number[][] = [], x = new Array<number>(32).fill(0), eager = new Uint8Array(MAX_LANES), seen = new Int32Array(MAX_LANES);
  let f64: Float64Array = new Float64Array(0), i32: Int32Array = new Int32Array(0), parts: number[][] = [];
  // (A browser's main thread may not block in Atomics.wait: it spins.)
  let wait = true;
  try { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0); } catch { wait = false; }
  const here: Fn = (p, me) => runLanes(fns, f64, i32, p!, me!, args, eager, seen, wait);
  const gauge = new LaneGauge();
  return Object.assign(({ proj, calls, T, cuts, gates }: LaneRun): boolean => {
    const L = cuts.length - 1;
    if (!gauge.allow(performance.now())) return false;
    if (L !== pool.size || L > MAX_LANES || !laneable(calls) || calls.some((c) => c.a.length > x.length)) return false;
    const buf = heap.f32.buffer;
    if (f64.buffer !== buf) { f64 = new Float64Array(buf); i32 = new Int32Array(buf); }
    // The control lines first (two 64-byte lines a lane, the beat in the second: the area is 64-byte aligned), then the program.
    const c = pool.progs >> 2, p = (pool.progs + 128 * L) >> 3;
    let q = p + 3 + L;
    // (Each lane's block: the projection's call and every step call with its increments.)
    if (128 * L + 8 * (3 + L + L * (4 + proj.length + calls.reduce((s, c) => s + 2 + 2 * c.a.length, 0))) > bytes) return false;
    const cut = (name: keyof Kernels, a: readonly number[], l: number): boolean => {
      for (let j = 0; j < a.length; j++) x[j] = a[j]!;
      return CUTS[name]!(a, x, cuts[l]!, cuts[l + 1]!, gates);
    };
    for (let l = 0; l < L; l++) {
      f64[p + 3 + l] = q;
      f64[q++] = 1;
      if (!cut('f32_gemm_packed_bias', proj, l)) return false;
      f64[q++] = KERNEL_NAMES.indexOf('f32_gemm_packed_bias');
      f64[q++] = proj.length;
      for (let j = 0; j < proj.length; j++) f64[q++] = x[j]!;
      f64[q++] = calls.length;
      for (const { name, a, d } of calls) {
        if (!cut(name, a, l)) return false;
        f64[q++] = KERNEL_NAMES.indexOf(name);
        f64[q++] = a.length;
        for (let j = 0; j < a.length; j++) f64[q++] = x[j]!;
        for (let j = 0; j < a.length; j++) f64[q++] = d[j]!;
      }
    }
    f64[p] = T; f64[p + 1] = L; f64[p + 2] = c;
    for (let l = 0; l < L; l++) { i32.fill(0, c + 32 * l, c + 32 * l + 7); i32[c + 32 * l + 16] = 0; }
    if (parts.length !== L) parts = Array.from({ length: L }, (_, l) => [p, l]);
    else for (let l = 0; l < L; l++) parts[l]![0] = p;
    pool.run(LANES, here, parts, L, true);
    gauge.record(performance.now(), Atomics.load(i32, c + 4), Atomics.load(i32, c + 5), Atomics.load(i32, c + 6), L * (T + 1));
    return true;
  }, { gauge });
}

/**
 * Whether sequences run in lanes, from how the last ones went (a barrier a
 * step is only as fast as the slowest thread). A sequence shared with
 * another thread is bad when it took over 1.5 times what the calling thread
 * alone would have (the pieces it ran, at the time they took it, times all
 * the pieces): a thread descheduled mid-sequence stops every lane (more
 * threads than free cores: with a busy process on one of two cores, lanes
 * ran a batch-1 forward at 0.38–0.58× one thread, a stall a scheduler
 * slice long). One the calling thread ran alone (the worker never came) is
 * no sign. When a quarter of recent sequences (a moving average) are bad,
 * the next go the other way (the projection in the background, the steps
 * on the calling thread: nothing waits a step) for 0.5 ms, then 1, 2 …
 * 64 ms. (Bad at any loss, or a gain under a tenth, this VM's noise held
 * batch 1 the other way too often: 0.88–1.01× one thread in
 * `bench:threads` against 1.46× without a gauge; judged by long waits, the
 * busy core was missed.)
 */
export class LaneGauge {
  /** The share of recent sequences that were bad. */
  rate = 0;
  /** Bad sequences since the share was last low, and until when (ms) sequences go the other way. */
  late = 0;
  until = 0;
  /** @internal Off: lanes whatever happened (tests that count them). */
  adaptive = true;

  /** Whether a sequence may run in lanes at `now` (performance.now()). */
  allow(now: number): boolean {
    return !this.adaptive || !this.late || now >= this.until;
  }

  /** How a sequence went: the calling thread worked `work` µs of the `took` its lanes took, running `ran` of the `all` pieces. */
  record(now: number, work: number, took: number, ran: number, all: number): void {
    const bad = ran < all && took > (ran ? (1.5 * work * all) / ran : 0);
    this.rate += ((bad ? 1 : 0) - this.rate) / 8;
    if (bad && this.rate > 0.25) {
      this.late = Math.min(this.late + 1, 8);
      this.until = now + 0.25 * 2 ** this.late;
    } else if (this.rate < 0.1) this.late = 0;
  }
}
