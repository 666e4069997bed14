// Threads: the pool over the threaded SIMD build (threaded.ts: the same
// AssemblyScript with shared, imported memory, instantiated once per thread
// over ONE memory), which splits a kernel call into parts, one per thread.
// The main thread keeps driving everything (layers, models, the training
// loop call kernels as before): a large call is cut where the arithmetic of
// every output element stays what it is in one call (GEMMs by column pairs
// of panels or by 4-row tiles, cells by rows of the batch, optimizer updates
// by ranges), so any number of threads gives the very bits one thread gives.
// Small calls (a batch-1 step) run on the calling thread alone.
//
// A part is handed over through a slot in the heap: the kernel's index and
// its arguments as f64; the worker spins briefly on the slot's generation,
// then sleeps in Atomics.wait. A part is claimed before it runs (a
// compare-and-swap on the slot's CLAIM word): a late worker finds its part
// done by the main thread, which runs every part nobody claimed once its own
// is done. Large calls go further: in pieces every thread claims one at a
// time (claimed.ts). An idle pool's workers never hold the process.
import { SimdRnnError } from '../errors.js';
import { KERNEL_NAMES } from './kernel_args.js';
import type { Heap, HeapOwner } from './heap.js';
import type { Kernels, LaneRun, Pool } from './backend.js';
import { SLOT, GEN, DONE, KERNEL, NARGS, STATUS, STOP, W_SLEEPS, MSG_LEN, CLAIM, HOLD, MAX_GEN, CLAIMED, ARGS, MSG, PROG, progsOf, CLAIMED_BYTES, here, join, TIMEOUT_MS, workerFactory, canWait, type AnyWorker } from './worker.js';
import type { StepCall } from './steps.js';
import type { Background } from './background.js';

/** The least share of a background product's rows the calling thread computes before it goes on. */
const MIN_SHARE = 0.1;

/** What the pool needs of the build's exports. */
type Exports = { set_scratch(p: number): void; scratch_bytes(): number };

/** The threads of a backend: n − 1 workers and the calling thread. */
export class ThreadPool implements Pool {
  /** Threads that run parts (the calling one included). */
  size = 1;
  /** Why the pool runs fewer threads than asked (null: it does not). */
  reason: string | null = null;
  private workers: AnyWorker[] = [];
  private slots = 0;
  private gen = 0;
  /** Parts the calling thread ran for a worker that had not claimed them (a busy machine). */
  taken = 0;
  /** Products startRows() started (the rest of their rows left to the workers). */
  started = 0;
  /** Calls in a row with a late worker, and until when (performance.now()) calls run on this thread alone. */
  private late = 0;
  private until = 0;
  private i32: Int32Array;
  private f64: Float64Array;
  private failed: string | null = null;
  private told = false;
  private readonly wait: boolean;
  private readonly owner: HeapOwner;
  private messages: string[] = [];
  private stopped = false; private stopping: Promise<void> | null = null;
  /** The calling thread's share of the rows startRows() cuts (1 / size at first, in [0.1, 0.9]: settle() adapts it). */
  share = 0.5;
  /** Why the last part finish() saw failed ('' if it did not). */
  private why = '';
  /** @internal The kernels whose calls this pool cuts (set by the backend). */
  kernels: Kernels | null = null;
  /** @internal The step programs (PROG bytes each, progsOf(n)), the areas parts are claimed from (claimed.ts; background.ts), what starts rows (background.ts), runs programs (steps.ts) and lanes (lanes.ts). */
  progs = 0; claims = 0; background = 0;
  /** @internal One piece of a step program a thread, not pieces4's (benchmarks compare the two). */
  evenPieces = false;
  rows: ((a: readonly number[], last: boolean) => readonly [number, number] | null) | null = null;
  stepper: ((calls: readonly StepCall[], T: number) => boolean) | null = null; laner: ((run: LaneRun) => boolean) | null = null;
  /** A call start() left running on the workers (settle() finishes it). */
  private pending: { kernel: number; fn: (...a: number[]) => unknown; parts: readonly number[][]; count: number; gen: number; bg?: Background; adapted?: boolean } | null = null;
  /** Which workers were asleep when this call's parts were posted (a flag a thread). */
  private asleep = new Uint8Array(1);

