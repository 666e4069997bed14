// The JS twins of the fused losses (assembly/losses.ts): the same f64
// arithmetic, the same order, rounded once when stored.
import type { Kernels } from '../backend.js';
import type { Heap } from '../heap.js';

const MSE = 0, MAE = 1, HUBER = 2, BCE_LOGITS = 3;

function rowsLoss(heap: Heap, kind: number, rows: number, outs: number, pred: number, target: number, weight: number, delta: number, scale: number, dpred: number): number {
  const v = heap.f32, P = pred >> 2, Y = target >> 2, W = weight >> 2, D = dpred >> 2;
  let sum = 0;
  for (let r = 0; r < rows; r++) {
    const w = v[W + r]!;
    for (let c = 0; c < outs; c++) {
      const i = r * outs + c;
      if (w === 0) { if (dpred) v[D + i] = 0; continue; }
      const p = v[P + i]!, y = v[Y + i]!, d = p - y;
      let l: number, g: number;
      if (kind === MSE) { l = d * d; g = 2 * d; } else if (kind === MAE) { l = Math.abs(d); g = Math.sign(d); } else if (kind === HUBER) {
        const ad = Math.abs(d);
        if (ad < delta) { l = 0.5 * d * d; g = d; } else { l = delta * (ad - 0.5 * delta); g = delta * Math.sign(d); }
      } else { l = Math.max(p, 0) - p * y + Math.log1p(Math.exp(-Math.abs(p))); g = 1 / (1 + Math.exp(-p)) - y; }
      sum += w * l;
      if (dpred) v[D + i] = g * w * scale;
    }
  }
  return sum;
}

export function lossesKernels(heap: Heap): Pick<Kernels, 'f32_mse_loss' | 'f32_mae_loss' | 'f32_huber_loss' | 'f32_bce_logits_loss' | 'f32_softmax_xent_loss'> {
  return {
    f32_mse_loss: (rows, outs, pred, target, weight, scale, dpred) => rowsLoss(heap, MSE, rows, outs, pred, target, weight, 0, scale, dpred),
    f32_mae_loss: (rows, outs, pred, target, weight, scale, dpred) => rowsLoss(heap, MAE, rows, outs, pred, target, weight, 0, scale, dpred),
    f32_huber_loss: (rows, outs, pred, target, weight, delta, scale, dpred) => rowsLoss(heap, HUBER, rows, outs, pred, target, weight, delta, scale, dpred),
    f32_bce_logits_loss: (rows, outs, pred, target, weight, scale, dpred) => rowsLoss(heap, BCE_LOGITS, rows, outs, pred, target, weight, 0, scale, dpred),
    f32_softmax_xent_loss(rows, outs, logits, target, weight, ignoreIndex, smoothing, scale, dlogits) {
      const v = heap.f32, ix = heap.i32, L = logits >> 2, W = weight >> 2, T = target >> 2, D = dlogits >> 2;
      let sum = 0;
      for (let r = 0; r < rows; r++) {
        const row = L + r * outs, drow = D + r * outs, w = v[W + r]!, y = ix[T + r]!;
        if (w === 0 || y === ignoreIndex) {
          if (dlogits) for (let c = 0; c < outs; c++) v[drow + c] = 0;
          continue;
        }
        let m = -Infinity, mean = 0;
        for (let c = 0; c < outs; c++) { m = Math.max(m, v[row + c]!); mean += v[row + c]!; }
        mean /= outs;
        let z = 0;
        for (let c = 0; c < outs; c++) z += Math.exp(v[row + c]! - m);
        const lse = m + Math.log(z), py = v[row + y]!;
        sum += w * (smoothing === 0 ? lse - py : lse - (1 - smoothing) * py - smoothing * mean);
        if (dlogits) for (let c = 0; c < outs; c++) v[drow + c] = (Math.exp(v[row + c]! - lse) - (c === y ? 1 - smoothing : 0) - smoothing / outs) * w * scale;
      }
      return sum;
    },
  };
}
