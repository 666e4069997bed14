// The fit loop: epochs of shuffled batches (seeded), truncated BPTT,
// callbacks, validation, early stopping, abort by an AbortSignal, and
// checkpoints (written through io, atomically) that resume bit-identically.
// Each batch's step is the trainer's (trainer.ts).
import { SimdRnnError, argError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { Linear } from '../layers/linear.js';
import { Embedding } from '../layers/embedding.js';
import { checkInt, checkBool, dflt } from '../layers/validate.js';
import { Random } from '../util/rng.js';
import type { Sequential } from '../model/sequential.js';
import type { Data, FitOptions, History, Logs } from '../model/contracts.js';
import { writeCheckpoint, readCheckpoint } from '../io/checkpoint.js';
import { writeFileAtomic, readFileBytes } from '../io/file.js';
import { MetricSum } from './losses.js';
import { trainBatch, evaluateData } from './trainer.js';

const nextTick = (): Promise<void> => new Promise((r) => (typeof setImmediate === 'function' ? setImmediate(r) : setTimeout(r, 0)));

export async function fit(m: Sequential, x: Tensor, y: Tensor | Int32Array, opts: FitOptions): Promise<History> {
  const where = 'Sequential.fit';
  const c = m.compiled;
  if (!c) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: call compile({ optimizer, loss }) first`);
  if (opts === null || typeof opts !== 'object') throw argError(where, 'options', 'an object', opts);
  const all = m.engine.data(where, x, y, opts.lengths, opts.mask);
  const epochs = checkInt(where, 'options.epochs', dflt(opts.epochs, 1), 1);
  const batchSize = checkInt(where, 'options.batchSize', dflt(opts.batchSize, 32), 1);
  const tbptt = checkInt(where, 'options.tbptt', dflt(opts.tbptt, 0), 0);
  if (tbptt > 0 && m.engine.recs.some((r) => r.bidirectional)) throw argError(where, 'options.tbptt', '0 for a bidirectional model (the reverse direction needs the whole sequence)', tbptt);
  if (tbptt > 0 && m.output === 'mean') throw argError(where, 'options.tbptt', "0 for output: 'mean' (the mean pools the whole sequence)", tbptt);
  const seed = checkInt(where, 'options.seed', dflt(opts.seed, 0), 0, 2 ** 32 - 1);
  const split = dflt(opts.validationSplit, 0);
  if (typeof split !== 'number' || !(split >= 0 && split < 1)) throw argError(where, 'options.validationSplit', 'a number in [0, 1)', split);
  if (opts.signal !== undefined && !(typeof opts.signal === 'object' && opts.signal !== null && 'aborted' in opts.signal)) {
    throw argError(where, 'options.signal', 'an AbortSignal', opts.signal);
  }
  let train = all, val: Data | null = null;
  if (opts.validationData) {
    val = m.engine.data(`${where} (validationData)`, opts.validationData.x, opts.validationData.y, opts.validationData.lengths, opts.validationData.mask);
  } else if (split > 0) {
    const nVal = Math.floor(all.N * split);
    if (nVal < 1 || nVal >= all.N) throw argError(where, 'options.validationSplit', `a fraction leaving at least one sample on each side of ${all.N}`, split);
    [train, val] = [m.engine.slice(all, 0, all.N - nVal), m.engine.slice(all, all.N - nVal, all.N)];
  }
  const es = opts.earlyStopping;
  if (es !== undefined) {
    if (es === null || typeof es !== 'object') throw argError(where, 'options.earlyStopping', '{ patience, monitor?, minDelta? }', es);
    checkInt(where, 'options.earlyStopping.patience', es.patience, 1);
    if (es.minDelta !== undefined && !(typeof es.minDelta === 'number' && es.minDelta >= 0 && Number.isFinite(es.minDelta))) {
      throw argError(where, 'options.earlyStopping.minDelta', 'a finite number ≥ 0', es.minDelta);
    }
    if (es.monitor !== undefined && es.monitor !== 'loss' && es.monitor !== 'valLoss') throw argError(where, 'options.earlyStopping.monitor', "'loss' or 'valLoss'", es.monitor);
    if (es.monitor === 'valLoss' && !val) throw argError(where, 'options.earlyStopping.monitor', "'loss' (there is no validation data to monitor)", es.monitor);
  }
  const monitor = es?.monitor ?? (val ? 'valLoss' : 'loss');
  const shuffle = checkBool(where, 'options.shuffle', dflt(opts.shuffle, true));
  if (opts.callbacks !== undefined) {
    const cb = opts.callbacks;
    if (cb === null || typeof cb !== 'object') throw argError(where, 'options.callbacks', '{ onBatchEnd?, onEpochEnd? }', cb);
    for (const k of ['onBatchEnd', 'onEpochEnd'] as const) if (cb[k] !== undefined && typeof cb[k] !== 'function') throw argError(where, `options.callbacks.${k}`, 'a function', cb[k]);
  }
  const ck = opts.checkpoint;
  if (ck !== undefined) {
    if (ck === null || typeof ck !== 'object') throw argError(where, 'options.checkpoint', '{ every?, path?, save? }', ck);
    checkInt(where, 'options.checkpoint.every', ck.every ?? 1, 1);
    if (ck.path !== undefined && typeof ck.path !== 'string') throw argError(where, 'options.checkpoint.path', 'a file path', ck.path);
    if (ck.save !== undefined && typeof ck.save !== 'function') throw argError(where, 'options.checkpoint.save', 'a function', ck.save);
  }
  const random = new Random(seed);
  let history: History = { loss: [], valLoss: [], metrics: {}, valMetrics: {}, steps: 0, skipped: 0 };
  m.skipped = 0;
  for (const m of c.metrics) { history.metrics[m] = []; history.valMetrics[m] = []; }
  let best = Infinity, bad = 0, start = 0;
  const order = Int32Array.from({ length: train.N }, (_, i) => i);
  const rngs = m.layers.map((l) => (l instanceof Linear || l instanceof Embedding ? null : l.random)).filter((r): r is Random => r !== null);
  if (opts.resume !== undefined) {
    const bytes = typeof opts.resume === 'string' ? await readFileBytes(opts.resume) : opts.resume;
    if (!(bytes instanceof Uint8Array)) throw argError(where, 'options.resume', 'checkpoint bytes or a path', opts.resume);
    const cp = readCheckpoint(bytes);
    if (cp.architecture !== JSON.stringify(m.config())) {
      throw new SimdRnnError('INVALID_ARGUMENT', `${where}: the checkpoint is of another architecture (${cp.architecture})`);
    }
    if (cp.optimizer.name !== c.optimizer.name) {
      throw new SimdRnnError('INVALID_ARGUMENT', `${where}: the checkpoint's optimizer is ${cp.optimizer.name}, this model is compiled with ${c.optimizer.name}`);
    }
    if (cp.training.order.length !== train.N || cp.training.rngStates.length !== rngs.length) {
      throw new SimdRnnError('INVALID_ARGUMENT', `${where}: the checkpoint was made on ${cp.training.order.length} training samples, this data has ${train.N}`);
    }
    m.loadWeights(`${where} (resume)`, cp.weights);
    c.optimizer.setState({ step: cp.optimizer.steps, buffers: cp.optimizer.buffers });
    random.state = cp.training.shuffleState;
    order.set(cp.training.order);
    cp.training.rngStates.forEach((st, i) => { rngs[i]!.state = st; });
    history = cp.training.history;
    m.skipped = history.skipped ?? 0;
    start = cp.training.epoch;
    const es2 = cp.training.es;
    if (es2) { best = es2.best ?? Infinity; bad = es2.bad; }
  }
  for (let epoch = start; epoch < epochs; epoch++) {
    if (shuffle) {
      for (let i = train.N - 1; i > 0; i--) {
        const j = Math.floor(random.next() * (i + 1));
        const t = order[i]!; order[i] = order[j]!; order[j] = t;
      }
    }
    const ms = c.metrics.map((m) => new MetricSum(m, c.loss, c.lossOptions.ignoreIndex));
    let sum = 0, count = 0, bi = 0;
    for (const idx of m.engine.batches(train.N, batchSize, order)) {
      if (opts.signal?.aborted) { history.stopped = 'aborted'; return finish(m, history); }
      m.alive(where); // a callback may have disposed the model
      const r = trainBatch(m, train, idx, tbptt, ms);
      if (r.count) { sum += r.loss * r.count; count += r.count; }
      await opts.callbacks?.onBatchEnd?.(bi++, { loss: r.loss });
      await nextTick();
    }
    const logs: Logs & { valLoss?: number } = { loss: count ? sum / count : NaN };
    history.loss.push(logs.loss);
    ms.forEach((m) => { logs[m.name] = m.value(); history.metrics[m.name]!.push(m.value()); });
    if (val) {
      const ev = evaluateData(m, val, batchSize);
      logs.valLoss = ev.loss;
      history.valLoss.push(ev.loss);
      for (const m of c.metrics) { logs[`val_${m}`] = ev[m]!; history.valMetrics[m]!.push(ev[m]!); }
    }
    await opts.callbacks?.onEpochEnd?.(epoch, logs);
    let stop = false;
    if (es) {
      const v = monitor === 'valLoss' ? logs.valLoss ?? logs.loss : logs.loss;
      if (v < best - (es.minDelta ?? 0)) { best = v; bad = 0; } else if (++bad >= es.patience) { history.stopped = 'earlyStopping'; stop = true; }
    }
    if (ck && ((epoch + 1) % (ck.every ?? 1) === 0 || stop || epoch + 1 === epochs)) {
      m.alive(where);
      history.steps = c.optimizer.steps;
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
  return finish(m, history);
}

function finish(m: Sequential, h: History): History {
  h.steps = m.compiled!.optimizer.steps;
  h.skipped = m.skipped;
  return h;
}
