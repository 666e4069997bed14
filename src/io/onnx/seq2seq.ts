// A Seq2Seq as two ONNX graphs: the encoder (sources → keys, their mask and
// the decoder's initial states, through the bridge) and one decoder step
// (previous token and states → log-probabilities of the next token, the
// new states and the attention weights), so that any ONNX runtime can
// decode greedily, by beam search or by sampling, driving the step graph
// one token at a time as translate drives the model.
import type { Seq2Seq } from '../../model/seq2seq/seq2seq.js';
import type { Tensor } from '../../tensor.js';
import { Graph, FLOAT, INT32, INT64 } from './graph.js';
import { checkExportable, recurrentNodes, stepNodes } from './recurrent.js';

/** The two graphs of a Seq2Seq export. */
export interface Seq2SeqOnnx {
  /**
   * Inputs "src" int64 [B, S] (token ids, padded) and "src_lengths" int32
   * [B] (each ≥ 1). Outputs: "h" [L, B, H] (the bridge: the decoder's
   * initial state), "c" [L, B, H] (zeros; LSTM decoders only), and with
   * attention "keys" [B, S, K] (the encoder's outputs, zeros at padding),
   * "src_mask" float32 [B, S] (1 at real positions) and "feed" [B, H]
   * (zeros: the first step's attentional state).
   */
  encoder: Uint8Array;
  /**
   * One decoder step. Inputs: "token" int64 [B] (bos first, then the
   * previous output), "h" (and "c"), and with attention "feed", "keys" and
   * "src_mask": the encoder's, then h, c and feed from the previous step's
   * "h_out", "c_out" and "feed_out". Outputs: "log_probs" [B, V]
   * (log-softmax of the next token), "h_out" (and "c_out"), and with
   * attention "feed_out" [B, H] (the attentional state h̃) and "attention"
   * [B, S] (the weights, 0 at padding).
   */
  decoder: Uint8Array;
}

const OPSET = 14;

