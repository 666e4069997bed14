// The option keys of the models' public methods, each list checked by the
// compiler against its interface (keysOf), so that an unknown key (a typo
// such as `epochz`) is refused with the nearest valid name (checkKeys).
import { keysOf } from '../layers/validate.js';
import type { CompileOptions, FitOptions, LoopOptions, LossOptions, SequentialOptions, PredictOptions, StreamFitOptions, StreamEvalOptions, Batch } from './contracts.js';
import type { BatchOptions, EvalOptions } from './training.js';
import type { Seq2SeqOptions } from './seq2seq/config.js';
import type { Seq2SeqCompileOptions, Seq2SeqEvalOptions, Seq2SeqFitOptions, TranslateOptions } from './seq2seq/options.js';

type Of<T> = NonNullable<T>;
type Loop = keyof LoopOptions & string;
const LOOP = keysOf<LoopOptions>()(['epochs', 'batchSize', 'shuffle', 'seed', 'validationSplit', 'callbacks', 'signal', 'earlyStopping', 'checkpoint', 'resume']);

export const KEYS = {
  sequential: keysOf<SequentialOptions>()(['output']),
  compile: keysOf<CompileOptions>()(['optimizer', 'loss', 'lossOptions', 'clipNorm', 'clipValue', 'schedule', 'metrics', 'onNonFinite']),
  lossOptions: keysOf<LossOptions>()(['delta', 'ignoreIndex', 'labelSmoothing']),
  fit: [...LOOP, ...keysOf<Omit<FitOptions, Loop>>()(['lengths', 'mask', 'tbptt', 'validationData'])],
  fitStream: [...LOOP.filter((k) => k !== 'validationSplit'), ...keysOf<Omit<StreamFitOptions, Loop>>()(['stepsPerEpoch', 'shuffleBuffer', 'tbptt', 'validationData', 'validationSteps'])],
  evaluateStream: keysOf<StreamEvalOptions>()(['steps']),
  batchOfStream: keysOf<Batch>()(['x', 'y', 'lengths', 'mask']),
  validationData: keysOf<Of<FitOptions['validationData']>>()(['x', 'y', 'lengths', 'mask']),
  batch: keysOf<BatchOptions>()(['lengths', 'mask', 'tbptt']),
  evaluate: keysOf<EvalOptions>()(['lengths', 'mask', 'batchSize']),
  predict: keysOf<PredictOptions>()(['lengths', 'mask', 'batchSize']),
  earlyStopping: keysOf<Of<LoopOptions['earlyStopping']>>()(['monitor', 'patience', 'minDelta']),
  checkpoint: keysOf<Of<LoopOptions['checkpoint']>>()(['every', 'path', 'save']),
  callbacks: keysOf<Of<LoopOptions['callbacks']>>()(['onBatchEnd', 'onEpochEnd']),
  seq2seq: keysOf<Seq2SeqOptions>()(['srcVocab', 'tgtVocab', 'embeddingDim', 'encoder', 'decoder', 'attention', 'attentionSize', 'tokens', 'seed']),
  tokens: keysOf<Seq2SeqOptions['tokens']>()(['pad', 'bos', 'eos']),
  seq2seqCompile: keysOf<Seq2SeqCompileOptions>()(['optimizer', 'clipNorm', 'clipValue', 'labelSmoothing', 'schedule', 'onNonFinite']),
  seq2seqEval: keysOf<Seq2SeqEvalOptions>()(['srcLengths', 'tgtLengths', 'batchSize']),
  seq2seqFit: [...LOOP, ...keysOf<Omit<Seq2SeqFitOptions, Loop>>()(['srcLengths', 'tgtLengths', 'teacherForcing', 'bucket', 'validationData'])],
  seq2seqValidation: keysOf<Of<Seq2SeqFitOptions['validationData']>>()(['src', 'tgt', 'srcLengths', 'tgtLengths']),
  translate: keysOf<TranslateOptions>()(['srcLengths', 'beam', 'maxLength', 'lengthPenalty', 'nBest', 'returnAttention', 'sample', 'batchSize']),
  sample: keysOf<Of<TranslateOptions['sample']>>()(['temperature', 'topK', 'seed']),
} as const;
