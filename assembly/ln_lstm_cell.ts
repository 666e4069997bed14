// Layer-normalized LSTM cell (Ba, Kiros & Hinton 2016), pointwise part:
//   a  = LN(W_ih·x; γx, βx) + LN(W_hh·h; γh, βh) + b        (gates i, f, g, o)
//   c' = σ(a_f) ⊙ c + σ(a_i) ⊙ tanh(a_g)                     (c stays un-normalized)
//   h' = σ(a_o) ⊙ tanh(LN(c'; γc, βc))
// The projections are normalized before (f32_layer_norm_rows, in place), so
// gx, gh [B, 4H] hold x̂ of W_ih·x and W_hh·h, which backward reads.
// ln: γx [4H], βx [4H], γh [4H], βh [4H], γc [H], βc [H], contiguous (dln alike).
// bias [4H]: b_ih + b_hh (0 = none). cPrev, hPrev, c, h [B, H]; y [B, ldy];
// mask [B] or 0, as in lstm_cell.ts.
// sv: the step's saved slot: acts [B, 4H] (i, f, g, o after their
//   activations), then rstd_x [B] and rstd_h [B] (written by the layer
//   norms), μ_c [B] and rstd_c [B] (written here).
import { sigmoid1, tanh1, vsigmoid, vtanh, vmadd, kc, K_ONE } from './vmath';
import { rowMean, rowRstd, lnBackwardRow, hsum } from './layer_norm';

// γx·x̂x + βx + γh·x̂h + βh (+ bias) of four lanes at byte offset o of a gate row.
@inline function pre4(xr: usize, hr: usize, ln: usize, gb: usize, bias: usize, o: usize): v128 {
  let a = f32x4.add(vmadd(v128.load(ln + o), v128.load(xr + o), v128.load(ln + gb + o)),
                    vmadd(v128.load(ln + 2 * gb + o), v128.load(hr + o), v128.load(ln + 3 * gb + o)));
  if (bias != 0) a = f32x4.add(a, v128.load(bias + o));
  return a;
}

@inline function pre1(xr: usize, hr: usize, ln: usize, gb: usize, bias: usize, o: usize): f32 {
  let a = load<f32>(ln + o) * load<f32>(xr + o) + load<f32>(ln + gb + o) + (load<f32>(ln + 2 * gb + o) * load<f32>(hr + o) + load<f32>(ln + 3 * gb + o));
  if (bias != 0) a += load<f32>(bias + o);
  return a;
}

export function f32_ln_lstm_cell_fwd(B: i32, H: i32, gx: usize, gh: usize, ln: usize, bias: usize, cPrev: usize, hPrev: usize,
                                     c: usize, h: usize, mask: usize, y: usize, ldy: i32, sv: usize, eps: f32): void {
  const hb = <usize>H << 2, gb = hb << 2;
  const gc = ln + 4 * gb, bc = gc + hb;
  const mc = sv + <usize>B * gb + (<usize>B << 3), rc = mc + (<usize>B << 2);
  for (let b = 0; b < B; b++) {
    const xr = gx + <usize>b * gb, hr = gh + <usize>b * gb, ar = sv + <usize>b * gb;
    const row = <usize>b * hb;
    const yr = y + (<usize>b * <usize>ldy << 2);
    if (mask != 0 && load<f32>(mask + (<usize>b << 2)) == 0) {
      memory.copy(c + row, cPrev + row, hb);
      memory.copy(h + row, hPrev + row, hb);
      memory.fill(yr, 0, hb);
      continue;
    }
    // Pass 1: the gates and c'.
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= H; j += 4) {
        const o = <usize>j << 2;
        const i4 = vsigmoid(pre4(xr, hr, ln, gb, bias, o));
        const f4 = vsigmoid(pre4(xr, hr, ln, gb, bias, o + hb));
        const g4 = vtanh(pre4(xr, hr, ln, gb, bias, o + 2 * hb));
        const o4 = vsigmoid(pre4(xr, hr, ln, gb, bias, o + 3 * hb));
        v128.store(ar + o, i4); v128.store(ar + hb + o, f4); v128.store(ar + 2 * hb + o, g4); v128.store(ar + 3 * hb + o, o4);
        v128.store(c + row + o, vmadd(f4, v128.load(cPrev + row + o), f32x4.mul(i4, g4)));
      }
    }
    for (; j < H; j++) {
      const o = <usize>j << 2;
      const i1 = sigmoid1(pre1(xr, hr, ln, gb, bias, o));
      const f1 = sigmoid1(pre1(xr, hr, ln, gb, bias, o + hb));
      const g1 = tanh1(pre1(xr, hr, ln, gb, bias, o + 2 * hb));
      const o1 = sigmoid1(pre1(xr, hr, ln, gb, bias, o + 3 * hb));
      store<f32>(ar + o, i1); store<f32>(ar + hb + o, f1); store<f32>(ar + 2 * hb + o, g1); store<f32>(ar + 3 * hb + o, o1);
      store<f32>(c + row + o, f1 * load<f32>(cPrev + row + o) + i1 * g1);
    }
    // The statistics of c', then h' = o ⊙ tanh(γc ⊙ ĉ + βc).
    const mu = rowMean(H, c + row), rs = rowRstd(H, c + row, mu, eps);
    store<f32>(mc + (<usize>b << 2), mu);
    store<f32>(rc + (<usize>b << 2), rs);
    j = 0;
    if (ASC_FEATURE_SIMD) {
      const m4 = f32x4.splat(mu), r4 = f32x4.splat(rs);
      for (; j + 4 <= H; j += 4) {
        const o = <usize>j << 2;
        const ch = f32x4.mul(f32x4.sub(v128.load(c + row + o), m4), r4);
        const h4 = f32x4.mul(v128.load(ar + 3 * hb + o), vtanh(vmadd(v128.load(gc + o), ch, v128.load(bc + o))));
        v128.store(h + row + o, h4);
        v128.store(yr + o, h4);
      }
    }
    for (; j < H; j++) {
      const o = <usize>j << 2;
      const ch = (load<f32>(c + row + o) - mu) * rs;
      const h1 = load<f32>(ar + 3 * hb + o) * tanh1(load<f32>(gc + o) * ch + load<f32>(bc + o));
      store<f32>(h + row + o, h1);
      store<f32>(yr + o, h1);
    }
  }
}

