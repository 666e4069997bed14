// The JS twins of the fused pointwise cell steps, forward and backward (assembly/rnn_cell.ts, lstm_cell.ts, gru_cell.ts).
import type { Kernels } from '../backend.js';
import type { Heap } from '../heap.js';
import { sigmoid, relu } from './activations.js';

export function cellsKernels(heap: Heap): Pick<Kernels, 'f32_rnn_cell_fwd' | 'f32_rnn_cell_bwd' | 'f32_lstm_cell_fwd' | 'f32_lstm_cell_bwd' | 'f32_gru_cell_fwd' | 'f32_gru_cell_bwd'> {
  return {
    f32_rnn_cell_fwd(B, H, act, g, hPrev, h, mask, y, ldy) {
      const f = heap.f32;
      for (let b = 0; b < B; b++) {
        const r = b * H, yr = (y >> 2) + b * ldy;
        if (mask !== 0 && f[(mask >> 2) + b] === 0) {
          f.copyWithin((h >> 2) + r, (hPrev >> 2) + r, (hPrev >> 2) + r + H);
          f.fill(0, yr, yr + H);
          continue;
        }
        const gi = (g >> 2) + r, ho = (h >> 2) + r;
        for (let j = 0; j < H; j++) {
          const v = act ? relu(f[gi + j]!) : Math.tanh(f[gi + j]!);
          f[ho + j] = v;
          f[yr + j] = v;
        }
      }
    },
    f32_rnn_cell_bwd(B, H, act, h, mask, dy, ldy, dh, dG) {
      const f = heap.f32;
      for (let b = 0; b < B; b++) {
        const r = b * H;
        if (mask !== 0 && f[(mask >> 2) + b] === 0) {
          f.fill(0, (dG >> 2) + r, (dG >> 2) + r + H);
          continue;
        }
        const dyr = (dy >> 2) + b * ldy, hr = (h >> 2) + r, dhr = (dh >> 2) + r, dgr = (dG >> 2) + r;
        for (let j = 0; j < H; j++) {
          const d = f[dhr + j]! + (dy !== 0 ? f[dyr + j]! : 0);
          const v = f[hr + j]!;
          f[dgr + j] = act ? (v > 0 ? d : 0) : d * (1 - v * v);
          f[dhr + j] = 0;
        }
      }
    },
    f32_lstm_cell_fwd(B, H, gates, cPrev, hPrev, c, h, mask, y, ldy) {
      const f = heap.f32;
      for (let b = 0; b < B; b++) {
        const r = b * H, yr = (y >> 2) + b * ldy;
        if (mask !== 0 && f[(mask >> 2) + b] === 0) {
          f.copyWithin((c >> 2) + r, (cPrev >> 2) + r, (cPrev >> 2) + r + H);
          f.copyWithin((h >> 2) + r, (hPrev >> 2) + r, (hPrev >> 2) + r + H);
          f.fill(0, yr, yr + H);
          continue;
        }
        const gi = (gates >> 2) + 4 * r, gf = gi + H, gg = gf + H, go = gg + H;
        const cp = (cPrev >> 2) + r, co = (c >> 2) + r, ho = (h >> 2) + r;
        for (let j = 0; j < H; j++) {
          const i1 = sigmoid(f[gi + j]!), f1 = sigmoid(f[gf + j]!), g1 = Math.tanh(f[gg + j]!), o1 = sigmoid(f[go + j]!);
          f[gi + j] = i1; f[gf + j] = f1; f[gg + j] = g1; f[go + j] = o1;
          const c1 = f1 * f[cp + j]! + i1 * g1;
          f[co + j] = c1;
          const h1 = o1 * Math.tanh(Math.fround(c1));
          f[ho + j] = h1;
          f[yr + j] = h1;
        }
      }
    },
    f32_lstm_cell_bwd(B, H, gates, cPrev, c, mask, dy, ldy, dh, dc, dGates) {
      const f = heap.f32;
      for (let b = 0; b < B; b++) {
        const r = b * H;
        const di = (dGates >> 2) + 4 * r, df = di + H, dg = df + H, dO = dg + H;
        if (mask !== 0 && f[(mask >> 2) + b] === 0) {
          f.fill(0, di, di + 4 * H);
          continue;
        }
        const gi = (gates >> 2) + 4 * r, gf = gi + H, gg = gf + H, go = gg + H;
        const dyr = (dy >> 2) + b * ldy, dhr = (dh >> 2) + r, dcr = (dc >> 2) + r;
        const cp = (cPrev >> 2) + r, cr = (c >> 2) + r;
        for (let j = 0; j < H; j++) {
          const d = f[dhr + j]! + (dy !== 0 ? f[dyr + j]! : 0);
          const i1 = f[gi + j]!, f1 = f[gf + j]!, g1 = f[gg + j]!, o1 = f[go + j]!;
          const tc = Math.tanh(f[cr + j]!);
          const dct = d * o1 * (1 - tc * tc) + f[dcr + j]!;
          f[di + j] = dct * g1 * (i1 * (1 - i1));
          f[df + j] = dct * f[cp + j]! * (f1 * (1 - f1));
          f[dg + j] = dct * i1 * (1 - g1 * g1);
          f[dO + j] = d * tc * (o1 * (1 - o1));
          f[dcr + j] = dct * f1;
          f[dhr + j] = 0;
        }
      }
    },
    f32_gru_cell_fwd(B, H, gx, gh, hPrev, h, mask, y, ldy) {
      const f = heap.f32;
      for (let b = 0; b < B; b++) {
        const r = b * H, yr = (y >> 2) + b * ldy;
        if (mask !== 0 && f[(mask >> 2) + b] === 0) {
          f.copyWithin((h >> 2) + r, (hPrev >> 2) + r, (hPrev >> 2) + r + H);
          f.fill(0, yr, yr + H);
          continue;
        }
        const xr = (gx >> 2) + 3 * r, xz = xr + H, xn = xz + H;
        const hr = (gh >> 2) + 3 * r, hz = hr + H, hn = hz + H;
        const hp = (hPrev >> 2) + r, ho = (h >> 2) + r;
        for (let j = 0; j < H; j++) {
          const r1 = Math.fround(sigmoid(f[xr + j]! + f[hr + j]!));
          const z1 = sigmoid(f[xz + j]! + f[hz + j]!);
          const n1 = Math.fround(Math.tanh(f[xn + j]! + r1 * f[hn + j]!));
          const h1 = n1 + z1 * (f[hp + j]! - n1);
          f[xr + j] = r1; f[xz + j] = z1; f[xn + j] = n1;
          f[ho + j] = h1;
          f[yr + j] = h1;
        }
      }
    },
    f32_gru_cell_bwd(B, H, gx, gh, hPrev, mask, dy, ldy, dh, dGx, dGh) {
      const f = heap.f32;
      for (let b = 0; b < B; b++) {
        const r = b * H;
        const dxr = (dGx >> 2) + 3 * r, dxz = dxr + H, dxn = dxz + H;
        const dhr = (dGh >> 2) + 3 * r, dhz = dhr + H, dhn = dhz + H;
        if (mask !== 0 && f[(mask >> 2) + b] === 0) {
          f.fill(0, dxr, dxr + 3 * H);
          f.fill(0, dhr, dhr + 3 * H);
          continue;
        }
        const xr = (gx >> 2) + 3 * r, xz = xr + H, xn = xz + H;
        const hn = (gh >> 2) + 3 * r + 2 * H;
        const dyr = (dy >> 2) + b * ldy, dho = (dh >> 2) + r, hp = (hPrev >> 2) + r;
        for (let j = 0; j < H; j++) {
          const d = f[dho + j]! + (dy !== 0 ? f[dyr + j]! : 0);
          const r1 = f[xr + j]!, z1 = f[xz + j]!, n1 = f[xn + j]!;
          const dnp = d * (1 - z1) * (1 - n1 * n1);
          const dzp = d * (f[hp + j]! - n1) * (z1 * (1 - z1));
          const drp = dnp * f[hn + j]! * (r1 * (1 - r1));
          f[dxr + j] = drp; f[dxz + j] = dzp; f[dxn + j] = dnp;
          f[dhr + j] = drp; f[dhz + j] = dzp; f[dhn + j] = dnp * r1;
          f[dho + j] = d * z1;
        }
      }
    },
  };
}
