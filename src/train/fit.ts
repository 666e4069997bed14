// Sequential's fit: its data and options (lengths or masks, truncated BPTT,
// the validation split), then the shared loop (loop.ts) with a host that
// trains one batch with the trainer (trainer.ts).
import { SimdRnnError, argError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { Linear } from '../layers/linear.js';
import { Embedding } from '../layers/embedding.js';
import { checkInt, checkKeys, dflt } from '../layers/validate.js';
import { KEYS } from '../model/keys.js';
import type { Random } from '../util/rng.js';
import type { Sequential } from '../model/sequential.js';
import type { Data, FitOptions, History } from '../model/contracts.js';
import { MetricSum } from './losses.js';
import { trainBatch, evaluateData } from './trainer.js';
import { runLoop } from './loop.js';

export async function fit(m: Sequential, x: Tensor, y: Tensor | Int32Array, opts: FitOptions): Promise<History> {
  const where = 'Sequential.fit';
  const c = m.compiled;
  if (!c) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: call compile({ optimizer, loss }) first`);
  if (opts === null || typeof opts !== 'object') throw argError(where, 'options', 'an object', opts);
  checkKeys(where, 'options', opts, KEYS.fit);
  const all = m.engine.data(where, x, y, opts.lengths, opts.mask);
  const tbptt = checkInt(where, 'options.tbptt', dflt(opts.tbptt, 0), 0);
  if (tbptt > 0 && m.engine.recs.some((r) => r.bidirectional)) throw argError(where, 'options.tbptt', '0 for a bidirectional model (the reverse direction needs the whole sequence)', tbptt);
  if (tbptt > 0 && m.output === 'mean') throw argError(where, 'options.tbptt', "0 for output: 'mean' (the mean pools the whole sequence)", tbptt);
  const split = dflt(opts.validationSplit, 0);
  if (typeof split !== 'number' || !(split >= 0 && split < 1)) throw argError(where, 'options.validationSplit', 'a number in [0, 1)', split);
  let train = all, val: Data | null = null;
  if (opts.validationData) {
    checkKeys(where, 'options.validationData', opts.validationData, KEYS.validationData);
    val = m.engine.data(`${where} (validationData)`, opts.validationData.x, opts.validationData.y, opts.validationData.lengths, opts.validationData.mask);
  } else if (split > 0) {
    const nVal = Math.floor(all.N * split);
    if (nVal < 1 || nVal >= all.N) throw argError(where, 'options.validationSplit', `a fraction leaving at least one sample on each side of ${all.N}`, split);
    [train, val] = [m.engine.slice(all, 0, all.N - nVal), m.engine.slice(all, all.N - nVal, all.N)];
  }
  let ms: MetricSum[] = [];
  const validation = val;
  return runLoop({
    where, model: m, optimizer: c.optimizer, N: train.N,
    batches: (order, batchSize) => m.engine.batches(train.N, batchSize, order),
    metricNames: c.metrics,
    beginEpoch: () => { ms = c.metrics.map((name) => new MetricSum(name, c.loss, c.lossOptions.ignoreIndex)); },
    trainBatch: (idx) => trainBatch(m, train, idx, tbptt, ms),
    epochMetrics: () => Object.fromEntries(ms.map((s) => [s.name, s.value()])),
    validate: validation ? (batchSize) => evaluateData(m, validation, batchSize) : null,
    rngs: m.layers.map((l) => (l instanceof Linear || l instanceof Embedding ? null : l.random)).filter((r): r is Random => r !== null),
  }, opts);
}
