// Elman RNN, PyTorch's nn.RNN: h' = act(W_ih x + b_ih + W_hh h + b_hh), act
// tanh or relu: one cell per nonlinearity.
import type { Cell } from '../cell.js';

function rnnCell(nonlinearity: 'tanh' | 'relu'): Cell {
  const act = nonlinearity === 'relu' ? 1 : 0;
  return {
    type: nonlinearity === 'relu' ? 'RNN_RELU' : 'RNN_TANH',
    gates: 1,
    hasCell: false,
    separateRecurrent: false,
    inputBias: (w) => (w.hasBias ? w.bsum : 0),
    callsOnly: true,
    forward(k, s) {
      k.f32_gemm_packed_bias(0, s.B, s.G, s.H, 1, s.hIn, s.H, s.w.whh, 1, s.g, s.G, 0);
      k.f32_rnn_cell_fwd(s.B, s.H, act, s.g, s.hPrev, s.hNext, s.mask, s.y, s.ldy);
    },
    backward(k, s) {
      k.f32_rnn_cell_bwd(s.B, s.H, act, s.hNext, s.mask, s.dy, s.ldy, s.dh, s.dg);
      return s.dg;
    },
    stream(k, s) {
      k.f32_gemm_packed_bias(0, s.B, s.G, s.I + s.H, 1, s.xh, s.ld, s.w.wcat(), 0, s.g, s.G, s.w.hasBias ? s.w.bsum : 0);
      k.f32_rnn_cell_fwd(s.B, s.H, act, s.g, s.h, s.h, 0, s.xh + 4 * s.I, s.ld);
    },
    config: () => ({ nonlinearity }),
  };
}

export const rnnTanhCell = rnnCell('tanh');
export const rnnReluCell = rnnCell('relu');
