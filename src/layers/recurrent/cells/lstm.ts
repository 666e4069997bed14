// LSTM, PyTorch's nn.LSTM: gates i, f, g, o; c' = f⊙c + i⊙g; h' = o⊙tanh(c').
// The recurrent product is added straight into the input projection (which
// carries b_ih + b_hh), then one fused kernel does the rest.
import type { Cell } from '../cell.js';

export const lstmCell: Cell = {
  type: 'LSTM',
  gates: 4,
  hasCell: true,
  separateRecurrent: false,
  inputBias: (w) => (w.hasBias ? w.bsum : 0),
  callsOnly: true,
  forward(k, s) {
    k.f32_gemm_packed_bias(0, s.B, s.G, s.H, 1, s.hIn, s.H, s.w.whh, 1, s.g, s.G, 0);
    k.f32_lstm_cell_fwd(s.B, s.H, s.g, s.cPrev, s.hPrev, s.cNext, s.hNext, s.mask, s.y, s.ldy);
  },
  backward(k, s) {
    k.f32_lstm_cell_bwd(s.B, s.H, s.g, s.cPrev, s.cNext, s.mask, s.dy, s.ldy, s.dh, s.dc, s.dg);
    return s.dg;
  },
  stream(k, s) {
    k.f32_gemm_packed_bias(0, s.B, s.G, s.I + s.H, 1, s.xh, s.ld, s.w.wcat(), 0, s.g, s.G, s.w.hasBias ? s.w.bsum : 0);
    k.f32_lstm_cell_fwd(s.B, s.H, s.g, s.c, s.h, s.c, s.h, 0, s.xh + 4 * s.I, s.ld);
  },
  config: () => ({}),
};
