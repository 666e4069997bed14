// GRU, PyTorch's nn.GRU: gates r, z, n; n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),
// h' = (1 − z) ⊙ n + z ⊙ h. The recurrent product W_hh·h + b_hh stays in its
// own buffer (n needs its third part apart), so its gradient does too.
import type { Cell } from '../cell.js';

export const gruCell: Cell = {
  type: 'GRU',
  gates: 3,
  hasCell: false,
  separateRecurrent: true,
  inputBias: (w) => w.bih,
  callsOnly: true,
  forward(k, s) {
    k.f32_gemm_packed_bias(0, s.B, s.G, s.H, 1, s.hIn, s.H, s.w.whh, 0, s.gh, s.G, s.w.bhh);
    k.f32_gru_cell_fwd(s.B, s.H, s.g, s.gh, s.hPrev, s.hNext, s.mask, s.y, s.ldy);
  },
  backward(k, s) {
    k.f32_gru_cell_bwd(s.B, s.H, s.g, s.gh, s.hPrev, s.mask, s.dy, s.ldy, s.dh, s.dg, s.dgh);
    return s.dgh;
  },
  stream(k, s) {
    k.f32_gemm_packed_bias(0, s.B, s.G, s.I, 1, s.xh, s.ld, s.w.wih, 0, s.g, s.G, s.w.bih);
    k.f32_gemm_packed_bias(0, s.B, s.G, s.H, 1, s.h, s.H, s.w.whh, 0, s.gh, s.G, s.w.bhh);
    k.f32_gru_cell_fwd(s.B, s.H, s.g, s.gh, s.h, s.h, 0, s.xh + 4 * s.I, s.ld);
  },
  config: () => ({}),
};
