// Fused GRU cell, pointwise part, in PyTorch's form (gates r, z, n):
//   r = σ(W_ir x + b_ir + W_hr h + b_hr)      z = σ(W_iz x + b_iz + W_hz h + b_hz)
//   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))      h' = (1 − z) ⊙ n + z ⊙ h
//
// gx [B, 3H]: W_ih·x + b_ih; forward overwrites it with r, z, n.
// gh [B, 3H]: W_hh·h + b_hh; kept (backward needs its n part).
// hPrev, h: [B, H]; y: [B, ldy]; mask: [B] f32 or 0 (all valid), as in lstm_cell.ts.
import { sigmoid1, tanh1, vsigmoid, vtanh, vmadd, kc, K_ONE } from './vmath';

export function f32_gru_cell_fwd(B: i32, H: i32, gx: usize, gh: usize, hPrev: usize, h: usize,
                                 mask: usize, y: usize, ldy: i32): void {
  const hb = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const xr = gx + <usize>b * 3 * hb, xz = xr + hb, xn = xz + hb;
    const hr = gh + <usize>b * 3 * hb, hz = hr + hb, hn = hz + hb;
    const row = <usize>b * hb;
    const yr = y + (<usize>b * <usize>ldy << 2);
    if (mask != 0 && load<f32>(mask + (<usize>b << 2)) == 0) {
      memory.copy(h + row, hPrev + row, hb);
      memory.fill(yr, 0, hb);
      continue;
    }
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      // Two passes, the same arithmetic: r and z, then n (which waits on r)
      // and h; see lstm_cell.ts for why (0.84 → 0.72 µs for H = 128).
      const H4 = H & ~3;
      for (; j < H4; j += 4) {
        const o = <usize>j << 2;
        v128.store(xr + o, vsigmoid(f32x4.add(v128.load(xr + o), v128.load(hr + o))));
        v128.store(xz + o, vsigmoid(f32x4.add(v128.load(xz + o), v128.load(hz + o))));
      }
      for (j = 0; j < H4; j += 4) {
        const o = <usize>j << 2;
        const r4 = v128.load(xr + o), z4 = v128.load(xz + o);
        const n4 = vtanh(vmadd(r4, v128.load(hn + o), v128.load(xn + o)));
        const hp = v128.load(hPrev + row + o);
        const h4 = vmadd(z4, f32x4.sub(hp, n4), n4); // (1 − z)·n + z·h = n + z·(h − n)
        v128.store(xn + o, n4);
        v128.store(h + row + o, h4);
        v128.store(yr + o, h4);
      }
    }
    for (; j < H; j++) {
      const o = <usize>j << 2;
      const r1 = sigmoid1(load<f32>(xr + o) + load<f32>(hr + o));
      const z1 = sigmoid1(load<f32>(xz + o) + load<f32>(hz + o));
      const n1 = tanh1(load<f32>(xn + o) + r1 * load<f32>(hn + o));
      const hp = load<f32>(hPrev + row + o);
      const h1 = n1 + z1 * (hp - n1);
      store<f32>(xr + o, r1); store<f32>(xz + o, z1); store<f32>(xn + o, n1);
      store<f32>(h + row + o, h1);
      store<f32>(yr + o, h1);
    }
  }
}

// Backward of one step.
// dy [B, ldy] (0 = none); dh [B, H]: in dL/dh_t, out the direct part z ⊙ dh_t
//   (the caller adds dGh·W_hh); padding rows pass dh through and ignore dy.
// dGx [B, 3H]: gradient w.r.t. W_ih·x + b_ih; dGh [B, 3H]: w.r.t. W_hh·h + b_hh
//   (written; 0 on padding rows).
export function f32_gru_cell_bwd(B: i32, H: i32, gx: usize, gh: usize, hPrev: usize, mask: usize,
                                 dy: usize, ldy: i32, dh: usize, dGx: usize, dGh: usize): void {
  const hb = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const xr = gx + <usize>b * 3 * hb, xz = xr + hb, xn = xz + hb;
    const hn = gh + <usize>b * 3 * hb + 2 * hb;
    const dxr = dGx + <usize>b * 3 * hb, dxz = dxr + hb, dxn = dxz + hb;
    const dhr = dGh + <usize>b * 3 * hb, dhz = dhr + hb, dhn = dhz + hb;
    const row = <usize>b * hb;
    if (mask != 0 && load<f32>(mask + (<usize>b << 2)) == 0) {
      memory.fill(dxr, 0, 3 * hb);
      memory.fill(dhr, 0, 3 * hb);
      continue;
    }
    const dyr = dy + (<usize>b * <usize>ldy << 2);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const one = kc(K_ONE);
      for (; j + 4 <= H; j += 4) {
        const o = <usize>j << 2;
        let d = v128.load(dh + row + o);
        if (dy != 0) d = f32x4.add(d, v128.load(dyr + o));
        const r4 = v128.load(xr + o), z4 = v128.load(xz + o), n4 = v128.load(xn + o);
        const hp = v128.load(hPrev + row + o);
        const dnp = f32x4.mul(f32x4.mul(d, f32x4.sub(one, z4)), f32x4.sub(one, f32x4.mul(n4, n4)));
        const dzp = f32x4.mul(f32x4.mul(d, f32x4.sub(hp, n4)), f32x4.mul(z4, f32x4.sub(one, z4)));
        const drp = f32x4.mul(f32x4.mul(dnp, v128.load(hn + o)), f32x4.mul(r4, f32x4.sub(one, r4)));
        v128.store(dxr + o, drp); v128.store(dxz + o, dzp); v128.store(dxn + o, dnp);
        v128.store(dhr + o, drp); v128.store(dhz + o, dzp); v128.store(dhn + o, f32x4.mul(dnp, r4));
        v128.store(dh + row + o, f32x4.mul(d, z4));
      }
    }
    for (; j < H; j++) {
      const o = <usize>j << 2;
      let d = load<f32>(dh + row + o);
      if (dy != 0) d += load<f32>(dyr + o);
      const r1 = load<f32>(xr + o), z1 = load<f32>(xz + o), n1 = load<f32>(xn + o);
      const hp = load<f32>(hPrev + row + o);
      const dnp = d * (1 - z1) * (1 - n1 * n1);
      const dzp = d * (hp - n1) * (z1 * (1 - z1));
      const drp = dnp * load<f32>(hn + o) * (r1 * (1 - r1));
      store<f32>(dxr + o, drp); store<f32>(dxz + o, dzp); store<f32>(dxn + o, dnp);
      store<f32>(dhr + o, drp); store<f32>(dhz + o, dzp); store<f32>(dhn + o, dnp * r1);
      store<f32>(dh + row + o, d * z1);
    }
  }
}
