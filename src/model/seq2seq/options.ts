// The options and results of a sequence-to-sequence model's calls.
import type { Optimizer, Schedule, Logs, History, LoopOptions } from '../contracts.js';
import type { TokenTensor } from './data.js';
import type { Tensor } from '../../tensor.js';

/** Options of `Seq2Seq.compile` (the loss is the label-smoothed cross-entropy of the target tokens). */
export interface Seq2SeqCompileOptions {
  /** An optimizer from optim.* (it then belongs to this model). */
  optimizer: Optimizer;
  /** Clip the global gradient norm to this (PyTorch's clip_grad_norm_). */
  clipNorm?: number;
  /** Clip every gradient element to [−clipValue, clipValue]. */
  clipValue?: number;
  /** The target distribution (1 − ε)·onehot + ε/tgtVocab (PyTorch's label_smoothing; default 0). */
  labelSmoothing?: number;
  /** Learning-rate factor per optimizer step (see optim.schedules). */
  schedule?: Schedule;
  /** A NaN/Inf loss, gradient or update: 'throw' (default) or 'skip' it; either way it is undone. */
  onNonFinite?: 'throw' | 'skip';
}

/** @internal compile()'s options, completed. */
export interface Seq2SeqCompiled extends Seq2SeqCompileOptions {
  labelSmoothing: number;
  onNonFinite: 'throw' | 'skip';
}

/** Options of `Seq2Seq.evaluate`, `trainOnBatch` and `logProb`. */
export interface Seq2SeqEvalOptions {
  /** Each source's length (default: up to its first pad). */
  srcLengths?: ArrayLike<number>;
  /** Each target's length, eos included (default: up to its first pad). */
  tgtLengths?: ArrayLike<number>;
  /** Pairs per forward pass (default 64; in fit, pairs per optimizer step, default 32). */
  batchSize?: number;
}

/** Options of `Seq2Seq.fit`. */
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
  /** Pairs to validate on after each epoch (instead of validationSplit). */
  validationData?: {
    /** Sources [N, S]. */
    src: TokenTensor;
    /** Targets [N, T], each ending with eos. */
    tgt: TokenTensor;
    /** Each source's length. */
    srcLengths?: ArrayLike<number>;
    /** Each target's length, eos included. */
    tgtLengths?: ArrayLike<number>;
  };
}

/** Options of `Seq2Seq.translate`. */
export interface TranslateOptions {
  /** Each source's length (default: up to its first pad). */
  srcLengths?: ArrayLike<number>;
  /** Beam width (default 1: greedy). */
  beam?: number;
  /** Longest output, eos included (default 2·S + 10). */
  maxLength?: number;
  /** GNMT's α: hypotheses are ranked by Σ log p / ((5 + n)/6)^α (default 0: by Σ log p). */
  lengthPenalty?: number;
  /** Hypotheses per source (≤ beam; default 1). */
  nBest?: number;
  /** Return each hypothesis' attention weights (default false). */
  returnAttention?: boolean;
  /** Sample instead of searching (beam 1): from softmax(log p / temperature) over the topK most likely tokens (0: all). */
  sample?: {
    /** Divides the log-probabilities (default 1; > 0). */
    temperature?: number;
    /** Sample among the k most likely tokens (default 0: all). */
    topK?: number;
    /** Seed of this call's draws (default: the model's generator). */
    seed?: number;
  };
  /** Sources decoded together (default 32). */
  batchSize?: number;
}

/** What translate returns. */
export interface Translation {
  /** Output tokens without bos and eos: per source (nBest > 1: source i's j-th best at i·nBest + j). */
  tokens: number[][];
  /** Raw Σ log p of each hypothesis' tokens, eos included: equals logProb of the pair. */
  scores: number[];
  /** With returnAttention: per hypothesis [steps, S], a row per output token (eos's too). */
  attention?: Tensor[];
}

export type { History, Logs };
