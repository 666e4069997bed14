// Where a model finds its training: the model never imports the training code
// (an inference-only program bundles none of it); the training code provides
// itself here when it is loaded, which it is by anything that can compile a
// model (the optimizers, optim.*).
import { SimdRnnError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import type { CompileOptions, FitOptions, History, Logs } from './contracts.js';

export interface BatchOptions { lengths?: ArrayLike<number>; mask?: Tensor; tbptt?: number }
export interface EvalOptions { lengths?: ArrayLike<number>; mask?: Tensor; batchSize?: number }

/** What train/ gives the model M (Sequential): its compile, fit, trainOnBatch and evaluate. */
export interface Training<M> {
  compile(m: M, opts: CompileOptions): void;
  fit(m: M, x: Tensor, y: Tensor | Int32Array, opts: FitOptions): Promise<History>;
  trainOnBatch(m: M, x: Tensor, y: Tensor | Int32Array, opts: BatchOptions): number;
  evaluate(m: M, x: Tensor, y: Tensor | Int32Array, opts: EvalOptions): Logs;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
let provided: Training<any> | null = null;

/** @internal Called by the training code when it loads. */
export function provideTraining<M>(t: Training<M>): void {
  provided = t;
}

export function training<M>(where: string): Training<M> {
  if (!provided) {
    throw new SimdRnnError('NOT_INITIALIZED', `${where}: the training code is not loaded; import { optim } from 'simd-rnn' (compile needs an optimizer from it)`);
  }
  return provided;
}
