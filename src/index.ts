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
export { init, initSync, threads, dispose, MAX_THREADS, backend, getBackend, createBackend, bestBackend, detectFeatures, KERNEL_NAMES, KERNELS, packedSize, Heap } from './backend/index.js';
export type { Backend, BackendName, Kernels, KernelSpec, InitOptions, WasmSource } from './backend/index.js';
export type { Features } from './backend/detect.js';
export type { Extent } from './backend/kernels.js';
export type { HeapOwner, HeapMemory } from './backend/heap.js';
export { tensor, numel } from './tensor.js';
export type { Tensor } from './tensor.js';
export { SimdRnnError } from './errors.js';
export type { ErrorCode } from './errors.js';
export { LSTM } from './layers/lstm.js';
export { GRU } from './layers/gru.js';
export { RNN } from './layers/rnn.js';
export type { RNNOptions } from './layers/rnn.js';
export { Recurrent } from './layers/recurrent/index.js';
export { quantize } from './quantize.js';
export type { QuantizeOptions } from './quantize.js';
export type { RecurrentOptions, ForwardOptions, ForwardResult, BackwardOptions, BackwardResult, StreamState, CellType, RecurrentConfig } from './layers/recurrent/index.js';
export type { Cell, CellParam, StepIO, StepGrad, StreamIO, DirWeights } from './layers/recurrent/cell.js';
export type { ParamSpec } from './layers/params.js';
export * as io from './io/index.js';
export { Linear } from './layers/linear.js';
export type { LinearOptions, Activation, LinearConfig } from './layers/linear.js';
export { Dropout } from './layers/dropout.js';
export type { DropoutOptions, DropoutConfig } from './layers/dropout.js';
export { Sequential } from './model/sequential.js';
export type { ModelState } from './model/sequential.js';
export type { SequentialOptions, CompileOptions, FitOptions, LoopOptions, PredictOptions, History, Logs, ModelLayer, StreamFitOptions, StreamEvalOptions, LayerConfig, SequentialConfig } from './model/contracts.js';
export type { Batch, BatchIterable, BatchSource } from './model/contracts.js';
export type { BatchOptions, EvalOptions } from './model/training.js';
export { optim, schedules } from './train/optim.js';
export type { Optimizer, OptimizerState, Schedule, SGDOptions, AdamOptions, RMSpropOptions, AdagradOptions } from './train/optim.js';
export { computeLoss } from './train/losses.js';
export type { LossName, MetricName, LossOptions, LossInput } from './train/losses.js';
export { padSequences } from './train/pad.js';
export type { PadOptions, Padded } from './train/pad.js';
export { Embedding } from './layers/embedding.js';
export type { EmbeddingOptions, EmbeddingConfig } from './layers/embedding.js';
export { Attention, attentionParamSpecs } from './layers/attention/attention.js';
export { Seq2Seq } from './model/seq2seq/seq2seq.js';
export type { Seq2SeqOptions, Seq2SeqConfig, EncoderOptions, DecoderOptions, AttentionKind, CellName, TokenTensor, Seq2SeqCompileOptions, Seq2SeqFitOptions, Seq2SeqEvalOptions, TranslateOptions, Translation } from './model/seq2seq/seq2seq.js';
export type { AttentionOptions, AttentionScore, AttentionConfig } from './layers/attention/attention.js';
