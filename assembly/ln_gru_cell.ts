// Layer-normalized GRU cell, pointwise part, on the pattern of the LN-LSTM
// (ln_lstm_cell.ts) and in PyTorch's GRU form (gates r, z, n):
//   ax = LN(W_ih·x; γx, βx) + b_ih        ah = LN(W_hh·h; γh, βh) + b_hh
//   r = σ(ax_r + ah_r)    z = σ(ax_z + ah_z)    n = tanh(ax_n + r ⊙ ah_n)
//   h' = (1 − z) ⊙ n + z ⊙ h
// so the reset gate multiplies the normalized recurrent part of n.
// gx, gh [B, 3H]: x̂ of W_ih·x and W_hh·h (normalized before, in place).
// ln: γx [3H], βx [3H], γh [3H], βh [3H], contiguous (dln alike).
// bih, bhh [3H] or 0. hPrev, h [B, H]; y [B, ldy]; mask [B] or 0.
// sv: acts [B, 4H] (r, z, n, ah_n), then rstd_x [B] and rstd_h [B] (written
//   by the layer norms).
import { sigmoid1, tanh1, vsigmoid, vtanh, vmadd, kc, K_ONE } from './vmath';
import { lnBackwardRow } from './layer_norm';

// γ·x̂ + β (+ bias) of four lanes at byte offset o; beta = gamma + one block.
@inline function aff4(x: usize, gamma: usize, gb: usize, bias: usize, o: usize): v128 {
  const a = vmadd(v128.load(gamma + o), v128.load(x + o), v128.load(gamma + gb + o));
  return bias != 0 ? f32x4.add(a, v128.load(bias + o)) : a;
}

@inline function aff1(x: usize, gamma: usize, gb: usize, bias: usize, o: usize): f32 {
  const a = load<f32>(gamma + o) * load<f32>(x + o) + load<f32>(gamma + gb + o);
  return bias != 0 ? a + load<f32>(bias + o) : a;
}

export function f32_ln_gru_cell_fwd(B: i32, H: i32, gx: usize, gh: usize, ln: usize, bih: usize, bhh: usize, hPrev: usize,
                                    h: usize, mask: usize, y: usize, ldy: i32, sv: usize): void {
  const hb = <usize>H << 2, gb = <usize>3 * hb, ab = hb << 2;
  const lh = ln + 2 * gb;
  for (let b = 0; b < B; b++) {
    const xr = gx + <usize>b * gb, hr = gh + <usize>b * gb, ar = sv + <usize>b * ab;
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
        const r4 = vsigmoid(f32x4.add(aff4(xr, ln, gb, bih, o), aff4(hr, lh, gb, bhh, o)));
        const z4 = vsigmoid(f32x4.add(aff4(xr, ln, gb, bih, o + hb), aff4(hr, lh, gb, bhh, o + hb)));
        const ahn = aff4(hr, lh, gb, bhh, o + 2 * hb);
        const n4 = vtanh(vmadd(r4, ahn, aff4(xr, ln, gb, bih, o + 2 * hb)));
        const h4 = vmadd(z4, f32x4.sub(v128.load(hPrev + row + o), n4), n4);
        v128.store(ar + o, r4); v128.store(ar + hb + o, z4); v128.store(ar + 2 * hb + o, n4); v128.store(ar + 3 * hb + o, ahn);
        v128.store(h + row + o, h4);
        v128.store(yr + o, h4);
      }
    }
    for (; j < H; j++) {
      const o = <usize>j << 2;
      const r1 = sigmoid1(aff1(xr, ln, gb, bih, o) + aff1(hr, lh, gb, bhh, o));
      const z1 = sigmoid1(aff1(xr, ln, gb, bih, o + hb) + aff1(hr, lh, gb, bhh, o + hb));
      const ahn = aff1(hr, lh, gb, bhh, o + 2 * hb);
      const n1 = tanh1(aff1(xr, ln, gb, bih, o + 2 * hb) + r1 * ahn);
      const h1 = n1 + z1 * (load<f32>(hPrev + row + o) - n1);
      store<f32>(ar + o, r1); store<f32>(ar + hb + o, z1); store<f32>(ar + 2 * hb + o, n1); store<f32>(ar + 3 * hb + o, ahn);
      store<f32>(h + row + o, h1);
      store<f32>(yr + o, h1);
    }
  }
}

