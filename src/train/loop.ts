// The fit loop shared by every model: epochs of shuffled batches (seeded),
// callbacks, validation, early stopping, abort by an AbortSignal, and
// checkpoints (written through io, atomically) that resume bit-identically.
// A model's fit checks its own data and options and hands the loop a host:
// how to train one batch, validate, and which generators to save.
import { SimdRnnError, argError } from '../errors.js';
import { checkInt, checkBool, dflt, checkKeys } from '../layers/validate.js';
import { Random } from '../util/rng.js';
import type { History, Logs, LoopOptions, Optimizer } from '../model/contracts.js';
import { KEYS } from '../model/keys.js';

export type { LoopOptions } from '../model/contracts.js';
import { writeCheckpoint, readCheckpoint, type CheckpointModel } from '../io/checkpoint.js';
import { writeFileAtomic, readFileBytes } from '../io/file.js';

const nextTick = (): Promise<void> => new Promise((r) => (typeof setImmediate === 'function' ? setImmediate(r) : setTimeout(r, 0)));

/** What the loop needs of a model and its data. */
export interface LoopHost<I = Int32Array> {
  where: string;
  model: CheckpointModel & { optimizer: Optimizer | null; skipped: number; alive(where: string): void; loadWeights(where: string, dict: Record<string, import('../tensor.js').Tensor>): void };
  optimizer: Optimizer;
  /** Training samples held in memory, shuffled through `order` (0 for a stream of batches). */
  N: number;
  /**
   * The batches of an epoch: for data in memory, rows in `order` (the last
   * batch filled with −1); a stream reads its source (and shuffles with random).
   */
  batches(order: Int32Array, batchSize: number, epoch: number, random: Random, shuffle: boolean): Iterable<I> | AsyncIterable<I>;
  /** Metric names, in history.metrics. */
  metricNames: readonly string[];
  /** Starts an epoch (metric sums; a schedule of the epoch). */
  beginEpoch(epoch: number): void;
  trainBatch(item: I): { loss: number; count: number };
  /** A stream read once ran out before the epoch's stepsPerEpoch: training ends after this epoch. */
  exhausted?(): boolean;
  /** The epoch's training metrics. */
  epochMetrics(): Record<string, number>;
  /** Loss and metrics on the validation data, or null without. */
  validate: ((batchSize: number) => Logs | Promise<Logs>) | null;
  /** Generators whose states checkpoints keep (dropout, sampling), in a fixed order. */
  rngs: Random[];
}

/** The validated batch size (the caller needs it before the loop: it sizes batches). */
export function batchSizeOf(where: string, opts: LoopOptions): number {
  return checkInt(where, 'options.batchSize', dflt(opts.batchSize, 32), 1);
}

