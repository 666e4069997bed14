// Checkpoints: the model file plus what training needs to go on exactly where
// it stopped: optimizer moments and step count, the epoch, the shuffle
// order and generator state, every dropout generator's state, the history.
// A CRC of the whole file guards against corruption; every metadata field is
// checked for type and range before it is used.
import { SimdRnnError, describe } from '../errors.js';
import type { Tensor } from '../tensor.js';
import type { History, Optimizer } from '../model/contracts.js';
import { readSafetensorsHeader, decodeTensors, writeSafetensors } from './safetensors.js';
import { crcOk, stampCrc, CRC_PLACEHOLDER } from './crc32.js';
import { finiteWeights, parseMetaJson } from './model.js';

/** The format metadata of checkpoint files. */
export const CHECKPOINT_FORMAT = 'simd-rnn/checkpoint';
/** Written: 2 (CRC over the whole file). Read: 1 and 2. */
export const CHECKPOINT_VERSION = '2';
const READABLE_VERSIONS = ['1', '2'];

/** Where a fit stood when a checkpoint was written: the epoch's history, the shuffle, early stopping. */
export interface TrainingState {
  /** Epochs completed. */
  epoch: number;
  /** The shuffle generator's state. */
  shuffleState: number;
  /** The current epoch's order of samples. */
  order: Int32Array;
  /** Dropout generators, in layer order. */
  rngStates: number[];
  /** The history so far. */
  history: History;
  /** Early-stopping bookkeeping. */
  es?: {
    /** The best monitored loss so far. */
    best: number | null;
    /** Epochs since it improved. */
    bad: number;
  };
}

/** A checkpoint, read back: the weights, the optimizer's state and the training state. */
export interface Checkpoint {
  /** The model's parameters by name. */
  weights: Record<string, Tensor>;
  /** The model's config, as JSON. */
  architecture: string;
  /** The optimizer: its name, its steps and its state buffers. */
  optimizer: {
    /** 'sgd' | 'adam' | 'adamw' | 'rmsprop' | 'adagrad'. */
    name: string;
    /** Steps taken. */
    steps: number;
    /** Its moments and buffers. */
    buffers: Float32Array[];
  };
  /** Where training stood. */
  training: TrainingState;
}

/** What a checkpoint takes of a model (Sequential, Seq2Seq). */
export interface CheckpointModel {
  /** The compiled optimizer. */
  readonly optimizer: Optimizer | null;
  /** Its parameters. */
  stateDict(): Record<string, Tensor>;
  /** Its architecture. */
  config(): unknown;
}

/** A checkpoint of a compiled model and its training state, as one safetensors file with a CRC (fit writes these). */
export function writeCheckpoint(model: CheckpointModel, training: TrainingState): Uint8Array {
  const opt = model.optimizer;
  if (!opt) throw new SimdRnnError('INVALID_ARGUMENT', 'checkpoint: the model is not compiled');
  const st = opt.getState();
  const weights = model.stateDict();
  finiteWeights('checkpoint', weights);
  const tensors: Record<string, Tensor> = { ...weights };
  st.buffers.forEach((b, i) => { tensors[`optimizer.${i}`] = { data: b, shape: [b.length] }; });
  tensors['training.order'] = { data: Float32Array.from(training.order), shape: [training.order.length] };
  const meta = {
    format: CHECKPOINT_FORMAT,
    formatVersion: CHECKPOINT_VERSION,
    architecture: JSON.stringify(model.config()),
    optimizer: JSON.stringify({ name: opt.name, steps: st.step, buffers: st.buffers.length }),
    training: JSON.stringify({ epoch: training.epoch, shuffleState: training.shuffleState, rngStates: training.rngStates, history: training.history, es: training.es }),
    crc32: CRC_PLACEHOLDER,
  };
  return stampCrc(writeSafetensors(tensors, meta));
}

