import { Recurrent, type RecurrentOptions } from './recurrent/index.js';
import { cellOf, choice } from './recurrent/cells/index.js';

/**
 * Gated recurrent unit, exactly PyTorch's `nn.GRU`: gates r, z, n with
 * n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h.
 *
 * @example
 * const gru = new GRU({ inputSize: 8, hiddenSize: 32, bidirectional: true, seed: 1 });
 * const { output, h } = gru.forward(x);                // x [T, B, 8] → output [T, B, 64]
 */
export class GRU extends Recurrent {
  constructor(opts: RecurrentOptions) {
    super(cellOf('GRU', choice(opts)), opts);
  }
}
