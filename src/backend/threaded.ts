// The threaded build as a backend: wasm/simd-rnn.threads.wasm (or its
// relaxed-SIMD twin) instantiated over one shared memory, its kernels cut
// across a ThreadPool (threads.ts). Loaded with import() only where threads
// can run: a page without cross-origin isolation never fetches it.
import { MAX_HEAP_BYTES } from './heap.js';
import type { Backend } from './backend.js';
import { fetchBytes, threadsWasmUrl, toBackend, type WasmExports, type WasmSource } from './wasm.js';
import { parallelKernels } from './splits.js';
import { ThreadPool } from './threads.js';
import { stepPrograms } from './steps.js';
import { backgroundRows } from './background.js';
import { claimedParts } from './claimed.js';
import { lanePrograms } from './lanes.js';
import { PROG, progsOf } from './worker.js';

export { autoThreads } from './worker.js';

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
  const claimed = claimedParts(pool, single.heap);
  const k = parallelKernels(exports, pool, n, claimed);
  pool.kernels = k;
  pool.stepper = stepPrograms(pool, single.heap, exports, claimed);
  pool.rows = backgroundRows(pool, single.heap, exports);
  pool.laner = lanePrograms(pool, single.heap, exports, progsOf(n) * PROG);
  return { name: flavor, heap: single.heap, k, pool };
}
