// Export to ONNX (opset 14), for onnxruntime and the rest of its world.
//
// A recurrent layer becomes one ONNX LSTM / GRU / RNN node per stacked
// layer, with the weights reordered from PyTorch's gate order (LSTM i,f,g,o
// → ONNX i,o,f,c; GRU r,z,n → ONNX z,r,h with linear_before_reset = 1, which
// is PyTorch's GRU). A whole Sequential adds its embedding (Gather), its
// head (MatMul, Add, the activation) and its output mode; `lengths` become
// the operators' sequence_lens, so that padding is skipped exactly as
// predict skips it (each direction starts and ends at a sequence's own
// last valid step), and outputs at padding steps are zeros.
import { SimdRnnError, argError } from '../errors.js';
import { Recurrent } from '../layers/recurrent/index.js';
import { Linear } from '../layers/linear.js';
import { Embedding } from '../layers/embedding.js';
import { Dropout } from '../layers/dropout.js';
import { Sequential } from '../model/sequential.js';
import { checkKeys, keysOf } from '../util/keys.js';
import { Graph, FLOAT, INT32, INT64 } from './onnx/graph.js';
import { checkExportable, recurrentNodes } from './onnx/recurrent.js';
import { seq2seqToOnnx, type Seq2SeqOnnx } from './onnx/seq2seq.js';
import { Seq2Seq } from '../model/seq2seq/seq2seq.js';

/** Options of `io.toOnnx(model, options)` for a Sequential. */
export interface OnnxOptions {
  /**
   * Whether the graph takes `lengths` (int32 [B], each sequence's valid
   * steps, padding after) as a second input, like predict's lengths
   * (default true). Without it every step of every sequence is valid.
   */
  lengths?: boolean;
}

const OPTION_KEYS = keysOf<OnnxOptions>()(['lengths']);
const OPSET = 14;

/** The single layer: input "x" [T, B, inputSize] (time-major), output "y" [T, B, D·H]. */
function layerToOnnx(layer: Recurrent): Uint8Array {
  const where = 'io.toOnnx';
  if (layer.cell !== 'LSTM' && layer.cell !== 'GRU') {
    throw new SimdRnnError('INVALID_ARGUMENT', `${where}: layer is a ${layer.cell} layer, expected an LSTM or a GRU (a Sequential exports RNN layers too)`);
  }
  checkExportable(where, layer);
  const g = new Graph(), D = layer.bidirectional ? 2 : 1;
  const { y } = recurrentNodes(g, layer, g.input('x', FLOAT, ['T', 'B', layer.inputSize]), null);
  g.op('Identity', [y], [], ['y']);
  g.output('y', FLOAT, ['T', 'B', D * layer.hiddenSize]);
  return g.model(`simd-rnn ${layer.cell}`, OPSET);
}

/** The whole model: inputs "x" [B, T, F] (int64 [B, T] indices with an Embedding first) and "lengths"; output "y". */
function modelToOnnx(model: Sequential, opts: OnnxOptions): Uint8Array {
  const where = 'io.toOnnx';
  model.alive(where);
  const layers = model.layers, g = new Graph();
  const emb = layers[0] instanceof Embedding ? layers[0] : null;
  let lastRec = -1;
  layers.forEach((l, i) => { if (l instanceof Recurrent) lastRec = i; });
  for (const l of layers) if (l instanceof Recurrent) checkExportable(`${where} (layer ${layers.indexOf(l)})`, l);
  const x = emb ? g.input('x', INT64, ['B', 'T']) : g.input('x', FLOAT, ['B', 'T', model.inputSize]);
  const withLengths = opts.lengths !== false, lens = withLengths ? g.input('lengths', INT32, ['B']) : null;
  // Time-major inside, as the recurrent operators want it.
  let cur = g.op1('Transpose', [x], [['perm', emb ? [1, 0] : [1, 0, 2]]]);
  if (emb) cur = g.op1('Gather', [g.f32('embedding', [emb.numEmbeddings, emb.embeddingDim], emb.stateDict().weight!.data), cur]);
  let top: { y: string; yh: string } | null = null, width = emb ? emb.embeddingDim : model.inputSize;
  for (let i = emb ? 1 : 0; i <= lastRec; i++) {
    const l = layers[i]!;
    if (l instanceof Recurrent) {
      top = recurrentNodes(g, l, cur, lens);
      cur = top.y;
      width = l.hiddenSize * (l.bidirectional ? 2 : 1);
    } // a Dropout is the identity at inference
  }
  // mask [T, B, 1]: 1 at valid steps (t < lengths[b]), 0 at padding.
  let mask: string | null = null;
  if (lens) {
    const T = g.op1('Gather', [g.op1('Shape', [x]), g.i64('one', [], [1])], [['axis', 0]]);
    const steps = g.op1('Range', [g.i64('zero', [], [0]), T, g.i64('one', [], [1])]);
    const less = g.op1('Less', [g.op1('Unsqueeze', [steps, g.i64('axes', [1], [1])]), g.op1('Unsqueeze', [g.op1('Cast', [lens], [['to', INT64]]), g.i64('axes', [1], [0])])]);
    mask = g.op1('Unsqueeze', [g.op1('Cast', [less], [['to', FLOAT]]), g.i64('axes', [1], [2])]);
  }
  const out = model.output;
  if (out === 'last') {
    // Each direction's final state of the top layer, [D, B, H] → [B, D·H].
    cur = g.op1('Reshape', [g.op1('Transpose', [top!.yh], [['perm', [1, 0, 2]]]), g.i64('shape', [2], [0, width])]);
  } else if (out === 'mean') {
    if (mask) {
      const sum = g.op1('ReduceSum', [g.op1('Mul', [cur, mask]), g.i64('axes', [1], [0])], [['keepdims', 0]]);
      cur = g.op1('Div', [sum, g.op1('ReduceSum', [mask, g.i64('axes', [1], [0])], [['keepdims', 0]])]);
    } else {
      cur = g.op1('ReduceMean', [cur], [['axes', [0]], ['keepdims', 0]]);
    }
  }
  for (let i = lastRec + 1; i < layers.length; i++) {
    const l = layers[i]!;
    if (l instanceof Linear) {
      const sd = l.stateDict(), W = sd.weight!.data, I = l.inFeatures, O = l.outFeatures;
      const Wt = new Float32Array(I * O);
      for (let o = 0; o < O; o++) for (let k = 0; k < I; k++) Wt[k * O + o] = W[o * I + k]!;
      cur = g.op1('MatMul', [cur, g.f32('weight', [I, O], Wt)]);
      if (l.bias) cur = g.op1('Add', [cur, g.f32('bias', [O], sd.bias!.data)]);
      if (l.activation === 'tanh') cur = g.op1('Tanh', [cur]);
      else if (l.activation === 'relu') cur = g.op1('Relu', [cur]);
      else if (l.activation === 'sigmoid') cur = g.op1('Sigmoid', [cur]);
      width = O;
    } else if (!(l instanceof Dropout)) {
      throw argError(where, `model.layers[${i}]`, 'a Linear or a Dropout after the recurrent layers', l);
    }
  }
  if (out === 'all') {
    if (mask) cur = g.op1('Mul', [cur, mask]); // zeros at padding, as predict gives them
    cur = g.op1('Transpose', [cur], [['perm', [1, 0, 2]]]);
  }
  g.op('Identity', [cur], [], ['y']);
  g.output('y', FLOAT, out === 'all' ? ['B', 'T', width] : ['B', width]);
  return g.model(`simd-rnn Sequential (${out})`, OPSET);
}

