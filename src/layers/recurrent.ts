// The recurrent layer shared by RNN, LSTM and GRU: PyTorch's options, math
// and parameter names, run on the kernels of whichever backend is current.
//
// Data path (DESIGN.md): per layer and direction, one GEMM projects the
// inputs of all T steps at once ([T·B, I] × [I, G·H]); each step then does
// one recurrent GEMM ([B, H] × [H, G·H]) and one fused cell kernel. Backward
// runs the fused cell backward per step (plus the [B, G·H] × [G·H, H] GEMM
// for dh), keeps dGates for all steps, and computes dW_ih, dW_hh and dX as
// three big GEMMs after the loop. Weights stay in PyTorch's layout in the
// parameter region; packed copies for the GEMMs are rebuilt only when the
// parameters' version changes.
//
// Inside, everything is time-major: x is [T, B, I], a layer's output is
// [T, B, D·H] with direction d in columns d·H … d·H+H, and each direction
// keeps its states in S[0..T] ([T+1, B, H]): the forward direction reads
// S[t] and writes S[t+1]; the reverse one reads S[t+1] and writes S[t], so
// its initial state sits in S[T]. Padding steps (mask 0) carry state
// through and emit zeros, which gives PyTorch's packed-sequence results: the
// reverse direction starts each sequence at its own last valid step.
import { getBackend } from '../backend/index.js';
import { packedSize, type Backend } from '../backend/backend.js';
import { SimdRnnError, argError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { rng, randomSeed, Random } from '../util/rng.js';
import { Params, type ParamSpec } from './params.js';
import { checkBool, checkInt, checkTensor, checkFinite, dflt } from './validate.js';
import { Lifetime, disposable } from '../util/lifetime.js';

export type CellType = 'LSTM' | 'GRU' | 'RNN_TANH' | 'RNN_RELU';

export interface RecurrentOptions {
  inputSize: number;
  hiddenSize: number;
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Run a reverse direction too and concatenate (default false). */
  bidirectional?: boolean;
  /** Dropout on the outputs of every layer but the last, in training only (default 0). */
  dropout?: number;
  /**
   * Variational recurrent dropout (Gal & Ghahramani): in training, h_{t−1}
   * entering the recurrent product is multiplied by one mask per sequence,
   * the same at every step (default 0).
   */
  recurrentDropout?: number;
  /** Use bias_ih and bias_hh (default true). */
  bias?: boolean;
  /** x and output are [B, T, ·] instead of [T, B, ·] (default false, as in PyTorch). */
  batchFirst?: boolean;
  /** Seed of the default initialization U(−1/√H, 1/√H) and of dropout masks. */
  seed?: number;
}

export interface ForwardOptions {
  /** Initial hidden state [numLayers·D, B, H] (default zeros). */
  h0?: Tensor;
  /** Initial cell state [numLayers·D, B, H] (LSTM only; default zeros). */
  c0?: Tensor;
  /** Valid length of each sequence (0 ≤ length ≤ T); later steps are padding. */
  lengths?: ArrayLike<number>;
  /** Alternative to lengths: [B, T] of 1 (valid) and 0 (padding). */
  mask?: Tensor;
  /** Training mode: applies dropout between layers (default false). */
  train?: boolean;
}

export interface ForwardResult {
  /** [B, T, D·H] (batchFirst) or [T, B, D·H]; zeros at padding steps. */
  output: Tensor;
  /** Final hidden state per layer and direction [numLayers·D, B, H]. */
  h: Tensor;
  /** Final cell state (LSTM only). */
  c?: Tensor;
}

export interface BackwardOptions {
  /** Gradient w.r.t. the final hidden state h [numLayers·D, B, H]. */
  dh?: Tensor;
  /** Gradient w.r.t. the final cell state c (LSTM). */
  dc?: Tensor;
}

export interface BackwardResult {
  /** Gradient w.r.t. x, in x's layout. */
  dx: Tensor;
  /** Gradient w.r.t. h0 [numLayers·D, B, H]. */
  dh0: Tensor;
  /** Gradient w.r.t. c0 (LSTM). */
  dc0?: Tensor;
}

/** State of a streaming (one step at a time) run; lives in the layer's heap. */
export interface StreamState {
  readonly batch: number;
  /** Hidden state per layer, a copy: [numLayers, B, H]. */
  readonly h: Tensor;
  /** Cell state per layer (LSTM), a copy. */
  readonly c?: Tensor;
  /** Sets every state back to zero. */
  reset(): void;
  /** Frees the state's heap memory. */
  dispose(): void;
}

interface DirPack {
  wih: number; // packed W_ihᵀ  (K = I, N = G·H)
  whh: number; // packed W_hhᵀ  (K = H, N = G·H)
  wihB: number; // packed W_ih  (K = G·H, N = I), for dX
  whhB: number; // packed W_hh  (K = G·H, N = H), for dh
  bsum: number; // b_ih + b_hh (LSTM/RNN: added by the input projection and the streaming step)
  bih: number; // b_ih and b_hh in the parameter region (0 without bias), looked up once per
  bhh: number; //   parameter version, not per step (a name lookup builds strings)
  wcat: number; // packed [W_ih | W_hh]ᵀ (K = I + H), streaming step of LSTM/RNN; 0 until first needed
}

interface Workspace {
  T: number;
  B: number;
  ptr: number;
  x0: number; // [T, B, I]
  mask: number; // [T, B]
  y: number[]; // per layer [T, B, D·H]
  drop: number[]; // per layer < L−1: dropout multipliers [T, B, D·H]
  dropped: number[]; // per layer < L−1: y ⊙ drop
  g: number[][]; // [l][d] gates [T, B, G·H]
  gh: number[][]; // [l][d] GRU: W_hh·h + b_hh [T, B, 3H]
  sh: number[][]; // [l][d] hidden states [T+1, B, H]
  sc: number[][]; // [l][d] cell states [T+1, B, H] (LSTM)
  rdm: number[][]; // [l][d] recurrent dropout masks [B, H] (0 if none)
  hm: number[][]; // [l][d] masked h_{t−1} per step [T, B, H] (0 if none)
}

interface BackSpace {
  T: number;
  B: number;
  ptr: number;
  dg: number; // [T, B, G·H] (GRU: dGx)
  dgh: number; // [T, B, 3H] (GRU)
  dy: number[]; // per layer [T, B, D·H]
  dx0: number; // [T, B, I]
  dh: number; // [B, H]
  dc: number; // [B, H]
  tmp: number; // [B, H]
}

interface ForwardRecord {
  T: number;
  B: number;
  masked: boolean;
  dropout: boolean;
  rdrop: boolean;
}

/**
 * PyTorch's parameter names and shapes for a recurrent layer with `gates`
 * gates per unit (RNN 1, GRU 3, LSTM 4) and D directions, in state-dict order.
 * Pure: the file loader checks a model file's tensors against it before
 * building anything.
 */
export function recurrentParamSpecs(gates: number, I: number, H: number, L: number, D: number, bias: boolean): ParamSpec[] {
  const G = gates * H, out: ParamSpec[] = [];
  for (let l = 0; l < L; l++) {
    for (let d = 0; d < D; d++) {
      const s = `l${l}${d ? '_reverse' : ''}`;
      out.push({ name: `weight_ih_${s}`, shape: [G, l === 0 ? I : D * H] }, { name: `weight_hh_${s}`, shape: [G, H] });
      if (bias) out.push({ name: `bias_ih_${s}`, shape: [G] }, { name: `bias_hh_${s}`, shape: [G] });
    }
  }
  return out;
}

const TAG: Record<CellType, string> = { LSTM: 'LSTM', GRU: 'GRU', RNN_TANH: 'RNN', RNN_RELU: 'RNN' };

export class Recurrent {
  readonly cell: CellType;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly dropout: number;
  readonly recurrentDropout: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly params: Params;
  protected readonly be: Backend;
  private readonly gates: number;
  private readonly D: number;
  /** Dropout masks' generator (its state is saved in checkpoints). */
  readonly random: Random;
  private packs: DirPack[][] = [];
  private packedVersion = -1;
  private ws: Workspace | null = null;
  private bs: BackSpace | null = null;
  private last: ForwardRecord | null = null;
  private readonly name: string;
  private readonly life: Lifetime;
  /** Live streaming states' lifetimes (freed with the layer). */
  private readonly states = new Set<Lifetime>();
  /** @internal The model this layer belongs to (its parameters live in the model's region). */
  model: object | null = null;
  declare [Symbol.dispose]: () => void;

  constructor(cell: CellType, opts: RecurrentOptions) {
    const name = TAG[cell];
    this.name = name;
    if (opts === null || typeof opts !== 'object') throw argError(name, 'options', 'an object', opts);
    this.cell = cell;
    this.inputSize = checkInt(name, 'inputSize', opts.inputSize, 1);
    this.hiddenSize = checkInt(name, 'hiddenSize', opts.hiddenSize, 1);
    this.numLayers = checkInt(name, 'numLayers', dflt(opts.numLayers, 1), 1);
    this.bidirectional = checkBool(name, 'bidirectional', dflt(opts.bidirectional, false));
    this.bias = checkBool(name, 'bias', dflt(opts.bias, true));
    this.batchFirst = checkBool(name, 'batchFirst', dflt(opts.batchFirst, false));
    const p = dflt(opts.dropout, 0);
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw argError(name, 'dropout', 'a number in [0, 1)', p);
    this.dropout = p;
    const rp = dflt(opts.recurrentDropout, 0);
    if (typeof rp !== 'number' || !(rp >= 0 && rp < 1)) throw argError(name, 'recurrentDropout', 'a number in [0, 1)', rp);
    this.recurrentDropout = rp;
    const seed = opts.seed === undefined ? randomSeed() : checkInt(name, 'seed', opts.seed, 0, 2 ** 32 - 1);
    this.gates = cell === 'LSTM' ? 4 : cell === 'GRU' ? 3 : 1;
    this.D = this.bidirectional ? 2 : 1;
    this.be = getBackend();
    this.life = new Lifetime(this.be.heap, name, this);
    this.params = new Params(this.be, recurrentParamSpecs(this.gates, this.inputSize, this.hiddenSize, this.numLayers, this.D, this.bias), this.life.owner);
    // PyTorch's default: every parameter ~ U(−1/√H, 1/√H), in state-dict order.
    const init = rng(seed);
    const k = 1 / Math.sqrt(this.hiddenSize);
    const v = this.be.heap.view(this.params.ptr, this.params.size);
    for (let i = 0; i < v.length; i++) v[i] = (2 * init() - 1) * k;
    this.params.touch();
    this.random = new Random((seed ^ 0x9e3779b9) >>> 0);
  }

  private suffix(l: number, d: number): string {
    return `l${l}${d ? '_reverse' : ''}`;
  }

  private layerInput(l: number): number {
    return l === 0 ? this.inputSize : this.D * this.hiddenSize;
  }


  // ------------------------------------------------------------ weights --

  private ensurePacked(): void {
    if (this.packedVersion === this.params.version) return;
    const { k, heap } = this.be, H = this.hiddenSize, G = this.gates * H;
    if (this.packs.length === 0) {
      const own = this.life.owner;
      for (let l = 0; l < this.numLayers; l++) {
        const I = this.layerInput(l), row: DirPack[] = [];
        for (let d = 0; d < this.D; d++) {
          row.push({
            wih: heap.alloc(packedSize(I, G), own), whh: heap.alloc(packedSize(H, G), own),
            wihB: heap.alloc(packedSize(G, I), own), whhB: heap.alloc(packedSize(G, H), own),
            bsum: heap.alloc(G, own), wcat: 0, bih: 0, bhh: 0,
          });
        }
        this.packs.push(row);
      }
    }
    for (let l = 0; l < this.numLayers; l++) {
      const I = this.layerInput(l);
      for (let d = 0; d < this.D; d++) {
        const s = this.suffix(l, d), pk = this.packs[l]![d]!;
        const wih = this.params.p(`weight_ih_${s}`), whh = this.params.p(`weight_hh_${s}`);
        k.f32_pack_b(1, I, G, wih, I, pk.wih);
        k.f32_pack_b(1, H, G, whh, H, pk.whh);
        k.f32_pack_b(0, G, I, wih, I, pk.wihB);
        k.f32_pack_b(0, G, H, whh, H, pk.whhB);
        pk.bih = this.bias ? this.params.p(`bias_ih_${s}`) : 0;
        pk.bhh = this.bias ? this.params.p(`bias_hh_${s}`) : 0;
        if (this.bias) k.f32_add(G, pk.bih, pk.bhh, pk.bsum);
        else k.f32_fill(G, 0, pk.bsum);
        if (pk.wcat) this.packCat(l, d);
      }
    }
    this.packedVersion = this.params.version;
  }

  // [W_ih | W_hh] packed as one [I + H, G·H] operand for the streaming step.
  private packCat(l: number, d: number): void {
    const { k, heap } = this.be, H = this.hiddenSize, G = this.gates * H, I = this.layerInput(l);
    const pk = this.packs[l]![d]!, s = this.suffix(l, d);
    const own = this.life.owner;
    if (!pk.wcat) pk.wcat = heap.alloc(packedSize(I + H, G), own);
    const tmp = heap.alloc(G * (I + H), own);
    k.f32_copy2d(G, I, this.params.p(`weight_ih_${s}`), I, tmp, I + H);
    k.f32_copy2d(G, H, this.params.p(`weight_hh_${s}`), H, tmp + 4 * I, I + H);
    k.f32_pack_b(1, I + H, G, tmp, I + H, pk.wcat);
    heap.free(tmp, own);
  }

  // ---------------------------------------------------------- workspace --

  private ensureWorkspace(T: number, B: number): Workspace {
    const ws = this.ws;
    if (ws && ws.T >= T && ws.B === B) return ws;
    const cap = ws && ws.B === B ? Math.max(T, ws.T) : T;
    if (ws) this.be.heap.free(ws.ptr, this.life.owner);
    if (this.bs) { this.be.heap.free(this.bs.ptr, this.life.owner); this.bs = null; }
    const H = this.hiddenSize, G = this.gates * H, DH = this.D * H, L = this.numLayers;
    let off = 0;
    const take = (n: number): number => { const o = off; off += Math.ceil(n / 16) * 16; return o; };
    const x0 = take(cap * B * this.inputSize), mask = take(cap * B);
    const y: number[] = [], drop: number[] = [], dropped: number[] = [];
    const g: number[][] = [], gh: number[][] = [], sh: number[][] = [], sc: number[][] = [], rdm: number[][] = [], hm: number[][] = [];
    for (let l = 0; l < L; l++) {
      y.push(take(cap * B * DH));
      if (l < L - 1 && this.dropout > 0) { drop.push(take(cap * B * DH)); dropped.push(take(cap * B * DH)); }
      const gl: number[] = [], ghl: number[] = [], shl: number[] = [], scl: number[] = [], rl: number[] = [], hl: number[] = [];
      for (let d = 0; d < this.D; d++) {
        gl.push(take(cap * B * G));
        ghl.push(this.cell === 'GRU' ? take(cap * B * G) : 0);
        shl.push(take((cap + 1) * B * H));
        scl.push(this.cell === 'LSTM' ? take((cap + 1) * B * H) : 0);
        rl.push(this.recurrentDropout > 0 ? take(B * H) : -1);
        hl.push(this.recurrentDropout > 0 ? take(cap * B * H) : -1);
      }
      g.push(gl); gh.push(ghl); sh.push(shl); sc.push(scl); rdm.push(rl); hm.push(hl);
    }
    const ptr = this.be.heap.alloc(off, this.life.owner);
    const b = (o: number): number => ptr + 4 * o;
    this.ws = {
      T: cap, B, ptr, x0: b(x0), mask: b(mask), y: y.map(b), drop: drop.map(b), dropped: dropped.map(b),
      g: g.map((r) => r.map(b)), gh: gh.map((r) => r.map((o) => (o ? b(o) : 0))), sh: sh.map((r) => r.map(b)),
      sc: sc.map((r) => r.map((o) => (this.cell === 'LSTM' ? b(o) : 0))),
      rdm: rdm.map((r) => r.map((o) => (o < 0 ? 0 : b(o)))), hm: hm.map((r) => r.map((o) => (o < 0 ? 0 : b(o)))),
    };
    return this.ws;
  }

  private ensureBackSpace(T: number, B: number): BackSpace {
    const bs = this.bs;
    if (bs && bs.T >= T && bs.B === B) return bs;
    if (bs) this.be.heap.free(bs.ptr, this.life.owner);
    const cap = this.ws!.T, H = this.hiddenSize, G = this.gates * H, DH = this.D * H;
    let off = 0;
    const take = (n: number): number => { const o = off; off += Math.ceil(n / 16) * 16; return o; };
    const dg = take(cap * B * G), dgh = take(this.cell === 'GRU' ? cap * B * G : 0);
    const dy: number[] = [];
    for (let l = 0; l < this.numLayers; l++) dy.push(take(cap * B * DH));
    const dx0 = take(cap * B * this.inputSize), dh = take(B * H), dc = take(B * H), tmp = take(B * H);
    const ptr = this.be.heap.alloc(off, this.life.owner);
    const b = (o: number): number => ptr + 4 * o;
    this.bs = { T: cap, B, ptr, dg: b(dg), dgh: b(dgh), dy: dy.map(b), dx0: b(dx0), dh: b(dh), dc: b(dc), tmp: b(tmp) };
    return this.bs;
  }

  // ----------------------------------------------------------- layout I/O --

  /** Copies a [B, T, F] or [T, B, F] tensor into time-major heap rows. */
  private putSeq(src: Float32Array, T: number, B: number, F: number, dst: number): void {
    const f = this.be.heap.f32, o = dst >> 2;
    // [T, B, F], and [B, T, F] with B = 1, are the heap layout already.
    if (!this.batchFirst || B === 1) { f.set(src.length === T * B * F ? src : src.subarray(0, T * B * F), o); return; }
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) f.set(src.subarray((b * T + t) * F, (b * T + t + 1) * F), o + (t * B + b) * F);
    }
  }

  /** Reads time-major heap rows back into the caller's layout. */
  private getSeq(src: number, T: number, B: number, F: number): Float32Array {
    const f = this.be.heap.f32, o = src >> 2;
    if (!this.batchFirst || B === 1) return f.slice(o, o + T * B * F);
    const out = new Float32Array(T * B * F);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) out.set(f.subarray(o + (t * B + b) * F, o + (t * B + b + 1) * F), (b * T + t) * F);
    }
    return out;
  }

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
      if (this.cell !== 'LSTM') throw argError(where, 'options.c0', `undefined (${this.name} has no cell state)`, opts.c0);
      checkTensor(where, 'c0', opts.c0, this.stateShape(B), '[numLayers·D, B, hiddenSize]');
      checkFinite(where, 'c0', opts.c0.data, opts.c0.shape);
    }
    const maskArr = this.buildMask(where, opts, T, B);
    const ws = this.prepare(T, B);
    this.putSeq(x.data, T, B, this.inputSize, ws.x0);
    // Σx² in float64 is finite exactly when every x is (a finite float32
    // squared cannot overflow it); one SIMD pass, and the element-wise scan
    // only to name the culprit.
    if (!Number.isFinite(this.be.k.f32_sumsq(T * B * this.inputSize, ws.x0))) checkFinite(where, 'x', x.data, x.shape);
    if (maskArr) this.be.heap.write(ws.mask, maskArr);
    this.runForward(T, B, maskArr !== null, train, opts.h0?.data ?? null, opts.c0?.data ?? null);
    const { heap } = this.be;
    const H = this.hiddenSize, L = this.numLayers, D = this.D, DH = D * H;

    const output: Tensor = { data: this.getSeq(this.outputPtr(), T, B, DH), shape: this.seqShape(T, B, DH) };
    const h = new Float32Array(L * D * B * H);
    const c = this.cell === 'LSTM' ? new Float32Array(L * D * B * H) : null;
    for (let l = 0; l < L; l++) {
      for (let d = 0; d < D; d++) {
        const o = (l * D + d) * B * H;
        h.set(heap.view(this.finalStatePtr(l, d), B * H), o);
        if (c) c.set(heap.view(this.finalStatePtr(l, d, true), B * H), o);
      }
    }
    const res: ForwardResult = { output, h: { data: h, shape: this.stateShape(B) } };
    if (c) res.c = { data: c, shape: this.stateShape(B) };
    return res;
  }

  /**
   * @internal Heap-level forward for models: x is already in {@link prepare}'s
   * x0 ([T, B, I] time-major) and, when masked, the mask in its mask slot.
   * Initial states come from a Float32Array, a heap pointer to
   * [numLayers·D, B, H], or zeros (null).
   */
  runForward(T: number, B: number, masked: boolean, train: boolean,
             h0: Float32Array | number | null, c0: Float32Array | number | null): void {
    const { k } = this.be;
    const ws = this.ws!;
    const H = this.hiddenSize, L = this.numLayers, D = this.D, G = this.gates * H, DH = D * H;
    const mask = masked ? ws.mask : 0;
    const useDropout = train && this.dropout > 0 && L > 1;
    const rdrop = train && this.recurrentDropout > 0;

    let input = ws.x0;
    for (let l = 0; l < L; l++) {
      const I = this.layerInput(l);
      for (let d = 0; d < D; d++) {
        const pk = this.packs[l]![d]!;
        const g = ws.g[l]![d]!, sh = ws.sh[l]![d]!, sc = ws.sc[l]![d]!, gh = ws.gh[l]![d]!;
        const rev = d === 1;
        const start = rev ? T : 0; // index of the initial state in S
        const sIdx = (l * D + d) * B * H;
        this.loadState(sh + 4 * start * B * H, h0, sIdx, B * H);
        if (this.cell === 'LSTM') this.loadState(sc + 4 * start * B * H, c0, sIdx, B * H);
        // Input projection of every step at once; the GEMM adds the biases
        // as it stores (b_ih + b_hh for LSTM/RNN; b_ih for GRU, whose b_hh
        // each step's recurrent product adds).
        const gru = this.cell === 'GRU';
        k.f32_gemm_pb(0, T * B, G, I, 1, input, I, pk.wih, 0, g, G, this.bias ? (gru ? pk.bih : pk.bsum) : 0);
        const yBase = ws.y[l]! + 4 * d * H;
        const rdm = ws.rdm[l]![d]!, hm = ws.hm[l]![d]!;
        if (rdrop) {
          const keep = 1 - this.recurrentDropout, scale = 1 / keep, m = this.be.heap.view(rdm, B * H);
          for (let i = 0; i < B * H; i++) m[i] = this.random.next() < keep ? scale : 0;
        }
        for (let step = 0; step < T; step++) {
          const t = rev ? T - 1 - step : step;
          const prev = rev ? t + 1 : t, next = rev ? t : t + 1;
          const gt = g + 4 * t * B * G, hNext = sh + 4 * next * B * H;
          let hPrev = sh + 4 * prev * B * H;
          const mt = mask ? mask + 4 * t * B : 0, yt = yBase + 4 * t * B * DH;
          // What enters the recurrent product: h_{t−1}, or h_{t−1} ⊙ mask (kept for backward).
          let hIn = hPrev;
          if (rdrop) { hIn = hm + 4 * t * B * H; k.f32_mul(B * H, hPrev, rdm, hIn); }
          if (gru) {
            const ght = gh + 4 * t * B * G;
            k.f32_gemm_pb(0, B, G, H, 1, hIn, H, pk.whh, 0, ght, G, pk.bhh);
            k.f32_gru_cell_fwd(B, H, gt, ght, hPrev, hNext, mt, yt, DH);
          } else {
            k.f32_gemm_pb(0, B, G, H, 1, hIn, H, pk.whh, 1, gt, G, 0);
            if (this.cell === 'LSTM') {
              k.f32_lstm_cell_fwd(B, H, gt, sc + 4 * prev * B * H, hPrev, sc + 4 * next * B * H, hNext, mt, yt, DH);
            } else {
              k.f32_rnn_cell_fwd(B, H, this.cell === 'RNN_RELU' ? 1 : 0, gt, hPrev, hNext, mt, yt, DH);
            }
          }
        }
      }
      input = ws.y[l]!;
      if (useDropout && l < L - 1) {
        const n = T * B * DH, keep = 1 - this.dropout, scale = 1 / keep;
        const m = this.be.heap.view(ws.drop[l]!, n);
        for (let i = 0; i < n; i++) m[i] = this.random.next() < keep ? scale : 0;
        k.f32_mul(n, ws.y[l]!, ws.drop[l]!, ws.dropped[l]!);
        input = ws.dropped[l]!;
      }
    }
    this.last = { T, B, masked, dropout: useDropout, rdrop };
  }

  /** @internal Makes packed weights and a workspace for (T, B) ready; returns the workspace. */
  prepare(T: number, B: number): { x0: number; mask: number } {
    this.ensurePacked();
    return this.ensureWorkspace(T, B);
  }

  /** @internal The last layer's output of the last forward pass: [T, B, D·H] time-major. */
  outputPtr(): number {
    return this.ws!.y[this.numLayers - 1]!;
  }

  /** @internal Pointer to the final hidden (or cell) state [B, H] of layer l, direction d. */
  finalStatePtr(l: number, d: number, cell = false): number {
    const ws = this.ws!, T = this.last!.T, B = this.last!.B;
    const fin = d === 1 ? 0 : T;
    return (cell ? ws.sc : ws.sh)[l]![d]! + 4 * fin * B * this.hiddenSize;
  }

  private loadState(dst: number, src: Float32Array | number | null, sIdx: number, n: number): void {
    if (src === null) this.be.k.f32_fill(n, 0, dst);
    else if (typeof src === 'number') this.be.k.f32_copy(n, src + 4 * sIdx, dst);
    else this.be.heap.f32.set(src.subarray(sIdx, sIdx + n), dst >> 2);
  }

  private buildMask(where: string, opts: ForwardOptions, T: number, B: number): Float32Array | null {
    if (opts.lengths !== undefined && opts.mask !== undefined) {
      throw argError(where, 'options', 'either lengths or mask, not both', 'both');
    }
    if (opts.lengths !== undefined) {
      const len = opts.lengths;
      if (len === null || typeof len !== 'object' || typeof (len as ArrayLike<number>).length !== 'number') {
        throw argError(where, 'options.lengths', `an array of ${B} integers in [0, ${T}]`, len);
      }
      if (len.length !== B) throw argError(where, 'options.lengths.length', `${B} (the batch size)`, len.length);
      let full = true;
      for (let b = 0; b < B; b++) {
        const v = len[b];
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > T) {
          throw argError(where, `options.lengths[${b}]`, `an integer in [0, ${T}] (T)`, v);
        }
        if (v !== T) full = false;
      }
      if (full) return null;
      const m = new Float32Array(T * B);
      for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) m[t * B + b] = t < len[b]! ? 1 : 0;
      return m;
    }
    if (opts.mask !== undefined) {
      checkTensor(where, 'mask', opts.mask, [B, T], '[B, T] of 0 and 1');
      const m = new Float32Array(T * B);
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < T; t++) {
          const v = opts.mask.data[b * T + t]!;
          if (v !== 0 && v !== 1) throw argError(where, `mask[${b},${t}]`, '0 or 1', v);
          m[t * B + b] = v;
        }
      }
      return m;
    }
    return null;
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
    const rec = this.last;
    if (!rec) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: no forward pass to backpropagate through; call forward first`);
    if (opts === null || typeof opts !== 'object') throw argError(where, 'options', 'an object', opts);
    const { T, B } = rec, H = this.hiddenSize, L = this.numLayers, D = this.D, G = this.gates * H, DH = D * H;
    checkTensor(where, 'dOutput', dOutput, this.seqShape(T, B, DH), 'the shape of the last forward output');
    if (opts.dh !== undefined) checkTensor(where, 'dh', opts.dh, this.stateShape(B), '[numLayers·D, B, hiddenSize]');
    if (opts.dc !== undefined) {
      if (this.cell !== 'LSTM') throw argError(where, 'options.dc', `undefined (${this.name} has no cell state)`, opts.dc);
      checkTensor(where, 'dc', opts.dc, this.stateShape(B), '[numLayers·D, B, hiddenSize]');
    }
    const bs = this.prepareBackward();
    this.putSeq(dOutput.data, T, B, DH, bs.dy);
    const dh0 = new Float32Array(L * D * B * H);
    const dc0 = this.cell === 'LSTM' ? new Float32Array(L * D * B * H) : null;
    this.runBackward(opts.dh?.data ?? null, opts.dc?.data ?? null, dh0, dc0);
    const res: BackwardResult = {
      dx: { data: this.getSeq(bs.dx, T, B, this.inputSize), shape: this.seqShape(T, B, this.inputSize) },
      dh0: { data: dh0, shape: this.stateShape(B) },
    };
    if (dc0) res.dc0 = { data: dc0, shape: this.stateShape(B) };
    return res;
  }

  // dh += dG·W_hh, through the recurrent dropout mask when there is one.
  private recurrentGrad(B: number, H: number, G: number, dG: number, whhB: number, mask: number, bs: BackSpace): void {
    const { k } = this.be;
    if (!mask) { k.f32_gemm_pb(0, B, H, G, 1, dG, G, whhB, 1, bs.dh, H, 0); return; }
    k.f32_gemm_pb(0, B, H, G, 1, dG, G, whhB, 0, bs.tmp, H, 0);
    k.f32_mul(B * H, bs.tmp, mask, bs.tmp);
    k.f32_add(B * H, bs.dh, bs.tmp, bs.dh);
  }

  /** @internal Backward space for the last forward pass; dy ([T, B, D·H]) is where the output gradient goes, dx where dX comes out. */
  prepareBackward(): { dy: number; dx: number } {
    const rec = this.last!;
    this.ensurePacked();
    const bs = this.ensureBackSpace(rec.T, rec.B);
    return { dy: bs.dy[this.numLayers - 1]!, dx: bs.dx0 };
  }

  /**
   * @internal Heap-level backward of the last forward pass, with the output
   * gradient already in prepareBackward().dy; dh/dc (final-state gradients)
   * from a Float32Array, a heap pointer to [numLayers·D, B, H], or none.
   */
  runBackward(dh: Float32Array | number | null, dc: Float32Array | number | null,
              dh0: Float32Array | null, dc0: Float32Array | null): void {
    const rec = this.last!;
    const { k, heap } = this.be;
    const ws = this.ws!, bs = this.bs!;
    const { T, B } = rec, H = this.hiddenSize, L = this.numLayers, D = this.D, G = this.gates * H, DH = D * H;
    const mask = rec.masked ? ws.mask : 0;

    for (let l = L - 1; l >= 0; l--) {
      const I = this.layerInput(l);
      const input = l === 0 ? ws.x0 : rec.dropout ? ws.dropped[l - 1]! : ws.y[l - 1]!;
      const dInput = l === 0 ? bs.dx0 : bs.dy[l - 1]!;
      const dy = bs.dy[l]!;
      for (let d = 0; d < D; d++) {
        const s = this.suffix(l, d), pk = this.packs[l]![d]!, rev = d === 1;
        const g = ws.g[l]![d]!, gh = ws.gh[l]![d]!, sh = ws.sh[l]![d]!, sc = ws.sc[l]![d]!;
        const sIdx = (l * D + d) * B * H;
        this.loadState(bs.dh, dh, sIdx, B * H);
        if (this.cell === 'LSTM') this.loadState(bs.dc, dc, sIdx, B * H);
        const dyBase = dy + 4 * d * H;
        for (let step = 0; step < T; step++) {
          const t = rev ? step : T - 1 - step;
          const prev = rev ? t + 1 : t, next = rev ? t : t + 1;
          const gt = g + 4 * t * B * G, dgt = bs.dg + 4 * t * B * G;
          const mt = mask ? mask + 4 * t * B : 0, dyt = dyBase + 4 * t * B * DH;
          if (this.cell === 'GRU') {
            const dght = bs.dgh + 4 * t * B * G;
            k.f32_gru_cell_bwd(B, H, gt, gh + 4 * t * B * G, sh + 4 * prev * B * H, mt, dyt, DH, bs.dh, dgt, dght);
            this.recurrentGrad(B, H, G, dght, pk.whhB, rec.rdrop ? ws.rdm[l]![d]! : 0, bs);
          } else {
            if (this.cell === 'LSTM') {
              k.f32_lstm_cell_bwd(B, H, gt, sc + 4 * prev * B * H, sc + 4 * next * B * H, mt, dyt, DH, bs.dh, bs.dc, dgt);
            } else {
              k.f32_rnn_cell_bwd(B, H, this.cell === 'RNN_RELU' ? 1 : 0, sh + 4 * next * B * H, mt, dyt, DH, bs.dh, dgt);
            }
            this.recurrentGrad(B, H, G, dgt, pk.whhB, rec.rdrop ? ws.rdm[l]![d]! : 0, bs);
          }
        }
        if (dh0) dh0.set(heap.view(bs.dh, B * H), sIdx);
        if (dc0) dc0.set(heap.view(bs.dc, B * H), sIdx);
        // Parameter gradients and dX: three big GEMMs over all steps.
        const dGx = bs.dg, dGh = this.cell === 'GRU' ? bs.dgh : bs.dg;
        const hPrevAll = rec.rdrop ? ws.hm[l]![d]! : sh + 4 * (rev ? 1 : 0) * B * H;
        k.f32_gemm(1, 0, G, I, T * B, 1, dGx, G, input, I, 1, this.params.g(`weight_ih_${s}`), I);
        k.f32_gemm(1, 0, G, H, T * B, 1, dGh, G, hPrevAll, H, 1, this.params.g(`weight_hh_${s}`), H);
        if (this.bias) {
          k.f32_sum_rows(T * B, G, dGx, G, this.params.g(`bias_ih_${s}`));
          k.f32_sum_rows(T * B, G, dGh, G, this.params.g(`bias_hh_${s}`));
        }
        k.f32_gemm_pb(0, T * B, I, G, 1, dGx, G, pk.wihB, d === 0 ? 0 : 1, dInput, I, 0);
      }
      if (l > 0 && rec.dropout) k.f32_mul(T * B * DH, dInput, ws.drop[l - 1]!, dInput);
    }
  }

  // ------------------------------------------------------------ streaming --

  /**
   * A zeroed streaming state for `batch` sequences (unidirectional layers).
   *
   * @example
   * const state = lstm.zeroState(1);
   * for (const xt of frames) { const y = lstm.step(xt, state); }
   */
  zeroState(batch = 1): StreamState & { readonly _ptrs: StatePtrs } {
    const where = `${this.name}.zeroState`;
    this.life.check(where);
    if (this.bidirectional) throw argError(where, 'this.bidirectional', 'false (a reverse direction needs the whole sequence)', true);
    const B = checkInt(where, 'batch', batch, 1);
    const { heap } = this.be, H = this.hiddenSize, G = this.gates * H, L = this.numLayers;
    const states = this.states;
    const state = {} as StreamState & { readonly _ptrs: StatePtrs };
    // The state's blocks have their own owner: freed by its dispose(), by the
    // layer's, or when the program drops the state.
    const life: Lifetime = new Lifetime(heap, `${this.name} streaming state`, state, () => { states.delete(life); });
    states.add(life);
    const own = life.owner;
    const xh: number[] = [], h: number[] = [], c: number[] = [];
    for (let l = 0; l < L; l++) {
      xh.push(heap.zeros(B * (this.layerInput(l) + H), own));
      h.push(heap.zeros(B * H, own));
      c.push(this.cell === 'LSTM' ? heap.zeros(B * H, own) : 0);
    }
    const g = heap.alloc(B * G, own), gh = this.cell === 'GRU' ? heap.alloc(B * G, own) : 0;
    const ptrs: StatePtrs = { B, xh, h, c, g, gh, out: { data: new Float32Array(B * H), shape: [B, H] }, owner: this, life };
    const self = this;
    const read = (arr: number[]): Tensor => {
      life.check(`${self.name} state`);
      const out = new Float32Array(L * B * H);
      arr.forEach((p, l) => out.set(heap.view(p, B * H), l * B * H));
      return { data: out, shape: [L, B, H] };
    };
    return Object.defineProperties(state, {
      batch: { value: B, enumerable: true },
      _ptrs: { value: ptrs },
      h: { get() { return read(h); }, enumerable: true },
      c: { get() { return self.cell === 'LSTM' ? read(c) : undefined; }, enumerable: true },
      reset: { value() {
        life.check(`${self.name} state.reset`);
        for (let l = 0; l < L; l++) {
          self.be.k.f32_fill(B * (self.layerInput(l) + H), 0, xh[l]!);
          self.be.k.f32_fill(B * H, 0, h[l]!);
          if (c[l]) self.be.k.f32_fill(B * H, 0, c[l]!);
        }
      } },
      dispose: { value() { life.dispose(); } },
      ...(Symbol.dispose ? { [Symbol.dispose]: { value() { life.dispose(); } } } : {}),
    });
  }

  /**
   * One time step for every sequence of a streaming state: xt [B, inputSize]
   * (a tensor, or a Float32Array of B·inputSize) → the last layer's output
   * [B, hiddenSize]. The state is updated in place.
   * The returned tensor is reused by the next call on the same state.
   */
  step(xt: Tensor | Float32Array, state: StreamState): Tensor {
    const where = `${this.name}.step`;
    this.life.check(where);
    const ps = (state as { _ptrs?: StatePtrs } | null)?._ptrs;
    if (!ps || ps.owner !== this) throw argError(where, 'state', 'a state from this layer\'s zeroState()', state);
    if (ps.life.disposed) throw new SimdRnnError('DISPOSED', `${where}: state was disposed; make a new one with zeroState()`);
    const B = ps.B, H = this.hiddenSize, G = this.gates * H;
    // The common, valid case is checked without allocating (no wrapper, no
    // subarray: this runs every step); anything else gets the full check.
    const bare = xt instanceof Float32Array;
    const d = (bare ? xt : (xt as Tensor | null)?.data) as Float32Array;
    const sh = bare ? null : (xt as Tensor | null)?.shape;
    if (!(d instanceof Float32Array && d.length === B * this.inputSize && (bare || (sh?.length === 2 && sh[0] === B && sh[1] === this.inputSize)))) {
      checkTensor(where, 'xt', bare ? { data: d, shape: [d.length / this.inputSize, this.inputSize] } : xt, [B, this.inputSize], `[B, inputSize] with B = ${B}`);
    }
    let finite = 0;
    for (let i = 0; i < d.length; i++) finite += d[i]! * 0;
    if (finite !== 0) checkFinite(where, 'xt', d, [B, this.inputSize]);
    this.ensurePacked();
    const { k, heap } = this.be;
    const I0 = this.inputSize;
    const f = heap.f32, x0 = ps.xh[0]! >> 2;
    if (B === 1) f.set(d, x0);
    else for (let b = 0; b < B; b++) for (let i = 0; i < I0; i++) f[x0 + b * (I0 + H) + i] = d[b * I0 + i]!;
    for (let l = 0; l < this.numLayers; l++) {
      const I = this.layerInput(l), pk = this.packs[l]![0]!;
      const xh = ps.xh[l]!, h = ps.h[l]!, ld = I + H;
      if (this.cell === 'GRU') {
        k.f32_gemm_pb(0, B, G, I, 1, xh, ld, pk.wih, 0, ps.g, G, pk.bih);
        k.f32_gemm_pb(0, B, G, H, 1, h, H, pk.whh, 0, ps.gh, G, pk.bhh);
        k.f32_gru_cell_fwd(B, H, ps.g, ps.gh, h, h, 0, xh + 4 * I, ld);
      } else {
        if (!pk.wcat) this.packCat(l, 0);
        k.f32_gemm_pb(0, B, G, I + H, 1, xh, ld, pk.wcat, 0, ps.g, G, this.bias ? pk.bsum : 0);
        if (this.cell === 'LSTM') k.f32_lstm_cell_fwd(B, H, ps.g, ps.c[l]!, h, ps.c[l]!, h, 0, xh + 4 * I, ld);
        else k.f32_rnn_cell_fwd(B, H, this.cell === 'RNN_RELU' ? 1 : 0, ps.g, h, h, 0, xh + 4 * I, ld);
      }
      if (l + 1 < this.numLayers) k.f32_copy2d(B, H, h, H, ps.xh[l + 1]!, this.layerInput(l + 1) + H);
    }
    // A plain loop: no subarray object per step.
    const out = ps.out.data, g = heap.f32, o = ps.h[this.numLayers - 1]! >> 2;
    for (let i = 0; i < B * H; i++) out[i] = g[o + i]!;
    return ps.out;
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
    return this.params.gradStateDict();
  }

  /** Loads a PyTorch-style state dict; strict: every name and shape must match. */
  loadStateDict(dict: Record<string, Tensor>): void {
    this.life.check(`${this.name}.loadStateDict`);
    this.params.load(`${this.name}.loadStateDict`, dict);
  }

  zeroGrad(): void {
    this.life.check(`${this.name}.zeroGrad`);
    this.params.zeroGrad();
  }

  /** The options that rebuild this layer (for saving). */
  config(): Record<string, unknown> {
    this.life.check(`${this.name}.config`);
    const type = this.cell === 'LSTM' ? 'LSTM' : this.cell === 'GRU' ? 'GRU' : 'RNN';
    const c: Record<string, unknown> = {
      type, inputSize: this.inputSize, hiddenSize: this.hiddenSize, numLayers: this.numLayers,
      bidirectional: this.bidirectional, dropout: this.dropout, bias: this.bias, batchFirst: this.batchFirst,
    };
    if (this.recurrentDropout > 0) c.recurrentDropout = this.recurrentDropout;
    if (type === 'RNN') c.nonlinearity = this.cell === 'RNN_RELU' ? 'relu' : 'tanh';
    return c;
  }

  /** Number of parameters. */
  get numParams(): number {
    this.life.check(`${this.name}.numParams`);
    return this.params.size;
  }

  /** Whether dispose() was called (on this layer or on its model). */
  get disposed(): boolean {
    return this.life.disposed;
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
    for (const st of [...this.states]) st.dispose();
    if (!this.life.dispose()) return;
    this.packs = [];
    this.ws = this.bs = null;
    this.last = null;
    this.params.detach();
  }
}
disposable(Recurrent);

interface StatePtrs {
  B: number;
  xh: number[];
  h: number[];
  c: number[];
  g: number;
  gh: number;
  out: Tensor;
  owner: Recurrent;
  life: Lifetime;
}
