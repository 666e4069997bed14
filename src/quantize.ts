// quantize(): int8 weights for inference (PyTorch's dynamic quantization,
// with one scale per row of the weights and per row of each step's input).
import { SimdRnnError, argError } from './errors.js';
import { checkKeys, keysOf } from './util/keys.js';
import { Recurrent } from './layers/recurrent/index.js';
import { Sequential } from './model/sequential.js';
import { Linear } from './layers/linear.js';
import { Seq2Seq } from './model/seq2seq/seq2seq.js';
import { save, load } from './io/model.js';

/** Options of quantize(). */
export interface QuantizeOptions {
  /** The weights' type: 'int8' (the only one). */
  dtype?: 'int8';
}
const QUANTIZE_KEYS = keysOf<QuantizeOptions>()(['dtype']);

/**
 * A copy of a recurrent layer (RNN, LSTM, GRU, stacked, bidirectional,
 * layer-normalized) or a Linear layer, or of a Sequential model with those
 * layers so (embeddings stay f32), whose products run in int8: every weight matrix is
 * quantized once, symmetric, one scale per output row; each step's input
 * rows are quantized on the fly, one scale per row of the batch; the
 * products accumulate in int32 and are dequantized with the bias fused.
 * Biases, cells and norms stay f32. The copy holds each weight matrix in
 * int8 only (a quarter of the f32 bytes, and no gradients): its `stateDict()`
 * gives the matrices as int8 · scale, what it computes with. It runs
 * `forward` and `step` (inference only: `backward`, `gradStateDict` and a
 * model's `compile` throw); what was given is left as it is. Loading new
 * weights into the copy (`loadStateDict`) quantizes them again.
 *
 * @example
 * const q = quantize(lstm, { dtype: 'int8' });
 * q.forward(x).output;   // within the int8 rounding of lstm.forward(x).output
 */
export function quantize<L extends Recurrent | Linear | Sequential | Seq2Seq>(layer: L, opts: QuantizeOptions = {}): L {
  const where = 'quantize';
  if (!(layer instanceof Recurrent) && !(layer instanceof Linear) && !(layer instanceof Sequential) && !(layer instanceof Seq2Seq)) {
    throw argError(where, 'layer', 'an RNN, LSTM, GRU or Linear layer, a Sequential or a Seq2Seq model', layer);
  }
  if (opts === null || typeof opts !== 'object') throw argError(where, 'options', 'an object', opts);
  checkKeys(where, 'options', opts, QUANTIZE_KEYS);
  if (opts.dtype !== undefined && opts.dtype !== 'int8') throw argError(where, 'options.dtype', "'int8'", opts.dtype);
  if ((layer instanceof Sequential || layer instanceof Seq2Seq) && layer.disposed) {
    throw new SimdRnnError('DISPOSED', `${where}: this ${layer instanceof Seq2Seq ? 'Seq2Seq' : 'Sequential'} was disposed; it refuses every call (make a new one)`);
  }
  if (layer instanceof Sequential) {
    if (layer.layers.some((l) => (l instanceof Recurrent || l instanceof Linear) && l.quantized)) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: the model is quantized already`);
    // A copy through the file format (the same weights and configuration), then its recurrent and Linear layers in int8.
    const copy = load<Sequential>(save(layer));
    copy.toInt8();
    return copy as L;
  }
  if (layer instanceof Seq2Seq) {
    if (layer.quantized) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: the model is quantized already`);
    // A copy through the file format; its encoder, decoder, bridge and generator in int8 (embeddings, attention stay f32).
    const copy = load<Seq2Seq>(save(layer));
    copy.toInt8();
    return copy as L;
  }
  if (layer instanceof Linear) {
    layer.checkAlive(where);
    if (layer.quantized) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: the layer is quantized already`);
    const { type: _t, ...config } = layer.config();
    const q = new Linear({ ...config, seed: 0 });
    q.loadStateDict(layer.stateDict());
    q.toInt8();
    return q as L;
  }
  layer.checkAlive(where);
  if (layer.quantized) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: the layer is quantized already`);
  const { type: _type, ...config } = layer.config();
  const Ctor = layer.constructor as new (o: object) => Recurrent;
  const q = new Ctor({ ...config, seed: 0 });
  q.loadStateDict(layer.stateDict());
  q.toInt8();
  return q as L;
}
