// Export of a recurrent layer (LSTM or GRU; stacked, bidirectional) to an
// ONNX model: one ONNX LSTM/GRU node per layer, with the weights reordered
// from PyTorch's gate order (LSTM i,f,g,o → ONNX i,o,f,c; GRU r,z,n → ONNX
// z,r,h with linear_before_reset = 1, which is PyTorch's GRU). Input "x"
// [T, B, inputSize]; output "y" [T, B, D·H]. The protobuf is written by hand
// (a few message types), so no dependency is needed.
import { SimdRnnError } from '../errors.js';
import type { Recurrent } from '../layers/recurrent/index.js';

// ---- minimal protobuf writer ----
class Pb {
  private parts: number[] = [];
  private varint(v: number): void {
    let n = BigInt(v);
    if (n < 0n) n += 1n << 64n;
    do {
      let b = Number(n & 0x7fn);
      n >>= 7n;
      if (n) b |= 0x80;
      this.parts.push(b);
    } while (n);
  }
  int(field: number, v: number): this { this.varint((field << 3) | 0); this.varint(v); return this; }
  bytes(field: number, b: Uint8Array): this {
    this.varint((field << 3) | 2);
    this.varint(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }
  str(field: number, s: string): this { return this.bytes(field, new TextEncoder().encode(s)); }
  msg(field: number, m: Pb): this { return this.bytes(field, m.done()); }
  done(): Uint8Array { return Uint8Array.from(this.parts); }
}

function tensorProto(name: string, dims: number[], data: Float32Array): Pb {
  const t = new Pb();
  for (const d of dims) t.int(1, d);
  t.int(2, 1); // FLOAT
  t.str(8, name);
  const raw = new Uint8Array(data.length * 4);
  const dv = new DataView(raw.buffer);
  data.forEach((v, i) => dv.setFloat32(4 * i, v, true));
  return t.bytes(9, raw);
}

function valueInfo(name: string, dims: (number | string)[]): Pb {
  const shape = new Pb();
  for (const d of dims) shape.msg(1, typeof d === 'number' ? new Pb().int(1, d) : new Pb().str(2, d));
  const tensorType = new Pb().int(1, 1).msg(2, shape);
  return new Pb().str(1, name).msg(2, new Pb().msg(1, tensorType));
}

function node(op: string, inputs: string[], outputs: string[], attrs: [string, number | string | number[]][] = []): Pb {
  const n = new Pb();
  for (const i of inputs) n.str(1, i);
  for (const o of outputs) n.str(2, o);
  n.str(4, op);
  for (const [k, v] of attrs) {
    const a = new Pb().str(1, k);
    if (typeof v === 'number') a.int(3, v).int(20, 2);
    else if (typeof v === 'string') a.str(4, v).int(20, 3);
    else { for (const x of v) a.int(8, x); a.int(20, 7); }
    n.msg(5, a);
  }
  return n;
}

/** Rows of a [G·H, K] matrix reordered by gate blocks (order lists source gate indices). */
function reorder(src: Float32Array, H: number, K: number, order: number[]): Float32Array {
  const out = new Float32Array(src.length);
  order.forEach((g, j) => out.set(src.subarray(g * H * K, (g + 1) * H * K), j * H * K));
  return out;
}

/**
 * The layer as ONNX model bytes (opset 14): input "x" [T, B, inputSize]
 * (time-major; T and B dynamic), output "y" [T, B, D·H].
 *
 * @example
 * const session = await ort.InferenceSession.create(io.toOnnx(lstm));
 */
export function toOnnx(layer: Recurrent): Uint8Array {
  if (layer.cell !== 'LSTM' && layer.cell !== 'GRU') {
    throw new SimdRnnError('INVALID_ARGUMENT', `io.toOnnx: layer is a ${layer.cell} layer, expected an LSTM or a GRU`);
  }
  if (layer.layerNorm) {
    throw new SimdRnnError('INVALID_ARGUMENT', `io.toOnnx: layer is a layer-normalized ${layer.cell}, and ONNX has no such operator (its LSTM and GRU have no normalization inside the recurrence)`);
  }
  if (layer.residual) throw new SimdRnnError('INVALID_ARGUMENT', 'io.toOnnx: layer has residual connections, which ONNX\'s LSTM and GRU operators have no attribute for');
  const lstm = layer.cell === 'LSTM', G = lstm ? 4 : 3, H = layer.hiddenSize, D = layer.bidirectional ? 2 : 1;
  const order = lstm ? [0, 3, 1, 2] : [1, 0, 2]; // ONNX position ← PyTorch gate
  const sd = layer.stateDict();
  const graph = new Pb();
  let x = 'x';
  const inits: Pb[] = [];
  for (let l = 0; l < layer.numLayers; l++) {
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
    inits.push(tensorProto(`W${l}`, [D, G * H, I], W), tensorProto(`R${l}`, [D, G * H, H], R), tensorProto(`B${l}`, [D, 2 * G * H], Bb));
    const attrs: [string, number | string][] = [['hidden_size', H], ['direction', D === 2 ? 'bidirectional' : 'forward']];
    if (!lstm) attrs.push(['linear_before_reset', 1]);
    graph.msg(1, node(layer.cell, [x, `W${l}`, `R${l}`, `B${l}`], [`Y${l}`], attrs));
    // Y is [T, D, B, H]: to [T, B, D, H], then [T, B, D·H].
    graph.msg(1, node('Transpose', [`Y${l}`], [`Yt${l}`], [['perm', [0, 2, 1, 3]]]));
    const out = l === layer.numLayers - 1 ? 'y' : `h${l}`;
    graph.msg(1, node('Reshape', [`Yt${l}`, 'shape3'], [out]));
    x = out;
  }
  inits.push(new Pb().int(1, 3).int(2, 7).str(8, 'shape3').bytes(9, (() => {
    const b = new Uint8Array(24), dv = new DataView(b.buffer);
    dv.setBigInt64(0, 0n, true); dv.setBigInt64(8, 0n, true); dv.setBigInt64(16, BigInt(D * H), true); // 0 = keep that dim
    return b;
  })()));
  graph.str(2, `simd-rnn ${layer.cell}`);
  for (const t of inits) graph.msg(5, t);
  graph.msg(11, valueInfo('x', ['T', 'B', layer.inputSize]));
  graph.msg(12, valueInfo('y', ['T', 'B', D * H]));
  const model = new Pb().int(1, 7).str(2, 'simd-rnn').msg(7, graph).msg(8, new Pb().str(1, '').int(2, 14));
  return model.done();
}
