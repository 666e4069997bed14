// Optimizers over one flat region of parameters and gradients, each step one
// fused kernel call; schedules scale the learning rate per step. The
// optimizer is a separate object from the model (compile() takes it).
import type { Backend } from '../backend/backend.js';
import { SimdRnnError, argError } from '../errors.js';
import { Lifetime, disposable } from '../util/lifetime.js';
import type { Optimizer, OptimizerState, Schedule } from '../model/contracts.js';
import { provideTraining } from '../model/training.js';
import { checkBool, checkKeys, keysOf } from '../layers/validate.js';
import { seq2seqTraining } from './seq2seq.js';
import { compile, trainOnBatch, evaluate } from './trainer.js';
import { fit } from './fit.js';
import { fitStream, evaluateStream } from './stream.js';

export type { Optimizer, OptimizerState, Schedule } from '../model/contracts.js';

function num(where: string, name: string, v: unknown, dflt: number, lo: number, hi = Infinity, loOpen = false): number {
  const x = v === undefined ? dflt : v;
  if (typeof x !== 'number' || !Number.isFinite(x) || (loOpen ? x <= lo : x < lo) || x > hi) {
    throw argError(where, name, `a number in ${loOpen ? '(' : '['}${lo}, ${hi === Infinity ? '∞)' : `${hi}]`}`, x);
  }
  return x;
}

abstract class Base implements Optimizer {
  abstract readonly name: string;
  readonly lr: number;
  protected be: Backend | null = null;
  protected n = 0;
  protected bufs: number[] = [];
  private backup = 0; // nBufs·n floats: the state before the last update (see snapshot)
  private backupSteps = 0;
  private life: Lifetime | null = null;
  private model: object | null = null;
  private dead = false;
  private steps_ = 0;
  /** `using` calls dispose() at the end of the block. */
  declare [Symbol.dispose]: () => void;
  constructor(lr: number, private readonly nBufs: number) {
    this.lr = lr;
  }
  get steps(): number {
    return this.steps_;
  }
  protected set steps(v: number) {
    this.steps_ = v;
  }
  get disposed(): boolean {
    return this.dead;
  }
  protected check(where: string): void {
    if (this.dead) {
      throw new SimdRnnError('DISPOSED', `${this.name}.${where}: this optimizer was disposed (with its model, or by dispose()); make a new one`);
    }
  }
  bind(be: Backend, n: number, model: object): void {
    this.check('bind');
    if (this.model !== null && this.model !== model) {
      throw new SimdRnnError('INVALID_ARGUMENT',
        `compile: this ${this.name} optimizer is already compiled into another model; an optimizer belongs to one model (make a new one with optim.${this.name}())`);
    }
    if (this.be === be && this.n === n) return;
    this.life?.dispose();
    this.model = model;
    this.be = be;
    this.n = n;
    this.life = new Lifetime(be.heap, `${this.name} optimizer`, this);
    const own = this.life.owner;
    this.bufs = Array.from({ length: this.nBufs }, () => be.heap.zeros(n, own));
    this.backup = 0;
  }
  abstract update(p: number, g: number, lr: number): void;
  snapshot(): void {
    this.check('snapshot');
    const be = this.be!;
    if (!this.backup && this.nBufs) this.backup = be.heap.alloc(this.nBufs * this.n, this.life!.owner);
    this.bufs.forEach((b, i) => be.k.f32_copy(this.n, b, this.backup + 4 * i * this.n));
    this.backupSteps = this.steps_;
  }
  restore(): void {
    this.check('restore');
    const be = this.be!;
    this.bufs.forEach((b, i) => be.k.f32_copy(this.n, this.backup + 4 * i * this.n, b));
    this.steps_ = this.backupSteps;
  }
  getState(): OptimizerState {
    this.check('getState');
    return { step: this.steps, buffers: this.bufs.map((b) => this.be!.heap.read(b, this.n)) };
  }
  setState(s: OptimizerState): void {
    this.check('setState');
    if (!this.be) throw argError(`${this.name}.setState`, 'this', 'an optimizer bound to a model (compile first)', 'unbound');
    if (s === null || typeof s !== 'object' || !Array.isArray(s.buffers)) throw argError(`${this.name}.setState`, 'state', '{ step, buffers }', s);
    if (s.buffers.length !== this.bufs.length || s.buffers.some((b) => !(b instanceof Float32Array) || b.length !== this.n)) {
      throw argError(`${this.name}.setState`, 'state.buffers', `${this.bufs.length} Float32Arrays of ${this.n}`, `${s.buffers.length} arrays`);
    }
    if (!Number.isSafeInteger(s.step) || s.step < 0) throw argError(`${this.name}.setState`, 'state.step', 'an integer ≥ 0', s.step);
    s.buffers.forEach((b, i) => this.be!.heap.write(this.bufs[i]!, b));
    this.steps = s.step;
  }
  dispose(): void {
    if (this.dead) return;
    this.dead = true;
    this.life?.dispose();
    this.bufs = [];
    this.be = null;
  }
}
disposable(Base);

