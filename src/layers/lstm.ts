import { Recurrent, type RecurrentOptions } from './recurrent/index.js';
import { cellOf, choice } from './recurrent/cells/index.js';

/**
 * Long short-term memory, exactly PyTorch's `nn.LSTM` (gates i, f, g, o;
 * parameters `weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`, `bias_hh_l{k}`,
 * `…_reverse`).
 *
 * @example
 * await init();
 * const lstm = new LSTM({ inputSize: 8, hiddenSize: 32, numLayers: 2, batchFirst: true, seed: 1 });
 * const { output, h, c } = lstm.forward(x);           // x [B, T, 8] → output [B, T, 32]
 */
export class LSTM extends Recurrent {
  constructor(opts: RecurrentOptions) {
    super(cellOf('LSTM', choice(opts)), opts);
  }
}
