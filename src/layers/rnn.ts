import { Recurrent, type RecurrentOptions } from './recurrent/index.js';
import { cellOf, choice } from './recurrent/cells/index.js';

/** Options of `new RNN(options)`: the recurrent options and the nonlinearity. */
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
  /** The activation of h' = act(…). */
  readonly nonlinearity: 'tanh' | 'relu';
  constructor(opts: RNNOptions) {
    const cell = cellOf('RNN', choice(opts));
    super(cell, opts);
    this.nonlinearity = cell.type === 'RNN_RELU' ? 'relu' : 'tanh';
  }
}
