// The JS twins of the layer-normalized cells (assembly/ln_lstm_cell.ts,
// ln_gru_cell.ts): the same passes, argument order and saved layout.
import type { Kernels } from '../backend.js';
import type { Heap } from '../heap.js';
import { sigmoid } from './activations.js';
import { rowMean, rowRstd, lnBackwardRow } from './layer_norm.js';

export function lnCellsKernels(heap: Heap): Pick<Kernels, 'f32_ln_lstm_cell_fwd' | 'f32_ln_lstm_cell_bwd' | 'f32_ln_gru_cell_fwd' | 'f32_ln_gru_cell_bwd'> {
  return {
    f32_ln_lstm_cell_fwd(B, H, gx, gh, ln, bias, cPrev, hPrev, c, h, mask, y, ldy, sv, eps) {
      const f = heap.f32, G = 4 * H, L = ln >> 2, gc = L + 4 * G, bc = gc + H;
      const mc = (sv >> 2) + B * G + 2 * B, rc = mc + B;
      for (let b = 0; b < B; b++) {
        const r = b * H, yr = (y >> 2) + b * ldy, co = (c >> 2) + r, ho = (h >> 2) + r;
        if (mask !== 0 && f[(mask >> 2) + b] === 0) {
          f.copyWithin(co, (cPrev >> 2) + r, (cPrev >> 2) + r + H);
          f.copyWithin(ho, (hPrev >> 2) + r, (hPrev >> 2) + r + H);
          f.fill(0, yr, yr + H);
          continue;
        }
        const xr = (gx >> 2) + b * G, hr = (gh >> 2) + b * G, ar = (sv >> 2) + b * G, cp = (cPrev >> 2) + r;
        const pre = (q: number): number => f[L + q]! * f[xr + q]! + f[L + G + q]! + (f[L + 2 * G + q]! * f[hr + q]! + f[L + 3 * G + q]!) + (bias ? f[(bias >> 2) + q]! : 0);
        for (let j = 0; j < H; j++) {
          const i1 = sigmoid(pre(j)), f1 = sigmoid(pre(H + j)), g1 = Math.tanh(pre(2 * H + j)), o1 = sigmoid(pre(3 * H + j));
          f[ar + j] = i1; f[ar + H + j] = f1; f[ar + 2 * H + j] = g1; f[ar + 3 * H + j] = o1;
          f[co + j] = f[ar + H + j]! * f[cp + j]! + f[ar + j]! * f[ar + 2 * H + j]!;
        }
        const mu = rowMean(f, H, co), rs = rowRstd(f, H, co, mu, Math.fround(eps));
        f[mc + b] = mu; f[rc + b] = rs;
        const mu32 = f[mc + b]!, rs32 = f[rc + b]!;
        for (let j = 0; j < H; j++) {
          const ch = Math.fround((f[co + j]! - mu32) * rs32);
          const h1 = f[ar + 3 * H + j]! * Math.tanh(f[gc + j]! * ch + f[bc + j]!);
          f[ho + j] = h1;
          f[yr + j] = h1;
        }
      }
    },
    f32_ln_lstm_cell_bwd(B, H, gx, gh, ln, cPrev, c, mask, sv, dy, ldy, dh, dc, dgx, dgh, dln, dbih, dbhh) {
      const f = heap.f32, G = 4 * H, L = ln >> 2, gc = L + 4 * G, bc = gc + H, dL = dln >> 2, dgc = dL + 4 * G, dbc = dgc + H;
      const rx = (sv >> 2) + B * G, rh = rx + B, mc = rh + B, rc = mc + B;
      for (let b = 0; b < B; b++) {
        const dxr = (dgx >> 2) + b * G, dhr = (dgh >> 2) + b * G;
        if (mask !== 0 && f[(mask >> 2) + b] === 0) {
          f.fill(0, dxr, dxr + G);
          f.fill(0, dhr, dhr + G);
          continue;
        }
        const r = b * H, xr = (gx >> 2) + b * G, hr = (gh >> 2) + b * G, ar = (sv >> 2) + b * G;
        const dyr = (dy >> 2) + b * ldy, dho = (dh >> 2) + r, dco = (dc >> 2) + r, cr = (c >> 2) + r, cp = (cPrev >> 2) + r;
        const mu = f[mc + b]!, rs = f[rc + b]!;
        let s1 = 0, s2 = 0;
        for (let j = 0; j < H; j++) {
          const d = f[dho + j]! + (dy !== 0 ? f[dyr + j]! : 0);
          const ch = Math.fround((f[cr + j]! - mu) * rs), gam = f[gc + j]!;
          const tn = Math.tanh(gam * ch + f[bc + j]!), og = f[ar + 3 * H + j]!;
          f[dxr + 3 * H + j] = d * tn * (og * (1 - og));
          const dn = d * og * (1 - tn * tn);
          f[dgc + j] = f[dgc + j]! + dn * ch;
          f[dbc + j] = f[dbc + j]! + dn;
          f[dxr + j] = dn * gam;
          const dch = f[dxr + j]!;
          s1 += dch;
          s2 += dch * ch;
        }
        const m1 = s1 / H, m2 = s2 / H;
        for (let j = 0; j < H; j++) {
          const ch = Math.fround((f[cr + j]! - mu) * rs);
          const dct = f[dco + j]! + rs * (f[dxr + j]! - m1 - ch * m2);
          const i1 = f[ar + j]!, f1 = f[ar + H + j]!, g1 = f[ar + 2 * H + j]!;
          f[dxr + j] = dct * g1 * (i1 * (1 - i1));
          f[dxr + H + j] = dct * f[cp + j]! * (f1 * (1 - f1));
          f[dxr + 2 * H + j] = dct * i1 * (1 - g1 * g1);
          f[dco + j] = dct * f1;
          f[dho + j] = 0;
        }
        lnBackwardRow(f, G, dxr, dhr, hr, L + 2 * G, f[rh + b]!, dL + 2 * G, dL + 3 * G, dbhh ? dbhh >> 2 : -1);
        lnBackwardRow(f, G, dxr, dxr, xr, L, f[rx + b]!, dL, dL + G, dbih ? dbih >> 2 : -1);
      }
    },
    f32_ln_gru_cell_fwd(B, H, gx, gh, ln, bih, bhh, hPrev, h, mask, y, ldy, sv) {
      const f = heap.f32, G = 3 * H, L = ln >> 2, Lh = L + 2 * G;
      for (let b = 0; b < B; b++) {
        const r = b * H, yr = (y >> 2) + b * ldy, ho = (h >> 2) + r;
        if (mask !== 0 && f[(mask >> 2) + b] === 0) {
          f.copyWithin(ho, (hPrev >> 2) + r, (hPrev >> 2) + r + H);
          f.fill(0, yr, yr + H);
          continue;
        }
        const xr = (gx >> 2) + b * G, hr = (gh >> 2) + b * G, ar = (sv >> 2) + b * 4 * H, hp = (hPrev >> 2) + r;
        const ax = (q: number): number => f[L + q]! * f[xr + q]! + f[L + G + q]! + (bih ? f[(bih >> 2) + q]! : 0);
        const ah = (q: number): number => f[Lh + q]! * f[hr + q]! + f[Lh + G + q]! + (bhh ? f[(bhh >> 2) + q]! : 0);
        for (let j = 0; j < H; j++) {
          f[ar + j] = sigmoid(ax(j) + ah(j));
          f[ar + H + j] = sigmoid(ax(H + j) + ah(H + j));
          f[ar + 3 * H + j] = ah(2 * H + j);
          f[ar + 2 * H + j] = Math.tanh(ax(2 * H + j) + f[ar + j]! * f[ar + 3 * H + j]!);
          const n1 = f[ar + 2 * H + j]!, h1 = n1 + f[ar + H + j]! * (f[hp + j]! - n1);
          f[ho + j] = h1;
          f[yr + j] = h1;
        }
      }
    },
    f32_ln_gru_cell_bwd(B, H, gx, gh, ln, hPrev, mask, sv, dy, ldy, dh, dgx, dgh, dln, dbih, dbhh) {
      const f = heap.f32, G = 3 * H, L = ln >> 2, dL = dln >> 2;
      const rx = (sv >> 2) + B * 4 * H, rh = rx + B;
      for (let b = 0; b < B; b++) {
        const dxr = (dgx >> 2) + b * G, dhr = (dgh >> 2) + b * G;
        if (mask !== 0 && f[(mask >> 2) + b] === 0) {
          f.fill(0, dxr, dxr + G);
          f.fill(0, dhr, dhr + G);
          continue;
        }
        const r = b * H, xr = (gx >> 2) + b * G, hr = (gh >> 2) + b * G, ar = (sv >> 2) + b * 4 * H;
        const dyr = (dy >> 2) + b * ldy, dho = (dh >> 2) + r, hp = (hPrev >> 2) + r;
        for (let j = 0; j < H; j++) {
          const d = f[dho + j]! + (dy !== 0 ? f[dyr + j]! : 0);
          const r1 = f[ar + j]!, z1 = f[ar + H + j]!, n1 = f[ar + 2 * H + j]!, ahn = f[ar + 3 * H + j]!;
          const dan = d * (1 - z1) * (1 - n1 * n1);
          const dar = dan * ahn * (r1 * (1 - r1));
          const daz = d * (f[hp + j]! - n1) * (z1 * (1 - z1));
          f[dxr + j] = dar; f[dhr + j] = dar;
          f[dxr + H + j] = daz; f[dhr + H + j] = daz;
          f[dxr + 2 * H + j] = dan; f[dhr + 2 * H + j] = dan * r1;
          f[dho + j] = d * z1;
        }
        lnBackwardRow(f, G, dhr, dhr, hr, L + 2 * G, f[rh + b]!, dL + 2 * G, dL + 3 * G, dbhh ? dbhh >> 2 : -1);
        lnBackwardRow(f, G, dxr, dxr, xr, L, f[rx + b]!, dL, dL + G, dbih ? dbih >> 2 : -1);
      }
    },
  };
}
