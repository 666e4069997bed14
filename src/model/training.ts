// Where a model finds its training: the model never imports the training code
// (an inference-only program bundles none of it); the training code provides
// itself here when it is loaded, which it is by anything that can compile a
// model (the optimizers, optim.*).
import { SimdRnnError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import type { CompileOptions, FitOptions, History, Logs, StreamFitOptions, StreamEvalOptions, BatchSource } from './contracts.js';

/** Options of `Sequential.trainOnBatch`: lengths or mask as in fit, and truncated BPTT (tbptt, default 0). */
export interface BatchOptions {
  /** Valid steps per sequence. */
  lengths?: ArrayLike<number>;
  /** Or a [N, T] mask of 1 and 0. */
  mask?: Tensor;
  /** Truncated BPTT chunk length (default 0: full BPTT). */
  tbptt?: number;
}
/** Options of `Sequential.evaluate`: lengths or mask as in fit, and sequences per forward pass (batchSize, default 32). */
export interface EvalOptions {
  /** Valid steps per sequence. */
  lengths?: ArrayLike<number>;
  /** Or a [N, T] mask of 1 and 0. */
  mask?: Tensor;
  /** Sequences per forward pass (default 32). */
  batchSize?: number;
}

/** What train/ gives the model M (Sequential): its compile, fit, trainOnBatch and evaluate. */
export interface Training<M, X = Tensor, Y = Tensor | Int32Array, C = CompileOptions, F = FitOptions, B = BatchOptions, E = EvalOptions> {
  compile(m: M, opts: C): void;
  fit(m: M, x: X, y: Y, opts: F): Promise<History>;
  trainOnBatch(m: M, x: X, y: Y, opts: B): number;
  evaluate(m: M, x: X, y: Y, opts: E): Logs;
  /** fit on a stream of batches (Sequential). */
  fitStream?(m: M, data: BatchSource, opts: StreamFitOptions): Promise<History>;
  /** evaluate on a stream of batches (Sequential). */
  evaluateStream?(m: M, data: BatchSource, opts: StreamEvalOptions): Promise<Logs>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const provided = new Map<string, Training<any>>();

/** @internal Called by the training code when it loads, once per kind of model ('sequential', 'seq2seq'). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function provideTraining(t: Training<any, any, any, any, any, any, any>, kind = 'sequential'): void {
  provided.set(kind, t);
}

export function training<M>(where: string, kind = 'sequential'): Training<M> {
  const t = provided.get(kind);
  if (!t) {
    throw new SimdRnnError('NOT_INITIALIZED', `${where}: the training code is not loaded; import { optim } from 'simd-rnn' (compile needs an optimizer from it)`);
  }
  return t as Training<M>;
}
