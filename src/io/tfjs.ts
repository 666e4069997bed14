// Keras and TensorFlow.js models in: the model.json of tfjs's `model.save()`
// (or of tensorflowjs_converter from a Keras .h5 / SavedModel) and its
// binary weights, read into a Sequential with the same numbers.
//
// Keras keeps kernels as [in, out] with the gates side by side (LSTM i, f,
// c, o; GRU z, r, h) and one bias (GRU with reset_after: an input and a
// recurrent bias); PyTorch's layout, which simd-rnn has, is [gates·H, in]
// with LSTM i, f, g, o and GRU r, z, n, and two biases. Nothing is built
// until every shape the configuration implies has been found in the
// weights manifest and the weight bytes hold exactly that many floats, so a
// small file cannot make a large model.
import { SimdRnnError, argError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { LSTM } from '../layers/lstm.js';
import { GRU } from '../layers/gru.js';
import { RNN } from '../layers/rnn.js';
import { Linear, type Activation } from '../layers/linear.js';
import { Embedding } from '../layers/embedding.js';
import { Dropout } from '../layers/dropout.js';
import type { Recurrent } from '../layers/recurrent/index.js';
import { Sequential } from '../model/sequential.js';
import type { ModelLayer } from '../model/contracts.js';
import { checkKeys, keysOf } from '../util/keys.js';

/** Options of `io.fromTfjs(modelJson, weights, options)`. */
export interface FromTfjsOptions {
  /**
   * Accept a model that masks steps (an Embedding with mask_zero, a Masking
   * layer). A simd-rnn model does not derive masks from its input: give
   * predict the same steps as `mask` or `lengths` (default false: such a
   * model is refused, so that no one gets unmasked outputs unaware).
   */
  allowMasking?: boolean;
}

const OPTION_KEYS = keysOf<FromTfjsOptions>()(['allowMasking']);
const WHERE = 'io.fromTfjs';

type Json = Record<string, unknown>;
interface Spec { name: string; shape: number[] }

function bad(msg: string): SimdRnnError {
  return new SimdRnnError('BAD_FILE', `${WHERE}: ${msg}`);
}

function obj(v: unknown, what: string): Json {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad(`${what} is not an object`);
  return v as Json;
}

function int(c: Json, key: string, layer: string, lo = 1, hi = 2 ** 24): number {
  const v = c[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw bad(`layer ${layer}: ${key} is ${JSON.stringify(v)}, expected an integer in [${lo}, ${hi}]`);
  return v;
}

/** The layers of the topology, refusing anything but a Sequential model. */
function topologyLayers(json: Json): Json[] {
  let top = obj(json.modelTopology, 'modelTopology');
  if (top.model_config !== undefined) top = obj(top.model_config, 'modelTopology.model_config'); // tensorflowjs_converter
  if (top.class_name !== 'Sequential') {
    throw new SimdRnnError('INVALID_ARGUMENT', `${WHERE}: the model is a ${JSON.stringify(top.class_name)} model; only Sequential models are read (a functional model's graph has no Sequential equivalent in general)`);
  }
  const cfg = top.config;
  const layers = Array.isArray(cfg) ? cfg : obj(cfg, 'the Sequential config').layers;
  if (!Array.isArray(layers) || layers.length === 0) throw bad('the Sequential config has no layers');
  return layers.map((l, i) => obj(l, `layer ${i}`));
}

/** The weight specs in order, from model.json's weightsManifest or from save artifacts' weightSpecs. */
function weightSpecs(json: Json): Spec[] {
  const raw: unknown[] = [];
  if (Array.isArray(json.weightsManifest)) {
    for (const g of json.weightsManifest) {
      const w = obj(g, 'a weightsManifest group').weights;
      if (!Array.isArray(w)) throw bad('a weightsManifest group has no weights list');
      raw.push(...w);
    }
  } else if (Array.isArray(json.weightSpecs)) {
    raw.push(...json.weightSpecs);
  } else {
    throw bad('there is no weightsManifest (model.json) or weightSpecs (save artifacts)');
  }
  return raw.map((r, i) => {
    const s = obj(r, `weight ${i}`);
    if (s.dtype !== 'float32') throw new SimdRnnError('INVALID_ARGUMENT', `${WHERE}: weight ${String(s.name)} is ${JSON.stringify(s.dtype)}, expected float32`);
    if (s.quantization !== undefined) throw new SimdRnnError('INVALID_ARGUMENT', `${WHERE}: weight ${String(s.name)} is quantized; convert the model without quantization`);
    if (!Array.isArray(s.shape) || !s.shape.every((d) => Number.isInteger(d) && d >= 0 && d <= 2 ** 31)) throw bad(`weight ${i} has shape ${JSON.stringify(s.shape)}`);
    return { name: String(s.name), shape: s.shape as number[] };
  });
}

/** The weight bytes as one array (shards concatenated in manifest order). */
function weightBytes(w: unknown): Uint8Array {
  const parts = Array.isArray(w) ? w : [w];
  const views = parts.map((p, i) => {
    if (p instanceof ArrayBuffer) return new Uint8Array(p);
    if (ArrayBuffer.isView(p)) return new Uint8Array(p.buffer, p.byteOffset, p.byteLength);
    throw argError(WHERE, Array.isArray(w) ? `weights[${i}]` : 'weights', 'an ArrayBuffer or a Uint8Array (the weights file, or its shards in order)', p);
  });
  if (views.length === 1) return views[0]!;
  const out = new Uint8Array(views.reduce((n, v) => n + v.length, 0));
  let o = 0;
  for (const v of views) { out.set(v, o); o += v.length; }
  return out;
}

/** A recurrent layer's description: its Keras class, sizes and what it returns. */
interface RecPlan { kind: 'LSTM' | 'GRU' | 'SimpleRNN'; units: number; bias: boolean; relu: boolean; bidirectional: boolean; returnSequences: boolean; name: string }

function recurrentPlan(cls: string, c: Json, name: string, bidirectional: boolean): RecPlan {
  const units = int(c, 'units', name);
  for (const k of ['go_backwards', 'stateful', 'return_state'] as const) {
    if (c[k] === true) throw new SimdRnnError('INVALID_ARGUMENT', `${WHERE}: layer ${name}: ${k} is true, which a simd-rnn layer has no equivalent of`);
  }
  const act = c.activation ?? 'tanh';
  if (cls === 'SimpleRNN') {
    if (act !== 'tanh' && act !== 'relu') throw new SimdRnnError('INVALID_ARGUMENT', `${WHERE}: layer ${name}: activation is ${JSON.stringify(act)}, expected "tanh" or "relu"`);
  } else {
    if (act !== 'tanh') throw new SimdRnnError('INVALID_ARGUMENT', `${WHERE}: layer ${name}: activation is ${JSON.stringify(act)}, expected "tanh" (PyTorch's ${cls})`);
    const ra = c.recurrent_activation ?? 'sigmoid';
    if (ra !== 'sigmoid') {
      throw new SimdRnnError('INVALID_ARGUMENT', `${WHERE}: layer ${name}: recurrent_activation is ${JSON.stringify(ra)}, expected "sigmoid" (PyTorch's ${cls}; tfjs-layers defaults to hard_sigmoid: build the layer with recurrentActivation: 'sigmoid')`);
    }
    if (cls === 'GRU' && c.reset_after !== true) {
      throw new SimdRnnError('INVALID_ARGUMENT', `${WHERE}: layer ${name}: reset_after is ${JSON.stringify(c.reset_after ?? false)}, expected true: with reset_after false the reset gate multiplies the state before the recurrent product (Cho et al. 2014), another GRU than PyTorch's and simd-rnn's (Keras 2 and 3 default to true; tfjs-layers supports only false)`);
    }
  }
  return { kind: cls as RecPlan['kind'], units, bias: c.use_bias !== false, relu: act === 'relu', bidirectional, returnSequences: c.return_sequences === true, name };
}

/** Keras weights of one recurrent direction → PyTorch names and layout, for direction suffix `s`. */
function recurrentWeights(p: RecPlan, I: number, take: (shape: number[]) => Float32Array, sd: Record<string, Tensor>, s: string): void {
  const H = p.units, G = p.kind === 'LSTM' ? 4 : p.kind === 'GRU' ? 3 : 1;
  // ours position j ← Keras gate order[j]: LSTM i,f,c,o = i,f,g,o; GRU z,r,h → r,z,n.
  const order = p.kind === 'GRU' ? [1, 0, 2] : Array.from({ length: G }, (_, g) => g);
  const kernel = take([I, G * H]), rec = take([H, G * H]);
  const t = (m: Float32Array, K: number): Float32Array => {
    // [K, G·H] (Keras) → [G·H, K] with the gates reordered.
    const out = new Float32Array(G * H * K);
    order.forEach((g, j) => { for (let h = 0; h < H; h++) for (let k = 0; k < K; k++) out[(j * H + h) * K + k] = m[k * G * H + g * H + h]!; });
    return out;
  };
  sd[`weight_ih_l0${s}`] = { data: t(kernel, I), shape: [G * H, I] };
  sd[`weight_hh_l0${s}`] = { data: t(rec, H), shape: [G * H, H] };
  if (!p.bias) return;
  const two = p.kind === 'GRU';
  const b = take(two ? [2, G * H] : [G * H]);
  const pick = (row: number): Float32Array => {
    const out = new Float32Array(G * H);
    order.forEach((g, j) => out.set(b.subarray(row * G * H + g * H, row * G * H + (g + 1) * H), j * H));
    return out;
  };
  sd[`bias_ih_l0${s}`] = { data: pick(0), shape: [G * H] };
  sd[`bias_hh_l0${s}`] = { data: two ? pick(1) : new Float32Array(G * H), shape: [G * H] };
}

/**
 * A Keras or TensorFlow.js Sequential model as a simd-rnn Sequential, with
 * the same outputs for the same inputs.
 *
 * `modelJson` is model.json (its text or the parsed object; or the
 * artifacts a tfjs save handler receives), `weights` the weights file (or
 * its shards, in manifest order). Layers read: InputLayer, Embedding,
 * SimpleRNN, LSTM, GRU (reset_after: true), Bidirectional (merge_mode
 * concat), Dropout, Dense (activation linear, tanh, relu or sigmoid),
 * TimeDistributed(Dense), GlobalAveragePooling1D (after a recurrent layer
 * with return_sequences: output 'mean'), and Masking or mask_zero with
 * `options.allowMasking`. The output mode follows the last recurrent layer:
 * 'last' without return_sequences, 'all' with it, 'mean' before a
 * GlobalAveragePooling1D.
 *
 * Refused with the reason (INVALID_ARGUMENT): functional models,
 * LSTM/GRU with recurrent_activation other than sigmoid (tfjs-layers'
 * default is hard_sigmoid), GRU with reset_after: false, softmax and other
 * activations, stateful or go_backwards layers, other merge modes, other
 * layers. A file whose weights do not match its configuration is BAD_FILE.
 *
 * @example
 * const model = io.fromTfjs(readFileSync('model.json', 'utf8'), readFileSync('group1-shard1of1.bin'));
 * model.predict(x);
 */
export function fromTfjs(modelJson: string | object, weights: ArrayBuffer | ArrayBufferView | (ArrayBuffer | ArrayBufferView)[], options: FromTfjsOptions = {}): Sequential {
  if (options === null || typeof options !== 'object') throw argError(WHERE, 'options', 'an object', options);
  checkKeys(WHERE, 'options', options, OPTION_KEYS);
  if (options.allowMasking !== undefined && typeof options.allowMasking !== 'boolean') throw argError(WHERE, 'options.allowMasking', 'a boolean', options.allowMasking);
  let json: Json;
  if (typeof modelJson === 'string') {
    try { json = obj(JSON.parse(modelJson), 'model.json'); } catch (e) { throw e instanceof SimdRnnError ? e : bad(`model.json is not JSON (${(e as Error).message})`); }
  } else {
    json = obj(modelJson, 'modelJson');
  }
  const klayers = topologyLayers(json), specs = weightSpecs(json), bytes = weightBytes(weights);

  // First pass: the plan, every weight shape it implies checked against the manifest.
  type Step =
    | { t: 'embedding'; V: number; E: number }
    | { t: 'rec'; p: RecPlan; I: number }
    | { t: 'dropout'; rate: number }
    | { t: 'dense'; I: number; O: number; bias: boolean; act: Activation; perStep: boolean }
    | { t: 'mean' };
  const steps: Step[] = [];
  let width = 0, seqLeft = true, masking = false, si = 0;
  const expect = (shape: number[], layer: string): void => {
    const s = specs[si++];
    if (!s) throw bad(`layer ${layer} needs a weight of shape [${shape}], and the manifest has no more weights`);
    if (s.shape.length !== shape.length || s.shape.some((d, i) => d !== shape[i])) throw bad(`layer ${layer}: weight ${s.name} has shape [${s.shape}], expected [${shape}]`);
  };
  const shapeFrom = (c: Json): void => {
    const b = c.batch_input_shape ?? c.batch_shape;
    if (width === 0 && Array.isArray(b) && b.length === 3 && Number.isInteger(b[2]) && (b[2] as number) >= 1 && (b[2] as number) <= 2 ** 24) width = b[2] as number;
  };
  klayers.forEach((kl, i) => {
    const cls = String(kl.class_name), c = obj(kl.config, `layer ${i}'s config`), name = `${i} (${cls} ${typeof c.name === 'string' ? c.name : ''})`.replace(' )', ')');
    shapeFrom(c);
    switch (cls) {
      case 'InputLayer':
        return;
      case 'Embedding': {
        if (i > 1 || steps.length) throw new SimdRnnError('INVALID_ARGUMENT', `${WHERE}: layer ${name}: an Embedding must come first`);
        const V = int(c, 'input_dim', name), E = int(c, 'output_dim', name);
        if (c.mask_zero === true) masking = true;
        expect([V, E], name);
        steps.push({ t: 'embedding', V, E });
        width = E;
        return;
      }
      case 'Masking':
        if (steps.length) throw new SimdRnnError('INVALID_ARGUMENT', `${WHERE}: layer ${name}: a Masking layer must come first`);
        masking = true;
        return;
      case 'Dropout':
      case 'SpatialDropout1D':
        steps.push({ t: 'dropout', rate: typeof c.rate === 'number' && c.rate >= 0 && c.rate < 1 ? c.rate : 0 });
        return;
      case 'LSTM': case 'GRU': case 'SimpleRNN': case 'Bidirectional': {
        let p: RecPlan;
        if (cls === 'Bidirectional') {
          if ((c.merge_mode ?? 'concat') !== 'concat') throw new SimdRnnError('INVALID_ARGUMENT', `${WHERE}: layer ${name}: merge_mode is ${JSON.stringify(c.merge_mode)}, expected "concat" (a simd-rnn bidirectional layer concatenates)`);
          const inner = obj(c.layer, `layer ${name}'s layer`), ic = obj(inner.config, `layer ${name}'s layer config`);
          shapeFrom(ic);
          if (!['LSTM', 'GRU', 'SimpleRNN'].includes(String(inner.class_name))) throw new SimdRnnError('INVALID_ARGUMENT', `${WHERE}: layer ${name} wraps a ${JSON.stringify(inner.class_name)}, expected LSTM, GRU or SimpleRNN`);
          p = recurrentPlan(String(inner.class_name), ic, name, true);
        } else {
          p = recurrentPlan(cls, c, name, false);
        }
        if (!seqLeft) throw new SimdRnnError('INVALID_ARGUMENT', `${WHERE}: layer ${name} reads the output of a recurrent layer without return_sequences (one vector per sequence)`);
        if (width === 0) throw bad(`layer ${name}: the input's feature size is not in the configuration (batch_input_shape)`);
        const G = p.kind === 'LSTM' ? 4 : p.kind === 'GRU' ? 3 : 1;
        for (let d = 0; d < (p.bidirectional ? 2 : 1); d++) {
          expect([width, G * p.units], name);
          expect([p.units, G * p.units], name);
          if (p.bias) expect(p.kind === 'GRU' ? [2, G * p.units] : [G * p.units], name);
        }
        steps.push({ t: 'rec', p, I: width });
        width = p.units * (p.bidirectional ? 2 : 1);
        seqLeft = p.returnSequences;
        return;
      }
      case 'GlobalAveragePooling1D':
        if (!steps.some((s) => s.t === 'rec') || !seqLeft) throw new SimdRnnError('INVALID_ARGUMENT', `${WHERE}: layer ${name}: GlobalAveragePooling1D must follow a recurrent layer with return_sequences`);
        steps.push({ t: 'mean' });
        seqLeft = false;
        return;
      case 'Dense': case 'TimeDistributed': {
        let dc = c, dn = name;
        if (cls === 'TimeDistributed') {
          const inner = obj(c.layer, `layer ${name}'s layer`);
          if (inner.class_name !== 'Dense') throw new SimdRnnError('INVALID_ARGUMENT', `${WHERE}: layer ${name} wraps a ${JSON.stringify(inner.class_name)}, expected Dense`);
          dc = obj(inner.config, `layer ${name}'s layer config`); dn = `${name} (Dense)`;
        }
        if (!steps.some((s) => s.t === 'rec')) throw new SimdRnnError('INVALID_ARGUMENT', `${WHERE}: layer ${dn}: a Dense layer before the recurrent layers has no simd-rnn equivalent (a Sequential's Linear layers come after them)`);
        const a = dc.activation ?? 'linear';
        const act: Activation | null = a === 'linear' ? 'none' : a === 'tanh' || a === 'relu' || a === 'sigmoid' ? a : null;
        if (!act) throw new SimdRnnError('INVALID_ARGUMENT', `${WHERE}: layer ${dn}: activation is ${JSON.stringify(a)}, expected linear, tanh, relu or sigmoid${a === 'softmax' ? ' (save the model without the softmax: predict then gives the logits)' : ''}`);
        const O = int(dc, 'units', dn), bias = dc.use_bias !== false;
        expect([width, O], dn);
        if (bias) expect([O], dn);
        steps.push({ t: 'dense', I: width, O, bias, act, perStep: seqLeft });
        width = O;
        return;
      }
      default:
        throw new SimdRnnError('INVALID_ARGUMENT', `${WHERE}: layer ${name} is a ${cls}, which has no simd-rnn equivalent (read: InputLayer, Embedding, Masking, SimpleRNN, LSTM, GRU, Bidirectional, Dropout, Dense, TimeDistributed(Dense), GlobalAveragePooling1D)`);
    }
  });
  if (!steps.some((s) => s.t === 'rec')) throw new SimdRnnError('INVALID_ARGUMENT', `${WHERE}: the model has no recurrent layer`);
  if (si !== specs.length) throw bad(`the manifest has ${specs.length} weights, the layers use ${si}`);
  const floats = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  if (bytes.length !== 4 * floats) throw bad(`the weights are ${bytes.length} bytes, the manifest's ${specs.length} float32 tensors take ${4 * floats}`);
  if (masking && !options.allowMasking) {
    throw new SimdRnnError('INVALID_ARGUMENT', `${WHERE}: the model masks steps (mask_zero or a Masking layer), which a simd-rnn model leaves to the caller: pass { allowMasking: true } and give predict the same steps as mask (or lengths)`);
  }
  const last = steps.map((s) => s.t).lastIndexOf('rec');
  const output = steps.some((s) => s.t === 'mean') ? 'mean' : (steps[last] as { p: RecPlan }).p.returnSequences ? 'all' : 'last';

  // Second pass: the layers, their weights in PyTorch's layout.
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 0;
  const take = (shape: number[]): Float32Array => {
    const n = shape.reduce((a, b) => a * b, 1), out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = dv.getFloat32(off + 4 * i, true);
    off += 4 * n;
    return out;
  };
  const layers: ModelLayer[] = [];
  try {
    for (const s of steps) {
      if (s.t === 'embedding') {
        const e = new Embedding({ numEmbeddings: s.V, embeddingDim: s.E, seed: 0 });
        layers.push(e);
        e.loadStateDict({ weight: { data: take([s.V, s.E]), shape: [s.V, s.E] } });
      } else if (s.t === 'rec') {
        const o = { inputSize: s.I, hiddenSize: s.p.units, bidirectional: s.p.bidirectional, bias: s.p.bias, seed: 0 };
        const r: Recurrent = s.p.kind === 'LSTM' ? new LSTM(o) : s.p.kind === 'GRU' ? new GRU(o) : new RNN({ ...o, nonlinearity: s.p.relu ? 'relu' : 'tanh' });
        layers.push(r);
        const sd: Record<string, Tensor> = {};
        recurrentWeights(s.p, s.I, take, sd, '');
        if (s.p.bidirectional) recurrentWeights(s.p, s.I, take, sd, '_reverse');
        r.loadStateDict(sd);
      } else if (s.t === 'dropout') {
        if (s.rate > 0) layers.push(new Dropout({ p: s.rate, seed: 0 }));
      } else if (s.t === 'dense') {
        const l = new Linear({ inFeatures: s.I, outFeatures: s.O, bias: s.bias, activation: s.act, seed: 0 });
        layers.push(l);
        const k = take([s.I, s.O]), w = new Float32Array(s.O * s.I);
        for (let i = 0; i < s.I; i++) for (let o = 0; o < s.O; o++) w[o * s.I + i] = k[i * s.O + o]!;
        const sd: Record<string, Tensor> = { weight: { data: w, shape: [s.O, s.I] } };
        if (s.bias) sd.bias = { data: take([s.O]), shape: [s.O] };
        l.loadStateDict(sd);
      }
    }
    return new Sequential(layers, { output });
  } catch (e) {
    for (const l of layers) l.dispose();
    throw e;
  }
}
