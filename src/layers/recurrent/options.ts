// The options and results of a recurrent layer's constructor, forward and
// backward, and the constructor's options checked and completed.
import type { Tensor } from '../../tensor.js';
import { argError } from '../../errors.js';
import { randomSeed } from '../../util/rng.js';
import { checkBool, checkInt, checkKeys, dflt, keysOf } from '../validate.js';

/** Options of `new LSTM(options)`, `new GRU(options)` and `new RNN(options)`. */
export interface RecurrentOptions {
  /** Features per input step (I). */
  inputSize: number;
  /** Features of the hidden state (H) per direction. */
  hiddenSize: number;
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Run a reverse direction too and concatenate (default false). */
  bidirectional?: boolean;
  /** Dropout on the outputs of every layer but the last, in training only (default 0). */
  dropout?: number;
  /**
   * Variational recurrent dropout (Gal & Ghahramani): in training, h_{t−1}
   * entering the recurrent product is multiplied by one mask per sequence,
   * the same at every step (default 0).
   */
  recurrentDropout?: number;
  /**
   * Residual connections between the stacked layers: each layer after the
   * first adds its input (the previous layer's output) to its output,
   * y_l = f_l(y_{l−1}) + y_{l−1} (default false; needs numLayers ≥ 2).
   */
  residual?: boolean;
  /**
   * LSTM and GRU: the layer-normalized cell (Ba et al. 2016; default false):
   * both projections and (LSTM) the cell state fed to tanh are normalized per
   * row, ε = 1e-5, with the extra parameters `ln_ih_weight/bias`,
   * `ln_hh_weight/bias` (and `ln_c_weight/bias`) per layer and direction;
   * see the README for the equations.
   */
  layerNorm?: boolean;
  /** Use bias_ih and bias_hh (default true). */
  bias?: boolean;
  /** x and output are [B, T, ·] instead of [T, B, ·] (default false, as in PyTorch). */
  batchFirst?: boolean;
  /** Seed of the default initialization U(−1/√H, 1/√H) and of dropout masks. */
  seed?: number;
}

/** Options of a recurrent layer's forward. */
export interface ForwardOptions {
  /** Initial hidden state [numLayers·D, B, H] (default zeros). */
  h0?: Tensor;
  /** Initial cell state [numLayers·D, B, H] (LSTM only; default zeros). */
  c0?: Tensor;
  /** Valid length of each sequence (0 ≤ length ≤ T); later steps are padding. */
  lengths?: ArrayLike<number>;
  /** Alternative to lengths: [B, T] of 1 (valid) and 0 (padding). */
  mask?: Tensor;
  /** Training mode: applies dropout between layers (default false). */
  train?: boolean;
}

/** What a recurrent layer's forward returns. */
export interface ForwardResult {
  /** [B, T, D·H] (batchFirst) or [T, B, D·H]; zeros at padding steps. */
  output: Tensor;
  /** Final hidden state per layer and direction [numLayers·D, B, H]. */
  h: Tensor;
  /** Final cell state (LSTM only). */
  c?: Tensor;
}

/** Options of a recurrent layer's backward (gradients flowing into the final states). */
export interface BackwardOptions {
  /** Gradient w.r.t. the final hidden state h [numLayers·D, B, H]. */
  dh?: Tensor;
  /** Gradient w.r.t. the final cell state c (LSTM). */
  dc?: Tensor;
}

/** What a recurrent layer's backward returns (the parameter gradients are added into gradStateDict()). */
export interface BackwardResult {
  /** Gradient w.r.t. x, in x's layout. */
  dx: Tensor;
  /** Gradient w.r.t. h0 [numLayers·D, B, H]. */
  dh0: Tensor;
  /** Gradient w.r.t. c0 (LSTM). */
  dc0?: Tensor;
}


const RECURRENT_KEYS = keysOf<RecurrentOptions>()(['inputSize', 'hiddenSize', 'numLayers', 'bidirectional', 'dropout', 'recurrentDropout', 'residual', 'layerNorm', 'bias', 'batchFirst', 'seed']);
/** The keys of forward's and backward's options. */
export const FORWARD_KEYS = keysOf<ForwardOptions>()(['h0', 'c0', 'lengths', 'mask', 'train']);
export const BACKWARD_KEYS = keysOf<BackwardOptions>()(['dh', 'dc']);

/** A layer's options, checked (errors name the option) and completed with their defaults; the seed drawn if absent. */
export function checkRecurrentOptions(name: string, opts: RecurrentOptions): Required<Omit<RecurrentOptions, 'layerNorm'>> {
  if (opts === null || typeof opts !== 'object') throw argError(name, 'options', 'an object', opts);
  checkKeys(name, 'options', opts, name === 'RNN' ? [...RECURRENT_KEYS, 'nonlinearity'] : RECURRENT_KEYS);
  const rate = (key: 'dropout' | 'recurrentDropout'): number => {
    const p = dflt(opts[key], 0);
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw argError(name, key, 'a number in [0, 1)', p);
    return p;
  };
  const o = {
    inputSize: checkInt(name, 'inputSize', opts.inputSize, 1),
    hiddenSize: checkInt(name, 'hiddenSize', opts.hiddenSize, 1),
    numLayers: checkInt(name, 'numLayers', dflt(opts.numLayers, 1), 1),
    bidirectional: checkBool(name, 'bidirectional', dflt(opts.bidirectional, false)),
    bias: checkBool(name, 'bias', dflt(opts.bias, true)),
    batchFirst: checkBool(name, 'batchFirst', dflt(opts.batchFirst, false)),
    dropout: rate('dropout'),
    recurrentDropout: rate('recurrentDropout'),
    residual: false,
    seed: 0,
  };
  o.residual = checkBool(name, 'residual', dflt(opts.residual, false));
  if (o.residual && o.numLayers < 2) {
    throw argError(name, 'residual', `false for numLayers ${o.numLayers} (residual connections join stacked layers: numLayers ≥ 2)`, true);
  }
  o.seed = opts.seed === undefined ? randomSeed() : checkInt(name, 'seed', opts.seed, 0, 2 ** 32 - 1);
  return o;
}

/** What a recurrent layer's `config()` gives: the options that rebuild it, with its type. */
export interface RecurrentConfig {
  /** The layer's kind, which names its cell. */
  type: 'LSTM' | 'GRU' | 'RNN';
  /** Features per step of the input. */
  inputSize: number;
  /** Width of the hidden state (per direction). */
  hiddenSize: number;
  /** Stacked layers. */
  numLayers: number;
  /** Whether each layer also runs backwards (outputs are then 2·hiddenSize wide). */
  bidirectional: boolean;
  /** Dropout between stacked layers. */
  dropout: number;
  /** Whether the layer has the b_ih and b_hh biases. */
  bias: boolean;
  /** Whether inputs are [B, T, F] (true) or [T, B, F] (false). */
  batchFirst: boolean;
  /** Variational dropout on the recurrent state (present when above 0). */
  recurrentDropout?: number;
  /** Residual connections between stacked layers (present when true). */
  residual?: boolean;
  /** Layer-normalized cell (present when true). */
  layerNorm?: boolean;
  /** An RNN's nonlinearity. */
  nonlinearity?: 'tanh' | 'relu';
}
