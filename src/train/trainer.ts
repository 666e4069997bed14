// One training step and evaluation on the heap: compile (the loss, the
// optimizer, clipping, the non-finite policy), the loss of a batch and its
// gradient, backward, clipping and the optimizer update with its guard. The
// fit loop (fit.ts) and the model's own trainOnBatch and evaluate use it.
import { SimdRnnError, argError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkInt, dflt, checkKeys } from '../layers/validate.js';
import type { Sequential } from '../model/sequential.js';
import type { Backend } from '../backend/backend.js';
import type { Params } from '../layers/params.js';
import type { Compiled, CompileOptions, Data, Logs } from '../model/contracts.js';
import { KEYS } from '../model/keys.js';
import type { BatchOptions, EvalOptions } from '../model/training.js';
import { MetricSum, LOSS_NAMES, METRIC_NAMES } from './losses.js';

function compile(m: Sequential, opts: CompileOptions): void {
  const where = 'Sequential.compile';
  if (opts === null || typeof opts !== 'object') throw argError(where, 'options', 'an object', opts);
  checkKeys(where, 'options', opts, KEYS.compile);
  const o = opts.optimizer;
  if (!o || typeof o.update !== 'function') throw argError(where, 'optimizer', 'an optimizer from optim.*', o);
  if (!LOSS_NAMES.includes(opts.loss)) throw argError(where, 'loss', LOSS_NAMES.map((n) => `'${n}'`).join(' | '), opts.loss);
  for (const k of ['clipNorm', 'clipValue'] as const) {
    const v = opts[k];
    if (v !== undefined && !(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw argError(where, k, 'a number > 0', v);
  }
  if (opts.schedule !== undefined && typeof opts.schedule !== 'function') throw argError(where, 'schedule', 'a function of the step', opts.schedule);
  const metrics = dflt(opts.metrics, []);
  if (!Array.isArray(metrics)) throw argError(where, 'metrics', `an array of ${METRIC_NAMES.join(' | ')}`, metrics);
  const lo = dflt(opts.lossOptions, {});
  if (lo === null || typeof lo !== 'object') throw argError(where, 'lossOptions', 'an object', lo);
  checkKeys(where, 'lossOptions', lo, KEYS.lossOptions);
  for (const m of metrics) if (!METRIC_NAMES.includes(m)) throw argError(where, 'metrics', METRIC_NAMES.join(' | '), m);
  const onNonFinite = dflt(opts.onNonFinite, 'throw');
  if (onNonFinite !== 'throw' && onNonFinite !== 'skip') throw argError(where, 'onNonFinite', "'throw' or 'skip'", onNonFinite);
  if (opts.loss === 'crossEntropy' && m.outputSize < 2) throw argError(where, 'loss', "a regression loss for a model with one output ('crossEntropy' needs ≥ 2 classes)", opts.loss);
  if (lo.delta !== undefined && !(typeof lo.delta === 'number' && lo.delta > 0 && Number.isFinite(lo.delta))) throw argError(where, 'lossOptions.delta', 'a finite number > 0', lo.delta);
  if (lo.ignoreIndex !== undefined && !Number.isSafeInteger(lo.ignoreIndex)) throw argError(where, 'lossOptions.ignoreIndex', 'an integer', lo.ignoreIndex);
  if (lo.labelSmoothing !== undefined && !(typeof lo.labelSmoothing === 'number' && lo.labelSmoothing >= 0 && lo.labelSmoothing < 1)) {
    throw argError(where, 'lossOptions.labelSmoothing', 'a number in [0, 1)', lo.labelSmoothing);
  }
  if (o.disposed) throw new SimdRnnError('DISPOSED', `${where}: the optimizer was disposed (with the model it was compiled into?); make a new one`);
  // A quantized model compiles for evaluate() only (fit refuses it): its optimizer keeps no state.
  const n = m.quantized ? 0 : m.numParams;
  o.bind(m.be, n, m); // throws if it belongs to another model
  const previous = m.compiled?.optimizer;
  if (previous && previous !== o) previous.dispose();
  if (!m.backup && n) m.backup = m.be.heap.alloc(n, m.life.owner);
  m.compiled = { ...opts, lossOptions: dflt(opts.lossOptions, {}), metrics, onNonFinite };
  m.engine.classes = opts.loss === 'crossEntropy';
  m.engine.ignoreIndex = lo.ignoreIndex ?? -100;
}

/**
 * The loss of the staged batch (mean over the elements that count) by one
 * fused kernel on the heap, its gradient into dpred when asked, and the
 * metrics (which read the heap through views).
 */
function lossOf(m: Sequential, rows: number, withGrad: boolean, metrics: MetricSum[] | null): { loss: number; count: number } {
  const c = m.compiled!, O = m.outputSize, e = m.engine, b = e.buf, { k, heap } = m.be, count = e.count;
  if (metrics && metrics.length) {
    const input = {
      pred: heap.view(e.lastPred, rows * O), weight: heap.view(b.weight, rows), rows, outs: O, grad: null,
      target: e.classes ? heap.i32.subarray(b.target >> 2, (b.target >> 2) + rows) : heap.view(b.target, rows * O),
    };
    for (const mt of metrics) mt.add(input);
  }
  if (count === 0) return { loss: 0, count: 0 };
  const scale = 1 / count, dp = withGrad ? b.dpred : 0, p = e.lastPred, lo = c.lossOptions;
  let sum: number;
  switch (c.loss) {
    case 'crossEntropy': sum = k.f32_softmax_xent_loss(rows, O, p, b.target, b.weight, lo.ignoreIndex ?? -100, lo.labelSmoothing ?? 0, scale, dp); break;
    case 'mse': sum = k.f32_mse_loss(rows, O, p, b.target, b.weight, scale, dp); break;
    case 'mae': sum = k.f32_mae_loss(rows, O, p, b.target, b.weight, scale, dp); break;
    case 'huber': sum = k.f32_huber_loss(rows, O, p, b.target, b.weight, lo.delta ?? 1, scale, dp); break;
    default: sum = k.f32_bce_logits_loss(rows, O, p, b.target, b.weight, scale, dp);
  }
  return { loss: sum / count, count };
}

/** What an optimizer step needs of a model (Sequential, Seq2Seq): its regions, compile options and bookkeeping. */
export interface Updatable {
  readonly be: Backend;
  readonly numParams: number;
  readonly pPtr: number;
  readonly gPtr: number;
  readonly params: readonly Params[];
  backup: number;
  skipped: number;
  compiled: Pick<Compiled, 'clipValue' | 'clipNorm' | 'schedule' | 'optimizer' | 'onNonFinite'> | null;
}

/**
 * One optimizer step from the gradients in the gradient region; returns
 * false if skipped. A step whose loss, gradient norm or resulting
 * parameters are not finite is undone (parameters and optimizer state as
 * before it) and then thrown or skipped by onNonFinite.
 */
export function applyUpdate(m: Updatable, loss: number, where = 'Sequential.fit'): boolean {
  const c = m.compiled!, { k } = m.be, n = m.numParams, opt = c.optimizer;
  if (c.clipValue !== undefined) k.f32_clip_value(n, m.gPtr, -c.clipValue, c.clipValue);
  const norm = Math.sqrt(k.f32_sumsq(n, m.gPtr));
  const step = opt.steps + 1;
  if (!Number.isFinite(loss) || !Number.isFinite(norm)) {
    return nonFinite(m, where, `the ${Number.isFinite(loss) ? 'gradient norm' : 'loss'} is ${Number.isFinite(loss) ? norm : loss} at step ${step}`);
  }
  if (c.clipNorm !== undefined) {
    const coef = c.clipNorm / (norm + 1e-6);
    if (coef < 1) k.f32_scale(n, coef, m.gPtr);
  }
  const factor = c.schedule ? c.schedule(step) : 1;
  const lr = opt.lr * factor;
  if (typeof factor !== 'number' || !Number.isFinite(lr) || lr < 0) {
    throw argError(where, `schedule(${step})`, 'a finite factor ≥ 0 (giving a finite learning rate)', factor);
  }
  opt.snapshot();
  k.f32_copy(n, m.pPtr, m.backup);
  opt.update(m.pPtr, m.gPtr, lr);
  for (const p of m.params) p.touch();
  if (!Number.isFinite(k.f32_sumsq(n, m.pPtr))) {
    k.f32_copy(n, m.backup, m.pPtr);
    opt.restore();
    for (const p of m.params) p.touch();
    return nonFinite(m, where, `the update at step ${step} (learning rate ${lr}) would make a parameter non-finite; it was undone`);
  }
  return true;
}

function nonFinite(m: Updatable, where: string, what: string): false {
  if (m.compiled!.onNonFinite === 'throw') {
    throw new SimdRnnError('NON_FINITE', `${where}: ${what}; lower the learning rate, clip gradients (clipNorm), or pass onNonFinite: 'skip'`);
  }
  m.skipped++;
  return false;
}

/** Trains on one batch (B rows of idx): full or truncated BPTT. Returns the batch loss. */
function trainBatch(m: Sequential, d: Data, idx: Int32Array, tbptt: number, metrics: MetricSum[]): { loss: number; count: number } {
  const B = idx.length;
  const k = tbptt > 0 && tbptt < d.T ? tbptt : d.T;
  let sum = 0, count = 0;
  for (let t0 = 0; t0 < d.T; t0 += k) {
    const T = Math.min(k, d.T - t0);
    const lastChunk = t0 + T >= d.T;
    m.engine.ensureBuffers(T, B, true);
    const masked = m.engine.stage(d, idx, t0, T, true, lastChunk);
    m.engine.lastPred = m.engine.forward(T, B, masked, true, t0 > 0);
    if (k < d.T) m.engine.saveCarry(B);
    const rows = m.engine.perSeq ? B : T * B;
    if (m.output === 'last' && !lastChunk) continue; // no target before the end: forward only
    const r = lossOf(m, rows, true, metrics);
    if (r.count === 0) continue;
    m.be.k.f32_fill(m.numParams, 0, m.gPtr);
    m.engine.backward(T, B);
    applyUpdate(m, r.loss);
    sum += r.loss * r.count;
    count += r.count;
  }
  return { loss: count ? sum / count : NaN, count };
}

/** Inference on rows idx of d and, with targets, the loss (and metrics) over them. */
function evalBatch(m: Sequential, d: Data, idx: Int32Array, metrics: MetricSum[] | null): { loss: number; count: number } {
  const rows = m.engine.infer(d, idx, null, true);
  return lossOf(m, rows, false, metrics);
}

function evaluateData(m: Sequential, d: Data, batchSize: number): Logs {
  const c = m.compiled!;
  const ms = c.metrics.map((m) => new MetricSum(m, c.loss, c.lossOptions.ignoreIndex));
  let sum = 0, count = 0;
  const order = Int32Array.from({ length: d.N }, (_, i) => i);
  for (const idx of m.engine.batches(d.N, batchSize, order)) {
    const r = evalBatch(m, d, idx, ms);
    if (r.count) { sum += r.loss * r.count; count += r.count; }
  }
  const logs: Logs = { loss: count ? sum / count : NaN };
  for (const m of ms) logs[m.name] = m.value();
  return logs;
}

function trainOnBatch(m: Sequential, x: Tensor, y: Tensor | Int32Array, opts: BatchOptions): number {
  if (!m.compiled) throw new SimdRnnError('INVALID_ARGUMENT', 'Sequential.trainOnBatch: call compile({ optimizer, loss }) first');
  checkKeys('Sequential.trainOnBatch', 'options', opts, KEYS.batch);
  const d = m.engine.data('Sequential.trainOnBatch', x, y, opts?.lengths, opts?.mask);
  const tbptt = checkInt('Sequential.trainOnBatch', 'options.tbptt', opts?.tbptt ?? 0, 0);
  return trainBatch(m, d, Int32Array.from({ length: d.N }, (_, i) => i), tbptt, []).loss;
}

function evaluate(m: Sequential, x: Tensor, y: Tensor | Int32Array, opts: EvalOptions): Logs {
  if (!m.compiled) throw new SimdRnnError('INVALID_ARGUMENT', 'Sequential.evaluate: call compile({ optimizer, loss }) first');
  checkKeys('Sequential.evaluate', 'options', opts, KEYS.evaluate);
  const d = m.engine.data('Sequential.evaluate', x, y, opts?.lengths, opts?.mask);
  return evaluateData(m, d, checkInt('Sequential.evaluate', 'options.batchSize', opts?.batchSize ?? 32, 1));
}

export { compile, trainOnBatch, evaluate, trainBatch, evaluateData, evalBatch };