/** Wᵀ of a [rows, cols] matrix, for MatMul from the right. */
function transposed(w: Tensor): Float32Array {
  const [R, C] = w.shape as [number, number], out = new Float32Array(R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[c * R + r] = w.data[r * C + c]!;
  return out;
}

/** x [.., rows-of-Wᵀ] · Wᵀ (+ bias). */
function linear(g: Graph, x: string, w: Tensor, bias?: Tensor): string {
  const [O, I] = w.shape as [number, number];
  const y = g.op1('MatMul', [x, g.f32('weight', [I, O], transposed(w))]);
  return bias ? g.op1('Add', [y, g.f32('bias', [O], bias.data)]) : y;
}

export function seq2seqToOnnx(model: Seq2Seq, where: string): Seq2SeqOnnx {
  const m = model.modules;
  checkExportable(`${where} (encoder)`, m.encoder);
  checkExportable(`${where} (decoder)`, m.decoder);
  const c = model.config(), sd = model.stateDict();
  return { encoder: encoderGraph(model, sd, c.attention !== 'none'), decoder: stepGraph(model, sd) };
}

function encoderGraph(model: Seq2Seq, sd: Record<string, Tensor>, attention: boolean): Uint8Array {
  const m = model.modules, c = model.config(), g = new Graph();
  const He = c.encoder.hiddenSize, D = c.encoder.bidirectional ? 2 : 1, K = D * He, L = c.decoder.numLayers, H = c.decoder.hiddenSize;
  const src = g.input('src', INT64, ['B', 'S']), lens = g.input('src_lengths', INT32, ['B']);
  const ids = g.op1('Transpose', [src], [['perm', [1, 0]]]); // [S, B]
  const x = g.op1('Gather', [g.f32('src_embedding', [c.srcVocab, c.embeddingDim], sd['src_embedding.weight']!.data), ids]);
  const { y, yh } = recurrentNodes(g, m.encoder, x, lens);
  // Bridge: h0 of every decoder layer = tanh(W [h→; h←] + b), from the top encoder layer's final states.
  const fin = g.op1('Reshape', [g.op1('Transpose', [yh], [['perm', [1, 0, 2]]]), g.i64('shape', [2], [0, K])]); // [B, K]
  const bridged = g.op1('Tanh', [linear(g, fin, sd['bridge.weight']!, sd['bridge.bias'])]); // [B, L·H]
  const h = g.op1('Transpose', [g.op1('Reshape', [bridged, g.i64('shape', [3], [0, L, H])])], [['perm', [1, 0, 2]]]);
  g.op('Identity', [h], [], ['h']);
  g.output('h', FLOAT, [L, 'B', H]);
  if (c.decoder.cell === 'lstm') {
    g.op('ConstantOfShape', [g.op1('Shape', [h])], [], ['c']); // float32 zeros
    g.output('c', FLOAT, [L, 'B', H]);
  }
  if (attention) {
    // src_mask [B, S]: 1 where s < src_lengths[b].
    const S = g.op1('Gather', [g.op1('Shape', [src]), g.i64('one', [1], [1])], [['axis', 0]]); // [1]
    const steps = g.op1('Range', [g.i64('zero', [], [0]), g.op1('Squeeze', [S, g.i64('axes', [1], [0])]), g.i64('one', [], [1])]);
    const less = g.op1('Less', [g.op1('Unsqueeze', [steps, g.i64('axes', [1], [0])]), g.op1('Unsqueeze', [g.op1('Cast', [lens], [['to', INT64]]), g.i64('axes', [1], [1])])]);
    const mask = g.op('Cast', [less], [['to', FLOAT]], ['src_mask'])[0]!;
    g.output('src_mask', FLOAT, ['B', 'S']);
    const keys = g.op1('Transpose', [y], [['perm', [1, 0, 2]]]); // [B, S, K]
    g.op('Mul', [keys, g.op1('Unsqueeze', [mask, g.i64('axes', [1], [2])])], [], ['keys']);
    g.output('keys', FLOAT, ['B', 'S', K]);
    const B = g.op1('Gather', [g.op1('Shape', [src]), g.i64('zero', [1], [0])], [['axis', 0]]);
    g.op('ConstantOfShape', [g.op1('Concat', [B, g.i64('width', [1], [H])], [['axis', 0]])], [], ['feed']);
    g.output('feed', FLOAT, ['B', H]);
  }
  return g.model('simd-rnn Seq2Seq encoder', OPSET);
}

function stepGraph(model: Seq2Seq, sd: Record<string, Tensor>): Uint8Array {
  const m = model.modules, c = model.config(), g = new Graph();
  const L = c.decoder.numLayers, H = c.decoder.hiddenSize, K = c.encoder.hiddenSize * (c.encoder.bidirectional ? 2 : 1), V = c.tgtVocab;
  const lstm = c.decoder.cell === 'lstm', att = c.attention, A = c.attentionSize;
  const token = g.input('token', INT64, ['B']);
  const h = g.input('h', FLOAT, [L, 'B', H]), cc = lstm ? g.input('c', FLOAT, [L, 'B', H]) : null;
  let x = g.op1('Gather', [g.f32('tgt_embedding', [c.tgtVocab, c.embeddingDim], sd['tgt_embedding.weight']!.data), token]); // [B, E]
  let feed = '', keys = '', mask = '';
  if (att !== 'none') {
    feed = g.input('feed', FLOAT, ['B', H]);
    keys = g.input('keys', FLOAT, ['B', 'S', K]);
    mask = g.input('src_mask', FLOAT, ['B', 'S']);
    x = g.op1('Concat', [x, feed], [['axis', 1]]); // input feeding
  }
  const step = stepNodes(g, m.decoder, x, h, cc);
  g.op('Identity', [step.h], [], ['h_out']);
  if (step.c) g.op('Identity', [step.c], [], ['c_out']);
  let out = step.y; // [B, H]
  if (att !== 'none') {
    const q = step.y, axis1 = g.i64('axes', [1], [1]), axis2 = g.i64('axes', [1], [2]);
    let scores: string;
    if (att === 'bahdanau') {
      // vᵀ tanh(W_q q + b_q + W_k k_j)
      const pq = g.op1('Unsqueeze', [linear(g, q, sd['attention.linear_query.weight']!, sd['attention.linear_query.bias']), axis1]); // [B, 1, A]
      const pk = linear(g, keys, sd['attention.linear_context.weight']!); // [B, S, A]
      const e = g.op1('Tanh', [g.op1('Add', [pk, pq])]);
      scores = g.op1('Squeeze', [g.op1('MatMul', [e, g.f32('v', [A, 1], sd['attention.v']!.data)]), axis2]);
    } else {
      const qk = att === 'luong-general' ? linear(g, q, sd['attention.linear_in.weight']!) : q; // [B, K]
      scores = g.op1('Squeeze', [g.op1('MatMul', [keys, g.op1('Unsqueeze', [qk, axis2])]), axis2]); // [B, S]
    }
    // Padding gets −∞, so zero weight after the softmax.
    const masked = g.op1('Where', [g.op1('Greater', [mask, g.f32('half', [], Float32Array.of(0.5))]), scores, g.f32('neg_inf', [], Float32Array.of(-Infinity))]);
    const alpha = g.op('Softmax', [masked], [['axis', 1]], ['attention'])[0]!;
    const ctx = g.op1('Squeeze', [g.op1('MatMul', [g.op1('Unsqueeze', [alpha, axis1]), keys]), axis1]); // [B, K]
    out = g.op1('Tanh', [linear(g, g.op1('Concat', [ctx, q], [['axis', 1]]), sd['attention.linear_out.weight']!)]);
    g.op('Identity', [out], [], ['feed_out']);
  }
  g.op('LogSoftmax', [linear(g, out, sd['generator.weight']!, sd['generator.bias'])], [['axis', 1]], ['log_probs']);
  g.output('log_probs', FLOAT, ['B', V]);
  g.output('h_out', FLOAT, [L, 'B', H]);
  if (lstm) g.output('c_out', FLOAT, [L, 'B', H]);
  if (att !== 'none') {
    g.output('feed_out', FLOAT, ['B', H]);
    g.output('attention', FLOAT, ['B', 'S']);
  }
  return g.model('simd-rnn Seq2Seq decoder step', OPSET);
}
