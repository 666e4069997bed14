// Every kernel the wasm builds export. Pointers are byte offsets into this
// module's memory; the JS side owns allocation above heap_base().
export { scratch_bytes, set_scratch } from './scratch';
export * from './gemm';
export * from './vector';
export * from './activations';
export * from './rnn_cell';
export * from './lstm_cell';
export * from './gru_cell';
export { f32_layer_norm_rows } from './layer_norm';
export * from './ln_lstm_cell';
export * from './ln_gru_cell';
export * from './attention';
export * from './optim';
export * from './losses';
export * from './int8';

/** First byte the JS heap may use (after the kernels' static scratch). */
export function heap_base(): usize {
  return __heap_base;
}
