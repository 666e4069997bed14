// A fully connected layer over rows: y = act(x·Wᵀ + b), PyTorch's nn.Linear
// (weight [out, in], bias [out], init U(−1/√in, 1/√in)) with an optional
// activation. Rows are whatever the model feeds it: B sequences' last steps,
// or T·B steps.
import { getBackend } from '../backend/index.js';
import type { Backend, Kernels } from '../backend/backend.js';
import { packedSize } from '../backend/kernel_args.js';
import { Carve } from '../backend/carve.js';
import { SimdRnnError, argError } from '../errors.js';
import { Int8Products, type Int8Matrix } from './int8.js';
import type { Tensor } from '../tensor.js';
import { rng, randomSeed } from '../util/rng.js';
import { Params } from './params.js';
import { checkInt, checkBool, checkTensor, checkFinite, dflt, checkKeys, keysOf } from './validate.js';
import { Lifetime, disposable } from '../util/lifetime.js';

/** What `Linear.config()` gives: the options that rebuild the layer, with its type. */
export interface LinearConfig {
  /** Always 'Linear'. */
  type: 'Linear';
  /** Input width. */
  inFeatures: number;
  /** Output width. */
  outFeatures: number;
  /** Whether there is a bias. */
  bias: boolean;
  /** The activation after the product. */
  activation: Activation;
}

/** Linear's activation after x·Wᵀ + b. */
export type Activation = 'none' | 'tanh' | 'relu' | 'sigmoid';

/** Options of `new Linear(options)`. */
export interface LinearOptions {
  /** Input features. */
  inFeatures: number;
  /** Output features. */
  outFeatures: number;
  /** Add a bias (default true). */
  bias?: boolean;
  /** Applied after the affine map (default 'none'). */
  activation?: Activation;
  /** Seed of the default initialization U(−1/√in, 1/√in), PyTorch's (default: random). */
  seed?: number;
}
const LINEAR_KEYS = keysOf<LinearOptions>()(['inFeatures', 'outFeatures', 'bias', 'activation', 'seed']);


const ACTS: readonly Activation[] = ['none', 'tanh', 'relu', 'sigmoid'];

/**
 * @example
 * const head = new Linear({ inFeatures: 32, outFeatures: 1 });
 * const y = head.forward(tensor(x, [8, 32]));   // [8, 1]
 */
export class Linear {
  /** Input features. */
  readonly inFeatures: number;
  /** Output features. */
  readonly outFeatures: number;
  /** Whether there is a bias. */
  readonly bias: boolean;
  /** The activation applied after the product. */
  readonly activation: Activation;
  /** @internal */
  readonly params: Params;
  private readonly be: Backend;
  private ws = { rows: 0, x: 0, y: 0, dz: 0, dx: 0 };
  /** The layer's own block (0 while it works in a model's arena), and that arena. */
  private ownWs = 0;
  private arena: object | null = null;
  /** Whether the last forward was the public forward() (what backward() continues). */
  private lastPublic = false;
  // Wᵀ packed once per parameter version (a streaming step would otherwise repack it every call).
  private packed = { ptr: 0, version: -1 };
  // quantize(): int8 weights (the packed pointer is then their handle) and the kernels that read them.
  private int8: Int8Products | null = null;
  private k8: Kernels | null = null;
  private lastX = 0;
  private readonly life: Lifetime;
  /** @internal The model this layer belongs to. */
  model: object | null = null;
  /** `using` calls dispose() at the end of the block. */
  declare [Symbol.dispose]: () => void;

  constructor(opts: LinearOptions) {
    if (opts === null || typeof opts !== 'object') throw argError('Linear', 'options', 'an object', opts);
    checkKeys('Linear', 'options', opts, LINEAR_KEYS);
    this.inFeatures = checkInt('Linear', 'inFeatures', opts.inFeatures, 1);
    this.outFeatures = checkInt('Linear', 'outFeatures', opts.outFeatures, 1);
    this.bias = checkBool('Linear', 'bias', dflt(opts.bias, true));
    const act = dflt(opts.activation, 'none');
    if (!ACTS.includes(act)) throw argError('Linear', 'activation', ACTS.map((a) => `'${a}'`).join(' | '), act);
    this.activation = act;
    const seed = opts.seed === undefined ? randomSeed() : checkInt('Linear', 'seed', opts.seed, 0, 2 ** 32 - 1);
    this.be = getBackend();
    this.life = new Lifetime(this.be.heap, 'Linear', this);
    const specs = [{ name: 'weight', shape: [this.outFeatures, this.inFeatures] }];
    if (this.bias) specs.push({ name: 'bias', shape: [this.outFeatures] });
    this.params = new Params(this.be, specs, this.life.owner);
    const r = rng(seed), k = 1 / Math.sqrt(this.inFeatures);
    const v = this.be.heap.view(this.params.ptr, this.params.size);
    for (let i = 0; i < v.length; i++) v[i] = (2 * r() - 1) * k;
  }