function bad(msg: string): SimdRnnError {
  return new SimdRnnError('BAD_FILE', `checkpoint: ${msg}`);
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isUint = (v: unknown, hi = Number.MAX_SAFE_INTEGER): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= hi;
// Losses are numbers, or null where JSON wrote a NaN.
const isSeries = (v: unknown): v is (number | null)[] => Array.isArray(v) && v.every((x) => x === null || typeof x === 'number');

function checkHistory(h: unknown): History {
  if (!isObj(h) || !isSeries(h.loss) || !isSeries(h.valLoss) || !isObj(h.metrics) || !isObj(h.valMetrics) ||
      !Object.values(h.metrics).every(isSeries) || !Object.values(h.valMetrics).every(isSeries) || !isUint(h.steps) ||
      (h.skipped !== undefined && !isUint(h.skipped)) || (h.stopped !== undefined && h.stopped !== 'aborted' && h.stopped !== 'earlyStopping' && h.stopped !== 'exhausted')) {
    throw bad('training metadata has an invalid history');
  }
  const nan = (a: (number | null)[]): number[] => a.map((x) => (x === null ? NaN : x));
  const rec = (r: Record<string, unknown>): Record<string, number[]> => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, nan(v as (number | null)[])]));
  return { loss: nan(h.loss), valLoss: nan(h.valLoss), metrics: rec(h.metrics), valMetrics: rec(h.valMetrics), steps: h.steps, skipped: (h.skipped as number | undefined) ?? 0, ...(h.stopped ? { stopped: h.stopped } : {}) } as History;
}

/** Reads and checks a checkpoint (format, CRC, every tensor and the training metadata); BAD_FILE otherwise. */
export function readCheckpoint(bytes: Uint8Array): Checkpoint {
  const header = readSafetensorsHeader(bytes), { metadata } = header;
  if (metadata.format !== CHECKPOINT_FORMAT) throw bad(`format is ${describe(metadata.format)}, expected "${CHECKPOINT_FORMAT}"`);
  if (!READABLE_VERSIONS.includes(metadata.formatVersion ?? '')) {
    throw bad(`format version is ${describe(metadata.formatVersion)}, expected one of ${READABLE_VERSIONS.map((v) => `"${v}"`).join(', ')}`);
  }
  if (metadata.crc32 === undefined || !crcOk(bytes, metadata.formatVersion!, metadata.crc32)) {
    throw bad('checksum mismatch: the file is corrupted (or was cut short); resume from an earlier checkpoint');
  }
  const opt = parseMetaJson(bad, 'optimizer', metadata.optimizer, 1 << 12);
  const tr = parseMetaJson(bad, 'training', metadata.training, 1 << 26);
  if (!isObj(opt) || typeof opt.name !== 'string' || !isUint(opt.steps) || !isUint(opt.buffers, 8)) throw bad('optimizer metadata is not { name, steps, buffers }');
  if (!isObj(tr) || !isUint(tr.epoch) || !isUint(tr.shuffleState, 0xffffffff) || !Array.isArray(tr.rngStates) ||
      !tr.rngStates.every((r) => isUint(r, 0xffffffff))) {
    throw bad('training metadata is not { epoch, shuffleState, rngStates, history }');
  }
  let es: { best: number | null; bad: number } | undefined;
  if (tr.es !== undefined) {
    if (!isObj(tr.es) || !(tr.es.best === null || typeof tr.es.best === 'number') || !isUint(tr.es.bad)) throw bad('training metadata has invalid early-stopping state');
    es = { best: tr.es.best as number | null, bad: tr.es.bad };
  }
  const history = checkHistory(tr.history);
  const tensors = decodeTensors(bytes, header);
  const buffers: Float32Array[] = [];
  for (let i = 0; i < opt.buffers; i++) {
    const b = tensors[`optimizer.${i}`];
    if (!b) throw bad(`missing optimizer buffer ${i}`);
    buffers.push(b.data);
  }
  const order = tensors['training.order'];
  if (!order || order.shape.length !== 1) throw bad('missing the shuffle order');
  // The order must be a permutation of 0 … N−1: resume indexes the data with it.
  const seen = new Uint8Array(order.data.length);
  for (const v of order.data) {
    if (!isUint(v, order.data.length - 1) || seen[v]) throw bad('the shuffle order is not a permutation');
    seen[v] = 1;
  }
  const weights: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(tensors)) if (!k.startsWith('optimizer.') && !k.startsWith('training.')) weights[k] = v;
  return {
    weights,
    architecture: metadata.architecture ?? '',
    optimizer: { name: opt.name, steps: opt.steps, buffers },
    training: { epoch: tr.epoch, shuffleState: tr.shuffleState, rngStates: tr.rngStates as number[], history, es, order: Int32Array.from(order.data) },
  };
}
