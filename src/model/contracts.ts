// The contracts between a model and what trains it: the options of compile
// and fit, what fit reports, and what an optimizer must do. They live with the
// model (which never imports the training code): train/ implements them.
import type { Backend } from '../backend/backend.js';
import type { Tensor } from '../tensor.js';
import type { Embedding, EmbeddingConfig } from '../layers/embedding.js';
import type { Recurrent, RecurrentConfig } from '../layers/recurrent/index.js';
import type { Linear, LinearConfig } from '../layers/linear.js';
import type { Dropout, DropoutConfig } from '../layers/dropout.js';

/** The layers a Sequential is made of. */
export type ModelLayer = Embedding | Recurrent | Linear | Dropout;

/** A layer's config(): the options that rebuild it, with its type. */
export type LayerConfig = EmbeddingConfig | RecurrentConfig | LinearConfig | DropoutConfig;

/** What `Sequential.config()` gives (saved in model files as the architecture). */
export interface SequentialConfig {
  /** The output mode. */
  output: 'last' | 'mean' | 'all';
  /** Each layer's config(), with its type. */
  layers: LayerConfig[];
}

/**
 * Losses, each a mean over the valid (unpadded) elements: squared error,
 * absolute error, Huber (`lossOptions.delta`), softmax cross-entropy over
 * class indices, and binary cross-entropy on logits.
 */
export type LossName = 'mse' | 'mae' | 'huber' | 'crossEntropy' | 'bceWithLogits';
/** Metrics logged beside the loss: accuracy (classification), mean absolute error, root mean squared error. */
export type MetricName = 'accuracy' | 'mae' | 'rmse';

/** Options of the loss (`compile({ lossOptions })`). */
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

/** An optimizer's state, as `getState()` gives it and `setState()` takes it (checkpoints hold it). */
export interface OptimizerState {
  /** Steps taken. */
  step: number;
  /** Flat state regions (moments, buffers), as copies. */
  buffers: Float32Array[];
}

/** An optimizer over one flat region of parameters (see optim.*). */
export interface Optimizer {
  /** 'sgd' | 'adam' | 'adamw' | 'rmsprop' | 'adagrad'. */
  readonly name: string;
  /** The base learning rate (a schedule scales it per step). */
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
  /** A copy of the state (step count and moment buffers). */
  getState(): OptimizerState;
  /** Restores a state from getState() of an optimizer of the same kind and size (compiled first); throws INVALID_ARGUMENT otherwise. */
  setState(s: OptimizerState): void;
  /** Frees its state; afterwards every call throws 'DISPOSED'. A second call does nothing. */
  dispose(): void;
}

/** Options of `new Sequential(layers, options)`. */
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

/** Options of `Sequential.compile`. */
export interface CompileOptions {
  /** An optimizer from optim.* (it then belongs to this model). */
  optimizer: Optimizer;
  /** The loss; 'crossEntropy' needs a head of at least 2 outputs and class-index targets. */
  loss: LossName;
  /** Options of the loss (Huber's delta, ignoreIndex, labelSmoothing). */
  lossOptions?: LossOptions;
  /** Clip the global gradient norm to this (PyTorch's clip_grad_norm_). */
  clipNorm?: number;
  /** Clip every gradient element to [−clipValue, clipValue]. */
  clipValue?: number;
  /** Learning-rate factor per optimizer step (see optim.schedules). */
  schedule?: Schedule;
  /** Metrics to log in History.metrics and evaluate()'s result (default none). */
  metrics?: MetricName[];
  /**
   * A NaN/Inf loss or gradient norm, or an update that would leave a
   * parameter NaN/Inf: stop with a NON_FINITE error (default) or skip that
   * update. Either way the parameters and the optimizer's state stay as they
   * were before the bad step; `history.skipped` counts the skipped ones.
   */
  onNonFinite?: 'throw' | 'skip';
}

/** The loss and compiled metrics of a batch, an epoch or evaluate(). */
export interface Logs {
  /** Mean loss over the valid elements. */
  loss: number;
  [metric: string]: number;
}

/** The options of every model's fit loop (epochs, batches, callbacks, validation, early stopping, checkpoints). */
export interface LoopOptions {
  /** Passes over the data (default 1). */
  epochs?: number;
  /** Samples per optimizer step (default 32; the last batch of an epoch may be smaller). */
  batchSize?: number;
  /** Shuffle the samples every epoch, seeded (default true). */
  shuffle?: boolean;
  /** Seed of the shuffling (default 0): the same seed and backend give bit-identical training. */
  seed?: number;
  /** The last fraction of the data (before shuffling) is held out for validation (default 0, in [0, 1)). */
  validationSplit?: number;
  /** Called after every batch and epoch; an async callback is awaited before training goes on. */
  callbacks?: {
    /** After each optimizer step: the batch's index in the epoch and its loss. */
    onBatchEnd?: (batch: number, logs: Logs) => void | Promise<void>;
    /** After each epoch: its index, the mean training loss and metrics, and valLoss when there is validation data. */
    onEpochEnd?: (epoch: number, logs: Logs & { valLoss?: number }) => void | Promise<void>;
  };
  /** Aborting stops training between batches; fit resolves with history.stopped = 'aborted'. */
  signal?: AbortSignal;
  /** Stop when the monitored loss has not improved by minDelta for `patience` epochs. */
  earlyStopping?: {
    /** 'valLoss' when there is validation data (the default then), else 'loss'. */
    monitor?: 'loss' | 'valLoss';
    /** Epochs without improvement before stopping (an integer ≥ 1). */
    patience: number;
    /** The least decrease that counts as an improvement (default 0). */
    minDelta?: number;
  };
  /**
   * Save a checkpoint every `every` epochs (default 1): to `path` (Node,
   * written atomically) and/or through `save(bytes, epoch)`.
   */
  checkpoint?: {
    /** Epochs between checkpoints (default 1). */
    every?: number;
    /** A file path (Node): written atomically, so a crash never leaves half a file. */
    path?: string;
    /** Called with the checkpoint's bytes and the epoch (awaited). */
    save?: (bytes: Uint8Array, epoch: number) => void | Promise<void>;
  };
  /** Continue from a checkpoint (bytes, or a path on Node) of this model; ends bit-identical to an uninterrupted run. */
  resume?: Uint8Array | string;
}

