// Dropout on features, in training only: y = x ⊙ m with m ∈ {0, 1/(1−p)},
// one mask per call drawn from a seeded generator; backward reuses it.
import { getBackend } from '../backend/index.js';
import { Carve } from '../backend/carve.js';
import type { Backend } from '../backend/backend.js';
import { argError } from '../errors.js';
import { randomSeed, Random } from '../util/rng.js';
import { checkInt, checkKeys, keysOf } from './validate.js';
import { Lifetime, disposable } from '../util/lifetime.js';

/** What `Dropout.config()` gives: the options that rebuild the layer, with its type. */
export interface DropoutConfig {
  /** Always 'Dropout'. */
  type: 'Dropout';
  /** The probability of zeroing an element. */
  p: number;
}

/** Options of `new Dropout(options)`. */
export interface DropoutOptions {
  /** Probability of zeroing an element in training, in [0, 1); kept elements are scaled by 1/(1 − p). */
  p: number;
  /** Seed of the masks (default: random). */
  seed?: number;
}

/**
 * @example
 * new Sequential([new LSTM({ inputSize: 4, hiddenSize: 32 }), new Dropout({ p: 0.2 }), new Linear({ inFeatures: 32, outFeatures: 1 })]);
 */
export class Dropout {
  /** Probability of zeroing an element in training. */
  readonly p: number;
  private readonly be: Backend;
  /** @internal The masks' generator (its state is saved in checkpoints). */
  readonly random: Random;
  private buf = { n: 0, mask: 0, y: 0 };
  /** Its own block (0 while the buffers sit in a model's arena), and that arena. */
  private own = 0;
  private arena: object | null = null;
  private active = false;
  private readonly life: Lifetime;
  /** @internal The model this layer belongs to. */
  model: object | null = null;
  /** `using` calls dispose() at the end of the block. */
  declare [Symbol.dispose]: () => void;

  constructor(opts: DropoutOptions) {
    if (opts === null || typeof opts !== 'object') throw argError('Dropout', 'options', 'an object', opts);
    checkKeys('Dropout', 'options', opts, keysOf<DropoutOptions>()(['p', 'seed']));
    if (typeof opts.p !== 'number' || !(opts.p >= 0 && opts.p < 1)) throw argError('Dropout', 'p', 'a number in [0, 1)', opts.p);
    this.p = opts.p;
    const seed = opts.seed === undefined ? randomSeed() : checkInt('Dropout', 'seed', opts.seed, 0, 2 ** 32 - 1);
    this.random = new Random(seed);
    this.be = getBackend();
    this.life = new Lifetime(this.be.heap, 'Dropout', this);
  }

  /** @internal Floats of the mask and output for n features in a model's arena (none at p = 0). */
  arenaSize(n: number): number {
    const c = new Carve();
    this.layout(c, n);
    return c.floats;
  }

  private layout(c: Carve, n: number): { n: number; mask: number; y: number } {
    return this.p > 0 ? { n, mask: c.take(n), y: c.take(n) } : { n: 0, mask: 0, y: 0 };
  }

  /** @internal Places the mask and output in a model's arena, freeing its own block. */
  bindArena(arena: object, c: Carve, n: number): void {
    if (this.own) this.be.heap.free(this.own, this.life.owner);
    this.own = 0;
    this.buf = this.layout(c, n);
    this.arena = arena;
  }

  /** @internal Whether the buffers sit in that arena. */
  boundTo(arena: object): boolean {
    return this.arena === arena || this.p === 0;
  }

  /** @internal y for n features at x; in inference (or p = 0) returns x itself. */
  runForward(x: number, n: number, train: boolean): number {
    this.active = train && this.p > 0;
    if (!this.active) return x;
    if (this.buf.n < n) {
      this.arena = null;
      if (this.own) this.be.heap.free(this.own, this.life.owner);
      this.own = this.be.heap.alloc(2 * n, this.life.owner);
      this.buf = { n, mask: this.own, y: this.own + 4 * n };
    }
    const keep = 1 - this.p, scale = 1 / keep, m = this.be.heap.view(this.buf.mask, n);
    for (let i = 0; i < n; i++) m[i] = this.random.next() < keep ? scale : 0;
    this.be.k.f32_mul(n, x, this.buf.mask, this.buf.y);
    return this.buf.y;
  }

  /** @internal dx = dy ⊙ m, in place. */
  runBackward(dy: number, n: number): number {
    if (this.active) this.be.k.f32_mul(n, dy, this.buf.mask, dy);
    return dy;
  }

  /** The options that rebuild this layer (for saving). */
  config(): DropoutConfig {
    this.life.check('Dropout.config');
    return { type: 'Dropout', p: this.p };
  }

  /** Whether dispose() was called (on this layer or on its model). */
  get disposed(): boolean { return this.life.disposed; }
  /** @internal Throws DISPOSED if this layer was disposed. */
  checkAlive(where: string): void { this.life.check(where); }

  /** Frees the mask buffer; afterwards every call throws 'DISPOSED'. A second call does nothing. */
  dispose(): void {
    if (this.life.dispose()) { this.buf = { n: 0, mask: 0, y: 0 }; this.own = 0; this.arena = null; }
  }
}
disposable(Dropout);
