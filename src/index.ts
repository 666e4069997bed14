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
export { LSTM } from './layers/lstm.js';
export { GRU } from './layers/gru.js';
export { RNN } from './layers/rnn.js';
export type { RNNOptions } from './layers/rnn.js';
export { Recurrent } from './layers/recurrent.js';
export type { RecurrentOptions, ForwardOptions, ForwardResult, BackwardOptions, BackwardResult, StreamState, CellType } from './layers/recurrent.js';
export * as io from './io/index.js';
