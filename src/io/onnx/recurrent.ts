// A recurrent layer as ONNX nodes: its weights moved from PyTorch's gate
// order to ONNX's (LSTM i,f,g,o → i,o,f,c; GRU r,z,n → z,r,h with
// linear_before_reset = 1, which is PyTorch's GRU), whole sequences (the
// operators' sequence_lens skip padding as predict does) and one step from
// given states (a decoder's).
import { SimdRnnError } from '../../errors.js';
import type { Recurrent } from '../../layers/recurrent/index.js';
import type { Attr, Graph } from './graph.js';

/** Rows of a [G·H, K] matrix reordered by gate blocks (order lists source gate indices). */
function reorder(src: Float32Array, H: number, K: number, order: number[]): Float32Array {
  const out = new Float32Array(src.length);
  order.forEach((g, j) => out.set(src.subarray(g * H * K, (g + 1) * H * K), j * H * K));
  return out;
}

/** Refuses what ONNX's LSTM, GRU and RNN operators cannot express. */
export function checkExportable(where: string, layer: Recurrent): void {
  if (layer.layerNorm) {
    throw new SimdRnnError('INVALID_ARGUMENT', `${where}: layer is a layer-normalized ${layer.cell}, and ONNX has no such operator (its LSTM and GRU have no normalization inside the recurrence)`);
  }
  if (layer.residual) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: layer has residual connections, which ONNX's LSTM and GRU operators have no attribute for`);
}

interface LayerOp {
  op: 'LSTM' | 'GRU' | 'RNN';
  attrs: [string, Attr][];
  /** W, R and B of stacked layer l, as initializers. */
  weights(l: number): [string, string, string];
}

function layerOp(g: Graph, layer: Recurrent): LayerOp {
  const cell = layer.cell, G = cell === 'LSTM' ? 4 : cell === 'GRU' ? 3 : 1, H = layer.hiddenSize, D = layer.bidirectional ? 2 : 1;
  const order = cell === 'LSTM' ? [0, 3, 1, 2] : cell === 'GRU' ? [1, 0, 2] : [0]; // ONNX position ← PyTorch gate
  const op = cell === 'LSTM' ? 'LSTM' : cell === 'GRU' ? 'GRU' : 'RNN';
  const sd = layer.stateDict();
  const attrs: [string, Attr][] = [['hidden_size', H], ['direction', D === 2 ? 'bidirectional' : 'forward']];
  if (cell === 'GRU') attrs.push(['linear_before_reset', 1]);
  if (op === 'RNN') attrs.push(['activations', new Array<string>(D).fill(cell === 'RNN_RELU' ? 'Relu' : 'Tanh')]);
  const weights = (l: number): [string, string, string] => {
    const I = l === 0 ? layer.inputSize : D * H;
    const W = new Float32Array(D * G * H * I), R = new Float32Array(D * G * H * H), Bb = new Float32Array(D * 2 * G * H);
    for (let d = 0; d < D; d++) {
      const s = `l${l}${d ? '_reverse' : ''}`;
      W.set(reorder(sd[`weight_ih_${s}`]!.data, H, I, order), d * G * H * I);
      R.set(reorder(sd[`weight_hh_${s}`]!.data, H, H, order), d * G * H * H);
      if (layer.bias) {
        Bb.set(reorder(sd[`bias_ih_${s}`]!.data, H, 1, order), d * 2 * G * H);
        Bb.set(reorder(sd[`bias_hh_${s}`]!.data, H, 1, order), d * 2 * G * H + G * H);
      }
    }
    return [g.f32('W', [D, G * H, I], W), g.f32('R', [D, G * H, H], R), g.f32('B', [D, 2 * G * H], Bb)];
  };
  return { op, attrs, weights };
}

/**
 * The layer's nodes over whole sequences, reading x [T, B, I] (and
 * sequence_lens, int32 [B], if given): y [T, B, D·H] and the top stacked
 * layer's final h [D, B, H].
 */
export function recurrentNodes(g: Graph, layer: Recurrent, x: string, lens: string | null): { y: string; yh: string } {
  const { op, attrs, weights } = layerOp(g, layer), D = layer.bidirectional ? 2 : 1;
  const shape = g.i64('shape', [3], [0, 0, D * layer.hiddenSize]); // 0 = keep that dimension
  let yh = '';
  for (let l = 0; l < layer.numLayers; l++) {
    const inputs = [x, ...weights(l)];
    if (lens) inputs.push(lens);
    const [Y, Yh] = g.op(op, inputs, attrs, 2) as [string, string];
    // Y is [T, D, B, H]: to [T, B, D, H], then [T, B, D·H].
    x = g.op1('Reshape', [g.op1('Transpose', [Y], [['perm', [0, 2, 1, 3]]]), shape]);
    yh = Yh;
  }
  return { y: x, yh };
}

/**
 * One step of a unidirectional layer from states h (and c for an LSTM),
 * [L, B, H] each, reading x [B, I]: the top layer's output [B, H] and the
 * new states, [L, B, H].
 */
export function stepNodes(g: Graph, layer: Recurrent, x: string, h: string, c: string | null): { y: string; h: string; c: string | null } {
  const { op, attrs, weights } = layerOp(g, layer), lstm = op === 'LSTM';
  const axis0 = g.i64('axes', [1], [0]), axis1 = g.i64('axes', [1], [1]);
  let cur = g.op1('Unsqueeze', [x, axis0]); // [1, B, I]
  const hs: string[] = [], cs: string[] = [];
  for (let l = 0; l < layer.numLayers; l++) {
    const at = (s: string): string => g.op1('Slice', [s, g.i64('start', [1], [l]), g.i64('end', [1], [l + 1]), axis0]); // [1, B, H]
    const inputs = [cur, ...weights(l), '', at(h)];
    if (lstm) inputs.push(at(c!));
    const outs = g.op(op, inputs, attrs, lstm ? 3 : 2);
    cur = g.op1('Squeeze', [outs[0]!, axis1]); // Y [1, 1, B, H] → [1, B, H]
    hs.push(outs[1]!);
    if (lstm) cs.push(outs[2]!);
  }
  const cat = (xs: string[]): string => (xs.length === 1 ? xs[0]! : g.op1('Concat', xs, [['axis', 0]]));
  return { y: g.op1('Squeeze', [cur, axis0]), h: cat(hs), c: lstm ? cat(cs) : null };
}