  private constructor(private readonly heap: Heap, private readonly memory: WebAssembly.Memory) {
    this.owner = heap.owner('threads');
    this.i32 = new Int32Array(memory.buffer);
    this.f64 = new Float64Array(memory.buffer);
    this.wait = canWait(new Int32Array(new SharedArrayBuffer(4)));
  }

  /** Resolves when the workers are up (size = n) or could not start (size 1, reason set). */
  ready: Promise<void> = Promise.resolve();

  /**
   * Starts n − 1 workers over the memory. The pool runs on one thread until
   * they are all up (`ready`): then on n, or on one with the reason where
   * they could not start.
   */
  static async start(heap: Heap, module: WebAssembly.Module, memory: WebAssembly.Memory, exports: Exports, n: number, keepAlive: boolean): Promise<ThreadPool> {
    const pool = new ThreadPool(heap, memory);
    if (n <= 1) return pool;
    pool.asleep = new Uint8Array(n); pool.share = 1 / n;
    // The slots and each worker's scratch now, not when the workers come up: the heap a model
    // sees does not change under it (and a cap too small for them means one thread, said so).
    const scratch: number[] = [];
    try {
      pool.slots = heap.zeros((n - 1) * SLOT / 4, pool.owner);
      pool.progs = heap.alloc(progsOf(n) * PROG / 4, pool.owner);
      pool.claims = heap.zeros(CLAIMED_BYTES / 4, pool.owner);
      pool.background = heap.zeros(CLAIMED_BYTES / 4, pool.owner);
      for (let w = 1; w < n; w++) scratch.push(heap.alloc(Math.ceil(exports.scratch_bytes() / 4), pool.owner));
    } catch (e) {
      heap.release(pool.owner);
      pool.reason = `no room in the heap for ${n - 1} threads' scratch (${String((e as Error).message)})`;
      return pool;
    }
    pool.refresh();
    const launch = async (): Promise<void> => {
      // (Loading worker_threads alone takes ~3 ms of a cold start: it waits for the background too.)
      const factory = await workerFactory();
      if (!factory) { pool.reason = 'no workers in this runtime'; void pool.stop(); return; }
      if (!pool.stopped) await pool.launch(factory, module, memory, scratch, n, keepAlive);
    };
    if (keepAlive) {
      await (pool.ready = launch());
    } else {
      // In the background, after the caller's next synchronous work (a first inference does not wait for
      // workers to be created), and never holding the process.
      pool.ready = new Promise<void>((resolve) => {
        const t = setTimeout(() => { void launch().then(resolve, resolve); }, 0);
        (t as { unref?: () => void }).unref?.();
      });
    }
    return pool;
  }

