// The wasm backends: one AssemblyScript source built three ways (scalar,
// SIMD, relaxed SIMD). Node reads the .wasm file next to the package;
// browsers fetch it relative to this module; edge runtimes (Workers, Vercel
// Edge), which refuse to compile bytes, hand over a compiled Module.
// The kernels import nothing and exchange only numbers, so the plain
// WebAssembly API is all we need (@assemblyscript/loader's instantiate cost
// 17.5 ms of a 50 ms cold start, for glue we do not use).
import type { Backend, BackendName, Kernels } from './backend.js';
import { KERNEL_NAMES } from './kernel_args.js';
import { Heap, wasmMemory } from './heap.js';
import { SimdRnnError } from '../errors.js';

export type WasmFlavor = 'wasm' | 'wasm-simd' | 'wasm-relaxed';

/** Anything a wasm build can be loaded from. */
export type WasmSource = WebAssembly.Module | ArrayBuffer | ArrayBufferView | Response | URL | string;

export interface WasmExports extends Kernels {
  memory: WebAssembly.Memory;
  heap_base(): number;
  scratch_bytes(): number;
  set_scratch(p: number): void;
}

/** Where each build lives, relative to this module (src/backend or dist/backend). */
export function wasmUrl(flavor: WasmFlavor): URL {
  // Written out literally so bundlers can see and copy the assets.
  switch (flavor) {
    case 'wasm-simd': return new URL('../../wasm/simd-rnn.simd.wasm', import.meta.url);
    case 'wasm-relaxed': return new URL('../../wasm/simd-rnn.relaxed.wasm', import.meta.url);
    default: return new URL('../../wasm/simd-rnn.wasm', import.meta.url);
  }
}

/** Where the threaded SIMD build lives (shared, imported memory; the same kernels). */
export function threadsWasmUrl(relaxed = false): URL {
  return relaxed ? new URL('../../wasm/simd-rnn.threads-relaxed.wasm', import.meta.url) : new URL('../../wasm/simd-rnn.threads.wasm', import.meta.url);
}

export async function fetchBytes(url: URL): Promise<ArrayBuffer | Response> {
  if (url.protocol === 'file:') {
    const fs = await import('node:fs/promises');
    const buf = await fs.readFile(url);
    return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  }
  const res = await fetch(url);
  if (!res.ok) throw new SimdRnnError('BACKEND_UNAVAILABLE', `wasm: fetching ${url.href} failed with HTTP ${res.status}`);
  return res;
}

export function toBackend(name: BackendName, exports: WasmExports, maxBytes?: number): Backend {
  for (const k of KERNEL_NAMES) {
    if (typeof exports[k] !== 'function') {
      throw new SimdRnnError('BACKEND_UNAVAILABLE', `wasm: the module does not export kernel ${k}; is it a simd-rnn build?`);
    }
  }
  const heap = new Heap(wasmMemory(exports.memory), exports.heap_base(), maxBytes);
  return { name, heap, k: exports };
}

/** Instantiates a wasm build from a compiled Module, synchronously. */
export function createWasmBackendSync(flavor: WasmFlavor, module: WebAssembly.Module, maxBytes?: number): Backend {
  const instance = new WebAssembly.Instance(module, {});
  return toBackend(flavor, instance.exports as unknown as WasmExports, maxBytes);
}

/** Loads and instantiates a wasm build (default: the file shipped with the package). */
export async function createWasmBackend(flavor: WasmFlavor, source?: WasmSource, maxBytes?: number): Promise<Backend> {
  if (source instanceof WebAssembly.Module) return createWasmBackendSync(flavor, source, maxBytes);
  let src: ArrayBuffer | ArrayBufferView | Response;
  if (source === undefined || typeof source === 'string' || source instanceof URL) {
    src = await fetchBytes(source === undefined ? wasmUrl(flavor) : new URL(String(source), import.meta.url));
  } else {
    src = source;
  }
  let module: WebAssembly.Module;
  // Bytes first: touching the global Response in Node loads its fetch stack (~6 ms of cold start).
  if (src instanceof ArrayBuffer || ArrayBuffer.isView(src)) {
    module = await WebAssembly.compile(src as BufferSource);
  } else {
    const res = src as Response;
    try {
      module = await WebAssembly.compileStreaming(res.clone());
    } catch {
      module = await WebAssembly.compile(await res.arrayBuffer()); // e.g. served without application/wasm
    }
  }
  const instance = await WebAssembly.instantiate(module, {});
  return toBackend(flavor, instance.exports as unknown as WasmExports, maxBytes);
}
