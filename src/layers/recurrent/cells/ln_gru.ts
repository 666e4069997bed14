// Layer-normalized GRU, on the LN-LSTM's pattern in PyTorch's GRU form:
//   ax = LN(W_ih·x; γx, βx) + b_ih        ah = LN(W_hh·h; γh, βh) + b_hh
//   r = σ(ax_r + ah_r)   z = σ(ax_z + ah_z)   n = tanh(ax_n + r ⊙ ah_n)
//   h' = (1 − z) ⊙ n + z ⊙ h
// ε = 1e-5; the reset gate multiplies the normalized recurrent part of n.
import type { Cell } from '../cell.js';
import { LN_EPS } from './ln_lstm.js';

export const lnGruCell: Cell = {
  type: 'GRU',
  gates: 3,
  hasCell: false,
  separateRecurrent: true,
  ownsBiasGrad: true,
  inputBias: () => 0,
  extraParams: (H) => [
    { name: 'ln_ih_weight', size: 3 * H, init: 1 }, { name: 'ln_ih_bias', size: 3 * H, init: 0 },
    { name: 'ln_hh_weight', size: 3 * H, init: 1 }, { name: 'ln_hh_bias', size: 3 * H, init: 0 },
  ],
  // r, z, n and ah_n [4H] per row, then rstd of both projections (and 2 floats of padding: rows stay 16-byte aligned).
  savedPerRow: (H) => 4 * H + 4,
  forward(k, s) {
    const rx = s.sv + 4 * s.B * 4 * s.H;
    k.f32_gemm_packed_bias(0, s.B, s.G, s.H, 1, s.hIn, s.H, s.w.whh, 0, s.gh, s.G, 0);
    k.f32_layer_norm_rows(s.B, s.G, LN_EPS, s.g, rx);
    k.f32_layer_norm_rows(s.B, s.G, LN_EPS, s.gh, rx + 4 * s.B);
    k.f32_ln_gru_cell_fwd(s.B, s.H, s.g, s.gh, s.w.ext, s.w.bih, s.w.bhh, s.hPrev, s.hNext, s.mask, s.y, s.ldy, s.sv);
  },
  backward(k, s) {
    k.f32_ln_gru_cell_bwd(s.B, s.H, s.g, s.gh, s.w.ext, s.hPrev, s.mask, s.sv, s.dy, s.ldy, s.dh, s.dg, s.dgh, s.w.gext, s.w.gbih, s.w.gbhh);
    return s.dgh;
  },
  stream(k, s) {
    const rx = s.sv + 4 * s.B * 4 * s.H;
    k.f32_gemm_packed_bias(0, s.B, s.G, s.I, 1, s.xh, s.ld, s.w.wih, 0, s.g, s.G, 0);
    k.f32_gemm_packed_bias(0, s.B, s.G, s.H, 1, s.h, s.H, s.w.whh, 0, s.gh, s.G, 0);
    k.f32_layer_norm_rows(s.B, s.G, LN_EPS, s.g, rx);
    k.f32_layer_norm_rows(s.B, s.G, LN_EPS, s.gh, rx + 4 * s.B);
    k.f32_ln_gru_cell_fwd(s.B, s.H, s.g, s.gh, s.w.ext, s.w.bih, s.w.bhh, s.h, s.h, 0, s.xh + 4 * s.I, s.ld, s.sv);
  },
  config: () => ({ layerNorm: true }),
};
