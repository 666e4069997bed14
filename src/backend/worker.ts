// The workers of the pool (threads.ts): how each runtime starts one, the
// hand-off between pool and worker (a slot of the heap per worker, its
// layout below), and the worker's own code, as a
// self-contained source (no file to resolve, no bundler configuration):
// Node runs it with worker_threads' eval, browsers from a Blob URL. The
// worker spins on its slot's generation, claims the part (compare-and-swap
// on CLAIM: the main thread may have run it already), runs the kernel and
// says DONE. Three pseudo-kernels come after the real ones: a program of
// recurrent steps (runSteps, steps.ts), a thread's rows of a whole sequence;
// parts of a call claimed one at a time (runClaimed, claimed.ts); and a
// batch-1 sequence's lanes (runLanes, lanes.ts), a thread's hidden units.
import { runLanes, MAX_LANES } from './lanes.js';

/** Bytes of a worker's slot: 16 i32 of control, up to 24 f64 arguments, then a failure's message (UTF-16). */
export const SLOT = 512;
export const GEN = 0, DONE = 1, KERNEL = 2, NARGS = 3, STATUS = 4, STOP = 5, W_SLEEPS = 6, M_SLEEPS = 7, MSG_LEN = 8, CLAIM = 9, HOLD = 10;
/** Generations count in [1, MAX_GEN]; CLAIM holds a posted generation, or it | CLAIMED once someone runs it. */
export const MAX_GEN = 0x3fffffff, CLAIMED = 0x40000000;
export const ARGS = 64; // byte offset of the f64 arguments in a slot
export const MSG = 256, MSG_CHARS = 120; // byte offset and length of the message
/** Spins (Atomics.load) before a thread sleeps in Atomics.wait: about 0.35 ms here (an Atomics.load took ~18 ns), so a batch's steps find the worker awake. */
export const SPIN = 20000;

/** Bytes of a thread's step program (runSteps): up to 254 f64 after T and the call count. */
export const PROG = 2048;
/** Step programs a call may have (a sequence's rows in as many pieces, claimed one at a time). */
export const MAX_PROGS = 16;
/** Step programs a call may have on n threads (the pool's programs area holds as many): at least one a thread. */
export const progsOf = (n: number): number => Math.max(MAX_PROGS, n);

/**
 * Runs a program of recurrent steps, the pseudo-kernel after the real ones
 * (each thread runs its rows of a whole sequence: no hand-off a step). At
 * f64 index p: T, the number of calls, then each call's kernel index, its
 * argument count m, its m arguments at step 0 and their m increments a
 * step. `a` holds an argument array for each arity. Self-contained: the
 * workers get its source.
 */
export function runSteps(fns: ((...a: number[]) => unknown)[], f64: Float64Array, p: number, a: number[][]): void {
  const T = f64[p]!, n = f64[p + 1]!;
  for (let s = 0; s < T; s++) {
    let q = p + 2;
    for (let c = 0; c < n; c++) {
      const k = f64[q]!, m = f64[q + 1]!;
      q += 2;
      // (An array of the kernel's own arity, a[m]: surplus arguments took V8's slower call path, 83 ns a call against 48.)
      const x = a[m] ?? (a[m] = new Array<number>(m).fill(0));
      for (let j = 0; j < m; j++) x[j] = f64[q + j]! + s * f64[q + m + j]!;
      q += 2 * m;
      fns[k]!.apply(null, x);
    }
  }
}

/** Parts a call may have when threads claim them one at a time (runClaimed), and f64 arguments a part. */
export const MAX_CLAIMED = 64, CLAIMED_ARGS = 18;
/**
 * Bytes of a claimed parts' area: the claim counter (an i32, then 4 bytes
 * unused), a done flag a part (i32, at index counter + 2 + i), then
 * MAX_CLAIMED parts of CLAIMED_ARGS f64 (from CLAIMED_AT bytes).
 */
export const CLAIMED_AT = 8 + 4 * MAX_CLAIMED, CLAIMED_BYTES = CLAIMED_AT + MAX_CLAIMED * CLAIMED_ARGS * 8;

/**
 * Runs parts of a kernel call that the threads claim one at a time (the
 * second pseudo-kernel): the i32 at index c counts the claims, and part
 * i's flag at c + 2 + i is set once it is done; its m arguments are at f64
 * index t + i·m. Each thread runs what it claims until nothing is left, so
 * a thread that runs slower (a busy core, an efficiency core) runs fewer
 * parts. Self-contained: the workers get its source.
 */