  // Buffers for `rows` rows, laid out from c: x (the layer's own input, when it has one), y, dz (an activation's backward), dx.
  private layout(c: Carve, rows: number, input: boolean, backward: boolean): { rows: number; x: number; y: number; dz: number; dx: number } {
    const I = this.inFeatures, O = this.outFeatures;
    return { rows, x: c.maybe(rows * I, input), y: c.take(rows * O), dz: c.maybe(rows * O, backward && this.activation !== 'none'), dx: c.maybe(rows * I, backward) };
  }

  /** @internal Floats of this layer's buffers for `rows` rows in a model's arena (the model hands it its input). */
  arenaSize(rows: number, backward: boolean): number {
    const c = new Carve();
    this.layout(c, rows, false, backward);
    return c.floats;
  }

  /** @internal Places this layer's buffers in a model's arena, freeing its own block. */
  bindArena(arena: object, c: Carve, rows: number, backward: boolean): void {
    if (this.ownWs) this.be.heap.free(this.ownWs, this.life.owner);
    this.ownWs = 0;
    this.ws = this.layout(c, rows, false, backward);
    this.arena = arena;
    this.lastPublic = false;
  }

  /** @internal The output buffer of runForward (rows × outFeatures). */
  outputPtr(): number {
    return this.ws.y;
  }

  /** @internal Whether this layer's buffers sit in that arena. */
  boundTo(arena: object): boolean {
    return this.arena === arena;
  }

  /** @internal Workspace of its own for `rows` rows (forward() from outside a model); returns where x goes. */
  prepare(rows: number): number {
    if (this.ws.rows < rows || this.arena !== null) {
      const heap = this.be.heap;
      if (this.ownWs) heap.free(this.ownWs, this.life.owner);
      this.ownWs = heap.alloc(this.sizeOwn(rows), this.life.owner);
      this.ws = this.layout(new Carve(this.ownWs), rows, true, true);
      this.arena = null;
    }
    return this.ws.x;
  }

  private sizeOwn(rows: number): number {
    const c = new Carve();
    this.layout(c, rows, true, true);
    return c.floats;
  }

  /**
   * @internal Forward of `rows` rows at x (default: prepare()'s buffer; a
   * model passes the previous layer's output, read in place and kept for
   * backward); returns the output pointer.
   */
  runForward(rows: number, x = this.ws.x, y = this.ws.y): number {
    const k = this.k8 ?? this.be.k, I = this.inFeatures, O = this.outFeatures;
    this.lastX = x;
    this.lastPublic = false;
    if (this.packed.version !== this.params.version) {
      if (this.int8) {
        this.packed.ptr = this.int8.handle('weight', O, I); // quantized when written
      } else {
        if (!this.packed.ptr) this.packed.ptr = this.be.heap.alloc(packedSize(I, O), this.life.owner);
        k.f32_pack_b(1, I, O, this.params.p('weight'), I, this.packed.ptr);
      }
      this.packed.version = this.params.version;
    }
    k.f32_gemm_packed_bias(0, rows, O, I, 1, x, I, this.packed.ptr, 0, y, O, this.bias ? this.params.p('bias') : 0);
    const n = rows * O;
    if (this.activation === 'tanh') k.f32_tanh(n, y, y);
    else if (this.activation === 'relu') k.f32_relu(n, y, y);
    else if (this.activation === 'sigmoid') k.f32_sigmoid(n, y, y);
    return y;
  }

  /**
   * @internal Backward of the last runForward: dy [rows, out] at dyPtr;
   * accumulates dW, db; writes dx (to dxOut when given: the previous layer's
   * gradient slot, so nothing is copied) and returns its pointer.
   */
  runBackward(rows: number, dyPtr: number, dxOut = this.ws.dx): number {
    this.checkTrainable('Linear.backward');
    const { k } = this.be, I = this.inFeatures, O = this.outFeatures, w = this.ws, n = rows * O;
    let dz = dyPtr;
    if (this.activation !== 'none') {
      if (this.activation === 'tanh') k.f32_tanh_bwd(n, w.y, dyPtr, w.dz);
      else if (this.activation === 'relu') k.f32_relu_bwd(n, w.y, dyPtr, w.dz);
      else k.f32_sigmoid_bwd(n, w.y, dyPtr, w.dz);
      dz = w.dz;
    }
    k.f32_gemm(1, 0, O, I, rows, 1, dz, O, this.lastX, I, 1, this.params.g('weight'), I);
    if (this.bias) k.f32_sum_rows(rows, O, dz, O, this.params.g('bias'));
    k.f32_gemm(0, 0, rows, I, O, 1, dz, O, this.params.p('weight'), I, 0, dxOut, I);
    return dxOut;
  }

  /** 'int8' for a layer quantize() made (inference only), else null. */
  get quantized(): 'int8' | null {
    return this.int8 ? 'int8' : null;
  }

