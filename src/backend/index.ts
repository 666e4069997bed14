// Backend selection: detect once, pick the fastest that works, remember it.
import type { Backend, BackendName } from './backend.js';
import { createWasmBackend, createWasmBackendSync, type WasmFlavor, type WasmSource } from './wasm.js';
import { detectFeatures } from './detect.js';
import { SimdRnnError, argError } from '../errors.js';
import { MAX_HEAP_BYTES } from './heap.js';
import { checkedKernels, debugFromEnv } from './checked.js';
import { checkKeys, keysOf } from '../util/keys.js';

export type { Backend, BackendName, Kernels } from './backend.js';
export { KERNELS, KERNEL_NAMES, packedSize } from './kernels.js';
export type { KernelSpec } from './kernels.js';
export { Heap, HeapOwner, MAX_HEAP_BYTES } from './heap.js';
export { detectFeatures } from './detect.js';
export type { WasmSource } from './wasm.js';

const NAMES: readonly BackendName[] = ['wasm-relaxed', 'wasm-simd', 'wasm', 'js'];

/** Options of `init` and `initSync`. */
export interface InitOptions {
  /** Force a backend instead of detecting the best one. */
  backend?: BackendName;
  /**
   * Use the relaxed-SIMD build (fused multiply-add) when the runtime
   * validates it. Off by default: its results may differ in the last bits
   * between machines.
   */
  relaxed?: boolean;
  /**
   * A compiled WebAssembly.Module of one of the wasm builds (for edge
   * runtimes that refuse to compile bytes), or its bytes / URL. Which build
   * it is comes from `backend` (default 'wasm-simd').
   */
  module?: WasmSource;
  /**
   * Cap, in bytes, on the backend's heap: at least 1 MiB, at most (and by
   * default) 2 GiB, the most a heap of int32 byte offsets can address.
   */
  maxMemory?: number;
  /**
   * Check, before every kernel call, that each pointer range lies inside one
   * live heap block (slower; for tests and debugging). Default: on when the
   * environment has SIMD_RNN_DEBUG=1.
   */
  debug?: boolean;
  /**
   * Threads that share large kernel calls (wasm SIMD and relaxed SIMD): a number (init
   * waits until they are up), or 'auto' (init's default): the cores the
   * runtime reports, at most 4, started in the background (calls run on
   * one thread until they are up, some milliseconds later).
   * Where shared memory or workers are missing (workerd, a page without
   * cross-origin isolation, `--jitless`), and for the other backends, one
   * thread, with the same results; `threads()` tells what is in use. Any
   * number of threads gives the bits one thread gives. `createBackend`
   * defaults to 1.
   */
  threads?: number | 'auto';
}

const INIT_KEYS = keysOf<InitOptions>()(['backend', 'relaxed', 'module', 'maxMemory', 'debug', 'threads']);
/** Most threads a pool may have. */
export const MAX_THREADS = 64;
let current: Backend | null = null;
/** init() calls so far, and which of them set the backend in use (a later call wins, whichever finishes first). */
let calls = 0, applied = 0;

function checkOptions(opts: InitOptions): void {
  if (opts === null || typeof opts !== 'object') throw argError('init', 'options', 'an object', opts);
  checkKeys('init', 'options', opts, INIT_KEYS);
  if (opts.backend !== undefined && !NAMES.includes(opts.backend)) {
    throw argError('init', 'options.backend', `one of ${NAMES.map((n) => `'${n}'`).join(', ')}`, opts.backend);
  }
  if (opts.maxMemory !== undefined && !(typeof opts.maxMemory === 'number' && opts.maxMemory >= 1 << 20 && opts.maxMemory <= MAX_HEAP_BYTES)) {
    throw argError('init', 'options.maxMemory', `a number of bytes in [1048576, ${MAX_HEAP_BYTES}] (2 GiB: what int32 byte offsets address)`, opts.maxMemory);
  }
  if (opts.debug !== undefined && typeof opts.debug !== 'boolean') throw argError('init', 'options.debug', 'true or false', opts.debug);
  if (opts.relaxed !== undefined && typeof opts.relaxed !== 'boolean') throw argError('init', 'options.relaxed', 'true or false', opts.relaxed);
  const t = opts.threads;
  if (t !== undefined && t !== 'auto' && !(typeof t === 'number' && Number.isInteger(t) && t >= 1 && t <= MAX_THREADS)) {
    throw argError('init', 'options.threads', `an integer in [1, ${MAX_THREADS}] or 'auto'`, t);
  }
}

function withDebug(be: Backend, debug: boolean | undefined): Backend {
  if (!(debug ?? debugFromEnv())) return be;
  return { ...be, k: checkedKernels(be.k, be.heap) };
}

/** The backend `init` would choose here, without loading anything. */
export function bestBackend(relaxed = false): BackendName {
  const f = detectFeatures();
  if (relaxed && f.relaxedSimd) return 'wasm-relaxed';
  if (f.simd) return 'wasm-simd';
  if (f.wasm) return 'wasm';
  return 'js';
}

function unavailable(name: BackendName): SimdRnnError {
  return new SimdRnnError('BACKEND_UNAVAILABLE',
    `init: backend '${name}' is not supported by this runtime (detected: ${JSON.stringify(detectFeatures())})`);
}