export function runClaimed(fn: (...a: number[]) => unknown, f64: Float64Array, i32: Int32Array, c: number, t: number, C: number, m: number, a: number[]): void {
  for (let i = Atomics.add(i32, c, 1); i < C; i = Atomics.add(i32, c, 1)) {
    const q = t + i * m;
    for (let j = 0; j < m; j++) a[j] = f64[q + j]!;
    fn.apply(null, a);
    Atomics.store(i32, c + 2 + i, 1);
  }
}

// The worker.
export const WORKER_SOURCE = `
const port = typeof require === 'function' ? require('node:worker_threads').parentPort : self;
const on = (f) => (port.on ? port.on('message', f) : (port.onmessage = (e) => f(e.data)));
on((d) => {
  if (d.type !== 'start') return;
  let fns, i32, f64, base;
  try {
    const inst = new WebAssembly.Instance(d.module, { env: { memory: d.memory } });
    inst.exports.set_scratch(d.scratch);
    fns = d.names.map((n) => inst.exports[n]);
    // The pseudo-kernel after the real ones: a program of recurrent steps (runSteps) at f64 index p.
    let all = new Float64Array(d.memory.buffer);
    const b = [];
    const runSteps = ${runSteps.toString()};
    fns.push((p) => runSteps(fns, p + ${PROG / 8} > all.length ? (all = new Float64Array(d.memory.buffer)) : all, p, b));
    // The second: parts claimed one at a time (runClaimed), of kernel k.
    let all32 = new Int32Array(d.memory.buffer);
    const pieceArgs = new Array(${CLAIMED_ARGS}).fill(0);
    const runClaimed = ${runClaimed.toString()};
    fns.push((k, c, t, C, m) => {
      if (t + C * m > all.length) { all = new Float64Array(d.memory.buffer); all32 = new Int32Array(d.memory.buffer); }
      runClaimed(fns[k], all, all32, c, t, C, m, pieceArgs);
    });
    // The third: a sequence's lanes (runLanes), this worker's lane first.
    const laneArgs = [], eager = new Uint8Array(${MAX_LANES}), seen = new Int32Array(${MAX_LANES});
    const runLanes = ${runLanes.toString()};
    fns.push((p, me) => {
      if (all.buffer !== d.memory.buffer || all32.buffer !== all.buffer) { all = new Float64Array(d.memory.buffer); all32 = new Int32Array(d.memory.buffer); }
      runLanes(fns, all, all32, p, me, laneArgs, eager, seen, true);
    });
    i32 = new Int32Array(d.memory.buffer, d.slot, ${SLOT / 4});
    f64 = new Float64Array(d.memory.buffer, d.slot + ${ARGS}, ${(SLOT - ARGS) / 8});
  } catch (e) {
    port.postMessage({ type: 'error', message: String(e && e.message || e) });
    return;
  }
  // The generation seen is read BEFORE saying ready: the first part may be posted the moment the main thread hears it.
  let seen = Atomics.load(i32, ${GEN});
  // One argument array for every part (a wasm export ignores arguments past its own).
  const a = new Array(${(SLOT - ARGS) / 8}).fill(0);
  port.postMessage({ type: 'ready' });
  for (;;) {
    let spins = 0, gen;
    // (The generation that ended the wait is the one claimed: read again, it could be another's.)
    while ((gen = Atomics.load(i32, ${GEN})) === seen) {
      if (++spins > ${SPIN}) {
        // Say so before sleeping (the main thread notifies only a sleeper), then look again.
        Atomics.store(i32, ${W_SLEEPS}, 1);
        // (Woken every 100 ms at most: a thread parked without a timeout cannot be stopped at exit.)
        if (Atomics.load(i32, ${GEN}) === seen) Atomics.wait(i32, ${GEN}, seen, 100);
        Atomics.store(i32, ${W_SLEEPS}, 0);
        spins = 0;
      }
    }
    seen = gen;
    if (Atomics.load(i32, ${STOP})) return;
    // (Tests of a late worker hold it here.)
    while (Atomics.load(i32, ${HOLD})) Atomics.wait(i32, ${HOLD}, 1, 100);
    // The main thread ran this part itself (this worker came late): wait for the next.
    if (Atomics.compareExchange(i32, ${CLAIM}, seen, seen | ${CLAIMED}) !== seen) continue;
    const n = i32[${NARGS}];
    for (let j = 0; j < n; j++) a[j] = f64[j];
    let status = 0;
    try { fns[i32[${KERNEL}]].apply(null, a); } catch (e) {
      status = 1;
      const m = String(e && e.message || e).slice(0, ${MSG_CHARS}), u16 = new Uint16Array(d.memory.buffer, d.slot + ${MSG}, ${MSG_CHARS});
      for (let j = 0; j < m.length; j++) u16[j] = m.charCodeAt(j);
      i32[${MSG_LEN}] = m.length;
    }
    Atomics.store(i32, ${STATUS}, status);
    Atomics.store(i32, ${DONE}, seen);
    if (Atomics.load(i32, ${M_SLEEPS})) Atomics.notify(i32, ${DONE});
  }
});
`;

