// Losses over the model's predictions (rows × outputs, on the heap) and the
// targets of the same rows. Each returns the mean loss over the valid
// elements and writes its gradient (already divided by that count) into
// grad. Rows with weight 0 (padding steps, filler rows) count for nothing.
// The math is PyTorch's (MSELoss, L1Loss, HuberLoss, CrossEntropyLoss with
// ignore_index, BCEWithLogitsLoss), in float64.
import type { LossName, LossOptions, MetricName } from '../model/contracts.js';

export type { LossName, LossOptions, MetricName } from '../model/contracts.js';

export const LOSS_NAMES: readonly LossName[] = ['mse', 'mae', 'huber', 'crossEntropy', 'bceWithLogits'];

/** computeLoss's input: predictions and targets as flat arrays of rows × outs, with optional row weights. */
export interface LossInput {
  /** Predictions [rows, outs]. */
  pred: Float32Array;
  /** Targets: [rows, outs], or [rows] class indices for crossEntropy. */
  target: Float32Array | Int32Array;
  /** Row weights: 1 valid, 0 ignored. */
  weight: Float32Array;
  /** Rows (samples or steps). */
  rows: number;
  /** Outputs per row (the number of classes for crossEntropy). */
  outs: number;
  /** Written: dLoss/dpred (may be null when only the value is needed). */
  grad: Float32Array | null;
}

/** Returns { loss, count }; count = number of elements (or rows, for crossEntropy) averaged over. */
export function computeLoss(name: LossName, a: LossInput, o: LossOptions = {}): {
  /** The mean loss over the counted elements. */
  loss: number;
  /** Elements averaged over (rows, for crossEntropy). */
  count: number;
} {
  const { pred, target, weight, rows, outs, grad } = a;
  if (grad) grad.fill(0, 0, rows * outs);
  let sum = 0, count = 0;
  if (name === 'crossEntropy') {
    const ignore = o.ignoreIndex ?? -100, eps = o.labelSmoothing ?? 0;
    for (let r = 0; r < rows; r++) if (weight[r] !== 0 && target[r] !== ignore) count++;
    if (count === 0) return { loss: 0, count: 0 };
    for (let r = 0; r < rows; r++) {
      const y = target[r]!;
      if (weight[r] === 0 || y === ignore) continue;
      let m = -Infinity, mean = 0;
      for (let c = 0; c < outs; c++) { m = Math.max(m, pred[r * outs + c]!); mean += pred[r * outs + c]! / outs; }
      let z = 0;
      for (let c = 0; c < outs; c++) z += Math.exp(pred[r * outs + c]! - m);
      const lse = m + Math.log(z);
      // −Σ_c q_c·log p_c with q = (1 − ε)·onehot(y) + ε/outs.
      sum += lse - (1 - eps) * pred[r * outs + y]! - eps * mean;
      if (grad) {
        for (let c = 0; c < outs; c++) grad[r * outs + c] = (Math.exp(pred[r * outs + c]! - lse) - (c === y ? 1 - eps : 0) - eps / outs) / count;
      }
    }
    return { loss: sum / count, count };
  }
  for (let r = 0; r < rows; r++) if (weight[r] !== 0) count += outs;
  if (count === 0) return { loss: 0, count: 0 };
  const delta = o.delta ?? 1;
  for (let r = 0; r < rows; r++) {
    if (weight[r] === 0) continue;
    for (let c = 0; c < outs; c++) {
      const i = r * outs + c, p = pred[i]!, y = target[i]!, d = p - y;
      let l: number, g: number;
      switch (name) {
        case 'mse': l = d * d; g = 2 * d; break;
        case 'mae': l = Math.abs(d); g = Math.sign(d); break;
        case 'huber': {
          const ad = Math.abs(d);
          if (ad < delta) { l = 0.5 * d * d; g = d; } else { l = delta * (ad - 0.5 * delta); g = delta * Math.sign(d); }
          break;
        }
        default: { // bceWithLogits, the numerically stable form
          l = Math.max(p, 0) - p * y + Math.log1p(Math.exp(-Math.abs(p)));
          g = 1 / (1 + Math.exp(-p)) - y;
        }
      }
      sum += l;
      if (grad) grad[i] = g / count;
    }
  }
  return { loss: sum / count, count };
}

export const METRIC_NAMES: readonly MetricName[] = ['accuracy', 'mae', 'rmse'];

/** Running sums for a metric over batches. */
export class MetricSum {
  private sum = 0;
  private n = 0;
  constructor(readonly name: MetricName, private readonly loss: LossName, private readonly ignoreIndex = -100) {}

  add(a: LossInput): void {
    const { pred, target, weight, rows, outs } = a;
    for (let r = 0; r < rows; r++) {
      if (weight[r] === 0) continue;
      if (this.name === 'accuracy') {
        if (this.loss === 'crossEntropy') {
          if (target[r] === this.ignoreIndex) continue;
          let best = 0;
          for (let c = 1; c < outs; c++) if (pred[r * outs + c]! > pred[r * outs + best]!) best = c;
          this.sum += best === target[r] ? 1 : 0;
          this.n++;
        } else {
          // Binary (logits for bceWithLogits, else a 0.5 threshold) per output.
          const thr = this.loss === 'bceWithLogits' ? 0 : 0.5;
          for (let c = 0; c < outs; c++) {
            this.sum += (pred[r * outs + c]! > thr) === (target[r * outs + c]! > 0.5) ? 1 : 0;
            this.n++;
          }
        }
      } else {
        for (let c = 0; c < outs; c++) {
          const d = pred[r * outs + c]! - target[r * outs + c]!;
          this.sum += this.name === 'mae' ? Math.abs(d) : d * d;
          this.n++;
        }
      }
    }
  }

  value(): number {
    if (this.n === 0) return NaN;
    return this.name === 'rmse' ? Math.sqrt(this.sum / this.n) : this.sum / this.n;
  }
}
