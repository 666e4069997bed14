// The options and results of a sequence-to-sequence model's calls.
import type { Optimizer, Schedule, Logs, History, LoopOptions } from '../contracts.js';
import type { TokenTensor } from './data.js';
import type { Tensor } from '../../tensor.js';

export interface Seq2SeqCompileOptions {
  optimizer: Optimizer;
  /** Clip the global gradient norm to this (PyTorch's clip_grad_norm_). */
  clipNorm?: number;
  clipValue?: number;
  /** The target distribution (1 − ε)·onehot + ε/tgtVocab (PyTorch's label_smoothing; default 0). */
  labelSmoothing?: number;
  schedule?: Schedule;
  /** A NaN/Inf loss, gradient or update: 'throw' (default) or 'skip' it; either way it is undone. */
  onNonFinite?: 'throw' | 'skip';
}

/** @internal compile()'s options, completed. */
export interface Seq2SeqCompiled extends Seq2SeqCompileOptions {
  labelSmoothing: number;
  onNonFinite: 'throw' | 'skip';
}

export interface Seq2SeqEvalOptions {
  /** Each source's length (default: up to its first pad). */
  srcLengths?: ArrayLike<number>;
  /** Each target's length, eos included (default: up to its first pad). */
  tgtLengths?: ArrayLike<number>;
  batchSize?: number;
}

export interface Seq2SeqFitOptions extends Seq2SeqEvalOptions, LoopOptions {
  /**
   * The chance that a decoder step is fed the gold previous token (default
   * 1: teacher forcing); below 1 the others are fed the model's own
   * prediction (scheduled sampling, Bengio et al. 2015). A function of the
   * epoch (from 0) gives a schedule.
   */
  teacherForcing?: number | ((epoch: number) => number);
  /**
   * Batches of pairs of alike lengths (default true): the shuffled order is
   * sorted by length within windows of 32 batches, so little of a batch is
   * padding; the batches still come in a shuffled, seeded order.
   */
  bucket?: boolean;
  validationData?: { src: TokenTensor; tgt: TokenTensor; srcLengths?: ArrayLike<number>; tgtLengths?: ArrayLike<number> };
}

export interface TranslateOptions {
  srcLengths?: ArrayLike<number>;
  /** Beam width (default 1: greedy). */
  beam?: number;
  /** Longest output, eos included (default 2·S + 10). */
  maxLength?: number;
  /** GNMT's α: hypotheses are ranked by Σ log p / ((5 + n)/6)^α (default 0: by Σ log p). */
  lengthPenalty?: number;
  /** Hypotheses per source (≤ beam; default 1). */
  nBest?: number;
  returnAttention?: boolean;
  /** Sample instead of searching (beam 1): from softmax(log p / temperature) over the topK most likely tokens (0: all). */
  sample?: { temperature?: number; topK?: number; seed?: number };
  batchSize?: number;
}

export interface Translation {
  /** Output tokens without bos and eos: per source (nBest > 1: source i's j-th best at i·nBest + j). */
  tokens: number[][];
  /** Raw Σ log p of each hypothesis' tokens, eos included: equals logProb of the pair. */
  scores: number[];
  /** With returnAttention: per hypothesis [steps, S], a row per output token (eos's too). */
  attention?: Tensor[];
}

export type { History, Logs };