/**
 * ONNX model bytes (opset 14) of a recurrent layer or a whole Sequential,
 * or the two graphs of a Seq2Seq.
 *
 * - A layer (LSTM or GRU; stacked, bidirectional): input "x" [T, B,
 *   inputSize] (time-major; T and B dynamic), output "y" [T, B, D·H].
 * - A Sequential (an Embedding, LSTM / GRU / RNN layers, Dropout, a head of
 *   Linear layers, any output mode): input "x", [B, T, F] float32 (or
 *   [B, T] int64 token ids with an Embedding first), and "lengths", int32
 *   [B] (unless `options.lengths` is false); output "y", [B, outputs] for
 *   'last' and 'mean', [B, T, outputs] for 'all' (zeros at padding steps):
 *   predict's numbers.
 * - A Seq2Seq: `{ encoder, decoder }`, the encoder (sources to the
 *   decoder's initial states and the attention's keys) and ONE decoder step
 *   (a token and the states to the next token's log-probabilities and the
 *   new states); see {@link Seq2SeqOnnx} for their inputs and outputs. A
 *   loop over the step graph decodes as translate does (the README has a
 *   greedy one). The Seq2Seq takes no options.
 *
 * Layer-normalized layers and residual connections have no ONNX operator
 * and are refused (INVALID_ARGUMENT), as is a lone RNN layer (ONNX's RNN is
 * exported inside a Sequential).
 *
 * @example
 * const session = await ort.InferenceSession.create(io.toOnnx(model));
 * const { y } = await session.run({ x: new ort.Tensor('float32', x.data, x.shape), lengths: new ort.Tensor('int32', lengths, [B]) });
 */
export function toOnnx(what: Recurrent | Sequential, options?: OnnxOptions): Uint8Array;
export function toOnnx(what: Seq2Seq): Seq2SeqOnnx;
export function toOnnx(what: Recurrent | Sequential | Seq2Seq, options: OnnxOptions = {}): Uint8Array | Seq2SeqOnnx {
  const where = 'io.toOnnx';
  if (options === null || typeof options !== 'object') throw argError(where, 'options', 'an object', options);
  checkKeys(where, 'options', options, OPTION_KEYS);
  if (options.lengths !== undefined && typeof options.lengths !== 'boolean') throw argError(where, 'options.lengths', 'a boolean', options.lengths);
  if (what instanceof Sequential) return modelToOnnx(what, options);
  if (what instanceof Seq2Seq) {
    if (options.lengths !== undefined) throw argError(where, 'options.lengths', 'no value for a Seq2Seq (its encoder always takes src_lengths)', options.lengths);
    what.alive(where);
    return seq2seqToOnnx(what, where);
  }
  if (what instanceof Recurrent) {
    if (options.lengths !== undefined) throw argError(where, 'options.lengths', 'no value for a single layer (its graph has no lengths input)', options.lengths);
    return layerToOnnx(what);
  }
  throw argError(where, 'model', 'a Sequential, a Seq2Seq or a recurrent layer (LSTM, GRU)', what);
}
