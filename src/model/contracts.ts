// The contracts between a model and what trains it: the options of compile
// and fit, what fit reports, and what an optimizer must do. They live with the
// model (which never imports the training code): train/ implements them.
import type { Backend } from '../backend/backend.js';
import type { Tensor } from '../tensor.js';
import type { Embedding } from '../layers/embedding.js';
import type { Recurrent } from '../layers/recurrent/index.js';
import type { Linear } from '../layers/linear.js';
import type { Dropout } from '../layers/dropout.js';

export type ModelLayer = Embedding | Recurrent | Linear | Dropout;

export type LossName = 'mse' | 'mae' | 'huber' | 'crossEntropy' | 'bceWithLogits';
export type MetricName = 'accuracy' | 'mae' | 'rmse';

export interface LossOptions {
  /** Huber's threshold (default 1). */
  delta?: number;
  /** crossEntropy: targets equal to this are ignored (default -100). */
  ignoreIndex?: number;
  /** crossEntropy: the target is (1 − ε)·onehot + ε/classes (PyTorch's label_smoothing; default 0, in [0, 1)). */
  labelSmoothing?: number;
}

/** Learning-rate schedules: a function of the optimizer step (from 1) giving a factor on lr. */
export type Schedule = (step: number) => number;

export interface OptimizerState {
  step: number;
  /** Flat state regions (moments, buffers), as copies. */
  buffers: Float32Array[];
}

/** An optimizer over one flat region of parameters (see optim.*). */
export interface Optimizer {
  readonly name: string;
  readonly lr: number;
  /**
   * @internal Allocates state for n parameters on a backend, for one model:
   * an optimizer belongs to the first model it is compiled into.
   */
  bind(be: Backend, n: number, model: object): void;
  /** @internal One update of all n parameters at p with gradients g, at learning rate lr. */
  update(p: number, g: number, lr: number): void;
  /** @internal Saves the state (moments, step count) so that the next update can be undone. */
  snapshot(): void;
  /** @internal Undoes the updates since the last snapshot (the state only; the model restores its parameters). */
  restore(): void;
  /** Steps taken. */
  readonly steps: number;
  /** Whether dispose() was called (on it, or on the model it was compiled into). */
  readonly disposed: boolean;
  getState(): OptimizerState;
  setState(s: OptimizerState): void;
  /** Frees its state; afterwards every call throws 'DISPOSED'. A second call does nothing. */
  dispose(): void;
}

export interface SequentialOptions {
  /**
   * 'last': one prediction per sequence, from its final state (both
   * directions' for a bidirectional layer); 'mean': one per sequence, from the
   * mean of the last layer's outputs over the valid steps; 'all': one per step.
   */
  output?: 'last' | 'mean' | 'all';
}

/** Options of Sequential.predict. */
export interface PredictOptions {
  /** Valid length of each sequence (0 ≤ length ≤ T); later steps are padding. */
  lengths?: ArrayLike<number>;
  /** Alternative to lengths: [N, T] of 1 (valid) and 0 (padding). */
  mask?: Tensor;
  /** Sequences per forward pass (default 32). */
  batchSize?: number;
}

export interface CompileOptions {
  optimizer: Optimizer;
  loss: LossName;
  lossOptions?: LossOptions;
  /** Clip the global gradient norm to this (PyTorch's clip_grad_norm_). */
  clipNorm?: number;
  /** Clip every gradient element to [−clipValue, clipValue]. */
  clipValue?: number;
  /** Learning-rate factor per optimizer step (see optim.schedules). */
  schedule?: Schedule;
  metrics?: MetricName[];
  /**
   * A NaN/Inf loss or gradient norm, or an update that would leave a
   * parameter NaN/Inf: stop with a NON_FINITE error (default) or skip that
   * update. Either way the parameters and the optimizer's state stay as they
   * were before the bad step; `history.skipped` counts the skipped ones.
   */
  onNonFinite?: 'throw' | 'skip';
}

export interface Logs {
  loss: number;
  [metric: string]: number;
}

/** The options of every model's fit loop (epochs, batches, callbacks, validation, early stopping, checkpoints). */
export interface LoopOptions {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  seed?: number;
  /** The last fraction of the data (before shuffling) is held out for validation. */
  validationSplit?: number;
  callbacks?: {
    onBatchEnd?: (batch: number, logs: Logs) => void | Promise<void>;
    onEpochEnd?: (epoch: number, logs: Logs & { valLoss?: number }) => void | Promise<void>;
  };
  signal?: AbortSignal;
  /** Stop when the monitored loss has not improved by minDelta for `patience` epochs. */
  earlyStopping?: { monitor?: 'loss' | 'valLoss'; patience: number; minDelta?: number };
  /**
   * Save a checkpoint every `every` epochs (default 1): to `path` (Node,
   * written atomically) and/or through `save(bytes, epoch)`.
   */
  checkpoint?: { every?: number; path?: string; save?: (bytes: Uint8Array, epoch: number) => void | Promise<void> };
  /** Continue from a checkpoint (bytes, or a path on Node) of this model; ends bit-identical to an uninterrupted run. */
  resume?: Uint8Array | string;
}

export interface FitOptions extends LoopOptions {
  /** Valid length of each of the N sequences (padding after). */
  lengths?: ArrayLike<number>;
  /** Or a [N, T] mask of 1 (real step) and 0 (padding), e.g. from padSequences with padding: 'pre'. */
  mask?: Tensor;
  /** Truncated BPTT chunk length (0 = full BPTT). */
  tbptt?: number;
  validationData?: { x: Tensor; y: Tensor | Int32Array; lengths?: ArrayLike<number>; mask?: Tensor };
}

export interface History {
  loss: number[];
  valLoss: number[];
  metrics: Record<string, number[]>;
  valMetrics: Record<string, number[]>;
  /** Why training ended before `epochs`, if it did. */
  stopped?: 'aborted' | 'earlyStopping';
  /** Optimizer steps taken. */
  steps: number;
  /** Updates skipped because of a non-finite loss, gradient or result (onNonFinite: 'skip'). */
  skipped: number;
}

/** @internal A data set checked and laid out for the model. */
export interface Data {
  x: Float32Array;
  N: number;
  T: number;
  F: number;
  y: Float32Array | Int32Array;
  O: number; // outputs per row (for crossEntropy, the number of classes is the head's width)
  /** [N, T]: 1 where a step is real, 0 where it is padding. */
  valid: Uint8Array;
}

/** @internal compile()'s options, completed with their defaults. */
export interface Compiled extends CompileOptions {
  lossOptions: LossOptions;
  metrics: MetricName[];
  onNonFinite: 'throw' | 'skip';
}
