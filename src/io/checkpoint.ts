// Checkpoints: the model file plus what training needs to go on exactly where
// it stopped: optimizer moments and step count, the epoch, the shuffle
// order and generator state, every dropout generator's state, the history.
// A CRC of the data guards against corruption.
import { SimdRnnError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import type { Sequential, History } from '../train/sequential.js';
import { readSafetensorsFile, writeSafetensors } from './safetensors.js';
import { dataCrc } from './crc32.js';

export const CHECKPOINT_FORMAT = 'simd-rnn/checkpoint';
export const CHECKPOINT_VERSION = '1';

export interface TrainingState {
  /** Epochs completed. */
  epoch: number;
  shuffleState: number;
  order: Int32Array;
  /** Dropout generators, in layer order. */
  rngStates: number[];
  history: History;
  /** Early-stopping bookkeeping. */
  es?: { best: number | null; bad: number };
}

export interface Checkpoint {
  weights: Record<string, Tensor>;
  architecture: string;
  optimizer: { name: string; steps: number; buffers: Float32Array[] };
  training: TrainingState;
}

export function writeCheckpoint(model: Sequential, training: TrainingState): Uint8Array {
  const opt = model.optimizer;
  if (!opt) throw new SimdRnnError('INVALID_ARGUMENT', 'checkpoint: the model is not compiled');
  const st = opt.getState();
  const tensors: Record<string, Tensor> = { ...model.stateDict() };
  st.buffers.forEach((b, i) => { tensors[`optimizer.${i}`] = { data: b, shape: [b.length] }; });
  tensors['training.order'] = { data: Float32Array.from(training.order), shape: [training.order.length] };
  const meta = {
    format: CHECKPOINT_FORMAT,
    formatVersion: CHECKPOINT_VERSION,
    architecture: JSON.stringify(model.config()),
    optimizer: JSON.stringify({ name: opt.name, steps: st.step, buffers: st.buffers.length }),
    training: JSON.stringify({ epoch: training.epoch, shuffleState: training.shuffleState, rngStates: training.rngStates, history: training.history, es: training.es }),
  };
  const bytes = writeSafetensors(tensors, meta);
  return writeSafetensors(tensors, { ...meta, crc32: String(dataCrc(bytes)) });
}

function bad(msg: string): SimdRnnError {
  return new SimdRnnError('BAD_FILE', `checkpoint: ${msg}`);
}

export function readCheckpoint(bytes: Uint8Array): Checkpoint {
  const { tensors, metadata } = readSafetensorsFile(bytes);
  if (metadata.format !== CHECKPOINT_FORMAT) throw bad(`format is ${JSON.stringify(metadata.format)}, expected "${CHECKPOINT_FORMAT}"`);
  if (metadata.formatVersion !== CHECKPOINT_VERSION) throw bad(`format version is ${JSON.stringify(metadata.formatVersion)}, expected "${CHECKPOINT_VERSION}"`);
  if (metadata.crc32 === undefined || String(dataCrc(bytes)) !== metadata.crc32) {
    throw bad('checksum mismatch: the file is corrupted (or was cut short); resume from an earlier checkpoint');
  }
  let opt: { name: string; steps: number; buffers: number };
  let tr: { epoch: number; shuffleState: number; rngStates: number[]; history: History; es?: { best: number | null; bad: number } };
  try {
    opt = JSON.parse(metadata.optimizer!);
    tr = JSON.parse(metadata.training!);
  } catch {
    throw bad('optimizer or training metadata is not valid JSON');
  }
  const buffers: Float32Array[] = [];
  for (let i = 0; i < opt.buffers; i++) {
    const b = tensors[`optimizer.${i}`];
    if (!b) throw bad(`missing optimizer buffer ${i}`);
    buffers.push(b.data);
  }
  const order = tensors['training.order'];
  if (!order) throw bad('missing the shuffle order');
  const weights: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(tensors)) if (k.startsWith('layers.')) weights[k] = v;
  return {
    weights,
    architecture: metadata.architecture ?? '',
    optimizer: { name: opt.name, steps: opt.steps, buffers },
    training: { epoch: tr.epoch, shuffleState: tr.shuffleState, rngStates: tr.rngStates, history: tr.history, es: tr.es, order: Int32Array.from(order.data) },
  };
}