  private async launch(factory: NonNullable<Awaited<ReturnType<typeof workerFactory>>>, module: WebAssembly.Module, memory: WebAssembly.Memory, scratches: number[], n: number, keepAlive: boolean): Promise<void> {
    const started: Promise<boolean>[] = [];
    for (let w = 1; w < n; w++) {
      const scratch = scratches[w - 1]!;
      let ready: (ok: boolean) => void = () => {};
      started.push(new Promise<boolean>((r) => { ready = r; }));
      let worker: AnyWorker;
      try {
        worker = factory((m) => {
          if (m.type === 'ready') ready(true);
          else if (m.type === 'error') { this.messages.push(`thread ${w}: ${m.message}`); ready(false); }
        }, (why) => {
          this.failed ??= `thread ${w} ${why}`;
          ready(false);
        });
      } catch (e) {
        this.messages.push(`thread ${w}: ${String((e as Error).message)}`);
        ready(false);
        break;
      }
      worker.postMessage({ type: 'start', module, memory, scratch, slot: this.slots + (w - 1) * SLOT, names: KERNEL_NAMES });
      // An idle pool never holds the process; one that is starting does only if someone waits for it.
      if (!keepAlive) worker.unref?.();
      this.workers.push(worker);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<boolean[]>((r) => { timer = setTimeout(() => r([]), 10_000); if (!keepAlive) (timer as { unref?: () => void }).unref?.(); });
    const ok = await Promise.race([Promise.all(started), timeout]);
    clearTimeout(timer);
    for (const w of this.workers) w.unref?.();
    if (this.stopped) return;
    if (ok.length === n - 1 && ok.every(Boolean)) {
      this.failed = null;
      this.size = n;
    } else {
      this.reason = `threads did not start (${this.messages[0] ?? this.failed ?? 'no answer within 10 s'})`;
      void this.stop();
      this.failed = null;
    }
  }

  private refresh(): void {
    if (this.i32.buffer !== this.memory.buffer) {
      this.i32 = new Int32Array(this.memory.buffer);
      this.f64 = new Float64Array(this.memory.buffer);
    }
  }

  /** Whether calls are split (false once stopped or failed). */
  get active(): boolean {
    return this.size > 1 && this.failed === null;
  }

  /**
   * Runs a kernel's parts: parts[0] here, parts[1…] on the workers; returns
   * when all are done. A worker that fails makes this throw THREAD_FAILED
   * (after the other parts finish); a dead one stops the pool, and calls
   * run on one thread from then on. `claimed`: every part claims the call's
   * pieces until none is left (claimed.ts), so one not claimed when this
   * thread's is done has nothing to do: taken at once.
   */
  run(kernel: number, fn: (...a: number[]) => unknown, parts: readonly number[][], count: number, claimed = false): void {
    // (A call started in the background holds the workers' slots: it finishes first.)
    if (this.pending) this.settle();
    if (this.failed !== null) return this.lost(fn, parts, count);
    // Workers late call after call (the cores are busy elsewhere): this thread runs every part for a while.
    const alone = this.late >= 2 && performance.now() < this.until;
    const gen = this.gen = this.gen >= MAX_GEN ? 1 : this.gen + 1;
    const asleep = this.asleep.fill(0);
    for (let w = 1; w < count && !alone; w++) asleep[w] = this.post(w, kernel, parts[w]!, gen);
    let error: unknown = null;
    const t0 = performance.now();
    try { fn.apply(null, parts[0]!); } catch (e) { error = e; }
    // A worker that has not claimed its part by the time this thread's part is done would finish
    // no sooner than this thread running it (the same arithmetic, its own scratch): one that was
    // asleep has it taken at once (the wake-up it got keeps it awake for the next calls); one that
    // was awake gets twice this thread's time (and 30 µs) to claim it, then it is late
    // (descheduled: another process has the cores).
    const t1 = performance.now(), grace = t1 + 2 * (t1 - t0) + 0.03;
    let bad = 0, badWhy = '', lateAwake = false, stole = false;
    for (let w = 1; w < count; w++) {
      const s = (this.slots + (w - 1) * SLOT) >> 2;
      if (!alone && !claimed && !asleep[w] && Atomics.load(this.i32, s + CLAIM) === gen) while (Atomics.load(this.i32, s + CLAIM) === gen && performance.now() < grace);
      if (alone ? (this.why = here(fn, parts[w]!), this.taken++, true) : this.finish(w, gen, fn, parts[w]!)) {
        stole = true;
        // (A worker that was asleep is slow to wake: that is no sign of a busy machine.)
        if (!asleep[w]) lateAwake = true;
      }
      if (this.why && !bad) { bad = w; badWhy = this.why; }
    }
    // (Claimed pieces need no late worker: the one that comes late runs fewer, or none.)
    if (!alone && !claimed) {
      // Late twice in a row: one thread for 0.5, 1, 2 … up to 64 ms, then try again.
      if (lateAwake && ++this.late >= 2) this.until = performance.now() + Math.min(64, 0.25 * 2 ** Math.min(this.late, 8));
      else if (!stole) this.late = 0;
    }
    // (Claimed pieces run on whichever thread claims them: a failure is THREAD_FAILED wherever it was.)
    if (error && !claimed) throw error;
    if (error || bad) throw new SimdRnnError('THREAD_FAILED', `threads: ${KERNEL_NAMES[claimed ? parts[0]![0]! : kernel] ?? 'a step program'} failed${claimed ? '' : ` in part ${bad + 1} of ${count}`} (${error ? String((error as Error).message ?? error) : badWhy}); the pool goes on`);
  }

  // Hands part a of a kernel to worker w under generation gen; 1 if the worker was asleep (and is woken).
  private post(w: number, kernel: number, a: readonly number[], gen: number): number {
    const s = (this.slots + (w - 1) * SLOT) >> 2, fa = (this.slots + (w - 1) * SLOT + ARGS) >> 3;
    this.i32[s + KERNEL] = kernel;
    this.i32[s + NARGS] = a.length;
    for (let j = 0; j < a.length; j++) this.f64[fa + j] = a[j]!;
    Atomics.store(this.i32, s + CLAIM, gen);
    Atomics.store(this.i32, s + GEN, gen);
    // (notify is a lock and a syscall: only for a sleeper)
    if (Atomics.load(this.i32, s + W_SLEEPS)) { Atomics.notify(this.i32, s + GEN); return 1; }
    return 0;
  }

  /**
   * Starts a kernel call's parts 1 … count − 1 on the workers and runs
   * part 0 here, then returns while they run: the caller goes on with work
   * that does not read their outputs, and `settle()` before it does (any
   * other split call settles it first). False (nothing started) when the
   * pool cannot take it; the caller then makes the call itself. `bg`: a
   * product in pieces (background.ts): its own() is this thread's part.
   */
  start(kernel: number, fn: (...a: number[]) => unknown, parts: readonly number[][], count: number, bg?: Background): boolean {
    if (this.pending) this.settle();
    // (Not refused while the pool runs alone: settle() runs a late worker's part without waiting for it.)
    if (!this.active || count < 2) return false;
    const gen = this.gen = this.gen >= MAX_GEN ? 1 : this.gen + 1;
    for (let w = 1; w < count; w++) this.post(w, kernel, parts[w]!, gen);
    this.pending = { kernel, fn, parts, count, gen, bg };
    try {
      if (bg) bg.own(); else fn.apply(null, parts[0]!);
    } catch (e) {
      try { this.settle(); } catch { /* the first error is the one to tell */ }
      throw e;
    }
    return true;
  }

  /** Runs T steps of `calls` (`k`'s kernels) on every thread, each its rows of the batch; false: not run. */
  steps(k: Kernels, calls: readonly StepCall[], T: number): boolean {
    return k === this.kernels && this.active && this.stepper !== null && this.stepper(calls, T);
  }

  /** Runs a batch-1 sequence in lanes, a thread's hidden units each (lanes.ts); false: not run. */
  lanes(k: Kernels, run: LaneRun): boolean { return k === this.kernels && this.active && this.laner !== null && this.laner(run); }

  /**
   * Starts a packed product (f32_gemm_packed_bias's arguments, with the
   * rows of A not transposed) cut by rows: this thread's share, the first
   * rows or the `last` ones, is done when this returns ([r0, r1) of C);
   * the workers' rows are settle()'s. Null: not started (too small, no
   * workers, or the kernels are not the pool's: make the call yourself).
   */
  startRows(k: Kernels, a: readonly number[], last: boolean): readonly [number, number] | null {
    return k === this.kernels && this.active && this.rows ? this.rows(a, last) : null;
  }

  /**
   * Makes rows [lo, hi) of the product startRows() started done (its
   * pieces: a piece nobody has claimed runs here) and returns the next row
   * bound to ask at (need(lo, hi) again for rows past it), or −1 once every
   * row is done or nothing is started.
   */
  need(lo: number, hi: number): number {
    const p = this.pending;
    if (!p?.bg) { this.settle(); return -1; }
    if (!p.adapted) { p.adapted = true; this.adapt(p.bg.ready(lo, hi)); }
    return p.bg.need(lo, hi);
  }

  // This thread's share of the next product: less while the rows are done before they are needed, more
  // (fast, and past 1 / size: a worker's core may be slower or shared) when this thread waits for them.
  private adapt(done: boolean): void { this.share = done ? Math.max(MIN_SHARE, this.share - 0.01) : Math.min(0.9, this.share + 0.05); }

  /**
   * Waits for the parts start() handed to the workers; a part not claimed
   * yet runs here at once (the time it had is the caller's work since), and
   * a product in pieces has every piece left claimed here too.
   */
  settle(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    let done = true;
    for (let w = 1; w < p.count; w++) if (Atomics.load(this.i32, ((this.slots + (w - 1) * SLOT) >> 2) + DONE) !== p.gen) done = false;
    if (!p.adapted) this.adapt(done || !!p.bg); // (pieces: this thread has just claimed its share of what was left)
    let bad = 0, badWhy = '';
    try { p.bg?.help(); } catch (e) { badWhy = String((e as Error).message ?? e); }
    for (let w = 1; w < p.count; w++) {
      this.finish(w, p.gen, p.fn, p.parts[w]!);
      if (this.why && !bad) { bad = w; badWhy ||= this.why; }
    }
    if (p.bg && badWhy) throw new SimdRnnError('THREAD_FAILED', `threads: ${KERNEL_NAMES[p.parts[1]![0]!]} failed (${badWhy}); the pool goes on`);
    if (bad) throw new SimdRnnError('THREAD_FAILED', `threads: ${KERNEL_NAMES[p.kernel]} failed in part ${bad + 1} of ${p.count} (${badWhy}); the pool goes on`);
  }

  // Worker w's part of generation gen: run here if nobody has claimed it (true), else waited for
  // (false). Why it failed, if it did, is left in `why` ('' if it did not).
  private finish(w: number, gen: number, fn: (...a: number[]) => unknown, part: readonly number[]): boolean {
    const s = (this.slots + (w - 1) * SLOT) >> 2;
    if (Atomics.compareExchange(this.i32, s + CLAIM, gen, gen | CLAIMED) === gen) {
      this.taken++;
      this.why = here(fn, part);
      return true;
    }
    if (!join(this.i32, s, gen, this.wait)) {
      this.failed ??= `thread ${w} did not finish a part within ${TIMEOUT_MS / 1000} s`;
      void this.stop();
      throw new SimdRnnError('THREAD_FAILED', `threads: ${this.failed}; the pool is stopped and calls run on one thread from now on (this call's outputs are not valid)`);
    }
    this.why = '';
    if (this.i32[s + STATUS] !== 0) {
      const at = this.slots + (w - 1) * SLOT, len = this.i32[(at >> 2) + MSG_LEN]!;
      this.why = String.fromCharCode(...new Uint16Array(this.memory.buffer, at + MSG, len)) || 'failed';
    }
    return false;
  }

  // The pool died between calls: say so once, then run on one thread.
  private lost(fn: (...a: number[]) => unknown, parts: readonly number[][], count: number): void {
    if (!this.told) {
      this.told = true;
      void this.stop();
      throw new SimdRnnError('THREAD_FAILED', `threads: ${this.failed}; the pool is stopped and calls run on one thread from now on (nothing was computed by this call; call it again)`);
    }
    for (let p = 0; p < count; p++) fn.apply(null, parts[p]!);
  }

  /**
   * Stops the workers; calls then run on one thread. Their slots and scratch
   * go back to the heap once every worker has exited (the promise this
   * returns): a worker descheduled mid-loop must not find them reused.
   */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    // (A call started in the background finishes first: its rows, and no slot read after the release.)
    if (this.pending) try { this.settle(); } catch { this.pending = null; }
    this.stopped = true;
    this.size = 1;
    const exits: unknown[] = [];
    if (this.workers.length) {
      this.refresh();
      for (let w = 0; w < this.workers.length; w++) {
        const s = (this.slots + w * SLOT) >> 2;
        Atomics.store(this.i32, s + STOP, 1);
        Atomics.add(this.i32, s + GEN, 1);
        Atomics.notify(this.i32, s + GEN);
        exits.push(this.workers[w]!.terminate());
      }
      this.workers = [];
    }
    const release = (): void => { if (this.owner.live) this.heap.release(this.owner); };
    // Node's terminate() resolves when the thread has exited; a browser's returns nothing (its worker's
    // script is aborted; the worker never writes its slot once it has read STOP, set before GEN).
    if (exits.some((e) => e instanceof Promise)) {
      this.stopping = Promise.allSettled(exits).then(release);
    } else {
      release();
      this.stopping = Promise.resolve();
    }
    return this.stopping;
  }

  /** @internal Holds worker w before it claims its next part, or lets it go (tests of a late worker). */
  hold(w: number, on: boolean): void {
    const s = (this.slots + (w - 1) * SLOT) >> 2;
    Atomics.store(this.i32, s + HOLD, on ? 1 : 0);
    if (!on) Atomics.notify(this.i32, s + HOLD);
  }

  /** @internal Kills a worker (tests of what a dead thread does). */
  kill(w: number): void {
    void this.workers[w - 1]?.terminate();
  }
}
