/**
 * simd-rnn: recurrent neural networks (RNN, LSTM, GRU) for JavaScript
 * runtimes, with kernels in WebAssembly SIMD and a pure-JS fallback.
 *
 * @example
 * import { init, backend } from 'simd-rnn';
 * await init();
 * console.log(backend()); // 'wasm-simd'
 *
 * @packageDocumentation
 */
export { init, initSync, backend, getBackend, createBackend, bestBackend, detectFeatures, KERNEL_NAMES, packedSize, Heap } from './backend/index.js';
export type { Backend, BackendName, Kernels, InitOptions, WasmSource } from './backend/index.js';
export { tensor, numel } from './tensor.js';
export type { Tensor } from './tensor.js';
export { SimdRnnError } from './errors.js';
export type { ErrorCode } from './errors.js';
