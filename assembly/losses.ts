// Losses over a batch's predictions, forward and backward fused: each kernel
// returns the weighted sum of the loss over rows × outputs (f64) and, when
// dpred is not 0, writes dpred = scale · ∂loss/∂pred (rows of weight 0 get
// 0). The caller divides the sum by the number of valid elements and passes
// scale = 1 / that number, which makes the mean PyTorch's reduction.
// Arithmetic is in f64 (exp, log1p from AssemblyScript's own math, so every
// build gives the same bits) and rounded once when stored.
//
// pred, target, dpred: [rows, outs] contiguous f32 (target i32 class indices
// [rows] for cross-entropy); weight: [rows] f32, 1 valid, 0 ignored.

const MSE = 0, MAE = 1, HUBER = 2, BCE_LOGITS = 3;

// One pass over rows × outs for the element-wise losses; kind is a constant
// at each call site, so the switch folds away when inlined.
// @ts-ignore: decorator
@inline function rowsLoss(kind: i32, rows: i32, outs: i32, pred: usize, target: usize, weight: usize, delta: f64, scale: f64, dpred: usize): f64 {
  let sum: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const w = <f64>load<f32>(weight + (<usize>r << 2));
    for (let c = 0; c < outs; c++) {
      const o = <usize>(r * outs + c) << 2;
      if (w == 0) { if (dpred != 0) store<f32>(dpred + o, 0); continue; }
      const p = <f64>load<f32>(pred + o), y = <f64>load<f32>(target + o), d = p - y;
      let l: f64, g: f64;
      if (kind == MSE) { l = d * d; g = 2 * d; }
      else if (kind == MAE) { l = Math.abs(d); g = sign(d); }
      else if (kind == HUBER) {
        const ad = Math.abs(d);
        if (ad < delta) { l = 0.5 * d * d; g = d; } else { l = delta * (ad - 0.5 * delta); g = delta * sign(d); }
      } else { l = Math.max(p, 0) - p * y + Math.log1p(Math.exp(-Math.abs(p))); g = 1 / (1 + Math.exp(-p)) - y; }
      sum += w * l;
      if (dpred != 0) store<f32>(dpred + o, <f32>(g * w * scale));
    }
  }
  return sum;
}

/** Σ w·(p − y)²; d = 2·(p − y)·scale. PyTorch's MSELoss. */
export function f32_mse_loss(rows: i32, outs: i32, pred: usize, target: usize, weight: usize, scale: f64, dpred: usize): f64 {
  return rowsLoss(MSE, rows, outs, pred, target, weight, 0, scale, dpred);
}

/** Σ w·|p − y|; d = sign(p − y)·scale. PyTorch's L1Loss. */
export function f32_mae_loss(rows: i32, outs: i32, pred: usize, target: usize, weight: usize, scale: f64, dpred: usize): f64 {
  return rowsLoss(MAE, rows, outs, pred, target, weight, 0, scale, dpred);
}

/** Huber with threshold delta: ½d² below delta, delta·(|d| − ½delta) above. PyTorch's HuberLoss. */
export function f32_huber_loss(rows: i32, outs: i32, pred: usize, target: usize, weight: usize, delta: f64, scale: f64, dpred: usize): f64 {
  return rowsLoss(HUBER, rows, outs, pred, target, weight, delta, scale, dpred);
}

/** Binary cross-entropy on logits, the stable form max(p, 0) − p·y + log(1 + e^−|p|); d = σ(p) − y. PyTorch's BCEWithLogitsLoss. */
export function f32_bce_logits_loss(rows: i32, outs: i32, pred: usize, target: usize, weight: usize, scale: f64, dpred: usize): f64 {
  return rowsLoss(BCE_LOGITS, rows, outs, pred, target, weight, 0, scale, dpred);
}

/**
 * Softmax cross-entropy over outs classes per row, targets i32 class indices;
 * rows of weight 0 or whose target is ignoreIndex count for nothing. With
 * label smoothing ε the target is (1 − ε)·onehot(y) + ε/outs: loss
 * logsumexp(p) − (1 − ε)·p[y] − ε·mean(p); d = softmax(p) − that target.
 * PyTorch's CrossEntropyLoss (label_smoothing = ε).
 */
export function f32_softmax_xent_loss(rows: i32, outs: i32, logits: usize, target: usize, weight: usize, ignoreIndex: i32, smoothing: f64, scale: f64, dlogits: usize): f64 {
  let sum: f64 = 0;
  const share = smoothing / <f64>outs;
  for (let r = 0; r < rows; r++) {
    const row = logits + (<usize>(r * outs) << 2), drow = dlogits + (<usize>(r * outs) << 2);
    const w = <f64>load<f32>(weight + (<usize>r << 2)), y = load<i32>(target + (<usize>r << 2));
    if (w == 0 || y == ignoreIndex) {
      if (dlogits != 0) for (let c = 0; c < outs; c++) store<f32>(drow + (<usize>c << 2), 0);
      continue;
    }
    let m = -Infinity, mean: f64 = 0;
    for (let c = 0; c < outs; c++) {
      const p = <f64>load<f32>(row + (<usize>c << 2));
      m = Math.max(m, p);
      mean += p;
    }
    mean /= <f64>outs;
    let z: f64 = 0;
    for (let c = 0; c < outs; c++) z += Math.exp(<f64>load<f32>(row + (<usize>c << 2)) - m);
    const lse = m + Math.log(z);
    const py = <f64>load<f32>(row + (<usize>y << 2));
    sum += w * (smoothing == 0 ? lse - py : lse - (1 - smoothing) * py - smoothing * mean);
    if (dlogits != 0) {
      for (let c = 0; c < outs; c++) {
        const q = Math.exp(<f64>load<f32>(row + (<usize>c << 2)) - lse) - (c == y ? 1 - smoothing : 0) - share;
        store<f32>(drow + (<usize>c << 2), <f32>(q * w * scale));
      }
    }
  }
  return sum;
}

// @ts-ignore: decorator
@inline function sign(x: f64): f64 {
  return x > 0 ? 1 : x < 0 ? -1 : x; // 0 and NaN pass through, like Math.sign
}
