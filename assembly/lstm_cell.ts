// Fused LSTM cell, pointwise part (PyTorch gate order i, f, g, o). The matrix
// products happen before (forward) and after (backward) in GEMMs.
//
// gates [B, 4H]: pre-activations W_ih·x + b_ih + W_hh·h + b_hh; forward
//   overwrites them with the activations i, f, g, o, which backward reads.
// cPrev, hPrev, c, h: [B, H] contiguous. y: [B, ldy] output rows (first H used).
// mask: [B] f32, 1 = valid step, 0 = padding; 0 as a pointer = all valid.
// Padding rows carry the state through (c = cPrev, h = hPrev) and emit y = 0.
import { sigmoid1, tanh1, vsigmoid, vtanh, vmadd, kc, K_ONE } from './vmath';

export function f32_lstm_cell_fwd(B: i32, H: i32, gates: usize, cPrev: usize, hPrev: usize,
                                  c: usize, h: usize, mask: usize, y: usize, ldy: i32): void {
  const hb = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const gi = gates + <usize>b * (hb << 2), gf = gi + hb, gg = gf + hb, go = gg + hb;
    const row = <usize>b * hb;
    const yr = y + (<usize>b * <usize>ldy << 2);
    if (mask != 0 && load<f32>(mask + (<usize>b << 2)) == 0) {
      memory.copy(c + row, cPrev + row, hb);
      memory.copy(h + row, hPrev + row, hb);
      memory.fill(yr, 0, hb);
      continue;
    }
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      // Two passes, the same arithmetic: i, f, g and c, then o, tanh(c) and
      // h. In one pass each iteration is a dependency chain of ~170 cycles
      // (an activation, then tanh of c) and ~150 instructions, and the
      // out-of-order window holds about two: the kernel ran latency-bound
      // (1.00 → 0.87 µs for H = 128; all four activations first, then c,
      // measured 1.17: that second pass re-reads four vectors per step).
      const H4 = H & ~3;
      for (; j < H4; j += 4) {
        const o = <usize>j << 2;
        const i4 = vsigmoid(v128.load(gi + o));
        const f4 = vsigmoid(v128.load(gf + o));
        const g4 = vtanh(v128.load(gg + o));
        v128.store(gi + o, i4); v128.store(gf + o, f4); v128.store(gg + o, g4);
        v128.store(c + row + o, vmadd(f4, v128.load(cPrev + row + o), f32x4.mul(i4, g4)));
      }
      for (j = 0; j < H4; j += 4) {
        const o = <usize>j << 2;
        const o4 = vsigmoid(v128.load(go + o));
        const c4 = v128.load(c + row + o);
        const h4 = f32x4.mul(o4, vtanh(c4));
        v128.store(go + o, o4);
        v128.store(h + row + o, h4);
        v128.store(yr + o, h4);
      }
    }
    for (; j < H; j++) {
      const o = <usize>j << 2;
      const i1 = sigmoid1(load<f32>(gi + o));
      const f1 = sigmoid1(load<f32>(gf + o));
      const g1 = tanh1(load<f32>(gg + o));
      const o1 = sigmoid1(load<f32>(go + o));
      const c1 = f1 * load<f32>(cPrev + row + o) + i1 * g1;
      const h1 = o1 * tanh1(c1);
      store<f32>(gi + o, i1); store<f32>(gf + o, f1); store<f32>(gg + o, g1); store<f32>(go + o, o1);
      store<f32>(c + row + o, c1);
      store<f32>(h + row + o, h1);
      store<f32>(yr + o, h1);
    }
  }
}

// Backward of one step.
// dy [B, ldy]: gradient reaching this step's output (0 as a pointer = none).
// dh, dc [B, H]: in, the gradient w.r.t. h_t and c_t from later steps; out,
//   for valid rows dh = 0 (the caller then adds dGates·W_hh with a β = 1 GEMM)
//   and dc = dc_{t-1}; padding rows pass dh and dc through unchanged and
//   ignore dy.
// dGates [B, 4H]: written with the pre-activation gradients (0 on padding rows).
export function f32_lstm_cell_bwd(B: i32, H: i32, gates: usize, cPrev: usize, c: usize, mask: usize,
                                  dy: usize, ldy: i32, dh: usize, dc: usize, dGates: usize): void {
  const hb = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const gi = gates + <usize>b * (hb << 2), gf = gi + hb, gg = gf + hb, go = gg + hb;
    const di = dGates + <usize>b * (hb << 2), df = di + hb, dg = df + hb, dO = dg + hb;
    const row = <usize>b * hb;
    if (mask != 0 && load<f32>(mask + (<usize>b << 2)) == 0) {
      memory.fill(di, 0, hb << 2);
      continue;
    }
    const dyr = dy + (<usize>b * <usize>ldy << 2);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const one = kc(K_ONE);
      for (; j + 4 <= H; j += 4) {
        const o = <usize>j << 2;
        let dh4 = v128.load(dh + row + o);
        if (dy != 0) dh4 = f32x4.add(dh4, v128.load(dyr + o));
        const i4 = v128.load(gi + o), f4 = v128.load(gf + o), g4 = v128.load(gg + o), o4 = v128.load(go + o);
        const tc = vtanh(v128.load(c + row + o));
        const dct = vmadd(f32x4.mul(dh4, o4), f32x4.sub(one, f32x4.mul(tc, tc)), v128.load(dc + row + o));
        v128.store(di + o, f32x4.mul(f32x4.mul(dct, g4), f32x4.mul(i4, f32x4.sub(one, i4))));
        v128.store(df + o, f32x4.mul(f32x4.mul(dct, v128.load(cPrev + row + o)), f32x4.mul(f4, f32x4.sub(one, f4))));
        v128.store(dg + o, f32x4.mul(f32x4.mul(dct, i4), f32x4.sub(one, f32x4.mul(g4, g4))));
        v128.store(dO + o, f32x4.mul(f32x4.mul(dh4, tc), f32x4.mul(o4, f32x4.sub(one, o4))));
        v128.store(dc + row + o, f32x4.mul(dct, f4));
        v128.store(dh + row + o, f32x4.splat(0));
      }
    }
    for (; j < H; j++) {
      const o = <usize>j << 2;
      let dh1 = load<f32>(dh + row + o);
      if (dy != 0) dh1 += load<f32>(dyr + o);
      const i1 = load<f32>(gi + o), f1 = load<f32>(gf + o), g1 = load<f32>(gg + o), o1 = load<f32>(go + o);
      const tc = tanh1(load<f32>(c + row + o));
      const dct = dh1 * o1 * (1 - tc * tc) + load<f32>(dc + row + o);
      store<f32>(di + o, dct * g1 * (i1 * (1 - i1)));
      store<f32>(df + o, dct * load<f32>(cPrev + row + o) * (f1 * (1 - f1)));
      store<f32>(dg + o, dct * i1 * (1 - g1 * g1));
      store<f32>(dO + o, dh1 * tc * (o1 * (1 - o1)));
      store<f32>(dc + row + o, dct * f1);
      store<f32>(dh + row + o, 0);
    }
  }
}
