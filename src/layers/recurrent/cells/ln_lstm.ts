// Layer-normalized LSTM (Ba, Kiros & Hinton 2016):
//   a  = LN(W_ih·x; γx, βx) + LN(W_hh·h; γh, βh) + b_ih + b_hh
//   c' = σ(a_f) ⊙ c + σ(a_i) ⊙ tanh(a_g)        h' = σ(a_o) ⊙ tanh(LN(c'; γc, βc))
// with ε = 1e-5 and the carried c un-normalized. The projections stay apart
// (the recurrent one in gh) so each is normalized on its own; the biases
// enter after the norms, so the cell owns their gradient.
import type { Cell } from '../cell.js';

export const LN_EPS = 1e-5;

export const lnLstmCell: Cell = {
  type: 'LSTM',
  gates: 4,
  hasCell: true,
  separateRecurrent: true,
  ownsBiasGrad: true,
  inputBias: () => 0,
  extraParams: (H) => [
    { name: 'ln_ih_weight', size: 4 * H, init: 1 }, { name: 'ln_ih_bias', size: 4 * H, init: 0 },
    { name: 'ln_hh_weight', size: 4 * H, init: 1 }, { name: 'ln_hh_bias', size: 4 * H, init: 0 },
    { name: 'ln_c_weight', size: H, init: 1 }, { name: 'ln_c_bias', size: H, init: 0 },
  ],
  // Activations [4H] per row, then rstd of both projections and μ, rstd of c'.
  savedPerRow: (H) => 4 * H + 4,
  forward(k, s) {
    const rx = s.sv + 4 * s.B * s.G;
    k.f32_gemm_packed_bias(0, s.B, s.G, s.H, 1, s.hIn, s.H, s.w.whh, 0, s.gh, s.G, 0);
    k.f32_layer_norm_rows(s.B, s.G, LN_EPS, s.g, rx);
    k.f32_layer_norm_rows(s.B, s.G, LN_EPS, s.gh, rx + 4 * s.B);
    k.f32_ln_lstm_cell_fwd(s.B, s.H, s.g, s.gh, s.w.ext, s.w.hasBias ? s.w.bsum : 0, s.cPrev, s.hPrev, s.cNext, s.hNext, s.mask, s.y, s.ldy, s.sv, LN_EPS);
  },
  backward(k, s) {
    k.f32_ln_lstm_cell_bwd(s.B, s.H, s.g, s.gh, s.w.ext, s.cPrev, s.cNext, s.mask, s.sv, s.dy, s.ldy, s.dh, s.dc, s.dg, s.dgh, s.w.gext, s.w.gbih, s.w.gbhh);
    return s.dgh;
  },
  stream(k, s) {
    const rx = s.sv + 4 * s.B * s.G;
    k.f32_gemm_packed_bias(0, s.B, s.G, s.I, 1, s.xh, s.ld, s.w.wih, 0, s.g, s.G, 0);
    k.f32_gemm_packed_bias(0, s.B, s.G, s.H, 1, s.h, s.H, s.w.whh, 0, s.gh, s.G, 0);
    k.f32_layer_norm_rows(s.B, s.G, LN_EPS, s.g, rx);
    k.f32_layer_norm_rows(s.B, s.G, LN_EPS, s.gh, rx + 4 * s.B);
    k.f32_ln_lstm_cell_fwd(s.B, s.H, s.g, s.gh, s.w.ext, s.w.hasBias ? s.w.bsum : 0, s.c, s.h, s.c, s.h, 0, s.xh + 4 * s.I, s.ld, s.sv, LN_EPS);
  },
  config: () => ({ layerNorm: true }),
};