  /** @internal Makes this layer's product int8 (see quantize()): its weight then lives in int8 only (Int8Products.take). */
  toInt8(): void {
    if (this.int8) return;
    if (this.packed.ptr) this.be.heap.free(this.packed.ptr, this.life.owner);
    this.int8 = Int8Products.take(this.be, this.life.owner, this.params, (n) => n === 'weight');
    this.k8 = this.int8.kernels(this.be.k);
    this.packed = { ptr: 0, version: -1 };
  }

  /** @internal A quantized layer's weight: its int8 values and row scales (empty for an f32 layer). */
  int8Matrices(): Record<string, Int8Matrix> {
    return this.int8?.matrices() ?? {};
  }

  /** @internal Sets a quantized layer's weight to int8 values and row scales as they are (an int8 file). */
  setInt8(name: string, m: Int8Matrix): void {
    this.int8!.setInt8(name, m);
    this.params.touch();
  }

  /** @internal Throws for a quantized layer (inference only). */
  checkTrainable(where: string): void {
    if (this.int8) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: this Linear is quantized (int8) and runs inference only; train the f32 layer, then quantize it again`);
  }

  /** y = act(x·Wᵀ + b) for x [..., inFeatures]. */
  forward(x: Tensor): Tensor {
    this.life.check('Linear.forward');
    const shape = x?.shape;
    checkTensor('Linear.forward', 'x', x, [...(Array.isArray(shape) ? shape.slice(0, -1).map(() => '*') : []), this.inFeatures], `[..., inFeatures], inFeatures = ${this.inFeatures}`);
    checkFinite('Linear.forward', 'x', x.data, x.shape);
    const rows = x.data.length / this.inFeatures;
    this.be.heap.write(this.prepare(rows), x.data);
    const y = this.runForward(rows);
    this.lastRows = rows;
    this.lastPublic = true;
    return { data: this.be.heap.read(y, rows * this.outFeatures), shape: [...x.shape.slice(0, -1), this.outFeatures] };
  }

  private lastRows = 0;

  /** Accumulates dW, db from dy (shape of the last forward output); returns dx. */
  backward(dy: Tensor): {
    /** Gradient w.r.t. the last forward's x, in its shape. */
    dx: Tensor;
  } {
    this.life.check('Linear.backward');
    const rows = this.lastRows;
    if (!rows || !this.lastPublic) throw argError('Linear.backward', 'this', 'a layer with a forward pass to backpropagate through', 'none');
    checkTensor('Linear.backward', 'dy', dy, [...dy.shape.slice(0, -1).map(() => '*'), this.outFeatures]);
    if (dy.data.length !== rows * this.outFeatures) throw argError('Linear.backward', 'dy.data.length', `${rows * this.outFeatures}`, dy.data.length);
    const p = this.be.heap.alloc(dy.data.length, this.life.owner);
    this.be.heap.write(p, dy.data);
    const dx = this.runBackward(rows, p);
    const out = this.be.heap.read(dx, rows * this.inFeatures);
    this.be.heap.free(p, this.life.owner);
    return { dx: { data: out, shape: [...dy.shape.slice(0, -1), this.inFeatures] } };
  }

  /** The options that rebuild this layer (for saving). */
  config(): LinearConfig {
    this.life.check('Linear.config');
    return { type: 'Linear', inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias, activation: this.activation };
  }

  /** The parameters by PyTorch's names, as copies. */
  stateDict(): Record<string, Tensor> { this.life.check('Linear.stateDict'); return this.params.stateDict(); }
  /** The parameter gradients, named like stateDict(). */
  gradStateDict(): Record<string, Tensor> { this.life.check('Linear.gradStateDict'); this.checkTrainable('Linear.gradStateDict'); return this.params.gradStateDict(); }
  /** Loads parameters by name (strict: every name and shape is checked; SHAPE_MISMATCH or INVALID_ARGUMENT otherwise). */
  loadStateDict(dict: Record<string, Tensor>): void { this.life.check('Linear.loadStateDict'); this.params.load('Linear.loadStateDict', dict); }
  /** Sets every parameter gradient to zero. */
  zeroGrad(): void { this.life.check('Linear.zeroGrad'); this.params.zeroGrad(); }
  /** Number of parameters. */
  get numParams(): number { this.life.check('Linear.numParams'); return this.params.count; }
  /** Whether dispose() was called (on this layer or on its model). */
  get disposed(): boolean { return this.life.disposed; }
  /** @internal Throws DISPOSED if this layer was disposed. */
  checkAlive(where: string): void { this.life.check(where); }

  /** Frees the layer's heap regions; afterwards every call throws 'DISPOSED'. A second call does nothing. */
  dispose(): void {
    if (!this.life.dispose()) return;
    this.packed = { ptr: 0, version: -1 };
    this.ws = { rows: 0, x: 0, y: 0, dz: 0, dx: 0 };
    this.ownWs = 0;
    this.arena = null;
    this.params.detach();
  }
}
disposable(Linear);