/** Options of optim.sgd (torch.optim.SGD). */
export interface SGDOptions {
  /** Learning rate (default 0.01, > 0). */
  lr?: number;
  /** Momentum factor (default 0). */
  momentum?: number;
  /** Dampening of the momentum, in [0, 1] (default 0). */
  dampening?: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  nesterov?: boolean;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
}
class SGD extends Base {
  readonly name = 'sgd';
  readonly momentum: number; readonly dampening: number; readonly nesterov: boolean; readonly weightDecay: number;
  constructor(o: SGDOptions) {
    super(num('optim.sgd', 'lr', o.lr, 0.01, 0, Infinity, true), 1);
    this.momentum = num('optim.sgd', 'momentum', o.momentum, 0, 0);
    this.dampening = num('optim.sgd', 'dampening', o.dampening, 0, 0, 1);
    this.weightDecay = num('optim.sgd', 'weightDecay', o.weightDecay, 0, 0);
    this.nesterov = checkBool('optim.sgd', 'nesterov', o.nesterov ?? false);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw argError('optim.sgd', 'nesterov', 'false unless momentum > 0 and dampening = 0 (as in PyTorch)', true);
    }
  }
  update(p: number, g: number, lr: number): void {
    this.check('update');
    this.steps++;
    this.be!.k.f32_sgd_update(this.n, p, g, this.bufs[0]!, lr, this.momentum, this.dampening, this.weightDecay,
      this.nesterov ? 1 : 0, this.steps === 1 ? 1 : 0);
  }
}

/** Options of optim.adam and optim.adamw (torch.optim.Adam, AdamW). */
export interface AdamOptions {
  /** Learning rate (default 0.001, > 0). */
  lr?: number;
  /** Decay rates of the first and second moments, each in [0, 1) (default [0.9, 0.999]). */
  betas?: [number, number];
  /** Added to the denominator (default 1e-8). */
  eps?: number;
  /** Adam: L2 penalty added to the gradient (default 0); AdamW: decoupled decay (default 0.01). */
  weightDecay?: number;
}
class Adam extends Base {
  readonly b1: number; readonly b2: number; readonly eps: number; readonly weightDecay: number;
  constructor(readonly name: 'adam' | 'adamw', o: AdamOptions) {
    super(num(`optim.${name}`, 'lr', o.lr, 0.001, 0, Infinity, true), 2);
    const betas = o.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas) || betas.length !== 2) throw argError(`optim.${name}`, 'betas', '[beta1, beta2]', betas);
    this.b1 = num(`optim.${name}`, 'betas[0]', betas[0], 0.9, 0, 1);
    this.b2 = num(`optim.${name}`, 'betas[1]', betas[1], 0.999, 0, 1);
    this.eps = num(`optim.${name}`, 'eps', o.eps, 1e-8, 0);
    this.weightDecay = num(`optim.${name}`, 'weightDecay', o.weightDecay, name === 'adamw' ? 0.01 : 0, 0);
  }
  update(p: number, g: number, lr: number): void {
    this.check('update');
    this.steps++;
    const t = this.steps, bc1 = 1 - this.b1 ** t, bc2 = 1 - this.b2 ** t;
    const f = this.name === 'adam' ? this.be!.k.f32_adam_update : this.be!.k.f32_adamw_update;
    f(this.n, p, g, this.bufs[0]!, this.bufs[1]!, lr, this.b1, this.b2, this.eps, this.weightDecay, bc1, bc2);
  }
}

