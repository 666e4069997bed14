// The model: an optional Embedding, recurrent layers (with optional Dropout
// between them), then a head of Linear layers. Parameters of all layers live
// in ONE region of the heap (gradients in another, each optimizer moment in
// another), so zeroing, clipping and an optimizer step are one kernel call
// each. This file wires the layers and owns the memory; the engine (engine.ts)
// runs batches on the heap, the streams (stream.ts) one step at a time, and
// training (compile, fit, trainOnBatch, evaluate) is train/'s, which the
// model reaches through training.ts without importing it.
import type { Backend } from '../backend/backend.js';
import { getBackend } from '../backend/index.js';
import { SimdRnnError, argError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { Recurrent } from '../layers/recurrent/index.js';
import { Linear } from '../layers/linear.js';
import { Dropout } from '../layers/dropout.js';
import { Embedding } from '../layers/embedding.js';
import type { Params } from '../layers/params.js';
import { checkInt, checkTensor, checkKeys } from '../layers/validate.js';
import { Lifetime, disposable } from '../util/lifetime.js';
import type { Compiled, CompileOptions, FitOptions, History, Logs, ModelLayer, Optimizer, SequentialOptions, PredictOptions, StreamFitOptions, StreamEvalOptions, BatchSource, SequentialConfig } from './contracts.js';
import { isSource, predictStream } from './batches.js';
import { KEYS } from './keys.js';
import { Engine } from './engine.js';
import { ModelStream, type ModelState } from './stream.js';
import { training, type BatchOptions, type EvalOptions } from './training.js';
import { quantizeRegions } from './int8.js';

export type { ModelState } from './stream.js';

/**
 * @example
 * const model = new Sequential([
 *   new LSTM({ inputSize: 2, hiddenSize: 32 }),
 *   new Linear({ inFeatures: 32, outFeatures: 1 }),
 * ], { output: 'last' });
 * model.compile({ optimizer: optim.adam({ lr: 1e-2 }), loss: 'mse', clipNorm: 1 });
 * const history = await model.fit(x, y, { epochs: 20, batchSize: 32, seed: 1 });
 */
export class Sequential {
  /** The layers, in order. */
  readonly layers: readonly ModelLayer[];
  /** What the model predicts per sequence: see SequentialOptions.output. */
  readonly output: 'last' | 'mean' | 'all';
  /** Features per input step (1: a token id, with an Embedding first). */
  readonly inputSize: number;
  /** Outputs per prediction (the last layer's width). */
  readonly outputSize: number;
  /** Parameter and gradient regions of the whole model. */
  readonly numParams: number;
  /** @internal */ readonly be: Backend;
  /** @internal */ readonly engine: Engine;
  /** @internal */ readonly params: Params[];
  /** @internal Byte offsets of the parameter and gradient regions (a quantized model's are packed again, without gradients: gPtr 0). */ pPtr: number;
  /** @internal */ gPtr: number;
  /** @internal What compile() set up (train/ reads and writes it). */ compiled: Compiled | null = null;
  /** @internal A fit() is running. */ busy = false;
  /** @internal The parameters before the last update, to undo a non-finite one (allocated by the first compile). */ backup = 0;
  /** @internal Updates skipped in the current fit. */ skipped = 0;
  /** @internal */ readonly life: Lifetime;
  private readonly recs: Recurrent[];
  private readonly embedding: Embedding | null;
  private readonly streams: ModelStream;
  /** `using` calls dispose() at the end of the block. */
  declare [Symbol.dispose]: () => void;

  constructor(layers: ModelLayer[], opts: SequentialOptions = {}) {
    const where = 'Sequential';
    if (!Array.isArray(layers) || layers.length === 0) throw argError(where, 'layers', 'a non-empty array of layers', layers);
    if (opts === null || typeof opts !== 'object') throw argError(where, 'options', 'an object', opts);
    checkKeys(where, 'options', opts, KEYS.sequential);
    const output = opts.output ?? 'last';
    if (output !== 'last' && output !== 'mean' && output !== 'all') throw argError(where, 'options.output', "'last', 'mean' or 'all'", output);
    this.output = output;
    this.layers = [...layers];
    this.be = getBackend();
    const seen = new Set<ModelLayer>();
    for (const [j, l] of layers.entries()) {
      if (!(l instanceof Embedding || l instanceof Recurrent || l instanceof Linear || l instanceof Dropout)) {
        throw argError(where, `layers[${j}]`, 'an Embedding, LSTM, GRU, RNN, Dropout or Linear layer', l);
      }
      l.checkAlive(`${where}: layers[${j}]`);
      if (seen.has(l)) throw argError(where, `layers[${j}]`, 'a layer not already in this model (a layer cannot appear twice)', l);
      seen.add(l);
      if (l.model !== null) throw argError(where, `layers[${j}]`, 'a layer that belongs to no other model (a layer belongs to one model)', l);
    }
    let i = 0;
    this.embedding = layers[0] instanceof Embedding ? layers[0] : null;
    if (this.embedding) {
      i = 1;
      if (!(layers[1] instanceof Recurrent)) throw argError(where, 'layers[1]', 'a recurrent layer right after the Embedding', layers[1]);
    }
    const seq: (Recurrent | Dropout)[] = [], head: (Linear | Dropout)[] = [];
    for (; i < layers.length && (layers[i] instanceof Recurrent || layers[i] instanceof Dropout); i++) seq.push(layers[i] as Recurrent | Dropout);
    if (seq[0] instanceof Dropout) throw argError(where, `layers[${this.embedding ? 1 : 0}]`, 'a recurrent layer (a model starts with its first recurrent layer, after an optional Embedding)', seq[0]);
    for (; i < layers.length; i++) {
      const l = layers[i];
      if (!(l instanceof Linear || l instanceof Dropout)) {
        throw argError(where, `layers[${i}]`, 'a Linear or Dropout layer (recurrent layers come first)', l);
      }
      head.push(l);
    }
    this.recs = seq.filter((l): l is Recurrent => l instanceof Recurrent);
    if (this.recs.length === 0) throw argError(where, 'layers', 'at least one recurrent layer (LSTM, GRU, RNN) first', layers);
    let width = this.embedding ? this.embedding.embeddingDim : this.recs[0]!.inputSize;
    this.inputSize = this.embedding ? 1 : width;
    for (const [j, l] of layers.entries()) {
      if (l instanceof Embedding && j > 0) throw argError(where, `layers[${j}]`, 'an Embedding only as the first layer', l);
      if (l instanceof Recurrent) {
        if (l.inputSize !== width) throw argError(where, `layers[${j}].inputSize`, `${width} (the previous layer's output)`, l.inputSize);
        if (l.batchFirst) throw argError(where, `layers[${j}].batchFirst`, 'false (the model takes [N, T, F] and handles the layout)', true);
        width = l.hiddenSize * (l.bidirectional ? 2 : 1);
      } else if (l instanceof Linear) {
        if (l.inFeatures !== width) throw argError(where, `layers[${j}].inFeatures`, `${width} (the previous layer's output)`, l.inFeatures);
        width = l.outFeatures;
      }
    }
    this.outputSize = width;
    for (const l of layers) {
      if (!(l instanceof Dropout) && (l as Embedding | Recurrent | Linear).params.be !== this.be) {
        throw new SimdRnnError('INVALID_ARGUMENT', `${where}: every layer must be built on the current backend (${this.be.name}); mixing backends is not allowed`);
      }
    }
    // One region for all parameters, one for all gradients.
    this.params = layers.filter((l): l is Embedding | Recurrent | Linear => !(l instanceof Dropout)).map((l) => l.params);
    this.numParams = this.params.reduce((a, p) => a + p.size, 0);
    this.life = new Lifetime(this.be.heap, 'Sequential', this);
    this.pPtr = this.be.heap.alloc(this.numParams, this.life.owner);
    this.gPtr = this.be.heap.zeros(this.numParams, this.life.owner);
    for (const l of layers) l.model = this;
    let off = 0;
    for (const p of this.params) {
      p.rebind(this.pPtr + 4 * off, this.gPtr + 4 * off);
      off += p.size;
    }
    this.engine = new Engine(this.be, this.life.owner, this.layers, seq, head, this.recs, this.embedding, output, this.inputSize, this.outputSize);
    this.streams = new ModelStream(this.be, this.engine, this);
  }

  /** @internal Throws DISPOSED if the model or any of its layers was disposed. */
  alive(where: string): void {
    this.life.check(where);
    const ls = this.layers;
    for (let i = 0; i < ls.length; i++) {
      if (ls[i]!.disposed) throw new SimdRnnError('DISPOSED', `${where}: layer ${i} of this model was disposed; the model cannot run without it`);
    }
  }

  /** @internal Throws BUSY while a fit() runs. */
  notBusy(where: string): void {
    if (this.busy) throw new SimdRnnError('BUSY', `${where}: a fit() is running on this model; wait for it (or abort it with its signal) first`);
  }

  /** Whether dispose() was called. */
  get disposed(): boolean {
    return this.life.disposed;
  }

  /**
   * Sets the loss, the optimizer (which belongs to this model from then on; a
   * new optimizer frees the previous one's state) and training options.
   */
  compile(opts: CompileOptions): void {
    this.alive('Sequential.compile');
    this.notBusy('Sequential.compile');
    training<Sequential>('Sequential.compile').compile(this, opts);
  }

  /** 'int8' when quantize() made this model (some layer runs int8 products: inference only), else null. */
  get quantized(): 'int8' | null {
    return this.layers.some((l) => (l as { quantized?: unknown }).quantized) ? 'int8' : null;
  }

  /** @internal The recurrent and Linear layers, under their state-dict prefixes (model/int8.ts). */
  get int8Layers(): (readonly [string, Recurrent | Linear])[] {
    return this.layers.flatMap((l, i) => (l instanceof Recurrent || l instanceof Linear ? [[`layers.${i}.`, l] as const] : []));
  }

  /** @internal Makes the chosen recurrent and Linear layers int8 (every one by default): see quantize() and model/int8.ts. */
  toInt8(which: (layer: number) => boolean = () => true): void {
    const chosen = this.int8Layers.filter(([p]) => which(Number(p.split('.')[1])));
    this.pPtr = quantizeRegions(this.be, this.life.owner, chosen.map(([, l]) => l), this.params, this.pPtr, this.gPtr);
    this.gPtr = 0;
  }

  // A quantized model (quantize()) evaluates and predicts but does not train.
  private trainable(where: string): void {
    this.layers.forEach((l, i) => {
      if ((l as { quantized?: unknown }).quantized) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: layer ${i} is quantized (int8) and runs inference only; train the f32 model, then quantize it again`);
    });
  }

  /**
   * Trains. x [N, T, F]; y [N, outputs] ('last') or [N, T, outputs] ('all'),
   * or class indices (Int32Array [N] or [N·T]) for 'crossEntropy'.
   * Same seed and backend: bit-identical runs.
   */
  fit(x: Tensor, y: Tensor | Int32Array, opts?: FitOptions): Promise<History>;
  /**
   * Trains on a stream of batches `{ x, y, lengths }` (data bigger than
   * memory): an array, an (async) iterable, or a function of the epoch
   * returning one. See StreamFitOptions (stepsPerEpoch, shuffleBuffer).
   *
   * @example
   * async function* batches() { for (const file of files) yield await load(file); }
   * await model.fit(batches, { epochs: 3, shuffleBuffer: 1024, batchSize: 32 });
   */
  fit(data: BatchSource, opts?: StreamFitOptions): Promise<History>;
  async fit(x: Tensor | BatchSource, y?: Tensor | Int32Array | StreamFitOptions, opts: FitOptions = {}): Promise<History> {
    const where = 'Sequential.fit';
    this.alive(where);
    this.notBusy(where);
    this.trainable(where);
    const t = training<Sequential>(where);
    const stream = isSource(x);
    if (stream && (ArrayBuffer.isView(y) || (y !== null && typeof y === 'object' && 'data' in y && 'shape' in y))) {
      throw argError(where, 'y', 'no y with a stream of batches (each batch carries its y): fit(data, options)', y);
    }
    this.busy = true;
    try {
      return await (stream ? t.fitStream!(this, x, (y ?? {}) as StreamFitOptions) : t.fit(this, x, y as Tensor | Int32Array, opts));
    } finally {
      this.busy = false;
    }
  }

  /**
   * One optimizer step on one batch (all of x), synchronously: what fit does
   * per batch, without shuffling, callbacks or yielding. Returns the loss.
   */
  trainOnBatch(x: Tensor, y: Tensor | Int32Array, opts: BatchOptions = {}): number {
    this.alive('Sequential.trainOnBatch');
    this.notBusy('Sequential.trainOnBatch');
    this.trainable('Sequential.trainOnBatch');
    return training<Sequential>('Sequential.trainOnBatch').trainOnBatch(this, x, y, opts);
  }

  /** Loss (and compiled metrics) over a data set, in inference mode. */
  evaluate(x: Tensor, y: Tensor | Int32Array, opts?: EvalOptions): Logs;
  /** Loss (and compiled metrics) over a stream of batches `{ x, y, lengths }`, in inference mode. */
  evaluate(data: BatchSource, opts?: StreamEvalOptions): Promise<Logs>;
  evaluate(x: Tensor | BatchSource, y?: Tensor | Int32Array | StreamEvalOptions, opts: EvalOptions = {}): Logs | Promise<Logs> {
    this.alive('Sequential.evaluate');
    const t = training<Sequential>('Sequential.evaluate');
    if (isSource(x)) return t.evaluateStream!(this, x, (y ?? {}) as StreamEvalOptions);
    return t.evaluate(this, x, y as Tensor | Int32Array, opts);
  }

  /**
   * Predictions for x [N, T, F]: [N, outputs] ('last', 'mean') or
   * [N, T, outputs] ('all'). With `lengths` or `mask`, output 'all' is zero
   * at padding steps (like PyTorch's `pad_packed_sequence`).
   */
  predict(x: Tensor, opts?: PredictOptions): Tensor;
  /**
   * Predictions for a stream of batches `{ x, lengths }` (y is ignored), one
   * output tensor per batch as predict(x) gives it, read as they are asked for.
   *
   * @example
   * for await (const y of model.predict(batches())) write(y);
   */
  predict(data: BatchSource, opts?: Record<string, never>): AsyncGenerator<Tensor, void, undefined>;
  predict(x: Tensor | BatchSource, opts: PredictOptions = {}): Tensor | AsyncGenerator<Tensor, void, undefined> {
    this.alive('Sequential.predict');
    if (isSource(x)) {
      checkKeys('Sequential.predict', 'options', opts ?? {}, []);
      return predictStream(this, x);
    }
    if (opts === null || typeof opts !== 'object') throw argError('Sequential.predict', 'options', 'an object', opts);
    checkKeys('Sequential.predict', 'options', opts, KEYS.predict);
    const d = this.engine.data('Sequential.predict', x, null, opts?.lengths, opts?.mask);
    const batchSize = checkInt('Sequential.predict', 'options.batchSize', opts?.batchSize ?? 32, 1);
    const O = this.outputSize, e = this.engine;
    const out = new Float32Array((e.perSeq ? d.N : d.N * d.T) * O);
    const order = Int32Array.from({ length: d.N }, (_, i) => i);
    for (const idx of e.batches(d.N, batchSize, order)) e.infer(d, idx, out, false);
    return { data: out, shape: e.perSeq ? [d.N, O] : [d.N, d.T, O] };
  }

  /**
   * A streaming state for `batch` sequences (unidirectional models): every
   * recurrent layer's h (and c), zeroed.
   *
   * @example
   * const state = model.zeroState(1);
   * for (const xt of stream) { const y = model.step(xt, state); }   // y [1, outputs]
   */
  zeroState(batch = 1): ModelState {
    this.alive('Sequential.zeroState');
    return this.streams.zeroState(checkInt('Sequential.zeroState', 'batch', batch, 1));
  }

  /**
   * One step for every sequence of a streaming state: xt [B, F] (or B
   * indices with an Embedding) → the head's output [B, outputs], as the
   * model would predict if the sequences ended here. Feeding outputs back as
   * the next inputs generates (teacher forcing is training on 'all' with the
   * true previous values as inputs). The returned tensor is reused.
   */
  step(xt: Tensor | Float32Array | Int32Array, state: ModelState): Tensor {
    const where = 'Sequential.step';
    this.alive(where);
    return this.streams.step(where, xt, state);
  }

  /** The optimizer given to compile (for checkpoints). */
  get optimizer(): Optimizer | null {
    this.life.check('Sequential.optimizer');
    return this.compiled?.optimizer ?? null;
  }

  /** The gradients, named like stateDict(). */
  gradStateDict(): Record<string, Tensor> {
    this.alive('Sequential.gradStateDict');
    this.trainable('Sequential.gradStateDict');
    return this.named((l) => l.gradStateDict());
  }

  // Every weighted layer's dict under `layers.{i}.`.
  private named(get: (l: Embedding | Recurrent | Linear) => Record<string, Tensor>): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    this.layers.forEach((l, i) => {
      if (l instanceof Dropout) return;
      for (const [k, v] of Object.entries(get(l))) out[`layers.${i}.${k}`] = v;
    });
    return out;
  }

  /** Architecture, for saving: the layers' options and the output mode. */
  config(): SequentialConfig {
    this.alive('Sequential.config');
    return { output: this.output, layers: this.layers.map((l) => l.config()) };
  }

  /** All parameters, named `layers.{i}.{name}`. */
  stateDict(): Record<string, Tensor> {
    this.alive('Sequential.stateDict');
    return this.named((l) => l.stateDict());
  }

  /** Loads parameters named like stateDict() (strict: every name and shape checked); BUSY while fit runs. */
  loadStateDict(dict: Record<string, Tensor>): void {
    const where = 'Sequential.loadStateDict';
    this.alive(where);
    this.notBusy(where);
    this.loadWeights(where, dict);
  }

  /** @internal */
  loadWeights(where: string, dict: Record<string, Tensor>): void {
    if (dict === null || typeof dict !== 'object') throw argError(where, 'dict', 'an object of tensors', dict);
    const per: Record<string, Tensor>[] = this.layers.map(() => Object.create(null) as Record<string, Tensor>);
    for (const [key, v] of Object.entries(dict)) {
      const m = /^layers\.(\d+)\.(.+)$/.exec(key);
      const i = m ? Number(m[1]) : -1;
      if (!m || i >= this.layers.length || this.layers[i] instanceof Dropout) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: unexpected key "${key}"`);
      per[i]![m[2]!] = v;
    }
    // Validate every layer before writing any (against the parameter specs: no copy of the weights).
    this.layers.forEach((l, i) => {
      if (l instanceof Dropout) return;
      for (const { name: k, shape } of l.params.specs) {
        if (!Object.prototype.hasOwnProperty.call(per[i]!, k)) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: missing key "layers.${i}.${k}"`);
        checkTensor(where, `layers.${i}.${k}`, per[i]![k], shape);
      }
    });
    this.layers.forEach((l, i) => { if (!(l instanceof Dropout)) l.loadStateDict(per[i]!); });
  }

  /** Sets every gradient to zero (one fill over the model's gradient region). */
  zeroGrad(): void {
    this.alive('Sequential.zeroGrad');
    if (this.gPtr) this.be.k.f32_fill(this.numParams, 0, this.gPtr); // a quantized model has no gradients
  }

  /**
   * Frees the model's heap regions, its layers', its streaming states' and
   * its optimizer's. Afterwards every call on any of them throws a
   * SimdRnnError with code 'DISPOSED'; a second dispose() does nothing.
   * Models the program drops without dispose() are freed when collected.
   */
  dispose(): void {
    if (this.life.disposed) return;
    this.streams.disposeStates();
    for (const l of this.layers) l.dispose();
    this.compiled?.optimizer.dispose();
    this.life.dispose();
    this.engine.clear();
    this.backup = 0;
  }
}
disposable(Sequential);