// Backward of one step. dy [B, ldy] or 0; dh [B, H] in: the gradient w.r.t.
// h_t; out, for valid rows, z ⊙ dh (the direct path; the runner adds
// dGh·W_hh), padding rows pass it through. dgx, dgh [B, 3H] written (0 on
// padding rows); dln, dbih, dbhh (0 = none) accumulate.
export function f32_ln_gru_cell_bwd(B: i32, H: i32, gx: usize, gh: usize, ln: usize, hPrev: usize, mask: usize, sv: usize,
                                    dy: usize, ldy: i32, dh: usize, dgx: usize, dgh: usize,
                                    dln: usize, dbih: usize, dbhh: usize): void {
  const hb = <usize>H << 2, gb = <usize>3 * hb, ab = hb << 2, G = 3 * H;
  const rx = sv + <usize>B * ab, rh = rx + (<usize>B << 2);
  for (let b = 0; b < B; b++) {
    const xr = gx + <usize>b * gb, hr = gh + <usize>b * gb, ar = sv + <usize>b * ab;
    const dxr = dgx + <usize>b * gb, dhr = dgh + <usize>b * gb;
    const row = <usize>b * hb;
    if (mask != 0 && load<f32>(mask + (<usize>b << 2)) == 0) {
      memory.fill(dxr, 0, gb);
      memory.fill(dhr, 0, gb);
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
        const r4 = v128.load(ar + o), z4 = v128.load(ar + hb + o), n4 = v128.load(ar + 2 * hb + o), ahn = v128.load(ar + 3 * hb + o);
        const dan = f32x4.mul(f32x4.mul(d, f32x4.sub(one, z4)), f32x4.sub(one, f32x4.mul(n4, n4)));
        const dar = f32x4.mul(f32x4.mul(dan, ahn), f32x4.mul(r4, f32x4.sub(one, r4)));
        const daz = f32x4.mul(f32x4.mul(d, f32x4.sub(v128.load(hPrev + row + o), n4)), f32x4.mul(z4, f32x4.sub(one, z4)));
        v128.store(dxr + o, dar); v128.store(dhr + o, dar);
        v128.store(dxr + hb + o, daz); v128.store(dhr + hb + o, daz);
        v128.store(dxr + 2 * hb + o, dan); v128.store(dhr + 2 * hb + o, f32x4.mul(dan, r4));
        v128.store(dh + row + o, f32x4.mul(d, z4));
      }
    }
    for (; j < H; j++) {
      const o = <usize>j << 2;
      let d = load<f32>(dh + row + o);
      if (dy != 0) d += load<f32>(dyr + o);
      const r1 = load<f32>(ar + o), z1 = load<f32>(ar + hb + o), n1 = load<f32>(ar + 2 * hb + o), ahn = load<f32>(ar + 3 * hb + o);
      const dan = d * (1 - z1) * (1 - n1 * n1);
      const dar = dan * ahn * (r1 * (1 - r1));
      const daz = d * (load<f32>(hPrev + row + o) - n1) * (z1 * (1 - z1));
      store<f32>(dxr + o, dar); store<f32>(dhr + o, dar);
      store<f32>(dxr + hb + o, daz); store<f32>(dhr + hb + o, daz);
      store<f32>(dxr + 2 * hb + o, dan); store<f32>(dhr + 2 * hb + o, dan * r1);
      store<f32>(dh + row + o, d * z1);
    }
    lnBackwardRow(G, dhr, dhr, hr, ln + 2 * gb, load<f32>(rh + (<usize>b << 2)), dln + 2 * gb, dln + 3 * gb, dbhh);
    lnBackwardRow(G, dxr, dxr, xr, ln, load<f32>(rx + (<usize>b << 2)), dln, dln + gb, dbih);
  }
}
