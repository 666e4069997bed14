// Training of a sequence-to-sequence model: compile, one batch's step (the
// engine's forward with teacher forcing or scheduled sampling, the loss over
// the target tokens, backward, the optimizer update with its guard),
// evaluation, and fit through the shared loop.
import { SimdRnnError, argError } from '../errors.js';
import { checkInt, dflt, checkKeys } from '../layers/validate.js';
import type { Logs, History } from '../model/contracts.js';
import { KEYS } from '../model/keys.js';
import type { Seq2Seq, Seq2SeqTraining } from '../model/seq2seq/seq2seq.js';
import { checkPairs, slicePairs, type Pairs, type TokenTensor } from '../model/seq2seq/data.js';
import type { Seq2SeqCompileOptions, Seq2SeqEvalOptions, Seq2SeqFitOptions } from '../model/seq2seq/options.js';
import { applyUpdate } from './trainer.js';
import { runLoop, batchSizeOf } from './loop.js';

function compile(m: Seq2Seq, opts: Seq2SeqCompileOptions): void {
  const where = 'Seq2Seq.compile';
  if (opts === null || typeof opts !== 'object') throw argError(where, 'options', 'an object', opts);
  checkKeys(where, 'options', opts, KEYS.seq2seqCompile);
  const o = opts.optimizer;
  if (!o || typeof o.update !== 'function') throw argError(where, 'optimizer', 'an optimizer from optim.*', o);
  for (const k of ['clipNorm', 'clipValue'] as const) {
    const v = opts[k];
    if (v !== undefined && !(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw argError(where, k, 'a number > 0', v);
  }
  const ls = dflt(opts.labelSmoothing, 0);
  if (typeof ls !== 'number' || !(ls >= 0 && ls < 1)) throw argError(where, 'labelSmoothing', 'a number in [0, 1)', ls);
  if (opts.schedule !== undefined && typeof opts.schedule !== 'function') throw argError(where, 'schedule', 'a function of the step', opts.schedule);
  const onNonFinite = dflt(opts.onNonFinite, 'throw');
  if (onNonFinite !== 'throw' && onNonFinite !== 'skip') throw argError(where, 'onNonFinite', "'throw' or 'skip'", onNonFinite);
  if (o.disposed) throw new SimdRnnError('DISPOSED', `${where}: the optimizer was disposed (with the model it was compiled into?); make a new one`);
  // A quantized model compiles for evaluate() only (fit refuses it): its optimizer keeps no state.
  const n = m.quantized ? 0 : m.numParams;
  o.bind(m.be, n, m);
  const previous = m.compiled?.optimizer;
  if (previous && previous !== o) previous.dispose();
  if (!m.backup && n) m.backup = m.be.heap.alloc(n, m.life.owner);
  m.compiled = { ...opts, labelSmoothing: ls, onNonFinite };
}

function compiled(m: Seq2Seq, where: string): NonNullable<Seq2Seq['compiled']> {
  if (!m.compiled) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: call compile({ optimizer }) first`);
  return m.compiled;
}

/** One optimizer step on pairs idx (−1 = filler); ratio: teacher forcing's. Returns the mean loss per target token. */
function trainBatch(m: Seq2Seq, p: Pairs, idx: Int32Array, ratio: number, where: string): { loss: number; count: number } {
  const c = m.compiled!, e = m.engine, B = idx.length;
  const [S, T] = e.shapeOf(p, idx);
  e.ensure(S, T, B, true);
  e.stage(p, idx, true);
  if (e.count === 0) return { loss: NaN, count: 0 };
  e.forward(B, true, ratio, m.random);
  const loss = e.loss(B, c.labelSmoothing, true);
  m.be.k.f32_fill(m.numParams, 0, m.gPtr);
  e.backward(B);
  applyUpdate(m, loss, where);
  return { loss, count: e.count };
}

function evaluatePairs(m: Seq2Seq, p: Pairs, batchSize: number): Logs {
  const c = m.compiled!, e = m.engine, B = Math.min(batchSize, p.N);
  let sum = 0, count = 0;
  for (let s = 0; s < p.N; s += B) {
    const idx = new Int32Array(B).fill(-1);
    for (let b = 0; b < B && s + b < p.N; b++) idx[b] = s + b;
    const [S, T] = e.shapeOf(p, idx);
    e.ensure(S, T, B, false);
    e.stage(p, idx, true);
    if (e.count === 0) continue;
    e.forward(B, false, 1, null);
    sum += e.loss(B, c.labelSmoothing, false) * e.count;
    count += e.count;
  }
  return { loss: count ? sum / count : NaN };
}

/**
 * The batches of an epoch in `order`. With bucketing, each window of 32
 * batches' pairs is sorted by length first (so a batch's pairs are alike and
 * little of its S × T is padding), and the batches of a window keep the
 * window's shuffled place: deterministic in the order, so a resumed run is
 * the same run.
 */
function batchesOf(p: Pairs, batchSize: number, order: Int32Array, bucket: boolean): Int32Array[] {
  const N = p.N, B = Math.min(batchSize, N), out: Int32Array[] = [];
  let seq = order;
  if (bucket) {
    seq = Int32Array.from(order);
    const key = (n: number): number => p.srcLen[n]! * 4096 + (p.tgtLen ? p.tgtLen[n]! : 0);
    const W = 32 * B;
    for (let s = 0; s < N; s += W) {
      const part = Array.from(seq.subarray(s, Math.min(N, s + W))).sort((a, b) => key(a) - key(b) || a - b);
      seq.set(part, s);
    }
  }
  for (let s = 0; s < N; s += B) {
    const idx = new Int32Array(B).fill(-1);
    for (let b = 0; b < B && s + b < N; b++) idx[b] = seq[s + b]!;
    out.push(idx);
  }
  if (bucket) {
    // Sorted windows would run each window's short batches first: the batches go in the order of a hash of
    // their first pair (pseudo-random, and a function of the shuffled order only).
    const h = (n: number): number => Math.imul(n ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
    out.sort((a, b) => h(a[0]!) - h(b[0]!));
  }
  return out;
}


function ratioOf(where: string, tf: Seq2SeqFitOptions['teacherForcing'], epoch: number): number {
  const r = typeof tf === 'function' ? tf(epoch) : dflt(tf, 1);
  if (typeof r !== 'number' || !(r >= 0 && r <= 1)) throw argError(where, typeof tf === 'function' ? `options.teacherForcing(${epoch})` : 'options.teacherForcing', 'a number in [0, 1]', r);
  return r;
}

async function fit(m: Seq2Seq, src: TokenTensor, tgt: TokenTensor, opts: Seq2SeqFitOptions): Promise<History> {
  const where = 'Seq2Seq.fit';
  const c = compiled(m, where);
  if (opts === null || typeof opts !== 'object') throw argError(where, 'options', 'an object', opts);
  checkKeys(where, 'options', opts, KEYS.seq2seqFit);
  const all = checkPairs(where, m.c, src, tgt, opts.srcLengths, opts.tgtLengths);
  const tf = opts.teacherForcing;
  if (tf !== undefined && typeof tf !== 'function') ratioOf(where, tf, 0);
  const split = dflt(opts.validationSplit, 0);
  if (typeof split !== 'number' || !(split >= 0 && split < 1)) throw argError(where, 'options.validationSplit', 'a number in [0, 1)', split);
  let train = all, val: Pairs | null = null;
  if (opts.validationData) {
    const v = opts.validationData;
    if (v === null || typeof v !== 'object') throw argError(where, 'options.validationData', '{ src, tgt, srcLengths?, tgtLengths? }', v);
    checkKeys(where, 'options.validationData', v, KEYS.seq2seqValidation);
    val = checkPairs(`${where} (validationData)`, m.c, v.src, v.tgt, v.srcLengths, v.tgtLengths);
  } else if (split > 0) {
    const nVal = Math.floor(all.N * split);
    if (nVal < 1 || nVal >= all.N) throw argError(where, 'options.validationSplit', `a fraction leaving at least one pair on each side of ${all.N}`, split);
    [train, val] = [slicePairs(all, 0, all.N - nVal), slicePairs(all, all.N - nVal, all.N)];
  }
  batchSizeOf(where, opts);
  const bucket = dflt(opts.bucket, true);
  if (typeof bucket !== 'boolean') throw argError(where, 'options.bucket', 'true or false', bucket);
  let ratio = 1;
  const validation = val;
  return runLoop({
    where, model: m, optimizer: c.optimizer, N: train.N,
    batches: (order, batchSize) => batchesOf(train, batchSize, order, bucket),
    metricNames: [],
    beginEpoch: (epoch) => { ratio = ratioOf(where, tf, epoch); },
    trainBatch: (idx) => trainBatch(m, train, idx, ratio, where),
    epochMetrics: () => ({}),
    validate: validation ? (batchSize) => evaluatePairs(m, validation, batchSize) : null,
    rngs: [m.modules.encoder.random, m.modules.decoder.random, m.random],
  }, opts);
}

function trainOnBatch(m: Seq2Seq, src: TokenTensor, tgt: TokenTensor, opts: Seq2SeqEvalOptions): number {
  const where = 'Seq2Seq.trainOnBatch';
  compiled(m, where);
  checkKeys(where, 'options', opts, KEYS.seq2seqEval);
  const p = checkPairs(where, m.c, src, tgt, opts?.srcLengths, opts?.tgtLengths);
  return trainBatch(m, p, Int32Array.from({ length: p.N }, (_, i) => i), 1, where).loss;
}

function evaluate(m: Seq2Seq, src: TokenTensor, tgt: TokenTensor, opts: Seq2SeqEvalOptions): Logs {
  const where = 'Seq2Seq.evaluate';
  compiled(m, where);
  checkKeys(where, 'options', opts, KEYS.seq2seqEval);
  const p = checkPairs(where, m.c, src, tgt, opts?.srcLengths, opts?.tgtLengths);
  return evaluatePairs(m, p, checkInt(where, 'options.batchSize', opts?.batchSize ?? 64, 1));
}

export const seq2seqTraining: Seq2SeqTraining = { compile, fit, trainOnBatch, evaluate };
