// Threads: the threaded SIMD build (wasm/simd-rnn.threads.wasm, the same
// AssemblyScript with shared, imported memory) instantiated once per thread
// over ONE memory, and a pool that splits a kernel call into parts, one per
// thread. The main thread keeps driving everything (layers, models, the
// training loop call kernels as before): a large call is cut where the
// arithmetic of every output element stays what it is in one call (GEMMs by
// column pairs of panels or by 4-row tiles, cells by rows of the batch,
// optimizer updates by ranges), so any number of threads gives the very
// bits one thread gives. Small calls (a batch-1 step) run on the calling
// thread alone: waking a thread costs more than they take.
//
// A part is handed over through a slot in the heap: the kernel's index and
// its arguments as f64; the worker spins briefly on the slot's generation
// counter, then sleeps in Atomics.wait. A part is claimed before it runs
// (a compare-and-swap on the slot's CLAIM word): a worker that is late (not
// scheduled: another process has the cores) finds its part already done by
// the main thread, which runs every part nobody claimed once its own is
// done. So a busy machine costs about one thread's time instead of a wait
// for each late worker. The pool's workers are unref'd: a process whose pool
// is idle exits on its own.
import { SimdRnnError } from '../errors.js';
import { KERNEL_NAMES } from './kernel_args.js';
import { MAX_HEAP_BYTES, type Heap, type HeapOwner } from './heap.js';
import type { Backend, Pool } from './backend.js';
import { fetchBytes, threadsWasmUrl, toBackend, type WasmExports, type WasmSource } from './wasm.js';
import { parallelKernels } from './splits.js';
import { SLOT, GEN, DONE, KERNEL, NARGS, STATUS, STOP, W_SLEEPS, M_SLEEPS, MSG_LEN, CLAIM, HOLD, MAX_GEN, CLAIMED, ARGS, MSG, SPIN, WORKER_SOURCE } from './worker.js';

/** A part that takes longer than this is a dead worker. */
const TIMEOUT_MS = 120_000;

interface AnyWorker {
  postMessage(m: unknown): void;
  terminate(): unknown;
  unref?(): void;
}

