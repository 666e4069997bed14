// A model as ONE safetensors file: the weights as `layers.{i}.{name}` (each
// layer's PyTorch names), the architecture and a format version in the
// metadata, and a CRC of the whole file. Loading checks all of it before
// building anything: the architecture against hard limits, and every
// parameter the architecture implies against a tensor of the same name and
// shape in the file, so a tiny file cannot make the loader allocate a huge
// model, and a load that fails frees whatever it built.
import { SimdRnnError } from '../errors.js';
import { LSTM } from '../layers/lstm.js';
import { GRU } from '../layers/gru.js';
import { RNN } from '../layers/rnn.js';
import { Linear } from '../layers/linear.js';
import { Dropout } from '../layers/dropout.js';
import { Embedding } from '../layers/embedding.js';
import { Sequential } from '../model/sequential.js';
import { Seq2Seq } from '../model/seq2seq/seq2seq.js';
import { SEQ2SEQ_FORMAT, checkSeq2Seq, buildSeq2Seq } from './seq2seq.js';
import type { ModelLayer } from '../model/contracts.js';
import { recurrentParamSpecs } from '../layers/recurrent/index.js';
import { cellOf, type RecurrentKind } from '../layers/recurrent/cells/index.js';
import type { ParamSpec } from '../layers/params.js';
import type { Tensor } from '../tensor.js';
import { describe } from '../errors.js';
import { readSafetensorsHeader, decodeTensors, writeSafetensors, scanJson, MAX_JSON_DEPTH } from './safetensors.js';
import { int8Keys, withInt8, int8Of, checkInt8, dequantizeDict } from './int8.js';
import { int8Matrices, setInt8 } from '../model/int8.js';
import type { Int8Matrix } from '../layers/int8.js';
import { crcOk, stampCrc, CRC_PLACEHOLDER } from './crc32.js';
import { writeFileAtomic, readFileBytes } from './file.js';

/** The format metadata of Sequential model files. */
export const MODEL_FORMAT = 'simd-rnn/sequential';
/** Written: 2 (CRC over the whole file). Read: 1 and 2. */
export const MODEL_FORMAT_VERSION = '2';
const READABLE_VERSIONS = ['1', '2'];

/**
 * Hard limits on what a model file may declare, checked before anything is
 * built (sizes are also checked against the tensors present, which bounds
 * them by the file's own size).
 */
export const LOAD_LIMITS = {
  /** Layers in a model. */
  layers: 256,
  /** Stacked layers inside one recurrent layer (numLayers). */
  numLayers: 64,
  /** Any one size: inputSize, hiddenSize, inFeatures, outFeatures, numEmbeddings, embeddingDim. */
  size: 1 << 24,
  /** Parameters in a model (1 GiB of f32). */
  params: 2 ** 28,
  /** Characters of the architecture metadata. */
  architectureChars: 1 << 20,
} as const;

/**
 * @example
 * const bytes = io.save(model);       // Uint8Array, one safetensors file
 * const again = io.load(bytes);       // a Sequential with the same weights
 */
export function save(model: Sequential | Seq2Seq, metadata: Record<string, string> = {}): Uint8Array {
  if (!(model instanceof Sequential || model instanceof Seq2Seq)) {
    throw new SimdRnnError('INVALID_ARGUMENT', `io.save: model is ${describe(model)}, expected a Sequential or a Seq2Seq`);
  }
  const dict = model.stateDict();
  finiteWeights('io.save', dict);
  if (metadata === null || typeof metadata !== 'object') throw new SimdRnnError('INVALID_ARGUMENT', `io.save: metadata is ${describe(metadata)}, expected an object of strings`);
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new SimdRnnError('INVALID_ARGUMENT', `io.save: metadata.${k} is ${typeof v}, expected a string`);
  }
  // Caller's metadata first: the format keys always win.
  const meta: Record<string, string> = { ...metadata, format: model instanceof Seq2Seq ? SEQ2SEQ_FORMAT : MODEL_FORMAT, formatVersion: MODEL_FORMAT_VERSION, architecture: JSON.stringify(model.config()), crc32: CRC_PLACEHOLDER };
  // A quantized model: its int8 matrices as I8 with their row scales, as the layers hold them (io/int8.ts).
  const int8 = int8Matrices(model.int8Layers);
  if (Object.keys(int8).length === 0) return stampCrc(writeSafetensors(dict, meta));
  delete meta.quantized;
  return stampCrc(writeSafetensors(withInt8(dict, int8), { ...meta, quantized: 'int8' }));
}