/** Options of optim.rmsprop (torch.optim.RMSprop). */
export interface RMSpropOptions {
  /** Learning rate (default 0.01, > 0). */
  lr?: number;
  /** Smoothing constant of the squared-gradient average, in [0, 1] (default 0.99). */
  alpha?: number;
  /** Added to the denominator (default 1e-8). */
  eps?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** Momentum factor (default 0). */
  momentum?: number;
  /** Normalize by the gradient's estimated variance instead of its second moment (default false). */
  centered?: boolean;
}
class RMSprop extends Base {
  readonly name = 'rmsprop';
  readonly alpha: number; readonly eps: number; readonly weightDecay: number; readonly momentum: number; readonly centered: boolean;
  constructor(o: RMSpropOptions) {
    super(num('optim.rmsprop', 'lr', o.lr, 0.01, 0, Infinity, true), 3);
    this.alpha = num('optim.rmsprop', 'alpha', o.alpha, 0.99, 0, 1);
    this.eps = num('optim.rmsprop', 'eps', o.eps, 1e-8, 0);
    this.weightDecay = num('optim.rmsprop', 'weightDecay', o.weightDecay, 0, 0);
    this.momentum = num('optim.rmsprop', 'momentum', o.momentum, 0, 0);
    this.centered = checkBool('optim.rmsprop', 'centered', o.centered ?? false);
  }
  update(p: number, g: number, lr: number): void {
    this.check('update');
    this.steps++;
    this.be!.k.f32_rmsprop_update(this.n, p, g, this.bufs[0]!, this.bufs[1]!, this.bufs[2]!, lr, this.alpha, this.eps,
      this.weightDecay, this.momentum, this.centered ? 1 : 0);
  }
}

/** Options of optim.adagrad (torch.optim.Adagrad). */
export interface AdagradOptions {
  /** Learning rate (default 0.01, > 0). */
  lr?: number;
  /** Learning-rate decay per step (default 0). */
  lrDecay?: number;
  /** Added to the denominator (default 1e-10). */
  eps?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** Starting value of the squared-gradient sums (default 0). */
  initialAccumulatorValue?: number;
}
class Adagrad extends Base {
  readonly name = 'adagrad';
  readonly lrDecay: number; readonly eps: number; readonly weightDecay: number; readonly init: number;
  constructor(o: AdagradOptions) {
    super(num('optim.adagrad', 'lr', o.lr, 0.01, 0, Infinity, true), 1);
    this.lrDecay = num('optim.adagrad', 'lrDecay', o.lrDecay, 0, 0);
    this.eps = num('optim.adagrad', 'eps', o.eps, 1e-10, 0);
    this.weightDecay = num('optim.adagrad', 'weightDecay', o.weightDecay, 0, 0);
    this.init = num('optim.adagrad', 'initialAccumulatorValue', o.initialAccumulatorValue, 0, 0);
  }
  override bind(be: Backend, n: number, model: object): void {
    const fresh = !(this.be === be && this.n === n);
    super.bind(be, n, model);
    if (fresh && this.init) be.k.f32_fill(n, this.init, this.bufs[0]!);
  }
  update(p: number, g: number, lr: number): void {
    this.check('update');
    this.steps++;
    this.be!.k.f32_adagrad_update(this.n, p, g, this.bufs[0]!, lr, this.eps, this.weightDecay, this.lrDecay, this.steps);
  }
}

