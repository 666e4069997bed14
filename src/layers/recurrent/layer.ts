// The recurrent layer shared by RNN, LSTM and GRU: PyTorch's options, math
// and parameter names, for any cell (cells/). The sequence runner
// (sequence.ts) runs whole sequences forward and backward, the streaming
// runner (stream.ts) one step at a time; this class checks arguments, moves
// tensors between the caller's layout and the heap, and owns the memory.
import { getBackend } from '../../backend/index.js';
import type { Backend } from '../../backend/backend.js';
import { SimdRnnError, argError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { rng, Random } from '../../util/rng.js';
import { Lifetime, disposable } from '../../util/lifetime.js';
import { Params } from '../params.js';
import { checkBool, checkInt, checkTensor, checkFinite, checkKeys } from '../validate.js';
import { recurrentParamSpecs, type Cell, type CellType } from './cell.js';
import { PackedWeights } from './weights.js';
import { toTimeMajor, fromTimeMajor, readStates } from './layout.js';
import { Int8Products, type Int8Matrix } from '../int8.js';
import { SequenceRunner, type LayerCore, type ForwardFrom, type BackwardNeeds, type ArenaNeeds } from './sequence.js';
import type { Carve } from '../../backend/carve.js';
import { StreamRunner, type StreamState } from './stream.js';
import { DriveRunner } from './drive.js';
import { validSteps } from './masks.js';
import { checkRecurrentOptions, FORWARD_KEYS, BACKWARD_KEYS, type RecurrentOptions, type ForwardOptions, type ForwardResult, type BackwardOptions, type BackwardResult, type RecurrentConfig } from './options.js';

export type { CellType } from './cell.js';
export type { StreamState } from './stream.js';

export type { RecurrentOptions, ForwardOptions, ForwardResult, BackwardOptions, BackwardResult, RecurrentConfig } from './options.js';

const TAG: Record<CellType, string> = { LSTM: 'LSTM', GRU: 'GRU', RNN_TANH: 'RNN', RNN_RELU: 'RNN' };

/**
 * What LSTM, GRU and RNN share: stacked, bidirectional, masked forward and
 * backward over whole sequences, and a streaming step. Construct the
 * subclasses; their options are {@link RecurrentOptions}.
 */
export class Recurrent {
  /** The cell: 'LSTM', 'GRU', 'RNN_TANH' or 'RNN_RELU'. */
  readonly cell: CellType;
  /** Features per step of the input (I). */
  readonly inputSize: number;
  /** Features of the hidden state (H) per direction. */
  readonly hiddenSize: number;
  /** Stacked layers (L). */
  readonly numLayers: number;
  /** Whether a reverse direction runs too (D = 2), its outputs concatenated after the forward one's. */
  readonly bidirectional: boolean;
  /** Dropout probability on the outputs of every stacked layer but the last, in training. */
  readonly dropout: number;
  /** Variational dropout probability on h entering the recurrent product, in training. */
  readonly recurrentDropout: number;
  /** Each stacked layer after the first adds its input to its output. */
  readonly residual: boolean;
  /** Whether bias_ih and bias_hh exist. */
  readonly bias: boolean;
  /** Whether x and output are [B, T, ·] (true) or [T, B, ·] (false, PyTorch's default). */
  readonly batchFirst: boolean;
  /** The layer-normalized cell (LSTM, GRU with layerNorm: true). */
  readonly layerNorm: boolean;
  /** @internal The parameters and their gradients on the heap. */
  readonly params: Params;
  /** @internal Dropout masks' generator (its state is saved in checkpoints). */
  readonly random: Random;
  protected readonly be: Backend;
  private readonly plugin: Cell;
  private readonly D: number;
  private readonly name: string;
  private readonly stepWhere: string;
  private readonly life: Lifetime;
  private readonly weights: PackedWeights;
  private readonly coreBe: Backend;
  private readonly seq: SequenceRunner;
  private readonly streams: StreamRunner;
  /** @internal One step at a time with BPTT, for a model that makes each step's input (a decoder). */
  readonly driver: DriveRunner;
  /** @internal The model this layer belongs to (its parameters live in the model's region). */
  model: object | null = null;
  /** `using` calls dispose() at the end of the block. */
  declare [Symbol.dispose]: () => void;

  constructor(cell: Cell, opts: RecurrentOptions) {
    const name = TAG[cell.type];
    this.name = name;
    this.stepWhere = `${name}.step`;
    const o = checkRecurrentOptions(name, opts);
    this.plugin = cell;
    this.cell = cell.type;
    this.layerNorm = cell.config().layerNorm === true;
    ({ inputSize: this.inputSize, hiddenSize: this.hiddenSize, numLayers: this.numLayers, bidirectional: this.bidirectional, bias: this.bias,
      batchFirst: this.batchFirst, dropout: this.dropout, recurrentDropout: this.recurrentDropout, residual: this.residual } = o);
    const seed = o.seed;
    this.D = this.bidirectional ? 2 : 1;
    this.be = getBackend();
    this.life = new Lifetime(this.be.heap, name, this);
    const H = this.hiddenSize, G = cell.gates * H;
    const specs = recurrentParamSpecs(cell, this.inputSize, H, this.numLayers, this.D, this.bias);
    this.params = new Params(this.be, specs, this.life.owner);
    // PyTorch's default: every parameter ~ U(−1/√H, 1/√H), in state-dict order;
    // a cell's own parameters with a constant init (norm gains, shifts) get that after.
    const init = rng(seed);
    const k = 1 / Math.sqrt(H);
    const v = this.be.heap.view(this.params.ptr, this.params.size);
    for (let i = 0; i < v.length; i++) v[i] = (2 * init() - 1) * k;
    for (const s of specs) {
      if (s.init !== undefined) { const o = this.params.offsets.get(s.name)!; v.fill(s.init, o, o + s.shape[0]!); }
    }
    this.params.touch();
    this.random = new Random((seed ^ 0x9e3779b9) >>> 0);
    const extra = cell.extraParams?.(H) ?? [];
    this.weights = new PackedWeights(this.be, this.params, this.life.owner, this.inputSize, H, G, this.numLayers, this.D, this.bias, extra[0]?.name ?? null);
    // The runners' backend: the layer's own copy, whose kernels quantize() replaces.
    this.coreBe = { ...this.be };
    const core: LayerCore = {
      be: this.coreBe, cell, I: this.inputSize, H, L: this.numLayers, D: this.D, bias: this.bias, dropout: this.dropout,
      recurrentDropout: this.recurrentDropout, residual: this.residual, random: this.random, params: this.params, owner: this.life.owner, weights: this.weights,
    };
    this.seq = new SequenceRunner(core);
    this.streams = new StreamRunner(core, name, this);
    this.driver = new DriveRunner(core);
  }

  /** 'int8' for a layer quantize() made (inference only), else null. */
  get quantized(): 'int8' | null {
    return this.weights.int8 ? 'int8' : null;
  }

  /** @internal Makes this layer's products int8 (see quantize()): its matrices then live in int8 only (Int8Products.take). */
  toInt8(): void {
    if (this.weights.int8) return;
    this.weights.clear();
    const store = this.weights.int8 = Int8Products.take(this.be, this.life.owner, this.params, (n) => /^weight_(ih|hh)_l\d+(_reverse)?$/.test(n));
    (this.coreBe as { k: Backend['k'] }).k = store.kernels(this.be.k);
  }

  /** @internal A quantized layer's matrices: their int8 values and row scales, by name (empty for an f32 layer). */
  int8Matrices(): Record<string, Int8Matrix> {
    return this.weights.int8?.matrices() ?? {};
  }

  /** @internal Sets a quantized layer's matrix to int8 values and row scales as they are (an int8 file). */
  setInt8(name: string, m: Int8Matrix): void {
    this.weights.int8!.setInt8(name, m);
    this.params.touch();
  }

  /** Whether the cell carries a cell state c (LSTM). */
  get hasCellState(): boolean {
    return this.plugin.hasCell;
  }

  // ----------------------------------------------------------- layout I/O --

  private seqShape(T: number, B: number, F: number): number[] {
    return this.batchFirst ? [B, T, F] : [T, B, F];
  }

  private stateShape(B: number): number[] {
    return [this.numLayers * this.D, B, this.hiddenSize];
  }

  // -------------------------------------------------------------- forward --

  /**
   * Runs the whole sequence. See {@link ForwardOptions}.
   *
   * @example
   * const lstm = new LSTM({ inputSize: 8, hiddenSize: 16, batchFirst: true, seed: 1 });
   * const { output, h, c } = lstm.forward(tensor(x, [4, 10, 8]), { lengths: [10, 7, 3, 10] });
   */
  forward(x: Tensor, opts: ForwardOptions = {}): ForwardResult {
    const where = `${this.name}.forward`;
    this.life.check(where);
    if (opts === null || typeof opts !== 'object') throw argError(where, 'options', 'an object', opts);
    checkKeys(where, 'options', opts, FORWARD_KEYS);
    checkTensor(where, 'x', x, this.batchFirst ? ['*', '*', this.inputSize] : ['*', '*', this.inputSize],
      `${this.batchFirst ? '[B, T, inputSize]' : '[T, B, inputSize]'}, inputSize = ${this.inputSize}`);
    const [d0, d1] = x.shape as [number, number, number];
    const T = this.batchFirst ? d1 : d0, B = this.batchFirst ? d0 : d1;
    if (T < 1 || B < 1) throw new SimdRnnError('SHAPE_MISMATCH', `${where}: x has shape [${x.shape.join(',')}], expected at least one step and one sequence`);
    const train = opts.train === undefined ? false : checkBool(where, 'options.train', opts.train);
    if (opts.h0 !== undefined) {
      checkTensor(where, 'h0', opts.h0, this.stateShape(B), '[numLayers·D, B, hiddenSize]');
      checkFinite(where, 'h0', opts.h0.data, opts.h0.shape);
    }
    if (opts.c0 !== undefined) {
      if (!this.plugin.hasCell) throw argError(where, 'options.c0', `undefined (${this.name} has no cell state)`, opts.c0);
      checkTensor(where, 'c0', opts.c0, this.stateShape(B), '[numLayers·D, B, hiddenSize]');
      checkFinite(where, 'c0', opts.c0.data, opts.c0.shape);
    }
    const valid = validSteps(where, opts, B, T, 0, { lengths: 'options.lengths', mask: 'mask' });
    const ws = this.prepare(T, B);
    toTimeMajor(this.be, x.data, T, B, this.inputSize, ws.x0, this.batchFirst);
    // Σx² in float64 is finite exactly when every x is (a finite float32
    // squared cannot overflow it); one SIMD pass, and the element-wise scan
    // only to name the culprit.
    if (!Number.isFinite(this.be.k.f32_sumsq(T * B * this.inputSize, ws.x0))) checkFinite(where, 'x', x.data, x.shape);
    if (valid) {
      // Time-major: mask[t, b] = valid[b, t].
      const f = this.be.heap.f32, m = ws.mask >> 2;
      for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) f[m + t * B + b] = valid[b * T + t]!;
    }
    this.runForward(T, B, valid !== null, train, opts.h0?.data ?? null, opts.c0?.data ?? null);
    const { heap } = this.be;
    const H = this.hiddenSize, L = this.numLayers, D = this.D, DH = D * H;
    const output: Tensor = { data: fromTimeMajor(this.be, this.outputPtr(), T, B, DH, this.batchFirst), shape: this.seqShape(T, B, DH) };
    const h = readStates(heap.f32, L, D, B, H, (l, d) => this.finalStatePtr(l, d));
    const c = this.plugin.hasCell ? readStates(heap.f32, L, D, B, H, (l, d) => this.finalStatePtr(l, d, true)) : null;
    const res: ForwardResult = { output, h: { data: h, shape: this.stateShape(B) } };
    if (c) res.c = { data: c, shape: this.stateShape(B) };
    return res;
  }

  /** @internal Makes packed weights and a workspace for (T, B) ready; returns where x and the mask go. */
  prepare(T: number, B: number): { x0: number; mask: number } {
    return this.seq.prepare(T, B);
  }

  /** @internal Heap-level forward for models (see SequenceRunner.forward). */
  runForward(T: number, B: number, masked: boolean, train: boolean, h0: Float32Array | number | null, c0: Float32Array | number | null, from?: ForwardFrom): void {
    this.seq.forward(T, B, masked, train, h0, c0, from);
  }

  /** @internal The last layer's output of the last forward pass: [T, B, D·H] time-major. */
  outputPtr(): number {
    return this.seq.outputPtr();
  }

  /** @internal Pointer to the final hidden (or cell) state [B, H] of layer l, direction d. */
  finalStatePtr(l: number, d: number, cell = false): number {
    return this.seq.finalStatePtr(l, d, cell);
  }

  /** @internal Floats of this layer's workspaces for (T, B) in a model's arena (see SequenceRunner.arenaSize). */
  arenaSize(T: number, B: number, needs: ArenaNeeds): number {
    return this.seq.arenaSize(T, B, needs);
  }

  /** @internal Places this layer's workspaces in a model's arena. */
  bindArena(arena: object, c: Carve, T: number, B: number, needs: ArenaNeeds): void {
    this.seq.bind(arena, c, T, B, needs);
  }

  /** @internal Whether this layer's workspaces sit in that arena. */
  boundTo(arena: object): boolean {
    return this.seq.boundTo(arena);
  }

  /** @internal Backward space for the last forward pass; dy ([T, B, D·H]) is where the output gradient goes, dx where dX comes out. */
  prepareBackward(): { dy: number; dx: number } {
    return this.seq.prepareBackward();
  }

  /** @internal Heap-level backward for models (see SequenceRunner.backward). */
  runBackward(dh: Float32Array | number | null, dc: Float32Array | number | null, dh0: Float32Array | null, dc0: Float32Array | null, needs?: BackwardNeeds): void {
    this.checkTrainable(`${this.name}.backward`);
    this.seq.backward(dh, dc, dh0, dc0, needs);
  }

  // ------------------------------------------------------------- backward --

  /**
   * Backpropagates through the last forward call: accumulates (+=) every
   * parameter's gradient and returns the gradients w.r.t. x, h0 (and c0).
   *
   * @example
   * const { output } = gru.forward(x);
   * const { dx, dh0 } = gru.backward(dOutput);   // gru.gradStateDict() now holds dW, db
   */
  backward(dOutput: Tensor, opts: BackwardOptions = {}): BackwardResult {
    const where = `${this.name}.backward`;
    this.life.check(where);
    this.checkTrainable(where);
    if (!this.seq.hasForward) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: no forward pass to backpropagate through; call forward first`);
    if (opts === null || typeof opts !== 'object') throw argError(where, 'options', 'an object', opts);
    checkKeys(where, 'options', opts, BACKWARD_KEYS);
    const { T, B } = this.seq.lastShape, H = this.hiddenSize, L = this.numLayers, D = this.D, DH = D * H;
    checkTensor(where, 'dOutput', dOutput, this.seqShape(T, B, DH), 'the shape of the last forward output');
    if (opts.dh !== undefined) checkTensor(where, 'dh', opts.dh, this.stateShape(B), '[numLayers·D, B, hiddenSize]');
    if (opts.dc !== undefined) {
      if (!this.plugin.hasCell) throw argError(where, 'options.dc', `undefined (${this.name} has no cell state)`, opts.dc);
      checkTensor(where, 'dc', opts.dc, this.stateShape(B), '[numLayers·D, B, hiddenSize]');
    }
    const bs = this.seq.prepareBackward(true);
    toTimeMajor(this.be, dOutput.data, T, B, DH, bs.dy, this.batchFirst);
    const dh0 = new Float32Array(L * D * B * H);
    const dc0 = this.plugin.hasCell ? new Float32Array(L * D * B * H) : null;
    this.runBackward(opts.dh?.data ?? null, opts.dc?.data ?? null, dh0, dc0);
    const res: BackwardResult = {
      dx: { data: fromTimeMajor(this.be, bs.dx, T, B, this.inputSize, this.batchFirst), shape: this.seqShape(T, B, this.inputSize) },
      dh0: { data: dh0, shape: this.stateShape(B) },
    };
    if (dc0) res.dc0 = { data: dc0, shape: this.stateShape(B) };
    return res;
  }

  // ------------------------------------------------------------ streaming --

  /**
   * A zeroed streaming state for `batch` sequences (unidirectional layers).
   *
   * @example
   * const state = lstm.zeroState(1);
   * for (const xt of frames) { const y = lstm.step(xt, state); }
   */
  zeroState(batch = 1): StreamState {
    const where = `${this.name}.zeroState`;
    this.life.check(where);
    if (this.bidirectional) throw argError(where, 'this.bidirectional', 'false (a reverse direction needs the whole sequence)', true);
    return this.streams.zeroState(checkInt(where, 'batch', batch, 1));
  }

  /**
   * One time step for every sequence of a streaming state: xt [B, inputSize]
   * (a tensor, or a Float32Array of B·inputSize) → the last layer's output
   * [B, hiddenSize]. The state is updated in place.
   * The returned tensor is reused by the next call on the same state.
   */
  step(xt: Tensor | Float32Array, state: StreamState): Tensor {
    const where = this.stepWhere; // built once: a template string here would allocate every step
    this.life.check(where);
    return this.streams.step(where, xt, state);
  }

  // ----------------------------------------------------------- parameters --

  /** Copies of the parameters, with PyTorch's names and shapes. */
  stateDict(): Record<string, Tensor> {
    this.life.check(`${this.name}.stateDict`);
    return this.params.stateDict();
  }

  /** Copies of the accumulated gradients, with the parameters' names. */
  gradStateDict(): Record<string, Tensor> {
    this.life.check(`${this.name}.gradStateDict`);
    this.checkTrainable(`${this.name}.gradStateDict`);
    return this.params.gradStateDict();
  }

  /** Loads a PyTorch-style state dict; strict: every name and shape must match. */
  loadStateDict(dict: Record<string, Tensor>): void {
    this.life.check(`${this.name}.loadStateDict`);
    this.params.load(`${this.name}.loadStateDict`, dict);
  }

  /** Sets every parameter gradient to zero (backward adds into them). */
  zeroGrad(): void {
    this.life.check(`${this.name}.zeroGrad`);
    this.params.zeroGrad();
  }

  /** The options that rebuild this layer (for saving). */
  config(): RecurrentConfig {
    this.life.check(`${this.name}.config`);
    const c: RecurrentConfig = {
      type: this.name as RecurrentConfig['type'], inputSize: this.inputSize, hiddenSize: this.hiddenSize, numLayers: this.numLayers,
      bidirectional: this.bidirectional, dropout: this.dropout, bias: this.bias, batchFirst: this.batchFirst,
    };
    if (this.recurrentDropout > 0) c.recurrentDropout = this.recurrentDropout;
    if (this.residual) c.residual = true;
    return { ...c, ...this.plugin.config() };
  }

  /** Number of parameters. */
  get numParams(): number {
    this.life.check(`${this.name}.numParams`);
    return this.params.count;
  }

  /** Whether dispose() was called (on this layer or on its model). */
  get disposed(): boolean {
    return this.life.disposed;
  }

  /** @internal Throws for a quantized layer (inference only). */
  checkTrainable(where: string): void {
    if (this.weights.int8) {
      throw new SimdRnnError('INVALID_ARGUMENT', `${where}: this ${this.name} is quantized (int8) and runs inference only; train the f32 layer, then quantize it again`);
    }
  }

  /** @internal Throws DISPOSED if this layer was disposed. */
  checkAlive(where: string): void {
    this.life.check(where);
  }

  /**
   * Frees every heap region this layer holds (and its streaming states').
   * Afterwards every call throws a SimdRnnError with code 'DISPOSED'; a second
   * dispose() does nothing. A layer inside a model is disposed with the model.
   */
  dispose(): void {
    this.streams.disposeStates();
    if (!this.life.dispose()) return;
    this.weights.clear();
    this.seq.clear();
    this.driver.clear();
    this.params.detach();
  }
}
disposable(Recurrent);
