// The JS twins of the fused losses (assembly/losses.ts): the same f64
// arithmetic, the same order, rounded once when stored.
import type { Kernels } from '../backend.js';
import type { Heap } from '../heap.js';

type Elementwise = (d: number, p: number, y: number) => [loss: number, grad: number];

function rowsLoss(heap: Heap, rows: number, outs: number, pred: number, target: number, weight: number, scale: number, dpred: number, f: Elementwise): number {
  const v = heap.f32, P = pred >> 2, Y = target >> 2, W = weight >> 2, D = dpred >> 2;
  let sum = 0;
  for (let r = 0; r < rows; r++) {
    const w = v[W + r]!;
    for (let c = 0; c < outs; c++) {
      const i = r * outs + c;
      if (w === 0) { if (dpred) v[D + i] = 0; continue; }
      const p = v[P + i]!, y = v[Y + i]!;
      const [l, g] = f(p - y, p, y);
      sum += w * l;
      if (dpred) v[D + i] = g * w * scale;
    }
  }
  return sum;
}

export function lossesKernels(heap: Heap): Pick<Kernels, 'f32_mse_loss' | 'f32_mae_loss' | 'f32_huber_loss' | 'f32_bce_logits_loss' | 'f32_softmax_xent_loss'> {
  return {
    f32_mse_loss(rows, outs, pred, target, weight, scale, dpred) {
      return rowsLoss(heap, rows, outs, pred, target, weight, scale, dpred, (d) => [d * d, 2 * d]);
    },
    f32_mae_loss(rows, outs, pred, target, weight, scale, dpred) {
      return rowsLoss(heap, rows, outs, pred, target, weight, scale, dpred, (d) => [Math.abs(d), Math.sign(d)]);
    },
    f32_huber_loss(rows, outs, pred, target, weight, delta, scale, dpred) {
      return rowsLoss(heap, rows, outs, pred, target, weight, scale, dpred, (d) => {
        const ad = Math.abs(d);
        return ad < delta ? [0.5 * d * d, d] : [delta * (ad - 0.5 * delta), delta * Math.sign(d)];
      });
    },
    f32_bce_logits_loss(rows, outs, pred, target, weight, scale, dpred) {
      return rowsLoss(heap, rows, outs, pred, target, weight, scale, dpred, (_, p, y) =>
        [Math.max(p, 0) - p * y + Math.log1p(Math.exp(-Math.abs(p))), 1 / (1 + Math.exp(-p)) - y]);
    },
    f32_softmax_xent_loss(rows, outs, logits, target, weight, ignoreIndex, scale, dlogits) {
      const v = heap.f32, ix = heap.i32, L = logits >> 2, W = weight >> 2, T = target >> 2, D = dlogits >> 2;
      let sum = 0;
      for (let r = 0; r < rows; r++) {
        const row = L + r * outs, drow = D + r * outs, w = v[W + r]!, y = ix[T + r]!;
        if (w === 0 || y === ignoreIndex) {
          if (dlogits) for (let c = 0; c < outs; c++) v[drow + c] = 0;
          continue;
        }
        let m = -Infinity;
        for (let c = 0; c < outs; c++) m = Math.max(m, v[row + c]!);
        let z = 0;
        for (let c = 0; c < outs; c++) z += Math.exp(v[row + c]! - m);
        const lse = m + Math.log(z);
        sum += w * (lse - v[row + y]!);
        if (dlogits) for (let c = 0; c < outs; c++) v[drow + c] = (Math.exp(v[row + c]! - lse) - (c === y ? 1 : 0)) * w * scale;
      }
      return sum;
    },
  };
}