/** Options of `Sequential.fit`. */
export interface FitOptions extends LoopOptions {
  /** Valid length of each of the N sequences (padding after). */
  lengths?: ArrayLike<number>;
  /** Or a [N, T] mask of 1 (real step) and 0 (padding), e.g. from padSequences with padding: 'pre'. */
  mask?: Tensor;
  /** Truncated BPTT chunk length (0 = full BPTT). */
  tbptt?: number;
  /** Data to validate on after each epoch (instead of validationSplit). */
  validationData?: {
    /** [N, T, F] inputs. */
    x: Tensor;
    /** Targets, as fit's y. */
    y: Tensor | Int32Array;
    /** Valid steps per sequence. */
    lengths?: ArrayLike<number>;
    /** Or a [N, T] mask. */
    mask?: Tensor;
  };
}

/**
 * Options of `Sequential.fit(data, options)` on a stream of batches (data
 * bigger than memory). The loop's options work as with tensors (a
 * checkpoint's resume starts the stream again at the epoch it resumes: a
 * source function is called with that epoch), except validationSplit.
 */
export interface StreamFitOptions extends Omit<LoopOptions, 'validationSplit'> {
  /**
   * Batches per epoch. Without it an epoch is one pass over the stream (read
   * again each epoch); with it the stream is read on across epochs (opened
   * again when it ends, if it can be: a stream read once that ends stops
   * training with history.stopped = 'exhausted').
   */
  stepsPerEpoch?: number;
  /**
   * Sequences held in a shuffle buffer (default 0: batches are used as they
   * come). With a buffer, batches of `batchSize` sequences are drawn from it
   * at random (seeded by `seed`), each padded to its longest sequence.
   */
  shuffleBuffer?: number;
  /** Truncated BPTT chunk length (0 = full BPTT). */
  tbptt?: number;
  /** Validation after each epoch: tensors as fit's validationData, or a stream that can be read every epoch. */
  validationData?: FitOptions['validationData'] | BatchSource;
  /** Batches of a validation stream per epoch (default: all of it). */
  validationSteps?: number;
}

/** Options of `Sequential.evaluate(data, options)` on a stream of batches. */
export interface StreamEvalOptions {
  /** Batches to read (default: to the stream's end). */
  steps?: number;
}

/** What fit returns: per-epoch losses and metrics, and how it ended. */
export interface History {
  /** Mean training loss of each epoch. */
  loss: number[];
  /** Validation loss of each epoch (empty without validation data). */
  valLoss: number[];
  /** Each compiled metric's value per epoch. */
  metrics: Record<string, number[]>;
  /** Each compiled metric on the validation data per epoch. */
  valMetrics: Record<string, number[]>;
  /** Why training ended before `epochs`, if it did. */
  stopped?: 'aborted' | 'earlyStopping' | 'exhausted';
  /** Optimizer steps taken. */
  steps: number;
  /** Updates skipped because of a non-finite loss, gradient or result (onNonFinite: 'skip'). */
  skipped: number;
}

/** A data set checked and laid out for the model (engine-internal; not exported from the package). */
export interface Data {
  x: Float32Array;
  N: number;
  T: number;
  F: number;
  y: Float32Array | Int32Array;
  O: number; // outputs per row (for crossEntropy, the number of classes is the head's width)
  /** `[N, T]`: 1 where a step is real, 0 where it is padding. */
  valid: Uint8Array;
}

/** compile()'s options, completed with their defaults (not exported from the package). */
export interface Compiled extends CompileOptions {
  lossOptions: LossOptions;
  metrics: MetricName[];
  onNonFinite: 'throw' | 'skip';
}

/** One batch of a stream: B sequences, as fit's x, y and lengths (or mask). */
export interface Batch {
  /** [B, T, F] inputs (or [B, T] indices for a model that starts with an Embedding). */
  x: Tensor;
  /** Targets as fit's y for these B sequences (needed by fit and evaluate; predict ignores them). */
  y?: Tensor | Int32Array;
  /** Valid steps of each of the B sequences (padding after). */
  lengths?: ArrayLike<number>;
  /** Or a [B, T] mask of 1 (real step) and 0 (padding). */
  mask?: Tensor;
}

/** Something that yields batches, once. */
export type BatchIterable = Iterable<Batch> | AsyncIterable<Batch>;

/**
 * A stream of batches: an iterable or async iterable of batches (an array, a
 * generator's result), or a function of the epoch (from 0) returning one,
 * which is called at the start of each pass over the data. A generator's
 * result can be read once: give the generator function itself to train
 * several epochs over it.
 */
export type BatchSource = BatchIterable | ((epoch: number) => BatchIterable);