export async function runLoop<I>(h: LoopHost<I>, opts: LoopOptions): Promise<History> {
  const where = h.where, m = h.model;
  const epochs = checkInt(where, 'options.epochs', dflt(opts.epochs, 1), 1);
  const batchSize = batchSizeOf(where, opts);
  const seed = checkInt(where, 'options.seed', dflt(opts.seed, 0), 0, 2 ** 32 - 1);
  if (opts.signal !== undefined && !(typeof opts.signal === 'object' && opts.signal !== null && 'aborted' in opts.signal)) {
    throw argError(where, 'options.signal', 'an AbortSignal', opts.signal);
  }
  const es = opts.earlyStopping;
  if (es !== undefined) {
    if (es === null || typeof es !== 'object') throw argError(where, 'options.earlyStopping', '{ patience, monitor?, minDelta? }', es);
    checkKeys(where, 'options.earlyStopping', es, KEYS.earlyStopping);
    checkInt(where, 'options.earlyStopping.patience', es.patience, 1);
    if (es.minDelta !== undefined && !(typeof es.minDelta === 'number' && es.minDelta >= 0 && Number.isFinite(es.minDelta))) {
      throw argError(where, 'options.earlyStopping.minDelta', 'a finite number ≥ 0', es.minDelta);
    }
    if (es.monitor !== undefined && es.monitor !== 'loss' && es.monitor !== 'valLoss') throw argError(where, 'options.earlyStopping.monitor', "'loss' or 'valLoss'", es.monitor);
    if (es.monitor === 'valLoss' && !h.validate) throw argError(where, 'options.earlyStopping.monitor', "'loss' (there is no validation data to monitor)", es.monitor);
  }
  const monitor = es?.monitor ?? (h.validate ? 'valLoss' : 'loss');
  const shuffle = checkBool(where, 'options.shuffle', dflt(opts.shuffle, true));
  if (opts.callbacks !== undefined) {
    const cb = opts.callbacks;
    if (cb === null || typeof cb !== 'object') throw argError(where, 'options.callbacks', '{ onBatchEnd?, onEpochEnd? }', cb);
    checkKeys(where, 'options.callbacks', cb, KEYS.callbacks);
    for (const k of ['onBatchEnd', 'onEpochEnd'] as const) if (cb[k] !== undefined && typeof cb[k] !== 'function') throw argError(where, `options.callbacks.${k}`, 'a function', cb[k]);
  }
  const ck = opts.checkpoint;
  if (ck !== undefined) {
    if (ck === null || typeof ck !== 'object') throw argError(where, 'options.checkpoint', '{ every?, path?, save? }', ck);
    checkKeys(where, 'options.checkpoint', ck, KEYS.checkpoint);
    checkInt(where, 'options.checkpoint.every', ck.every ?? 1, 1);
    if (ck.path !== undefined && typeof ck.path !== 'string') throw argError(where, 'options.checkpoint.path', 'a file path', ck.path);
    if (ck.save !== undefined && typeof ck.save !== 'function') throw argError(where, 'options.checkpoint.save', 'a function', ck.save);
  }
  const random = new Random(seed), rngs = h.rngs, c = h.optimizer;
  let history: History = { loss: [], valLoss: [], metrics: {}, valMetrics: {}, steps: 0, skipped: 0 };
  m.skipped = 0;
  for (const name of h.metricNames) { history.metrics[name] = []; history.valMetrics[name] = []; }
  let best = Infinity, bad = 0, start = 0;
  const order = Int32Array.from({ length: h.N }, (_, i) => i);
  if (opts.resume !== undefined) {
    const bytes = typeof opts.resume === 'string' ? await readFileBytes(opts.resume) : opts.resume;
    if (!(bytes instanceof Uint8Array)) throw argError(where, 'options.resume', 'checkpoint bytes or a path', opts.resume);
    const cp = readCheckpoint(bytes);
    if (cp.architecture !== JSON.stringify(m.config())) {
      throw new SimdRnnError('INVALID_ARGUMENT', `${where}: the checkpoint is of another architecture (${cp.architecture})`);
    }
    if (cp.optimizer.name !== c.name) {
      throw new SimdRnnError('INVALID_ARGUMENT', `${where}: the checkpoint's optimizer is ${cp.optimizer.name}, this model is compiled with ${c.name}`);
    }
    if (cp.training.order.length !== h.N && (h.N === 0 || cp.training.order.length === 0)) {
      throw new SimdRnnError('INVALID_ARGUMENT', `${where}: the checkpoint was made training on ${h.N === 0 ? 'tensors' : 'a stream of batches'}, this fit is on ${h.N === 0 ? 'a stream of batches' : 'tensors'}`);
    }
    if (cp.training.order.length !== h.N || cp.training.rngStates.length !== rngs.length) {
      throw new SimdRnnError('INVALID_ARGUMENT', `${where}: the checkpoint was made on ${cp.training.order.length} training samples, this data has ${h.N}`);
    }
    m.loadWeights(`${where} (resume)`, cp.weights);
    c.setState({ step: cp.optimizer.steps, buffers: cp.optimizer.buffers });
    random.state = cp.training.shuffleState;
    order.set(cp.training.order);
    cp.training.rngStates.forEach((st, i) => { rngs[i]!.state = st; });
    history = cp.training.history;
    m.skipped = history.skipped ?? 0;
    start = cp.training.epoch;
    const es2 = cp.training.es;
    if (es2) { best = es2.best ?? Infinity; bad = es2.bad; }
  }
  const finish = (): History => { history.steps = c.steps; history.skipped = m.skipped; return history; };
  for (let epoch = start; epoch < epochs; epoch++) {
    if (shuffle) {
      for (let i = h.N - 1; i > 0; i--) {
        const j = Math.floor(random.next() * (i + 1));
        const t = order[i]!; order[i] = order[j]!; order[j] = t;
      }
    }
    h.beginEpoch(epoch);
    let sum = 0, count = 0, bi = 0;
    for await (const item of h.batches(order, batchSize, epoch, random, shuffle)) {
      if (opts.signal?.aborted) { history.stopped = 'aborted'; return finish(); }
      m.alive(where); // a callback may have disposed the model
      const r = h.trainBatch(item);
      if (r.count) { sum += r.loss * r.count; count += r.count; }
      await opts.callbacks?.onBatchEnd?.(bi++, { loss: r.loss });
      await nextTick();
    }
    const logs: Logs & { valLoss?: number } = { loss: count ? sum / count : NaN };
    history.loss.push(logs.loss);
    for (const [name, v] of Object.entries(h.epochMetrics())) { logs[name] = v; history.metrics[name]?.push(v); }
    if (h.validate) {
      const ev = await h.validate(batchSize);
      logs.valLoss = ev.loss;
      history.valLoss.push(ev.loss);
      for (const name of h.metricNames) { logs[`val_${name}`] = ev[name]!; history.valMetrics[name]!.push(ev[name]!); }
    }
    await opts.callbacks?.onEpochEnd?.(epoch, logs);
    let stop = false;
    if (h.exhausted?.()) { history.stopped = 'exhausted'; stop = true; }
    if (es && !stop) {
      const v = monitor === 'valLoss' ? logs.valLoss ?? logs.loss : logs.loss;
      if (v < best - (es.minDelta ?? 0)) { best = v; bad = 0; } else if (++bad >= es.patience) { history.stopped = 'earlyStopping'; stop = true; }
    }
    if (ck && ((epoch + 1) % (ck.every ?? 1) === 0 || stop || epoch + 1 === epochs)) {
      m.alive(where);
      history.steps = c.steps;
      history.skipped = m.skipped;
      const bytes = writeCheckpoint(m, {
        epoch: epoch + 1, shuffleState: random.state, order, rngStates: rngs.map((r) => r.state), history,
        es: { best: Number.isFinite(best) ? best : null, bad },
      });
      if (ck.path) await writeFileAtomic(ck.path, bytes);
      if (ck.save) await ck.save(bytes, epoch);
    }
    if (stop) break;
  }
  return finish();
}
