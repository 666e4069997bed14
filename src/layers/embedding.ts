// A lookup table: index → vector, PyTorch's nn.Embedding (weight
// [numEmbeddings, embeddingDim], init N(0, 1); the paddingIdx row is zero and
// gets no gradient).
import { getBackend } from '../backend/index.js';
import type { Backend } from '../backend/backend.js';
import { SimdRnnError, argError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { Random, randomSeed } from '../util/rng.js';
import { Params } from './params.js';
import { checkInt, checkKeys, keysOf } from './validate.js';
import { Lifetime, disposable } from '../util/lifetime.js';

/** What `Embedding.config()` gives: the options that rebuild the layer, with its type. */
export interface EmbeddingConfig {
  /** Always 'Embedding'. */
  type: 'Embedding';
  /** Rows (the vocabulary size). */
  numEmbeddings: number;
  /** Width of a row. */
  embeddingDim: number;
  /** The padding index, if there is one. */
  paddingIdx?: number;
}

/** Options of `new Embedding(options)`. */
export interface EmbeddingOptions {
  /** Vocabulary size: indices are integers in [0, numEmbeddings). */
  numEmbeddings: number;
  /** Width of each embedding vector. */
  embeddingDim: number;
  /** An index whose row starts at zero and gets no gradient, as PyTorch's padding_idx (default none). */
  paddingIdx?: number;
  /** Seed of the default initialization N(0, 1), PyTorch's (default: random). */
  seed?: number;
}
const EMBEDDING_KEYS = keysOf<EmbeddingOptions>()(['numEmbeddings', 'embeddingDim', 'paddingIdx', 'seed']);


/**
 * @example
 * const model = new Sequential([
 *   new Embedding({ numEmbeddings: 30, embeddingDim: 16 }),
 *   new GRU({ inputSize: 16, hiddenSize: 64 }),
 *   new Linear({ inFeatures: 64, outFeatures: 30 }),
 * ], { output: 'all' });    // x: [N, T] of indices
 */
export class Embedding {
  /** Vocabulary size. */
  readonly numEmbeddings: number;
  /** Width of each embedding vector. */
  readonly embeddingDim: number;
  /** The padding index, or null. */
  readonly paddingIdx: number | null;
  /** @internal */
  readonly params: Params;
  private readonly be: Backend;
  private readonly life: Lifetime;
  /** @internal The model this layer belongs to. */
  model: object | null = null;
  /** `using` calls dispose() at the end of the block. */
  declare [Symbol.dispose]: () => void;

  constructor(opts: EmbeddingOptions) {
    if (opts === null || typeof opts !== 'object') throw argError('Embedding', 'options', 'an object', opts);
    checkKeys('Embedding', 'options', opts, EMBEDDING_KEYS);
    this.numEmbeddings = checkInt('Embedding', 'numEmbeddings', opts.numEmbeddings, 1);
    this.embeddingDim = checkInt('Embedding', 'embeddingDim', opts.embeddingDim, 1);
    this.paddingIdx = opts.paddingIdx === undefined ? null : checkInt('Embedding', 'paddingIdx', opts.paddingIdx, 0, this.numEmbeddings - 1);
    const seed = opts.seed === undefined ? randomSeed() : checkInt('Embedding', 'seed', opts.seed, 0, 2 ** 32 - 1);
    this.be = getBackend();
    this.life = new Lifetime(this.be.heap, 'Embedding', this);
    this.params = new Params(this.be, [{ name: 'weight', shape: [this.numEmbeddings, this.embeddingDim] }], this.life.owner);
    // N(0, 1) by Box–Muller from the seeded generator.
    const r = new Random(seed), v = this.be.heap.view(this.params.ptr, this.params.size);
    for (let i = 0; i < v.length; i++) {
      const u = 1 - r.next(), w = r.next();
      v[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * w);
    }
    if (this.paddingIdx !== null) v.fill(0, this.paddingIdx * this.embeddingDim, (this.paddingIdx + 1) * this.embeddingDim);
  }

  /** @internal Checks indices (a whole data set, once). */
  checkIndices(where: string, name: string, data: ArrayLike<number>): void {
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (!Number.isInteger(v) || v < 0 || v >= this.numEmbeddings) {
        throw new SimdRnnError('INVALID_ARGUMENT', `${where}: ${name}[${i}] is ${v}, expected an index in [0, ${this.numEmbeddings - 1}]`);
      }
    }
  }

  /** @internal out[i] = weight[idx[i]] for n i32 indices at idx (heap). */
  runForward(n: number, idx: number, out: number): void {
    this.be.k.f32_gather_rows(n, idx, this.params.p('weight'), this.embeddingDim, out);
  }

  /** @internal dWeight[idx[i]] += dOut[i]; the padding row gets nothing. */
  runBackward(n: number, idx: number, dOut: number): void {
    const D = this.embeddingDim, g = this.params.g('weight');
    this.be.k.f32_scatter_add_rows(n, idx, dOut, D, g);
    if (this.paddingIdx !== null) this.be.k.f32_fill(D, 0, g + 4 * this.paddingIdx * D);
  }

  /** Looks up indices of any shape → [...shape, embeddingDim]. */
  forward(indices: Tensor | Int32Array): Tensor {
    this.life.check('Embedding.forward');
    const data = indices instanceof Int32Array ? indices : indices?.data;
    if (!(data instanceof Int32Array || data instanceof Float32Array)) throw argError('Embedding.forward', 'indices', 'an Int32Array or a tensor of indices', indices);
    const shape = indices instanceof Int32Array ? [indices.length] : (indices as Tensor).shape;
    this.checkIndices('Embedding.forward', 'indices', data);
    const heap = this.be.heap, n = data.length, own = this.life.owner, pi = heap.alloc(n, own), po = heap.alloc(n * this.embeddingDim, own);
    heap.i32.set(data, pi >> 2);
    this.runForward(n, pi, po);
    const out = heap.read(po, n * this.embeddingDim);
    heap.free(pi, own); heap.free(po, own);
    return { data: out, shape: [...shape, this.embeddingDim] };
  }

  /** The options that make this layer again (saved in model files as the architecture). */
  config(): EmbeddingConfig {
    this.life.check('Embedding.config');
    const c: EmbeddingConfig = { type: 'Embedding', numEmbeddings: this.numEmbeddings, embeddingDim: this.embeddingDim };
    if (this.paddingIdx !== null) c.paddingIdx = this.paddingIdx;
    return c;
  }

  /** The parameters by PyTorch's names, as copies. */
  stateDict(): Record<string, Tensor> { this.life.check('Embedding.stateDict'); return this.params.stateDict(); }
  /** The parameter gradients, named like stateDict(). */
  gradStateDict(): Record<string, Tensor> { this.life.check('Embedding.gradStateDict'); return this.params.gradStateDict(); }
  /** Loads parameters by name (strict: every name and shape is checked; SHAPE_MISMATCH or INVALID_ARGUMENT otherwise). */
  loadStateDict(dict: Record<string, Tensor>): void { this.life.check('Embedding.loadStateDict'); this.params.load('Embedding.loadStateDict', dict); }
  /** Sets every parameter gradient to zero. */
  zeroGrad(): void { this.life.check('Embedding.zeroGrad'); this.params.zeroGrad(); }
  /** Number of parameters. */
  get numParams(): number { this.life.check('Embedding.numParams'); return this.params.size; }
  /** Whether dispose() was called (on this layer or on its model). */
  get disposed(): boolean { return this.life.disposed; }
  /** @internal Throws DISPOSED if this layer was disposed. */
  checkAlive(where: string): void { this.life.check(where); }

  /** Frees the layer's heap regions; afterwards every call throws 'DISPOSED'. A second call does nothing. */
  dispose(): void {
    if (this.life.dispose()) this.params.detach();
  }
}
disposable(Embedding);