/** Creates a backend with its own heap, without making it the current one (tests, benchmarks). */
export async function createBackend(name: BackendName, opts: Omit<InitOptions, 'backend'> = {}): Promise<Backend> {
  checkOptions(opts);
  if (name === 'js') {
    // Loaded when chosen: where wasm runs, an application's bundle need not load the JS kernels.
    const { createJsBackend } = await import('./js/index.js');
    return withDebug(createJsBackend(opts.maxMemory), opts.debug);
  }
  const f = detectFeatures();
  if (!f.wasm || (name === 'wasm-simd' && !f.simd) || (name === 'wasm-relaxed' && !f.relaxedSimd)) throw unavailable(name);
  const want = opts.threads ?? 1;
  if ((name === 'wasm-simd' || name === 'wasm-relaxed') && want !== 1 && f.threads && opts.module === undefined) {
    try {
      // Loaded only where threads can run (bundlers make it a chunk of its own, which a page
      // without cross-origin isolation never loads).
      const { createThreadedBackend, autoThreads } = await import('./threaded.js');
      const n = want === 'auto' ? await autoThreads() : want;
      // 'auto' does not wait for the workers (a cold start should not pay for them); a number does.
      if (n > 1) return withDebug(await createThreadedBackend(n, undefined, opts.maxMemory, want !== 'auto', name), opts.debug);
    } catch {
      // e.g. a shared memory of that maximum cannot be reserved: one thread.
    }
  }
  return withDebug(await createWasmBackend(name as WasmFlavor, opts.module, opts.maxMemory), opts.debug);
}

/**
 * Picks and loads the backend: wasm SIMD, then wasm scalar, then JS (or the
 * one you force). Returns its name. Where wasm is present but cannot be
 * instantiated (e.g. a content-security policy without 'wasm-unsafe-eval')
 * and no backend was forced, it falls back to JS.
 *
 * @example
 * import { init } from 'simd-rnn';
 * await init();                    // 'wasm-simd' on any current runtime
 * await init({ backend: 'js' });   // force the pure-JS backend
 */
export async function init(opts: InitOptions = {}): Promise<BackendName> {
  checkOptions(opts);
  const call = ++calls;
  opts = { ...opts, threads: opts.threads ?? 'auto' };
  if (opts.backend) return use(await createBackend(opts.backend, opts), call);
  const order: BackendName[] = [];
  const best = bestBackend(opts.relaxed);
  for (const n of NAMES) if (NAMES.indexOf(n) >= NAMES.indexOf(best)) order.push(n);
  let lastError: unknown;
  for (const n of order) {
    try {
      return use(await createBackend(n, n === best ? opts : { maxMemory: opts.maxMemory, debug: opts.debug, threads: opts.threads }), call);
    } catch (e) {
      lastError = e;
      if (opts.module !== undefined) throw e; // a Module the caller gave us must work
    }
  }
  throw lastError;
}

/**
 * Synchronous init from a compiled Module (edge runtimes).
 *
 * @example
 * import wasm from 'simd-rnn/wasm/simd-rnn.simd.wasm';
 * initSync({ module: wasm });
 */
export function initSync(opts: InitOptions & { module: WebAssembly.Module }): BackendName {
  checkOptions(opts);
  if (!(opts.module instanceof WebAssembly.Module)) {
    throw argError('initSync', 'options.module', 'a compiled WebAssembly.Module', opts.module);
  }
  const name = opts.backend ?? 'wasm-simd';
  if (name === 'js') throw argError('initSync', 'options.backend', "a wasm backend when a module is given", name);
  return use(withDebug(createWasmBackendSync(name as WasmFlavor, opts.module, opts.maxMemory), opts.debug), ++calls);
}

// The backend in use from now on, unless a later init() call has set one
// already (calls in flight at once: the last one made wins, as if they had
// run in turn). The backend replaced, or the one not used, stops its threads
// (models made on it keep working, on one thread).
function use(be: Backend, call: number): BackendName {
  if (call < applied) {
    void be.pool?.stop();
    return be.name;
  }
  applied = call;
  if (current && current !== be) void current.pool?.stop();
  current = be;
  return be.name;
}

/**
 * Threads the backend in use splits large kernel calls over (1: none; see
 * `init`'s `threads`).
 *
 * @example
 * await init({ threads: 'auto' });
 * threads();   // 2 on a 2-core machine; 1 in a Worker, a page without cross-origin isolation, or the JS backend
 */
export function threads(): number {
  return getBackend().pool?.size ?? 1;
}

/**
 * Stops the library's threads: the workers of the backend in use exit, and
 * the memory they held returns to the heap once they have (the promise).
 * Everything made so far goes on working, on the calling thread, with the
 * same results; `init()` starts threads again. A no-op without threads, or
 * before `init()`. A process whose pool is idle exits without this.
 *
 * @example
 * await init({ threads: 2 });
 * // … train, predict …
 * await dispose();   // threads() is 1 from here on
 */
export function dispose(): Promise<void> {
  return current?.pool?.stop() ?? Promise.resolve();
}

/** The name of the backend in use. */
export function backend(): BackendName {
  return getBackend().name;
}

/** The backend in use (throws if init() has not run). */
export function getBackend(): Backend {
  if (!current) throw new SimdRnnError('NOT_INITIALIZED', 'simd-rnn: call `await init()` before using the library');
  return current;
}
