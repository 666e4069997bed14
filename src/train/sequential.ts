// The model: recurrent layers (with optional Dropout between them) followed
// by a head of Linear layers. Parameters of all layers live in ONE region of
// the heap (gradients in another, each optimizer moment in another), so
// zeroing, clipping and an optimizer step are one kernel call each. Batches
// are staged time-major straight into the first layer's workspace; layers
// hand each other heap pointers; the batch size stays fixed (a short last
// batch is filled with rows of weight 0), so after the first batch a
// training step allocates nothing on the heap.
import type { Backend } from '../backend/backend.js';
import { getBackend } from '../backend/index.js';
import { SimdRnnError, argError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { Recurrent, validSteps, type StreamState } from '../layers/recurrent/index.js';
import { Linear } from '../layers/linear.js';
import { Dropout } from '../layers/dropout.js';
import { Embedding } from '../layers/embedding.js';
import type { Params } from '../layers/params.js';
import { checkInt, checkBool, checkTensor, checkFinite, dflt } from '../layers/validate.js';
import { Random } from '../util/rng.js';
import { Lifetime, disposable } from '../util/lifetime.js';
import { writeCheckpoint, readCheckpoint } from '../io/checkpoint.js';
import { writeFileAtomic, readFileBytes } from '../io/file.js';
import { computeLoss, MetricSum, LOSS_NAMES, METRIC_NAMES, type LossName, type LossOptions, type MetricName } from './losses.js';
import type { Optimizer, Schedule } from './optim.js';

export type ModelLayer = Embedding | Recurrent | Linear | Dropout;

export interface SequentialOptions {
  /**
   * 'last': one prediction per sequence, from its final state (both
   * directions' for a bidirectional layer); 'mean': one per sequence, from the
   * mean of the last layer's outputs over the valid steps; 'all': one per step.
   */
  output?: 'last' | 'mean' | 'all';
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

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  /** Valid length of each of the N sequences (padding after). */
  lengths?: ArrayLike<number>;
  /** Or a [N, T] mask of 1 (real step) and 0 (padding), e.g. from padSequences with padding: 'pre'. */
  mask?: Tensor;
  /** Truncated BPTT chunk length (0 = full BPTT). */
  tbptt?: number;
  shuffle?: boolean;
  seed?: number;
  /** The last fraction of the data (before shuffling) is held out for validation. */
  validationSplit?: number;
  validationData?: { x: Tensor; y: Tensor | Int32Array; lengths?: ArrayLike<number>; mask?: Tensor };
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

/** A model's streaming state (see Sequential.zeroState). */
export interface ModelState {
  readonly batch: number;
  readonly states: StreamState[];
  readonly owner: Sequential;
  readonly out: Tensor;
  readonly idx: number;
  readonly emb: number;
  readonly embIn: Float32Array | null;
  /** Whether dispose() was called (on it, or on its model). */
  readonly disposed: boolean;
  reset(): void;
  dispose(): void;
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

interface Data {
  x: Float32Array;
  N: number;
  T: number;
  F: number;
  y: Float32Array | Int32Array;
  O: number; // outputs per row (for crossEntropy, the number of classes is the head's width)
  /** [N, T]: 1 where a step is real, 0 where it is padding. */
  valid: Uint8Array;
}

interface Compiled extends CompileOptions {
  lossOptions: LossOptions;
  metrics: MetricName[];
  onNonFinite: 'throw' | 'skip';
}

const nextTick = (): Promise<void> => new Promise((r) => (typeof setImmediate === 'function' ? setImmediate(r) : setTimeout(r, 0)));

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
  readonly layers: readonly ModelLayer[];
  readonly output: 'last' | 'mean' | 'all';
  readonly inputSize: number;
  readonly outputSize: number;
  /** Parameter and gradient regions of the whole model. */
  readonly numParams: number;
  private readonly be: Backend;
  private readonly seq: (Recurrent | Dropout)[];
  private readonly head: (Linear | Dropout)[];
  private readonly recs: Recurrent[];
  private readonly embedding: Embedding | null;
  private readonly params: Params[];
  private readonly pPtr: number;
  private readonly gPtr: number;
  private compiled: Compiled | null = null;
  private readonly life: Lifetime;
  private busy = false;
  private backup = 0; // the parameters before the last update, to undo a non-finite one
  private skipped = 0;
  declare [Symbol.dispose]: () => void;
  private buf = { T: 0, B: 0, ptr: 0, mask: 0, idx: 0, pool: 0, gather: 0, dH: 0, dpred: 0, carryH: [] as number[], carryC: [] as number[] };
  private js = { target: new Float32Array(0) as Float32Array | Int32Array, weight: new Float32Array(0), grad: new Float32Array(0) };

  constructor(layers: ModelLayer[], opts: SequentialOptions = {}) {
    const where = 'Sequential';
    if (!Array.isArray(layers) || layers.length === 0) throw argError(where, 'layers', 'a non-empty array of layers', layers);
    const output = opts?.output ?? 'last';
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
    this.seq = seq;
    this.head = head;
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
  }

  /** Throws DISPOSED if the model or any of its layers was disposed. */
  private alive(where: string): void {
    this.life.check(where);
    const ls = this.layers;
    for (let i = 0; i < ls.length; i++) {
      if (ls[i]!.disposed) throw new SimdRnnError('DISPOSED', `${where}: layer ${i} of this model was disposed; the model cannot run without it`);
    }
  }

  private notBusy(where: string): void {
    if (this.busy) throw new SimdRnnError('BUSY', `${where}: a fit() is running on this model; wait for it (or abort it with its signal) first`);
  }

  /** Whether dispose() was called. */
  get disposed(): boolean {
    return this.life.disposed;
  }

  compile(opts: CompileOptions): void {
    const where = 'Sequential.compile';
    this.alive(where);
    this.notBusy(where);
    if (opts === null || typeof opts !== 'object') throw argError(where, 'options', 'an object', opts);
    const o = opts.optimizer;
    if (!o || typeof o.update !== 'function') throw argError(where, 'optimizer', 'an optimizer from optim.*', o);
    if (!LOSS_NAMES.includes(opts.loss)) throw argError(where, 'loss', LOSS_NAMES.map((n) => `'${n}'`).join(' | '), opts.loss);
    for (const k of ['clipNorm', 'clipValue'] as const) {
      const v = opts[k];
      if (v !== undefined && !(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw argError(where, k, 'a number > 0', v);
    }
    if (opts.schedule !== undefined && typeof opts.schedule !== 'function') throw argError(where, 'schedule', 'a function of the step', opts.schedule);
    const metrics = dflt(opts.metrics, []);
    if (!Array.isArray(metrics)) throw argError(where, 'metrics', `an array of ${METRIC_NAMES.join(' | ')}`, metrics);
    const lo = dflt(opts.lossOptions, {});
    if (lo === null || typeof lo !== 'object') throw argError(where, 'lossOptions', 'an object', lo);
    for (const m of metrics) if (!METRIC_NAMES.includes(m)) throw argError(where, 'metrics', METRIC_NAMES.join(' | '), m);
    const onNonFinite = dflt(opts.onNonFinite, 'throw');
    if (onNonFinite !== 'throw' && onNonFinite !== 'skip') throw argError(where, 'onNonFinite', "'throw' or 'skip'", onNonFinite);
    if (opts.loss === 'crossEntropy' && this.outputSize < 2) throw argError(where, 'loss', "a regression loss for a model with one output ('crossEntropy' needs ≥ 2 classes)", opts.loss);
    if (lo.delta !== undefined && !(typeof lo.delta === 'number' && lo.delta > 0 && Number.isFinite(lo.delta))) throw argError(where, 'lossOptions.delta', 'a finite number > 0', lo.delta);
    if (lo.ignoreIndex !== undefined && !Number.isSafeInteger(lo.ignoreIndex)) throw argError(where, 'lossOptions.ignoreIndex', 'an integer', lo.ignoreIndex);
    if (o.disposed) throw new SimdRnnError('DISPOSED', `${where}: the optimizer was disposed (with the model it was compiled into?); make a new one`);
    o.bind(this.be, this.numParams, this); // throws if it belongs to another model
    const previous = this.compiled?.optimizer;
    if (previous && previous !== o) previous.dispose();
    if (!this.backup) this.backup = this.be.heap.alloc(this.numParams, this.life.owner);
    this.compiled = { ...opts, lossOptions: dflt(opts.lossOptions, {}), metrics, onNonFinite };
  }

  // ------------------------------------------------------------------ data --

  private data(where: string, x: Tensor, y: Tensor | Int32Array | null, lengths: ArrayLike<number> | undefined, mask?: Tensor): Data {
    if (this.embedding) {
      // Indices: [N, T] (or [N, T, 1]), Int32Array or Float32Array of integers.
      const shape = (x as Tensor | null)?.shape, d = (x as Tensor | null)?.data;
      if (!Array.isArray(shape) || (shape.length !== 2 && !(shape.length === 3 && shape[2] === 1)) || !(d instanceof Int32Array || d instanceof Float32Array)) {
        throw argError(where, 'x', 'a tensor of indices [N, T] (Int32Array or Float32Array data)', x);
      }
      if (d.length !== shape.reduce((a: number, b: number) => a * b, 1)) throw argError(where, 'x.data.length', `${shape.join('×')}`, d.length);
      this.embedding.checkIndices(where, 'x', d);
      x = { data: d instanceof Float32Array ? d : Float32Array.from(d), shape: [shape[0]!, shape[1]!, 1] };
    }
    checkTensor(where, 'x', x, ['*', '*', this.inputSize], `[N, T, inputSize], inputSize = ${this.inputSize}`);
    const [N, T] = x.shape as [number, number, number];
    if (N < 1 || T < 1) throw argError(where, 'x.shape', 'at least one sequence of at least one step', x.shape);
    checkFinite(where, 'x', x.data, x.shape);
    const valid = validSteps(where, { lengths, mask }, N, T, 1) ?? new Uint8Array(N * T).fill(1);
    let yd: Float32Array | Int32Array = new Float32Array(0);
    let O = this.outputSize;
    if (y !== null) {
      const ce = this.compiled?.loss === 'crossEntropy';
      const perRow = this.perSeq ? N : N * T;
      if (ce) {
        const arr = y instanceof Int32Array ? y : (y as Tensor)?.data;
        if (!(arr instanceof Int32Array || arr instanceof Float32Array) || arr.length !== perRow) {
          throw argError(where, 'y', `${perRow} class indices (Int32Array, ${this.perSeq ? '[N]' : '[N, T]'})`, y);
        }
        yd = Int32Array.from(arr as ArrayLike<number>);
        for (let i = 0; i < yd.length; i++) {
          const c = yd[i]!;
          if (c !== arr[i] || ((c < 0 || c >= O) && c !== (this.compiled!.lossOptions.ignoreIndex ?? -100))) {
            throw argError(where, `y[${i}]`, `a class index in [0, ${O - 1}]`, arr[i]);
          }
        }
        O = 1;
      } else {
        const pattern = this.perSeq ? [N, O] : [N, T, O];
        checkTensor(where, 'y', y, pattern, this.perSeq ? '[N, outputs]' : '[N, T, outputs]');
        yd = (y as Tensor).data;
        for (let i = 0; i < yd.length; i++) if (!Number.isFinite(yd[i]!)) throw argError(where, `y (element ${i})`, 'a finite number', yd[i]);
      }
    }
    return { x: x.data, N, T, F: this.inputSize, y: yd, O, valid };
  }

  private ensureBuffers(T: number, B: number): void {
    const b = this.buf;
    if (b.B === B && b.T >= T) return;
    if (b.ptr) this.be.heap.free(b.ptr, this.life.owner);
    const last = this.recs[this.recs.length - 1]!, D = last.bidirectional ? 2 : 1;
    const gatherW = D * last.hiddenSize, rows = this.perSeq ? B : T * B;
    const carry = this.recs.map((r) => r.numLayers * (r.bidirectional ? 2 : 1) * B * r.hiddenSize);
    const sizes = [T * B, T * B, T * B, B * gatherW, last.numLayers * D * B * last.hiddenSize, rows * this.outputSize, ...carry, ...carry];
    const total = sizes.reduce((a, s) => a + Math.ceil(s / 16) * 16, 0);
    const ptr = this.be.heap.alloc(total, this.life.owner);
    let off = 0;
    const take = (s: number): number => { const p = ptr + 4 * off; off += Math.ceil(s / 16) * 16; return p; };
    this.buf = {
      T, B, ptr, mask: take(T * B), idx: take(T * B), pool: take(T * B), gather: take(B * gatherW), dH: take(sizes[4]!), dpred: take(sizes[5]!),
      carryH: carry.map(take), carryC: carry.map(take),
    };
    this.js = {
      target: this.compiled?.loss === 'crossEntropy' ? new Int32Array(rows) : new Float32Array(rows * this.outputSize),
      weight: new Float32Array(rows),
      grad: new Float32Array(rows * this.outputSize),
    };
  }

  /** Stages rows `idx` (B of them; −1 = filler) of steps [t0, t0+T) into the first layer and the mask. */
  private stage(d: Data, idx: Int32Array, t0: number, T: number, withTargets: boolean, lastChunk: boolean): boolean {
    const B = idx.length, F = d.F, first = this.recs[0]!;
    const emb = this.embedding;
    const x0 = first.prepare(T, B).x0 >> 2, f = this.be.heap.f32, ix = this.be.heap.i32, ib = this.buf.idx >> 2;
    let masked = false;
    const m = this.buf.mask >> 2;
    for (let b = 0; b < B; b++) {
      const n = idx[b]! < 0 ? 0 : idx[b]!;
      for (let t = 0; t < T; t++) {
        const src = (n * d.T + t0 + t) * F, dst = x0 + (t * B + b) * F;
        if (emb) ix[ib + t * B + b] = d.x[src]!;
        else for (let i = 0; i < F; i++) f[dst + i] = d.x[src + i]!;
        const valid = d.valid[n * d.T + t0 + t] === 1;
        f[m + t * B + b] = valid ? 1 : 0;
        if (!valid) masked = true;
      }
    }
    if (emb) emb.runForward(T * B, this.buf.idx, x0 << 2);
    if (this.output === 'mean') {
      // Pooling weights [B, T]: 1/len at valid steps, 0 at padding.
      const pw = this.buf.pool >> 2;
      for (let b = 0; b < B; b++) {
        let n = 0;
        for (let t = 0; t < T; t++) n += f[m + t * B + b]!;
        for (let t = 0; t < T; t++) f[pw + b * T + t] = n > 0 ? f[m + t * B + b]! / n : 0;
      }
    }
    if (!withTargets) return masked;
    const { target, weight } = this.js, O = d.O;
    if (this.perSeq) {
      for (let b = 0; b < B; b++) {
        const n = idx[b]!;
        weight[b] = n >= 0 && lastChunk ? 1 : 0;
        const src = (n < 0 ? 0 : n) * O;
        for (let o = 0; o < O; o++) target[b * O + o] = d.y[src + o]!;
      }
    } else {
      for (let t = 0; t < T; t++) {
        for (let b = 0; b < B; b++) {
          const n = idx[b]!, nn = n < 0 ? 0 : n, r = t * B + b;
          weight[r] = n >= 0 && d.valid[nn * d.T + t0 + t] === 1 ? 1 : 0;
          const src = (nn * d.T + t0 + t) * O;
          for (let o = 0; o < O; o++) target[r * O + o] = d.y[src + o]!;
        }
      }
    }
    return masked;
  }

  // --------------------------------------------------------- forward/back --

  /** Forward of the staged batch; returns the prediction pointer [rows, outputs]. */
  private forwardStaged(T: number, B: number, masked: boolean, train: boolean, carry: boolean): number {
    const { k } = this.be;
    let cur = 0, width = this.inputSize, ri = 0;
    for (const l of this.seq) {
      if (l instanceof Recurrent) {
        const ws = l.prepare(T, B);
        if (cur) k.f32_copy(T * B * width, cur, ws.x0);
        if (masked) k.f32_copy(T * B, this.buf.mask, ws.mask);
        const c = carry ? this.buf.carryH[ri]! : null, cc = carry && l.hasCellState ? this.buf.carryC[ri]! : null;
        l.runForward(T, B, masked, train, c, cc);
        cur = l.outputPtr();
        width = l.hiddenSize * (l.bidirectional ? 2 : 1);
        ri++;
      } else {
        cur = l.runForward(cur, T * B * width, train);
      }
    }
    let rows = T * B;
    if (this.output === 'last') {
      const last = this.recs[this.recs.length - 1]!, D = last.bidirectional ? 2 : 1, H = last.hiddenSize;
      for (let d = 0; d < D; d++) k.f32_copy2d(B, H, last.finalStatePtr(last.numLayers - 1, d), H, this.buf.gather + 4 * d * H, D * H);
      cur = this.buf.gather;
      rows = B;
    } else if (this.output === 'mean') {
      // pooled[b] = Σ_t w[b, t] · y[t, b]: one [1, T] × [T, F] product per sequence (y rows B·F apart).
      for (let b = 0; b < B; b++) {
        k.f32_gemm(0, 0, 1, width, T, 1, this.buf.pool + 4 * b * T, T, cur + 4 * b * width, B * width, 0, this.buf.gather + 4 * b * width, width);
      }
      cur = this.buf.gather;
      rows = B;
    }
    for (const l of this.head) {
      if (l instanceof Linear) {
        k.f32_copy(rows * width, cur, l.prepare(rows));
        cur = l.runForward(rows);
        width = l.outFeatures;
      } else {
        cur = l.runForward(cur, rows * width, train);
      }
    }
    return cur;
  }

  /** Saves every recurrent layer's final states as the next chunk's initial states. */
  private saveCarry(B: number): void {
    const { k } = this.be;
    this.recs.forEach((r, i) => {
      const D = r.bidirectional ? 2 : 1, n = B * r.hiddenSize;
      for (let l = 0; l < r.numLayers; l++) {
        for (let d = 0; d < D; d++) {
          const o = 4 * (l * D + d) * n;
          k.f32_copy(n, r.finalStatePtr(l, d), this.buf.carryH[i]! + o);
          if (r.hasCellState) k.f32_copy(n, r.finalStatePtr(l, d, true), this.buf.carryC[i]! + o);
        }
      }
    });
  }

  private backwardStaged(T: number, B: number): void {
    const { k } = this.be;
    const rows = this.perSeq ? B : T * B;
    let d = this.buf.dpred;
    for (let i = this.head.length - 1; i >= 0; i--) {
      const l = this.head[i]!;
      if (l instanceof Linear) d = l.runBackward(rows, d);
      else d = l.runBackward(d, rows * this.widthBefore(this.off + this.seq.length + i));
    }
    let useDH = false;
    const last = this.recs[this.recs.length - 1]!;
    if (this.output === 'last') {
      const D = last.bidirectional ? 2 : 1, H = last.hiddenSize, L = last.numLayers;
      k.f32_fill(L * D * B * H, 0, this.buf.dH);
      for (let dd = 0; dd < D; dd++) k.f32_copy2d(B, H, d + 4 * dd * H, D * H, this.buf.dH + 4 * ((L - 1) * D + dd) * B * H, H);
      useDH = true;
    }
    let first = true;
    for (let i = this.seq.length - 1; i >= 0; i--) {
      const l = this.seq[i]!;
      const width = this.widthBefore(this.off + i + 1);
      if (first && this.output === 'mean') {
        // dy[t, b] = w[b, t] · dpooled[b]: one [T, 1] × [1, F] outer product per sequence, into a free slot.
        const target = l instanceof Recurrent ? l.prepareBackward().dy : this.meanGradScratch(T * B * width);
        for (let b = 0; b < B; b++) {
          k.f32_gemm(0, 0, T, width, 1, 1, this.buf.pool + 4 * b * T, 1, d + 4 * b * width, width, 0, target + 4 * b * width, B * width);
        }
        d = target;
        if (l instanceof Recurrent) {
          l.runBackward(null, null, null, null);
          d = l.prepareBackward().dx;
          first = false;
          if (i === 0 && this.embedding) this.embedding.runBackward(T * B, this.buf.idx, d);
          continue;
        }
        first = false;
      }
      if (l instanceof Recurrent) {
        const bs = l.prepareBackward();
        if (first && useDH) k.f32_fill(T * B * width, 0, bs.dy);
        else k.f32_copy(T * B * width, d, bs.dy);
        l.runBackward(first && useDH ? this.buf.dH : null, null, null, null);
        d = bs.dx;
        first = false;
        if (i === 0 && this.embedding) this.embedding.runBackward(T * B, this.buf.idx, d);
      } else if (!(first && useDH)) {
        d = l.runBackward(d, T * B * width);
      }
    }
  }

  /** One prediction per sequence ('last', 'mean') rather than per step. */
  private get perSeq(): boolean {
    return this.output !== 'all';
  }

  /** Index in this.layers of this.seq[0]. */
  private get off(): number {
    return this.embedding ? 1 : 0;
  }

  private meanScratch = { n: 0, ptr: 0 };
  private meanGradScratch(n: number): number {
    if (this.meanScratch.n < n) {
      if (this.meanScratch.ptr) this.be.heap.free(this.meanScratch.ptr, this.life.owner);
      this.meanScratch = { n, ptr: this.be.heap.alloc(n, this.life.owner) };
    }
    return this.meanScratch.ptr;
  }

  /** Feature width entering layer index i (of this.layers). */
  private widthBefore(i: number): number {
    let w = this.inputSize;
    for (let j = 0; j < i; j++) {
      const l = this.layers[j]!;
      if (l instanceof Recurrent) w = l.hiddenSize * (l.bidirectional ? 2 : 1);
      else if (l instanceof Linear) w = l.outFeatures;
      else if (l instanceof Embedding) w = l.embeddingDim;
    }
    return w;
  }

  private lossOf(rows: number, withGrad: boolean, metrics: MetricSum[] | null): { loss: number; count: number } {
    const c = this.compiled!, O = this.outputSize;
    const pred = this.be.heap.view(this.lastPred, rows * O);
    const input = { pred, target: this.js.target, weight: this.js.weight, rows, outs: O, grad: withGrad ? this.js.grad : null };
    const r = computeLoss(c.loss, input, c.lossOptions);
    if (metrics) for (const m of metrics) m.add(input);
    if (withGrad) this.be.heap.write(this.buf.dpred, this.js.grad.subarray(0, rows * O));
    return r;
  }

  private lastPred = 0;

  /**
   * One optimizer step from the gradients in the gradient region; returns
   * false if skipped. A step whose loss, gradient norm or resulting
   * parameters are not finite is undone (parameters and optimizer state as
   * before it) and then thrown or skipped by onNonFinite.
   */
  private applyUpdate(loss: number): boolean {
    const c = this.compiled!, { k } = this.be, n = this.numParams, opt = c.optimizer;
    if (c.clipValue !== undefined) k.f32_clip_value(n, this.gPtr, -c.clipValue, c.clipValue);
    const norm = Math.sqrt(k.f32_sumsq(n, this.gPtr));
    const step = opt.steps + 1;
    if (!Number.isFinite(loss) || !Number.isFinite(norm)) {
      return this.nonFinite(`the ${Number.isFinite(loss) ? 'gradient norm' : 'loss'} is ${Number.isFinite(loss) ? norm : loss} at step ${step}`);
    }
    if (c.clipNorm !== undefined) {
      const coef = c.clipNorm / (norm + 1e-6);
      if (coef < 1) k.f32_scale(n, coef, this.gPtr);
    }
    const factor = c.schedule ? c.schedule(step) : 1;
    const lr = opt.lr * factor;
    if (typeof factor !== 'number' || !Number.isFinite(lr) || lr < 0) {
      throw argError('Sequential.fit', `schedule(${step})`, 'a finite factor ≥ 0 (giving a finite learning rate)', factor);
    }
    opt.snapshot();
    k.f32_copy(n, this.pPtr, this.backup);
    opt.update(this.pPtr, this.gPtr, lr);
    for (const p of this.params) p.touch();
    if (!Number.isFinite(k.f32_sumsq(n, this.pPtr))) {
      k.f32_copy(n, this.backup, this.pPtr);
      opt.restore();
      for (const p of this.params) p.touch();
      return this.nonFinite(`the update at step ${step} (learning rate ${lr}) would make a parameter non-finite; it was undone`);
    }
    return true;
  }

  private nonFinite(what: string): false {
    if (this.compiled!.onNonFinite === 'throw') {
      throw new SimdRnnError('NON_FINITE', `Sequential.fit: ${what}; lower the learning rate, clip gradients (clipNorm), or pass onNonFinite: 'skip'`);
    }
    this.skipped++;
    return false;
  }

  /** Sets every gradient to zero (one fill over the model's gradient region). */
  zeroGrad(): void {
    this.alive('Sequential.zeroGrad');
    this.be.k.f32_fill(this.numParams, 0, this.gPtr);
  }

  /** Trains on one batch (B rows of idx): full or truncated BPTT. Returns the batch loss. */
  private trainBatch(d: Data, idx: Int32Array, tbptt: number, metrics: MetricSum[]): { loss: number; count: number } {
    const B = idx.length;
    const k = tbptt > 0 && tbptt < d.T ? tbptt : d.T;
    let sum = 0, count = 0;
    for (let t0 = 0; t0 < d.T; t0 += k) {
      const T = Math.min(k, d.T - t0);
      const lastChunk = t0 + T >= d.T;
      this.ensureBuffers(T, B);
      const masked = this.stage(d, idx, t0, T, true, lastChunk);
      this.lastPred = this.forwardStaged(T, B, masked, true, t0 > 0);
      if (k < d.T) this.saveCarry(B);
      const rows = this.perSeq ? B : T * B;
      if (this.output === 'last' && !lastChunk) continue; // no target before the end: forward only
      const r = this.lossOf(rows, true, metrics);
      if (r.count === 0) continue;
      this.be.k.f32_fill(this.numParams, 0, this.gPtr);
      this.backwardStaged(T, B);
      this.applyUpdate(r.loss);
      sum += r.loss * r.count;
      count += r.count;
    }
    return { loss: count ? sum / count : NaN, count };
  }

  private evalBatch(d: Data, idx: Int32Array, metrics: MetricSum[] | null, out: Float32Array | null, withTargets: boolean): { loss: number; count: number } {
    const B = idx.length, T = d.T;
    this.ensureBuffers(T, B);
    const masked = this.stage(d, idx, 0, T, withTargets, true);
    this.lastPred = this.forwardStaged(T, B, masked, false, false);
    const O = this.outputSize;
    if (out) {
      const pred = this.be.heap.view(this.lastPred, (this.perSeq ? B : T * B) * O);
      for (let b = 0; b < B; b++) {
        const n = idx[b]!;
        if (n < 0) continue;
        if (this.perSeq) out.set(pred.subarray(b * O, (b + 1) * O), n * O);
        else for (let t = 0; t < T; t++) out.set(pred.subarray((t * B + b) * O, (t * B + b + 1) * O), (n * T + t) * O);
      }
    }
    if (!withTargets) return { loss: NaN, count: 0 };
    return this.lossOf(this.perSeq ? B : T * B, false, metrics);
  }

  private batches(N: number, batchSize: number, order: Int32Array): Int32Array[] {
    const B = Math.min(batchSize, N), out: Int32Array[] = [];
    for (let s = 0; s < N; s += B) {
      const idx = new Int32Array(B).fill(-1);
      for (let b = 0; b < B && s + b < N; b++) idx[b] = order[s + b]!;
      out.push(idx);
    }
    return out;
  }

  /**
   * Trains. x [N, T, F]; y [N, outputs] ('last') or [N, T, outputs] ('all'),
   * or class indices (Int32Array [N] or [N·T]) for 'crossEntropy'.
   * Same seed and backend: bit-identical runs.
   */
  async fit(x: Tensor, y: Tensor | Int32Array, opts: FitOptions = {}): Promise<History> {
    const where = 'Sequential.fit';
    this.alive(where);
    this.notBusy(where);
    this.busy = true;
    try {
      return await this.fitInner(x, y, opts);
    } finally {
      this.busy = false;
    }
  }

  private async fitInner(x: Tensor, y: Tensor | Int32Array, opts: FitOptions): Promise<History> {
    const where = 'Sequential.fit';
    const c = this.compiled;
    if (!c) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: call compile({ optimizer, loss }) first`);
    if (opts === null || typeof opts !== 'object') throw argError(where, 'options', 'an object', opts);
    const all = this.data(where, x, y, opts.lengths, opts.mask);
    const epochs = checkInt(where, 'options.epochs', dflt(opts.epochs, 1), 1);
    const batchSize = checkInt(where, 'options.batchSize', dflt(opts.batchSize, 32), 1);
    const tbptt = checkInt(where, 'options.tbptt', dflt(opts.tbptt, 0), 0);
    if (tbptt > 0 && this.recs.some((r) => r.bidirectional)) throw argError(where, 'options.tbptt', '0 for a bidirectional model (the reverse direction needs the whole sequence)', tbptt);
    if (tbptt > 0 && this.output === 'mean') throw argError(where, 'options.tbptt', "0 for output: 'mean' (the mean pools the whole sequence)", tbptt);
    const seed = checkInt(where, 'options.seed', dflt(opts.seed, 0), 0, 2 ** 32 - 1);
    const split = dflt(opts.validationSplit, 0);
    if (typeof split !== 'number' || !(split >= 0 && split < 1)) throw argError(where, 'options.validationSplit', 'a number in [0, 1)', split);
    if (opts.signal !== undefined && !(typeof opts.signal === 'object' && opts.signal !== null && 'aborted' in opts.signal)) {
      throw argError(where, 'options.signal', 'an AbortSignal', opts.signal);
    }
    let train = all, val: Data | null = null;
    if (opts.validationData) {
      val = this.data(`${where} (validationData)`, opts.validationData.x, opts.validationData.y, opts.validationData.lengths, opts.validationData.mask);
    } else if (split > 0) {
      const nVal = Math.floor(all.N * split);
      if (nVal < 1 || nVal >= all.N) throw argError(where, 'options.validationSplit', `a fraction leaving at least one sample on each side of ${all.N}`, split);
      [train, val] = [this.slice(all, 0, all.N - nVal), this.slice(all, all.N - nVal, all.N)];
    }
    const es = opts.earlyStopping;
    if (es !== undefined) {
      if (es === null || typeof es !== 'object') throw argError(where, 'options.earlyStopping', '{ patience, monitor?, minDelta? }', es);
      checkInt(where, 'options.earlyStopping.patience', es.patience, 1);
      if (es.minDelta !== undefined && !(typeof es.minDelta === 'number' && es.minDelta >= 0 && Number.isFinite(es.minDelta))) {
        throw argError(where, 'options.earlyStopping.minDelta', 'a finite number ≥ 0', es.minDelta);
      }
      if (es.monitor !== undefined && es.monitor !== 'loss' && es.monitor !== 'valLoss') throw argError(where, 'options.earlyStopping.monitor', "'loss' or 'valLoss'", es.monitor);
      if (es.monitor === 'valLoss' && !val) throw argError(where, 'options.earlyStopping.monitor', "'loss' (there is no validation data to monitor)", es.monitor);
    }
    const monitor = es?.monitor ?? (val ? 'valLoss' : 'loss');
    const shuffle = checkBool(where, 'options.shuffle', dflt(opts.shuffle, true));
    if (opts.callbacks !== undefined) {
      const cb = opts.callbacks;
      if (cb === null || typeof cb !== 'object') throw argError(where, 'options.callbacks', '{ onBatchEnd?, onEpochEnd? }', cb);
      for (const k of ['onBatchEnd', 'onEpochEnd'] as const) if (cb[k] !== undefined && typeof cb[k] !== 'function') throw argError(where, `options.callbacks.${k}`, 'a function', cb[k]);
    }
    const ck = opts.checkpoint;
    if (ck !== undefined) {
      if (ck === null || typeof ck !== 'object') throw argError(where, 'options.checkpoint', '{ every?, path?, save? }', ck);
      checkInt(where, 'options.checkpoint.every', ck.every ?? 1, 1);
      if (ck.path !== undefined && typeof ck.path !== 'string') throw argError(where, 'options.checkpoint.path', 'a file path', ck.path);
      if (ck.save !== undefined && typeof ck.save !== 'function') throw argError(where, 'options.checkpoint.save', 'a function', ck.save);
    }
    const random = new Random(seed);
    let history: History = { loss: [], valLoss: [], metrics: {}, valMetrics: {}, steps: 0, skipped: 0 };
    this.skipped = 0;
    for (const m of c.metrics) { history.metrics[m] = []; history.valMetrics[m] = []; }
    let best = Infinity, bad = 0, start = 0;
    const order = Int32Array.from({ length: train.N }, (_, i) => i);
    const rngs = this.layers.map((l) => (l instanceof Linear || l instanceof Embedding ? null : l.random)).filter((r): r is Random => r !== null);
    if (opts.resume !== undefined) {
      const bytes = typeof opts.resume === 'string' ? await readFileBytes(opts.resume) : opts.resume;
      if (!(bytes instanceof Uint8Array)) throw argError(where, 'options.resume', 'checkpoint bytes or a path', opts.resume);
      const cp = readCheckpoint(bytes);
      if (cp.architecture !== JSON.stringify(this.config())) {
        throw new SimdRnnError('INVALID_ARGUMENT', `${where}: the checkpoint is of another architecture (${cp.architecture})`);
      }
      if (cp.optimizer.name !== c.optimizer.name) {
        throw new SimdRnnError('INVALID_ARGUMENT', `${where}: the checkpoint's optimizer is ${cp.optimizer.name}, this model is compiled with ${c.optimizer.name}`);
      }
      if (cp.training.order.length !== train.N || cp.training.rngStates.length !== rngs.length) {
        throw new SimdRnnError('INVALID_ARGUMENT', `${where}: the checkpoint was made on ${cp.training.order.length} training samples, this data has ${train.N}`);
      }
      this.loadWeights(`${where} (resume)`, cp.weights);
      c.optimizer.setState({ step: cp.optimizer.steps, buffers: cp.optimizer.buffers });
      random.state = cp.training.shuffleState;
      order.set(cp.training.order);
      cp.training.rngStates.forEach((st, i) => { rngs[i]!.state = st; });
      history = cp.training.history;
      this.skipped = history.skipped ?? 0;
      start = cp.training.epoch;
      const es2 = cp.training.es;
      if (es2) { best = es2.best ?? Infinity; bad = es2.bad; }
    }
    for (let epoch = start; epoch < epochs; epoch++) {
      if (shuffle) {
        for (let i = train.N - 1; i > 0; i--) {
          const j = Math.floor(random.next() * (i + 1));
          const t = order[i]!; order[i] = order[j]!; order[j] = t;
        }
      }
      const ms = c.metrics.map((m) => new MetricSum(m, c.loss, c.lossOptions.ignoreIndex));
      let sum = 0, count = 0, bi = 0;
      for (const idx of this.batches(train.N, batchSize, order)) {
        if (opts.signal?.aborted) { history.stopped = 'aborted'; return this.finish(history); }
        this.alive(where); // a callback may have disposed the model
        const r = this.trainBatch(train, idx, tbptt, ms);
        if (r.count) { sum += r.loss * r.count; count += r.count; }
        await opts.callbacks?.onBatchEnd?.(bi++, { loss: r.loss });
        await nextTick();
      }
      const logs: Logs & { valLoss?: number } = { loss: count ? sum / count : NaN };
      history.loss.push(logs.loss);
      ms.forEach((m) => { logs[m.name] = m.value(); history.metrics[m.name]!.push(m.value()); });
      if (val) {
        const ev = this.evaluateData(val, batchSize);
        logs.valLoss = ev.loss;
        history.valLoss.push(ev.loss);
        for (const m of c.metrics) { logs[`val_${m}`] = ev[m]!; history.valMetrics[m]!.push(ev[m]!); }
      }
      await opts.callbacks?.onEpochEnd?.(epoch, logs);
      let stop = false;
      if (es) {
        const v = monitor === 'valLoss' ? logs.valLoss ?? logs.loss : logs.loss;
        if (v < best - (es.minDelta ?? 0)) { best = v; bad = 0; } else if (++bad >= es.patience) { history.stopped = 'earlyStopping'; stop = true; }
      }
      if (ck && ((epoch + 1) % (ck.every ?? 1) === 0 || stop || epoch + 1 === epochs)) {
        this.alive(where);
        history.steps = c.optimizer.steps;
        history.skipped = this.skipped;
        const bytes = writeCheckpoint(this, {
          epoch: epoch + 1, shuffleState: random.state, order, rngStates: rngs.map((r) => r.state), history,
          es: { best: Number.isFinite(best) ? best : null, bad },
        });
        if (ck.path) await writeFileAtomic(ck.path, bytes);
        if (ck.save) await ck.save(bytes, epoch);
      }
      if (stop) break;
    }
    return this.finish(history);
  }

  private finish(h: History): History {
    h.steps = this.compiled!.optimizer.steps;
    h.skipped = this.skipped;
    return h;
  }

  private slice(d: Data, a: number, b: number): Data {
    const perY = this.perSeq ? d.O : d.T * d.O;
    return { ...d, N: b - a, x: d.x.subarray(a * d.T * d.F, b * d.T * d.F), y: d.y.subarray(a * perY, b * perY), valid: d.valid.subarray(a * d.T, b * d.T) };
  }

  private evaluateData(d: Data, batchSize: number): Logs {
    const c = this.compiled!;
    const ms = c.metrics.map((m) => new MetricSum(m, c.loss, c.lossOptions.ignoreIndex));
    let sum = 0, count = 0;
    const order = Int32Array.from({ length: d.N }, (_, i) => i);
    for (const idx of this.batches(d.N, batchSize, order)) {
      const r = this.evalBatch(d, idx, ms, null, true);
      if (r.count) { sum += r.loss * r.count; count += r.count; }
    }
    const logs: Logs = { loss: count ? sum / count : NaN };
    for (const m of ms) logs[m.name] = m.value();
    return logs;
  }

  /**
   * One optimizer step on one batch (all of x), synchronously: what fit does
   * per batch, without shuffling, callbacks or yielding. Returns the loss.
   */
  trainOnBatch(x: Tensor, y: Tensor | Int32Array, opts: { lengths?: ArrayLike<number>; mask?: Tensor; tbptt?: number } = {}): number {
    this.alive('Sequential.trainOnBatch');
    this.notBusy('Sequential.trainOnBatch');
    if (!this.compiled) throw new SimdRnnError('INVALID_ARGUMENT', 'Sequential.trainOnBatch: call compile({ optimizer, loss }) first');
    const d = this.data('Sequential.trainOnBatch', x, y, opts?.lengths, opts?.mask);
    const tbptt = checkInt('Sequential.trainOnBatch', 'options.tbptt', opts?.tbptt ?? 0, 0);
    return this.trainBatch(d, Int32Array.from({ length: d.N }, (_, i) => i), tbptt, []).loss;
  }

  /** Loss (and compiled metrics) over a data set, in inference mode. */
  evaluate(x: Tensor, y: Tensor | Int32Array, opts: { lengths?: ArrayLike<number>; mask?: Tensor; batchSize?: number } = {}): Logs {
    this.alive('Sequential.evaluate');
    if (!this.compiled) throw new SimdRnnError('INVALID_ARGUMENT', 'Sequential.evaluate: call compile({ optimizer, loss }) first');
    const d = this.data('Sequential.evaluate', x, y, opts?.lengths, opts?.mask);
    return this.evaluateData(d, checkInt('Sequential.evaluate', 'options.batchSize', opts?.batchSize ?? 32, 1));
  }

  /** Predictions for x [N, T, F]: [N, outputs] ('last') or [N, T, outputs] ('all'). */
  predict(x: Tensor, opts: { lengths?: ArrayLike<number>; mask?: Tensor; batchSize?: number } = {}): Tensor {
    this.alive('Sequential.predict');
    const d = this.data('Sequential.predict', x, null, opts?.lengths, opts?.mask);
    const batchSize = checkInt('Sequential.predict', 'options.batchSize', opts?.batchSize ?? 32, 1);
    const O = this.outputSize;
    const out = new Float32Array((this.perSeq ? d.N : d.N * d.T) * O);
    const order = Int32Array.from({ length: d.N }, (_, i) => i);
    for (const idx of this.batches(d.N, batchSize, order)) this.evalBatch(d, idx, null, out, false);
    return { data: out, shape: this.perSeq ? [d.N, O] : [d.N, d.T, O] };
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
    const B = checkInt('Sequential.zeroState', 'batch', batch, 1);
    if (this.output === 'mean') throw argError('Sequential.zeroState', 'model', "a model with output 'last' or 'all' (a mean pools the whole sequence)", 'mean');
    if (this.recs.some((r) => r.bidirectional)) throw argError('Sequential.zeroState', 'model', 'a unidirectional model (a reverse direction needs the whole sequence)', 'bidirectional');
    const states = this.recs.map((r) => r.zeroState(B));
    const heap = this.be.heap;
    const st = {} as ModelState;
    // Its own blocks (the embedding's index and output rows) have their own owner, freed with the model too.
    const life = new Lifetime(heap, 'Sequential streaming state', st);
    this.stateLives.add(life);
    const idx = this.embedding ? heap.alloc(B, life.owner) : 0;
    const emb = this.embedding ? heap.alloc(B * this.embedding.embeddingDim, life.owner) : 0;
    const embIn = this.embedding ? new Float32Array(B * this.embedding.embeddingDim) : null;
    const out: Tensor = { data: new Float32Array(B * this.outputSize), shape: [B, this.outputSize] };
    const lives = this.stateLives;
    const dispose = (): void => { states.forEach((s) => s.dispose()); life.dispose(); lives.delete(life); };
    Object.assign(st, {
      batch: B, states, owner: this, out, idx, emb, embIn,
      reset() { life.check('Sequential state.reset'); states.forEach((s) => s.reset()); },
      dispose,
      ...(Symbol.dispose ? { [Symbol.dispose]: dispose } : {}),
    });
    return Object.defineProperty(st, 'disposed', { get: () => life.disposed, enumerable: true });
  }

  private readonly stateLives = new Set<Lifetime>();

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
    if (!state || state.owner !== this) throw argError(where, 'state', "a state from this model's zeroState()", state);
    if (state.disposed) throw new SimdRnnError('DISPOSED', `${where}: state was disposed; make a new one with zeroState()`);
    const B = state.batch;
    // Runs every step: no wrapper objects; Recurrent.step takes a bare Float32Array.
    let input: Tensor | Float32Array;
    const data = xt instanceof Float32Array || xt instanceof Int32Array ? xt : xt?.data;
    if (this.embedding) {
      if (!(data instanceof Int32Array || data instanceof Float32Array) || data.length !== B) throw argError(where, 'xt', `${B} indices`, xt);
      this.embedding.checkIndices(where, 'xt', data);
      this.be.heap.i32.set(data, state.idx >> 2);
      this.embedding.runForward(B, state.idx, state.emb);
      const v = this.be.heap.f32, o = state.emb >> 2;
      for (let i = 0; i < state.embIn!.length; i++) state.embIn![i] = v[o + i]!;
      input = state.embIn!;
    } else {
      input = xt as Tensor | Float32Array;
    }
    let ri = 0, cur = state.out;
    for (const l of this.seq) if (l instanceof Recurrent) { cur = l.step(input, state.states[ri++]!); input = cur; }
    let width = cur.shape[1]!, ptr = 0;
    for (const l of this.head) {
      if (!(l instanceof Linear)) continue; // dropout is identity at inference
      const x = l.prepare(B);
      if (ptr) this.be.k.f32_copy(B * width, ptr, x);
      else this.be.heap.f32.set(cur.data, x >> 2);
      ptr = l.runForward(B);
      width = l.outFeatures;
    }
    const out = state.out.data, f = this.be.heap.f32;
    if (ptr) for (let i = 0; i < out.length; i++) out[i] = f[(ptr >> 2) + i]!;
    else out.set(cur.data);
    return state.out;
  }

  /** The optimizer given to compile (for checkpoints). */
  get optimizer(): Optimizer | null {
    this.life.check('Sequential.optimizer');
    return this.compiled?.optimizer ?? null;
  }

  /** The gradients, named like stateDict(). */
  gradStateDict(): Record<string, Tensor> {
    this.alive('Sequential.gradStateDict');
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
  config(): { output: 'last' | 'mean' | 'all'; layers: Record<string, unknown>[] } {
    this.alive('Sequential.config');
    return { output: this.output, layers: this.layers.map((l) => l.config()) };
  }

  /** All parameters, named `layers.{i}.{name}`. */
  stateDict(): Record<string, Tensor> {
    this.alive('Sequential.stateDict');
    return this.named((l) => l.stateDict());
  }

  loadStateDict(dict: Record<string, Tensor>): void {
    const where = 'Sequential.loadStateDict';
    this.alive(where);
    this.notBusy(where);
    this.loadWeights(where, dict);
  }

  private loadWeights(where: string, dict: Record<string, Tensor>): void {
    if (dict === null || typeof dict !== 'object') throw argError(where, 'dict', 'an object of tensors', dict);
    const per: Record<string, Tensor>[] = this.layers.map(() => Object.create(null) as Record<string, Tensor>);
    for (const [key, v] of Object.entries(dict)) {
      const m = /^layers\.(\d+)\.(.+)$/.exec(key);
      const i = m ? Number(m[1]) : -1;
      if (!m || i >= this.layers.length || this.layers[i] instanceof Dropout) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: unexpected key "${key}"`);
      per[i]![m[2]!] = v;
    }
    // Validate every layer before writing any.
    this.layers.forEach((l, i) => {
      if (l instanceof Dropout) return;
      const want = l.stateDict();
      for (const k of Object.keys(want)) {
        if (!Object.prototype.hasOwnProperty.call(per[i]!, k)) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: missing key "layers.${i}.${k}"`);
        checkTensor(where, `layers.${i}.${k}`, per[i]![k], want[k]!.shape);
      }
    });
    this.layers.forEach((l, i) => { if (!(l instanceof Dropout)) l.loadStateDict(per[i]!); });
  }

  /**
   * Frees the model's heap regions, its layers', its streaming states' and
   * its optimizer's. Afterwards every call on any of them throws a
   * SimdRnnError with code 'DISPOSED'; a second dispose() does nothing.
   * Models the program drops without dispose() are freed when collected.
   */
  dispose(): void {
    if (this.life.disposed) return;
    for (const st of [...this.stateLives]) st.dispose();
    for (const l of this.layers) l.dispose();
    this.compiled?.optimizer.dispose();
    this.life.dispose();
    this.buf = { T: 0, B: 0, ptr: 0, mask: 0, idx: 0, pool: 0, gather: 0, dH: 0, dpred: 0, carryH: [], carryC: [] };
    this.meanScratch = { n: 0, ptr: 0 };
    this.backup = 0;
  }
}
disposable(Sequential);