/** Runs a part on the calling thread; why it failed, or ''. */
export function here(fn: (...a: number[]) => unknown, part: readonly number[]): string {
  try { fn.apply(null, part as number[]); return ''; } catch (e) { return String((e as Error).message ?? e) || 'failed'; }
}

/** A part that takes longer than this is a dead worker. */
export const TIMEOUT_MS = 120_000;

/**
 * Waits on the calling thread until slot s's DONE is gen: spins, then
 * sleeps in Atomics.wait where this thread may (`wait`; the worker sees
 * M_SLEEPS and notifies); false after `timeoutMs` (a dead worker).
 */
export function join(i32: Int32Array, s: number, gen: number, wait: boolean, timeoutMs = TIMEOUT_MS): boolean {
  let spins = 0;
  const t0 = Date.now();
  while (Atomics.load(i32, s + DONE) !== gen) {
    if (++spins > SPIN) {
      spins = 0;
      if (wait) {
        Atomics.store(i32, s + M_SLEEPS, 1);
        const v = Atomics.load(i32, s + DONE);
        if (v !== gen) Atomics.wait(i32, s + DONE, v, 50);
        Atomics.store(i32, s + M_SLEEPS, 0);
      }
      if (Date.now() - t0 > timeoutMs) return false;
    }
  }
  return true;
}

/** A worker of any runtime, as the pool uses it. */
export interface AnyWorker {
  postMessage(m: unknown): void;
  terminate(): unknown;
  unref?(): void;
}

/** How to start a worker here, or null (then one thread). */
export async function workerFactory(): Promise<((onMessage: (m: { type: string; message?: string }) => void, onExit: (why: string) => void) => AnyWorker) | null> {
  const g = globalThis as unknown as { process?: { versions?: { node?: string; deno?: string } }; Deno?: unknown; Worker?: new (url: string, o?: object) => AnyWorker & { onmessage: unknown; onerror: unknown }; crossOriginIsolated?: boolean; Blob?: typeof Blob; URL: typeof URL };
  if (g.process?.versions?.node && !g.Deno) {
    let wt: typeof import('node:worker_threads');
    try { wt = await import('node:worker_threads'); } catch { return null; }
    return (onMessage, onExit) => {
      // Plain JS: no loader hooks or flags of the parent's (execArgv) needed.
      const w = new wt.Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
      w.on('message', onMessage);
      w.on('error', (e) => onExit(`threw ${String((e as Error).message)}`));
      w.on('exit', (code) => onExit(`exited with code ${code}`));
      return w;
    };
  }
  // Deno's workers cannot be unref'd: a pool would keep every script alive, so Deno runs on one thread.
  if (g.Deno) return null;
  if (typeof g.Worker === 'function' && typeof g.Blob === 'function' && g.crossOriginIsolated !== false) {
    const url = g.URL.createObjectURL(new g.Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    const W = g.Worker;
    return (onMessage, onExit) => {
      const w = new W(url, { type: 'module' });
      w.onmessage = (e: { data: { type: string; message?: string } }) => onMessage(e.data);
      w.onerror = (e: { message?: string }) => onExit(`threw ${String(e.message)}`);
      return w;
    };
  }
  return null;
}

/** Threads for `threads: 'auto'`: the cores the runtime reports, at most 4. */
export async function autoThreads(): Promise<number> {
  const g = globalThis as unknown as { navigator?: { hardwareConcurrency?: number }; process?: { versions?: { node?: string } } };
  let n = g.navigator?.hardwareConcurrency ?? 0;
  if (!n && g.process?.versions?.node) {
    try { const os = await import('node:os'); n = os.availableParallelism?.() ?? os.cpus().length; } catch { n = 1; }
  }
  return Math.max(1, Math.min(4, n || 1));
}

/** Whether this thread may block in Atomics.wait (not a browser's main thread). */
export function canWait(i32: Int32Array): boolean {
  try { Atomics.wait(i32, 0, 1, 0); return true; } catch { return false; }
}
