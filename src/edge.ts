// The entry for Cloudflare Workers and Vercel Edge (the "workerd" and
// "edge-light" export conditions). Those runtimes refuse to compile wasm from
// bytes, so the builds are imported as modules, which their bundlers hand
// over already compiled; `init()` then needs no file and no fetch.
import simd from '../wasm/simd-rnn.simd.wasm';
import scalar from '../wasm/simd-rnn.wasm';
import { init as initAny, initSync, detectFeatures, type InitOptions, type BackendName } from './backend/index.js';

export * from './index.js';

/**
 * Like the main entry's `init`, with the wasm builds that came in as modules.
 *
 * @example
 * import { init, io } from 'simd-rnn';   // resolves here under workerd / edge-light
 * await init();
 */
export async function init(opts: InitOptions = {}): Promise<BackendName> {
  if (opts.backend === 'js' || opts.module !== undefined || opts.relaxed) return initAny(opts);
  const useSimd = opts.backend === undefined ? detectFeatures().simd : opts.backend === 'wasm-simd';
  return initSync({ ...opts, module: useSimd ? simd : scalar, backend: useSimd ? 'wasm-simd' : 'wasm' });
}
