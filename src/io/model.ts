// A model as ONE safetensors file: the weights as `layers.{i}.{name}` (each
// layer's PyTorch names), the architecture and a format version in the
// metadata. Loading checks both before building anything.
import { SimdRnnError } from '../errors.js';
import { LSTM } from '../layers/lstm.js';
import { GRU } from '../layers/gru.js';
import { RNN } from '../layers/rnn.js';
import { Linear } from '../layers/linear.js';
import { Dropout } from '../layers/dropout.js';
import { Embedding } from '../layers/embedding.js';
import { Sequential, type ModelLayer } from '../train/sequential.js';
import { readSafetensorsFile, writeSafetensors } from './safetensors.js';
import { dataCrc } from './crc32.js';
import { writeFileAtomic, readFileBytes } from './file.js';

export const MODEL_FORMAT = 'simd-rnn/sequential';
export const MODEL_FORMAT_VERSION = '1';

/**
 * @example
 * const bytes = io.save(model);       // Uint8Array, one safetensors file
 * const again = io.load(bytes);       // a Sequential with the same weights
 */
export function save(model: Sequential, metadata: Record<string, string> = {}): Uint8Array {
  if (!(model instanceof Sequential)) {
    throw new SimdRnnError('INVALID_ARGUMENT', `io.save: model is ${typeof model}, expected a Sequential`);
  }
  const dict = model.stateDict();
  for (const [k, v] of Object.entries(metadata ?? {})) {
    if (typeof v !== 'string') throw new SimdRnnError('INVALID_ARGUMENT', `io.save: metadata.${k} is ${typeof v}, expected a string`);
  }
  // Caller's metadata first: the format keys always win.
  const meta = { ...metadata, format: MODEL_FORMAT, formatVersion: MODEL_FORMAT_VERSION, architecture: JSON.stringify(model.config()) };
  const crc = dataCrc(writeSafetensors(dict, meta));
  return writeSafetensors(dict, { ...meta, crc32: String(crc) });
}

/** Saves a model to a file on Node, atomically. */
export async function saveFile(model: Sequential, path: string, metadata?: Record<string, string>): Promise<void> {
  await writeFileAtomic(path, save(model, metadata));
}

/** Loads a model (or a checkpoint's model) from a file on Node. */
export async function loadFile(path: string): Promise<Sequential> {
  return load(await readFileBytes(path));
}

function bad(msg: string): SimdRnnError {
  return new SimdRnnError('BAD_FILE', `io.load: ${msg}`);
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
      case 'Embedding': return new Embedding(o as never);
      default: throw bad(`layer ${i} has unknown type ${JSON.stringify(type)}`);
    }
  } catch (e) {
    if (e instanceof SimdRnnError && e.code === 'BAD_FILE') throw e;
    throw bad(`layer ${i} (${String(type)}) has invalid options: ${(e as Error).message}`);
  }
}

export function load(bytes: Uint8Array): Sequential {
  const { tensors, metadata } = readSafetensorsFile(bytes);
  if (metadata.format === 'simd-rnn/checkpoint') {
    // A checkpoint holds the model too: take its weights.
    for (const k of Object.keys(tensors)) if (!k.startsWith('layers.')) delete tensors[k];
  } else if (metadata.format !== MODEL_FORMAT) {
    throw bad(`format is ${JSON.stringify(metadata.format)}, expected "${MODEL_FORMAT}"`);
  }
  if (metadata.crc32 !== undefined && String(dataCrc(bytes)) !== metadata.crc32) {
    throw bad('checksum mismatch: the file is corrupted');
  }
  if (metadata.formatVersion !== MODEL_FORMAT_VERSION) {
    throw bad(`format version is ${JSON.stringify(metadata.formatVersion)}, expected "${MODEL_FORMAT_VERSION}" (written by a newer simd-rnn?)`);
  }
  let arch: { output?: unknown; layers?: unknown };
  try {
    arch = JSON.parse(metadata.architecture ?? '');
  } catch {
    throw bad('architecture metadata is not valid JSON');
  }
  if (!arch || !Array.isArray(arch.layers) || arch.layers.some((l) => l === null || typeof l !== 'object')) {
    throw bad('architecture metadata has no layer list');
  }
  for (const [k, v] of Object.entries(tensors)) {
    for (let i = 0; i < v.data.length; i++) {
      if (!Number.isFinite(v.data[i]!)) throw bad(`tensor "${k}" holds ${v.data[i]} at element ${i}; weights must be finite`);
    }
  }
  const layers = (arch.layers as Record<string, unknown>[]).map(buildLayer);
  let model: Sequential;
  try {
    model = new Sequential(layers, { output: arch.output as 'last' | 'mean' | 'all' });
  } catch (e) {
    throw bad(`architecture is not a valid model: ${(e as Error).message}`);
  }
  try {
    model.loadStateDict(tensors);
  } catch (e) {
    model.dispose();
    throw bad(`weights do not fit the architecture: ${(e as Error).message}`);
  }
  return model;
}