/** Whether tensor names look like a PyTorch RNN/LSTM/GRU state dict (weight_ih_l0, …). */
function looksLikeTorch(entries: readonly { name: string }[]): boolean {
  return entries.some((e) => /(^|\.)(weight|bias)_(ih|hh)_l\d+(_reverse)?$/.test(e.name));
}

/** The first element of a dict that is NaN or ±Infinity, if any. */
function firstNonFinite(dict: Record<string, Tensor>): { key: string; i: number; v: number } | null {
  for (const [key, t] of Object.entries(dict)) {
    const d = t.data;
    for (let i = 0; i < d.length; i++) if (d[i]! - d[i]! !== 0) return { key, i, v: d[i]! };
  }
  return null;
}

/** @internal Refuses to write weights that are not all finite (a diverged model is not saved as if it were good). */
export function finiteWeights(where: string, dict: Record<string, Tensor>): void {
  const f = firstNonFinite(dict);
  if (f) {
    throw new SimdRnnError('NON_FINITE', `${where}: parameter "${f.key}" holds ${f.v} at element ${f.i}; a model with non-finite weights is not saved (it diverged: retrain with a lower learning rate)`);
  }
}

/** Saves a model to a file on Node, atomically. */
export async function saveFile(model: Sequential | Seq2Seq, path: string, metadata?: Record<string, string>): Promise<void> {
  await writeFileAtomic(path, save(model, metadata));
}

/** Loads a model (or a checkpoint's model) from a file on Node. */
export async function loadFile<M extends Sequential | Seq2Seq = Sequential>(path: string): Promise<M> {
  return load<M>(await readFileBytes(path));
}

/** Refuses int8 tensors other than the weight matrices of layers with int8 products. */
function int8Only(i8: ReadonlySet<string>, allowed: readonly string[]): void {
  const ok = new Set(allowed);
  for (const n of i8) if (!ok.has(n)) throw bad(`tensor "${n}" is int8, but only the weight matrices of recurrent and Linear layers may be`);
}

function bad(msg: string): SimdRnnError {
  return new SimdRnnError('BAD_FILE', `io.load: ${msg}`);
}

