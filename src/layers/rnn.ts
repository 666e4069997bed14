import { argError } from '../errors.js';
import { Recurrent, type RecurrentOptions } from './recurrent/index.js';
import { rnnReluCell, rnnTanhCell } from './recurrent/cells/rnn.js';

export interface RNNOptions extends RecurrentOptions {
  /** h' = tanh(…) (default) or relu(…). */
  nonlinearity?: 'tanh' | 'relu';
}

/**
 * Elman RNN, exactly PyTorch's `nn.RNN`: h' = act(W_ih x + b_ih + W_hh h + b_hh).
 *
 * @example
 * const rnn = new RNN({ inputSize: 4, hiddenSize: 16, nonlinearity: 'relu', seed: 1 });
 */
export class RNN extends Recurrent {
  readonly nonlinearity: 'tanh' | 'relu';
  constructor(opts: RNNOptions) {
    const nl = opts?.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw argError('RNN', 'nonlinearity', "'tanh' or 'relu'", nl);
    super(nl === 'relu' ? rnnReluCell : rnnTanhCell, opts);
    this.nonlinearity = nl;
  }
}
