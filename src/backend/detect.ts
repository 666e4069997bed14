// Feature detection, done once, by validating tiny probe modules (the way
// tfjs-backend-wasm does): no instantiation, no network.

// (module (func (result v128) i32.const 0 i8x16.splat))
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00,
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0xfd, 0x0f, 0x0b,
]);

// (module (func (result v128) (f32x4.relaxed_madd (splat 0) (splat 0) (splat 0))))
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00,
  0x0a, 0x13, 0x01, 0x11, 0x00,
  0x41, 0x00, 0xfd, 0x0f, 0x41, 0x00, 0xfd, 0x0f, 0x41, 0x00, 0xfd, 0x0f,
  0xfd, 0x85, 0x02, 0x0b,
]);

/** What the runtime supports: WebAssembly at all, baseline SIMD, relaxed SIMD. */
export interface Features {
  /** WebAssembly is available. */
  wasm: boolean;
  /** Baseline 128-bit SIMD validates. */
  simd: boolean;
  /** Relaxed SIMD validates. */
  relaxedSimd: boolean;
  /**
   * Shared wasm memory works and workers can be started (Node's
   * worker_threads; Web Workers where the page is cross-origin isolated):
   * what threads need.
   */
  threads: boolean;
}

let cached: Features | null = null;

function validate(bytes: Uint8Array<ArrayBuffer>): boolean {
  try {
    return WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

/** What this runtime's WebAssembly supports (cached after the first call). */
export function detectFeatures(): Features {
  if (cached) return cached;
  const wasm = typeof WebAssembly === 'object' && typeof WebAssembly.validate === 'function';
  cached = {
    wasm,
    simd: wasm && validate(SIMD_PROBE),
    relaxedSimd: wasm && validate(RELAXED_PROBE),
    threads: wasm && sharedMemory() && workers(),
  };
  return cached;
}

function sharedMemory(): boolean {
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return false;
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) return false;
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

function workers(): boolean {
  const g = globalThis as { process?: { versions?: { node?: string } }; Worker?: unknown; Blob?: unknown; Deno?: unknown };
  if (g.Deno) return false; // its workers would keep every script alive (no unref)
  return Boolean(g.process?.versions?.node) || (typeof g.Worker === 'function' && typeof g.Blob === 'function');
}