/** Parses architecture-like metadata JSON, refusing deep nesting before parsing. */
export function parseMetaJson(where: (m: string) => SimdRnnError, name: string, text: string | undefined, maxChars: number): unknown {
  if (typeof text !== 'string') throw where(`metadata has no ${name}`);
  if (text.length > maxChars) throw where(`${name} metadata is ${text.length} characters, over the limit of ${maxChars}`);
  if (scanJson(text).depth > MAX_JSON_DEPTH) throw where(`${name} metadata nests deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return JSON.parse(text);
  } catch {
    throw where(`${name} metadata is not valid JSON`);
  }
}

/** The parameters a layer's config implies, after checking its sizes against the limits; nothing is built. */
function planLayer(c: Record<string, unknown>, i: number): ParamSpec[] {
  const type = c.type;
  const what = `layer ${i} (${typeof type === 'string' ? type.slice(0, 20) : describe(type)})`;
  const int = (name: string, lo: number, hi: number, dflt?: number): number => {
    const v = c[name] === undefined ? dflt : c[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw bad(`${what}: ${name} is ${describe(v)}, expected an integer in [${lo}, ${hi}]`);
    return v;
  };
  const bool = (name: string, dflt: boolean): boolean => {
    const v = c[name] === undefined ? dflt : c[name];
    if (typeof v !== 'boolean') throw bad(`${what}: ${name} is ${describe(v)}, expected true or false`);
    return v;
  };
  const S = LOAD_LIMITS.size;
  switch (type) {
    case 'LSTM': case 'GRU': case 'RNN':
      return recurrentParamSpecs(cellOfConfig(type, c, what), int('inputSize', 1, S), int('hiddenSize', 1, S),
        int('numLayers', 1, LOAD_LIMITS.numLayers, 1), bool('bidirectional', false) ? 2 : 1, bool('bias', true));
    case 'Linear': {
      const I = int('inFeatures', 1, S), O = int('outFeatures', 1, S);
      return bool('bias', true) ? [{ name: 'weight', shape: [O, I] }, { name: 'bias', shape: [O] }] : [{ name: 'weight', shape: [O, I] }];
    }
    case 'Embedding': return [{ name: 'weight', shape: [int('numEmbeddings', 1, S), int('embeddingDim', 1, S)] }];
    case 'Dropout': return [];
    default: throw bad(`layer ${i} has unknown type ${describe(type)}`);
  }
}

/** The cell a recurrent layer's config chooses; bad options are a bad file. */
function cellOfConfig(type: RecurrentKind, c: Record<string, unknown>, what: string): ReturnType<typeof cellOf> {
  try {
    return cellOf(type, c, what);
  } catch (e) {
    throw bad((e as Error).message);
  }
}

function buildLayer(c: Record<string, unknown>, i: number): ModelLayer {
  const { type, ...o } = c;
  try {
    switch (type) {
      case 'LSTM': return new LSTM(o as never);
      case 'GRU': return new GRU(o as never);
      case 'RNN': return new RNN(o as never);
      case 'Linear': return new Linear(o as never);
      case 'Dropout': return new Dropout(o as never);
      default: return new Embedding(o as never);
    }
  } catch (e) {
    if (e instanceof SimdRnnError && e.code === 'OUT_OF_MEMORY') throw e;
    throw bad(`layer ${i} (${String(type)}) has invalid options: ${(e as Error).message}`);
  }
}

/**
 * Checks a model file's architecture against the limits and its weights:
 * every tensor the architecture implies is present with its shape, no other
 * `layers.*` tensor is, and all are finite. Returns the parsed architecture.
 */
export function checkModel(shapes: Record<string, readonly number[]>, architecture: string | undefined, fail: (m: string) => SimdRnnError = bad): { output: unknown; layers: Record<string, unknown>[] } {
  const arch = parseMetaJson(fail, 'architecture', architecture, LOAD_LIMITS.architectureChars) as { output?: unknown; layers?: unknown } | null;
  if (!arch || typeof arch !== 'object' || !Array.isArray(arch.layers) || arch.layers.some((l) => l === null || typeof l !== 'object' || Array.isArray(l))) {
    throw fail('architecture metadata has no layer list');
  }
  const layers = arch.layers as Record<string, unknown>[];
  if (layers.length < 1 || layers.length > LOAD_LIMITS.layers) throw fail(`architecture has ${layers.length} layers, expected 1 to ${LOAD_LIMITS.layers}`);
  const expected = new Set<string>();
  let params = 0;
  layers.forEach((c, i) => {
    for (const s of planLayer(c, i)) {
      const key = `layers.${i}.${s.name}`, t = Object.prototype.hasOwnProperty.call(shapes, key) ? shapes[key] : undefined;
      const want = `[${s.shape.join(',')}]`;
      if (!t) throw fail(`the architecture's layer ${i} needs a tensor "${key}" of shape ${want}; the file has none`);
      if (t.length !== s.shape.length || t.some((d, j) => d !== s.shape[j])) {
        throw fail(`tensor "${key}" has shape [${t.join(',')}], the architecture implies ${want}`);
      }
      params += s.shape.reduce((a, b) => a * b, 1);
      if (params > LOAD_LIMITS.params) throw fail(`the model has over ${LOAD_LIMITS.params} parameters (the limit)`);
      expected.add(key);
    }
  });
  for (const k of Object.keys(shapes)) {
    if (k.startsWith('layers.') && !expected.has(k)) throw fail(`tensor "${k}" is not a parameter of the architecture`);
  }
  return { output: arch.output, layers };
}

/**
 * A model file (or a checkpoint) back as the model it holds: a Sequential,
 * or a Seq2Seq for a seq2seq file (the type parameter says which you expect;
 * check with instanceof where a program reads both kinds).
 */