// Backward of one step. dy [B, ldy] or 0; dh, dc [B, H] in: the gradients
// w.r.t. h_t and c_t; out, for valid rows dh = 0 (the runner adds
// dGh·W_hh) and dc = dc_{t−1}; padding rows pass them through.
// dgx, dgh [B, 4H] written: the gradients w.r.t. W_ih·x and W_hh·h (0 on
// padding rows). dln (the layout of ln), dbih, dbhh (0 = none) accumulate.
export function f32_ln_lstm_cell_bwd(B: i32, H: i32, gx: usize, gh: usize, ln: usize, cPrev: usize, c: usize, mask: usize, sv: usize,
                                     dy: usize, ldy: i32, dh: usize, dc: usize, dgx: usize, dgh: usize,
                                     dln: usize, dbih: usize, dbhh: usize): void {
  const hb = <usize>H << 2, gb = hb << 2, G = H << 2;
  const gc = ln + 4 * gb, bc = gc + hb, dgc = dln + 4 * gb, dbc = dgc + hb;
  const rx = sv + <usize>B * gb, rh = rx + (<usize>B << 2), mc = rh + (<usize>B << 2), rc = mc + (<usize>B << 2);
  for (let b = 0; b < B; b++) {
    const xr = gx + <usize>b * gb, hr = gh + <usize>b * gb, ar = sv + <usize>b * gb;
    const dxr = dgx + <usize>b * gb, dhr = dgh + <usize>b * gb;
    const row = <usize>b * hb;
    if (mask != 0 && load<f32>(mask + (<usize>b << 2)) == 0) {
      memory.fill(dxr, 0, gb);
      memory.fill(dhr, 0, gb);
      continue;
    }
    const dyr = dy + (<usize>b * <usize>ldy << 2);
    const mu = load<f32>(mc + (<usize>b << 2)), rs = load<f32>(rc + (<usize>b << 2));
    // Pass 1: through h' = o ⊙ tanh(n), n = γc ⊙ ĉ + βc: dA_o (into dgx's o
    // block), dγc, dβc, and dĉ = γc ⊙ dn (parked in dgx's i block).
    let s1: f32 = 0, s2: f32 = 0, j = 0;
    if (ASC_FEATURE_SIMD) {
      const one = kc(K_ONE), mu4 = f32x4.splat(mu), r4 = f32x4.splat(rs);
      let a4 = f32x4.splat(0), b4 = f32x4.splat(0);
      for (; j + 4 <= H; j += 4) {
        const o = <usize>j << 2;
        let d = v128.load(dh + row + o);
        if (dy != 0) d = f32x4.add(d, v128.load(dyr + o));
        const ch = f32x4.mul(f32x4.sub(v128.load(c + row + o), mu4), r4);
        const gam = v128.load(gc + o);
        const tn = vtanh(vmadd(gam, ch, v128.load(bc + o)));
        const og = v128.load(ar + 3 * hb + o);
        v128.store(dxr + 3 * hb + o, f32x4.mul(f32x4.mul(d, tn), f32x4.mul(og, f32x4.sub(one, og))));
        const dn = f32x4.mul(f32x4.mul(d, og), f32x4.sub(one, f32x4.mul(tn, tn)));
        v128.store(dgc + o, vmadd(dn, ch, v128.load(dgc + o)));
        v128.store(dbc + o, f32x4.add(v128.load(dbc + o), dn));
        const dch = f32x4.mul(dn, gam);
        v128.store(dxr + o, dch);
        a4 = f32x4.add(a4, dch);
        b4 = vmadd(dch, ch, b4);
      }
      s1 = hsum(a4); s2 = hsum(b4);
    }
    for (; j < H; j++) {
      const o = <usize>j << 2;
      let d = load<f32>(dh + row + o);
      if (dy != 0) d += load<f32>(dyr + o);
      const ch = (load<f32>(c + row + o) - mu) * rs;
      const gam = load<f32>(gc + o);
      const tn = tanh1(gam * ch + load<f32>(bc + o));
      const og = load<f32>(ar + 3 * hb + o);
      store<f32>(dxr + 3 * hb + o, d * tn * (og * (1 - og)));
      const dn = d * og * (1 - tn * tn);
      store<f32>(dgc + o, load<f32>(dgc + o) + dn * ch);
      store<f32>(dbc + o, load<f32>(dbc + o) + dn);
      const dch = dn * gam;
      store<f32>(dxr + o, dch);
      s1 += dch;
      s2 += dch * ch;
    }
    const m1 = s1 / <f32>H, m2 = s2 / <f32>H;
    // Pass 2: through the norm of c' into dc_t, then the gates i, f, g.
    j = 0;
    if (ASC_FEATURE_SIMD) {
      const one = kc(K_ONE), m14 = f32x4.splat(m1), m24 = f32x4.splat(m2), r4 = f32x4.splat(rs), mu4 = f32x4.splat(mu);
      for (; j + 4 <= H; j += 4) {
        const o = <usize>j << 2;
        const ch = f32x4.mul(f32x4.sub(v128.load(c + row + o), mu4), r4);
        const dct = f32x4.add(v128.load(dc + row + o), f32x4.mul(r4, f32x4.sub(f32x4.sub(v128.load(dxr + o), m14), f32x4.mul(ch, m24))));
        const i4 = v128.load(ar + o), f4 = v128.load(ar + hb + o), g4 = v128.load(ar + 2 * hb + o);
        v128.store(dxr + o, f32x4.mul(f32x4.mul(dct, g4), f32x4.mul(i4, f32x4.sub(one, i4))));
        v128.store(dxr + hb + o, f32x4.mul(f32x4.mul(dct, v128.load(cPrev + row + o)), f32x4.mul(f4, f32x4.sub(one, f4))));
        v128.store(dxr + 2 * hb + o, f32x4.mul(f32x4.mul(dct, i4), f32x4.sub(one, f32x4.mul(g4, g4))));
        v128.store(dc + row + o, f32x4.mul(dct, f4));
        v128.store(dh + row + o, f32x4.splat(0));
      }
    }
    for (; j < H; j++) {
      const o = <usize>j << 2;
      const ch = (load<f32>(c + row + o) - mu) * rs;
      const dct = load<f32>(dc + row + o) + rs * (load<f32>(dxr + o) - m1 - ch * m2);
      const i1 = load<f32>(ar + o), f1 = load<f32>(ar + hb + o), g1 = load<f32>(ar + 2 * hb + o);
      store<f32>(dxr + o, dct * g1 * (i1 * (1 - i1)));
      store<f32>(dxr + hb + o, dct * load<f32>(cPrev + row + o) * (f1 * (1 - f1)));
      store<f32>(dxr + 2 * hb + o, dct * i1 * (1 - g1 * g1));
      store<f32>(dc + row + o, dct * f1);
      store<f32>(dh + row + o, 0);
    }
    // dgx now holds dA, the gradient of the gates' pre-activations; both norms' backward
    // (the recurrent one first: the input one then overwrites dA in place).
    lnBackwardRow(G, dxr, dhr, hr, ln + 2 * gb, load<f32>(rh + (<usize>b << 2)), dln + 2 * gb, dln + 3 * gb, dbhh);
    lnBackwardRow(G, dxr, dxr, xr, ln, load<f32>(rx + (<usize>b << 2)), dln, dln + gb, dbih);
  }
}