/** How to start a worker here, or null (then one thread). */
async function workerFactory(): Promise<((onMessage: (m: { type: string; message?: string }) => void, onExit: (why: string) => void) => AnyWorker) | null> {
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

/** Whether this thread may block in Atomics.wait (not a browser's main thread). */
function canWait(i32: Int32Array): boolean {
  try { Atomics.wait(i32, 0, 1, 0); return true; } catch { return false; }
}

interface Exports {
  set_scratch(p: number): void;
  scratch_bytes(): number;
}

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
  private stopped = false;
  private stopping: Promise<void> | null = null;
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
    pool.asleep = new Uint8Array(n);
    // The slots and each worker's scratch now, not when the workers come up: the heap a model
    // sees does not change under it (and a cap too small for them means one thread, said so).
    const scratch: number[] = [];
    try {
      pool.slots = heap.zeros((n - 1) * SLOT / 4, pool.owner);
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
   * run on one thread from then on.
   */
  run(kernel: number, fn: (...a: number[]) => unknown, parts: readonly number[][], count: number): void {
    if (this.failed !== null) return this.lost(fn, parts, count);
    // Workers late call after call (the cores are busy elsewhere): this thread runs every part for a while.
    const alone = this.late >= 2 && performance.now() < this.until;
    const gen = this.gen = this.gen >= MAX_GEN ? 1 : this.gen + 1;
    const asleep = this.asleep.fill(0);
    for (let w = 1; w < count && !alone; w++) {
      const s = (this.slots + (w - 1) * SLOT) >> 2, a = parts[w]!, fa = (this.slots + (w - 1) * SLOT + ARGS) >> 3;
      this.i32[s + KERNEL] = kernel;
      this.i32[s + NARGS] = a.length;
      for (let j = 0; j < a.length; j++) this.f64[fa + j] = a[j]!;
      Atomics.store(this.i32, s + CLAIM, gen);
      Atomics.store(this.i32, s + GEN, gen);
      // (notify is a lock and a syscall: only for a sleeper)
      if (Atomics.load(this.i32, s + W_SLEEPS)) { Atomics.notify(this.i32, s + GEN); asleep[w] = 1; }
    }
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
      if (!alone && !asleep[w] && Atomics.load(this.i32, s + CLAIM) === gen) while (Atomics.load(this.i32, s + CLAIM) === gen && performance.now() < grace);
      if (alone || Atomics.compareExchange(this.i32, s + CLAIM, gen, gen | CLAIMED) === gen) {
        this.taken++;
        stole = true;
        // (A worker that was asleep is slow to wake: that is no sign of a busy machine.)
        if (!asleep[w]) lateAwake = true;
        try { fn.apply(null, parts[w]!); } catch (e) { bad ||= w; badWhy ||= String((e as Error).message ?? e); }
        continue;
      }
      if (!this.join(s, gen)) {
        this.failed ??= `thread ${w} did not finish a part within ${TIMEOUT_MS / 1000} s`;
        void this.stop();
        throw new SimdRnnError('THREAD_FAILED', `threads: ${this.failed}; the pool is stopped and calls run on one thread from now on (this call's outputs are not valid)`);
      }
      if (this.i32[s + STATUS] !== 0 && !bad) {
        bad = w;
        const at = this.slots + (w - 1) * SLOT, len = this.i32[(at >> 2) + MSG_LEN]!;
        badWhy = String.fromCharCode(...new Uint16Array(this.memory.buffer, at + MSG, len));
      }
    }
    if (!alone) {
      // Late twice in a row: one thread for 0.5, 1, 2 … up to 64 ms, then try again.
      if (lateAwake && ++this.late >= 2) this.until = performance.now() + Math.min(64, 0.25 * 2 ** Math.min(this.late, 8));
      else if (!stole) this.late = 0;
    }
    if (error) throw error;
    if (bad) throw new SimdRnnError('THREAD_FAILED', `threads: ${KERNEL_NAMES[kernel]} failed in part ${bad + 1} of ${count} (${badWhy}); the pool goes on`);
  }

  // Waits until the slot's DONE = gen: spins, then sleeps (where this thread may).
  private join(s: number, gen: number): boolean {
    let spins = 0;
    const t0 = Date.now(), i32 = this.i32;
    while (Atomics.load(i32, s + DONE) !== gen) {
      if (++spins > SPIN) {
        spins = 0;
        if (this.wait) {
          Atomics.store(i32, s + M_SLEEPS, 1);
          const v = Atomics.load(i32, s + DONE);
          if (v !== gen) Atomics.wait(i32, s + DONE, v, 50);
          Atomics.store(i32, s + M_SLEEPS, 0);
        }
        if (Date.now() - t0 > TIMEOUT_MS) return false;
      }
    }
    return true;
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

/** Threads for `threads: 'auto'`: the cores the runtime reports, at most 4. */
export async function autoThreads(): Promise<number> {
  const g = globalThis as unknown as { navigator?: { hardwareConcurrency?: number }; process?: { versions?: { node?: string } } };
  let n = g.navigator?.hardwareConcurrency ?? 0;
  if (!n && g.process?.versions?.node) {
    try { const os = await import('node:os'); n = os.availableParallelism?.() ?? os.cpus().length; } catch { n = 1; }
  }
  return Math.max(1, Math.min(4, n || 1));
}

/**
 * The threaded SIMD build (or its relaxed-SIMD twin) on a shared memory of
 * at most maxBytes, with n threads (fewer where workers cannot start: the
 * pool says why). Its numbers are those of the single-threaded build of
 * the same flavor, so it keeps that name. Without `wait`, it returns at
 * once and runs on one thread until the workers are up.
 */
export async function createThreadedBackend(n: number, source?: WasmSource, maxBytes = MAX_HEAP_BYTES, wait = true, flavor: 'wasm-simd' | 'wasm-relaxed' = 'wasm-simd'): Promise<Backend> {
  let module: WebAssembly.Module;
  if (source instanceof WebAssembly.Module) {
    module = source;
  } else {
    const src = source === undefined || typeof source === 'string' || source instanceof URL
      ? await fetchBytes(source === undefined ? threadsWasmUrl(flavor === 'wasm-relaxed') : new URL(String(source), import.meta.url)) : source;
    module = src instanceof ArrayBuffer || ArrayBuffer.isView(src) ? await WebAssembly.compile(src as BufferSource) : await WebAssembly.compile(await (src as Response).arrayBuffer());
  }
  const memory = new WebAssembly.Memory({ initial: 32, maximum: Math.min(32768, Math.ceil(maxBytes / 65536)), shared: true });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const exports = { ...(instance.exports as unknown as WasmExports), memory };
  const single = toBackend(flavor, exports, maxBytes);
  const pool = await ThreadPool.start(single.heap, module, memory, exports, n, wait);
  if (wait) await pool.ready;
  return { name: flavor, heap: single.heap, k: parallelKernels(exports, pool, n), pool };
}
