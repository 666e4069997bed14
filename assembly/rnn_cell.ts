// Elman cell, pointwise part: h = act(W_ih·x + b_ih + W_hh·h + b_hh),
// act = tanh (act = 0) or relu (act = 1).
// g [B, H]: pre-activations (left unchanged); hPrev, h [B, H]; y [B, ldy];
// mask [B] f32 or 0 (all valid), as in lstm_cell.ts.
import { tanh1, relu1, vtanh, vrelu, kc, K_ONE } from './vmath';

export function f32_rnn_cell_fwd(B: i32, H: i32, act: i32, g: usize, hPrev: usize, h: usize,
                                 mask: usize, y: usize, ldy: i32): void {
  const hb = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const row = <usize>b * hb;
    const yr = y + (<usize>b * <usize>ldy << 2);
    if (mask != 0 && load<f32>(mask + (<usize>b << 2)) == 0) {
      memory.copy(h + row, hPrev + row, hb);
      memory.fill(yr, 0, hb);
      continue;
    }
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= H; j += 4) {
        const o = <usize>j << 2;
        const x = v128.load(g + row + o);
        const h4 = act ? vrelu(x) : vtanh(x);
        v128.store(h + row + o, h4);
        v128.store(yr + o, h4);
      }
    }
    for (; j < H; j++) {
      const o = <usize>j << 2;
      const x = load<f32>(g + row + o);
      const h1 = act ? relu1(x) : tanh1(x);
      store<f32>(h + row + o, h1);
      store<f32>(yr + o, h1);
    }
  }
}

// Backward of one step. h: this step's output state; dy [B, ldy] (0 = none);
// dh [B, H]: in dL/dh_t, out 0 on valid rows (the caller adds dG·W_hh),
// passed through on padding rows; dG [B, H] written (0 on padding rows).
export function f32_rnn_cell_bwd(B: i32, H: i32, act: i32, h: usize, mask: usize,
                                 dy: usize, ldy: i32, dh: usize, dG: usize): void {
  const hb = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const row = <usize>b * hb;
    if (mask != 0 && load<f32>(mask + (<usize>b << 2)) == 0) {
      memory.fill(dG + row, 0, hb);
      continue;
    }
    const dyr = dy + (<usize>b * <usize>ldy << 2);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const one = kc(K_ONE);
      const zero = f32x4.splat(0);
      for (; j + 4 <= H; j += 4) {
        const o = <usize>j << 2;
        let d = v128.load(dh + row + o);
        if (dy != 0) d = f32x4.add(d, v128.load(dyr + o));
        const y4 = v128.load(h + row + o);
        const g4 = act ? v128.and(d, f32x4.gt(y4, zero)) : f32x4.mul(d, f32x4.sub(one, f32x4.mul(y4, y4)));
        v128.store(dG + row + o, g4);
        v128.store(dh + row + o, zero);
      }
    }
    for (; j < H; j++) {
      const o = <usize>j << 2;
      let d = load<f32>(dh + row + o);
      if (dy != 0) d += load<f32>(dyr + o);
      const y1 = load<f32>(h + row + o);
      store<f32>(dG + row + o, act ? (y1 > 0 ? d : 0) : d * (1 - y1 * y1));
      store<f32>(dh + row + o, 0);
    }
  }
}