/** Learning-rate schedules for compile({ schedule }): each gives the factor on lr at optimizer step s (from 1). */
export const schedules = {
  /** lr · gamma^floor((step−1)/stepSize), like StepLR stepped per batch. */
  step({ stepSize, gamma = 0.1 }: { stepSize: number; gamma?: number }): Schedule {
    num('schedules.step', 'stepSize', stepSize, 1, 1);
    return (s) => gamma ** Math.floor((s - 1) / stepSize);
  },
  /** lr · gamma^(step−1). */
  exponential({ gamma }: { gamma: number }): Schedule {
    num('schedules.exponential', 'gamma', gamma, 1, 0, 1, true);
    return (s) => gamma ** (s - 1);
  },
  /** Cosine from lr down to lr·minFactor over totalSteps, then flat. */
  cosine({ totalSteps, minFactor = 0 }: { totalSteps: number; minFactor?: number }): Schedule {
    num('schedules.cosine', 'totalSteps', totalSteps, 1, 1);
    return (s) => minFactor + (1 - minFactor) * 0.5 * (1 + Math.cos(Math.PI * Math.min(s - 1, totalSteps) / totalSteps));
  },
  /** Linear warm-up from lr/warmupSteps to lr over warmupSteps, then `after` (default flat). */
  warmup({ warmupSteps, after }: { warmupSteps: number; after?: Schedule }): Schedule {
    num('schedules.warmup', 'warmupSteps', warmupSteps, 1, 1);
    return (s) => (s <= warmupSteps ? s / warmupSteps : after ? after(s - warmupSteps) : 1);
  },
};

/** The options object of optim.name: an object with only the optimizer's keys. */
function options<T extends object>(name: string, o: T, keys: readonly string[]): T {
  if (o === null || typeof o !== 'object') throw argError(`optim.${name}`, 'options', 'an object', o);
  checkKeys(`optim.${name}`, 'options', o, keys);
  return o;
}
const KEYS = {
  sgd: keysOf<SGDOptions>()(['lr', 'momentum', 'dampening', 'nesterov', 'weightDecay']),
  adam: keysOf<AdamOptions>()(['lr', 'betas', 'eps', 'weightDecay']),
  rmsprop: keysOf<RMSpropOptions>()(['lr', 'alpha', 'eps', 'weightDecay', 'momentum', 'centered']),
  adagrad: keysOf<AdagradOptions>()(['lr', 'lrDecay', 'eps', 'weightDecay', 'initialAccumulatorValue']),
};

/**
 * The optimizers, with torch.optim's update rules (checked against PyTorch).
 * Each call makes a new optimizer, which belongs to the model it is compiled
 * into.
 *
 * @example
 * model.compile({ optimizer: optim.adam({ lr: 1e-2 }), loss: 'mse', clipNorm: 1 });
 */
export const optim = {
  /** Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay. */
  sgd: (o: SGDOptions = {}): Optimizer => new SGD(options('sgd', o, KEYS.sgd)),
  /** Adam (Kingma & Ba 2015). */
  adam: (o: AdamOptions = {}): Optimizer => new Adam('adam', options('adam', o, KEYS.adam)),
  /** AdamW: Adam with decoupled weight decay (Loshchilov & Hutter 2019). */
  adamw: (o: AdamOptions = {}): Optimizer => new Adam('adamw', options('adamw', o, KEYS.adam)),
  /** RMSprop, optionally centered and with momentum. */
  rmsprop: (o: RMSpropOptions = {}): Optimizer => new RMSprop(options('rmsprop', o, KEYS.rmsprop)),
  /** Adagrad. */
  adagrad: (o: AdagradOptions = {}): Optimizer => new Adagrad(options('adagrad', o, KEYS.adagrad)),
  /** The learning-rate schedules (also exported as `schedules`). */
  schedules,
};

// Anything that can compile a model has an optimizer from here, so this is
// where the training code makes itself known to the models (which do not
// import it: an inference-only program carries none of it).
provideTraining({ compile, fit, trainOnBatch, evaluate, fitStream, evaluateStream });
provideTraining(seq2seqTraining, 'seq2seq');