export function load<M extends Sequential | Seq2Seq = Sequential>(bytes: Uint8Array): M {
  // Cheap checks first (header, format, CRC, architecture against the tensors'
  // shapes); the data is decoded only for a file that passes them.
  const header = readSafetensorsHeader(bytes), { metadata } = header;
  const checkpoint = metadata.format === 'simd-rnn/checkpoint';
  if (!checkpoint && metadata.format !== MODEL_FORMAT && metadata.format !== SEQ2SEQ_FORMAT) {
    throw bad(`format is ${describe(metadata.format)}, expected "${MODEL_FORMAT}" or "${SEQ2SEQ_FORMAT}"${metadata.format === undefined ? `: not a simd-rnn model file${looksLikeTorch(header.entries) ? ' but a bare state dict (PyTorch\'s names, no architecture)' : ''}. To load one, build the model in PyTorch with tools/simd_rnn_torch.py (shipped in the package: sr.Sequential(architecture), load_state_dict, sr.save(model, path)) and io.load that file, or load it into a layer with layer.loadStateDict(io.readSafetensors(bytes))` : ''}`);
  }
  if (!READABLE_VERSIONS.includes(metadata.formatVersion ?? '')) {
    throw bad(`format version is ${describe(metadata.formatVersion)}, expected one of ${READABLE_VERSIONS.map((v) => `"${v}"`).join(', ')} (written by a newer simd-rnn?)`);
  }
  if (!crcOk(bytes, metadata.formatVersion!, metadata.crc32) || (checkpoint && metadata.crc32 === undefined)) {
    throw bad('checksum mismatch: the file is corrupted');
  }
  const isWeight = (name: string): boolean => !checkpoint || (!name.startsWith('optimizer.') && !name.startsWith('training.'));
  let shapes: Record<string, number[]> = {};
  for (const e of header.entries) if (isWeight(e.name)) shapes[e.name] = e.shape;
  // An int8 file (a quantized model): I8 matrices with their scales; elsewhere I8 is refused.
  const int8 = metadata.quantized === 'int8' && !checkpoint;
  if (metadata.quantized !== undefined && !int8) throw bad(`quantized is ${describe(metadata.quantized)}, expected "int8" (and not in a checkpoint)`);
  const i8Names = new Set(header.entries.filter((e) => e.dtype === 'I8').map((e) => e.name));
  if (!int8 && i8Names.size) throw bad(`tensor "${[...i8Names][0]}" is int8 in a file that is not quantized`);
  if (int8) shapes = checkInt8(header.entries, shapes, bad);
  // An int8 file's matrices go in twice: dequantized with the rest (every name and shape checked), then
  // as the int8 values and scales themselves, so the model computes what was saved, to the bit.
  let exact: Record<string, Int8Matrix> = {};
  const weights = (): Record<string, Tensor> => {
    const t = decodeTensors(bytes, header, isWeight);
    if (!int8) return t;
    exact = int8Of(t, i8Names);
    return dequantizeDict(t, i8Names, bad);
  };
  const seq2seq = metadata.format === SEQ2SEQ_FORMAT || (checkpoint && /^\s*\{\s*"type"\s*:\s*"Seq2Seq"/.test(metadata.architecture ?? ''));
  if (seq2seq) {
    const a = parseMetaJson(bad, 'architecture', metadata.architecture, LOAD_LIMITS.architectureChars);
    if (!a || typeof a !== 'object' || Array.isArray(a)) throw bad('architecture metadata is not an object');
    const cfg = checkSeq2Seq(a as Record<string, unknown>, shapes, LOAD_LIMITS.params, bad);
    int8Only(i8Names, int8Keys(Object.keys(shapes), ['encoder.', 'decoder.', 'bridge.', 'generator.']));
    const tensors = weights();
    const nf = firstNonFinite(tensors);
    if (nf) throw bad(`tensor "${nf.key}" holds ${nf.v} at element ${nf.i}; weights must be finite`);
    const m = buildSeq2Seq(cfg, tensors, bad);
    if (int8 && i8Names.size) {
      m.toInt8();
      if (!setInt8(m.int8Layers, exact)) { m.dispose(); throw bad('an int8 tensor is not the weight of the encoder, decoder, bridge or generator'); }
    }
    return m as M;
  }
  const arch = checkModel(shapes, metadata.architecture);
  if (arch.output !== undefined && arch.output !== 'last' && arch.output !== 'mean' && arch.output !== 'all') {
    throw bad(`architecture output is ${describe(arch.output)}, expected "last", "mean" or "all"`);
  }
  int8Only(i8Names, int8Keys(Object.keys(shapes), arch.layers.flatMap((c, i) => (['LSTM', 'GRU', 'RNN', 'Linear'].includes(c.type as string) ? [`layers.${i}.`] : []))));
  const tensors = weights();
  const nonFinite = firstNonFinite(tensors);
  if (nonFinite) throw bad(`tensor "${nonFinite.key}" holds ${nonFinite.v} at element ${nonFinite.i}; weights must be finite`);
  const built: ModelLayer[] = [];
  let model: Sequential | null = null;
  try {
    for (const [i, c] of arch.layers.entries()) built.push(buildLayer(c, i));
    try {
      model = new Sequential(built, { output: arch.output as 'last' | 'mean' | 'all' | undefined });
    } catch (e) {
      throw bad(`architecture is not a valid model: ${(e as Error).message}`);
    }
    try {
      model.loadStateDict(tensors);
    } catch (e) {
      throw bad(`weights do not fit the architecture: ${(e as Error).message}`);
    }
    // The layers whose matrices came as int8 run in int8 again, with the file's values.
    if (int8 && i8Names.size) {
      model.toInt8((i) => [...i8Names].some((n) => n.startsWith(`layers.${i}.`)));
      if (!setInt8(model.int8Layers, exact)) throw bad('an int8 tensor is not the weight of a recurrent or Linear layer');
    }
    return model as M;
  } catch (e) {
    // A failed load frees all it built.
    const m = model as Sequential | null;
    if (m) m.dispose();
    else for (const l of built) l.dispose();
    throw e;
  }
}
