// The attention layer: its options, parameters (with their names) and the
// public one-step forward and backward; the heap-level work is core.ts.
import { getBackend } from '../../backend/index.js';
import type { Backend } from '../../backend/backend.js';
import { SimdRnnError, argError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { rng, randomSeed } from '../../util/rng.js';
import { Lifetime, disposable } from '../../util/lifetime.js';
import { Params, type ParamSpec } from '../params.js';
import { checkInt, checkTensor, checkFinite, checkKeys, keysOf } from '../validate.js';
import { AttentionCore, type AttentionScore } from './core.js';

export type { AttentionScore } from './core.js';

/** Options of `new Attention(options)`. */
export interface AttentionOptions {
  /** 'dot' (Luong), 'general' (Luong, q' = W_in·q) or 'additive' (Bahdanau: vᵀ tanh(W_q·q + b_q + W_k·k)). */
  score: AttentionScore;
  /** Width of a query (the decoder's hidden size). */
  queryDim: number;
  /** Width of a key (the encoder's output: D·hiddenSize); 'dot' needs it equal to queryDim. */
  keyDim: number;
  /** 'additive': width of the score's hidden layer (default queryDim). */
  attentionDim?: number;
  /** Seed of the default initialization (default: random). */
  seed?: number;
}

/** What `Attention.config()` gives: the options that rebuild the layer, with its type. */
export interface AttentionConfig extends Required<Omit<AttentionOptions, 'seed'>> {
  /** Always 'Attention'. */
  type: 'Attention';
}

const SCORES: readonly AttentionScore[] = ['dot', 'general', 'additive'];

/** The parameters of an attention layer, in state-dict order. Pure (the file loader checks files against it). */
export function attentionParamSpecs(score: AttentionScore, Hq: number, K: number, A: number): ParamSpec[] {
  const out: ParamSpec[] = [];
  if (score === 'general') out.push({ name: 'linear_in.weight', shape: [K, Hq] });
  if (score === 'additive') {
    out.push({ name: 'linear_query.weight', shape: [A, Hq] }, { name: 'linear_query.bias', shape: [A] },
      { name: 'linear_context.weight', shape: [A, K] }, { name: 'v', shape: [A] });
  }
  out.push({ name: 'linear_out.weight', shape: [Hq, K + Hq] });
  return out;
}

/**
 * Global attention for a decoder (Luong et al. 2015, with Bahdanau's
 * additive score as an option): for queries q [R, queryDim] over keys
 * [B, S, keyDim] (R = B·group rows, group queries per sentence),
 * α = softmax over each sentence's real positions of the score, the context
 * c = Σ α_j k_j, and the attentional state h̃ = tanh(W_out [c; q]).
 * Parameters: `linear_out.weight` [queryDim, keyDim + queryDim]; 'general'
 * `linear_in.weight` [keyDim, queryDim]; 'additive' `linear_query.weight`
 * [A, queryDim], `linear_query.bias` [A], `linear_context.weight` [A, keyDim], `v` [A].
 *
 * @example
 * const att = new Attention({ score: 'additive', queryDim: 64, keyDim: 128, seed: 1 });
 * const { output, weights } = att.forward(query, keys, { lengths });  // [R, 64], [R, S]
 * const { dQuery, dKeys } = att.backward(dOutput);                     // adds into the parameter gradients
 */
export class Attention {
  /** The score function. */
  readonly score: AttentionScore;
  /** Width of a query (the decoder's state). */
  readonly queryDim: number;
  /** Width of a key (the encoder's output). */
  readonly keyDim: number;
  /** Width of the additive score's hidden layer (Bahdanau). */
  readonly attentionDim: number;
  /** @internal */
  readonly params: Params;
  private readonly be: Backend;
  private readonly life: Lifetime;
  /** @internal The heap-level steps (a model drives them). */
  readonly core: AttentionCore;
  /** @internal The model this layer belongs to. */
  model: object | null = null;
  private last: { R: number; S: number; B: number; keys: number; q: number; dkeys: number; group: number } | null = null;
  /** `using` calls dispose() at the end of the block. */
  declare [Symbol.dispose]: () => void;

  constructor(opts: AttentionOptions) {
    const W = 'Attention';
    if (opts === null || typeof opts !== 'object') throw argError(W, 'options', 'an object', opts);
    checkKeys(W, 'options', opts, keysOf<AttentionOptions>()(['score', 'queryDim', 'keyDim', 'attentionDim', 'seed']));
    if (!SCORES.includes(opts.score)) throw argError(W, 'score', SCORES.map((s) => `'${s}'`).join(' | '), opts.score);
    this.score = opts.score;
    this.queryDim = checkInt(W, 'queryDim', opts.queryDim, 1);
    this.keyDim = checkInt(W, 'keyDim', opts.keyDim, 1);
    this.attentionDim = opts.attentionDim === undefined ? this.queryDim : checkInt(W, 'attentionDim', opts.attentionDim, 1);
    if (this.score === 'dot' && this.keyDim !== this.queryDim) {
      throw argError(W, 'keyDim', `${this.queryDim} (the 'dot' score needs keys as wide as queries; use 'general' or 'additive' for other widths)`, this.keyDim);
    }
    const seed = opts.seed === undefined ? randomSeed() : checkInt(W, 'seed', opts.seed, 0, 2 ** 32 - 1);
    this.be = getBackend();
    this.life = new Lifetime(this.be.heap, W, this);
    const specs = attentionParamSpecs(this.score, this.queryDim, this.keyDim, this.attentionDim);
    this.params = new Params(this.be, specs, this.life.owner);
    // PyTorch's Linear default per matrix, U(−1/√fan_in, 1/√fan_in); v like a Linear of fan_in A.
    const r = rng(seed);
    for (const s of specs) {
      const fan = s.shape.length === 2 ? s.shape[1]! : s.name === 'v' ? this.attentionDim : this.queryDim;
      const v = this.be.heap.view(this.params.p(s.name), s.shape.reduce((a, b) => a * b, 1)), kk = 1 / Math.sqrt(fan);
      for (let i = 0; i < v.length; i++) v[i] = (2 * r() - 1) * kk;
    }
    this.core = new AttentionCore(this.be, this.params, this.life.owner, this.score, this.queryDim, this.keyDim, this.attentionDim);
  }

  /**
   * One step: queries [R, queryDim] over keys [B, S, keyDim] (batch-first),
   * R = B·group. lengths: each sentence's real positions (default all S).
   */
  forward(query: Tensor, keys: Tensor, opts: { lengths?: ArrayLike<number>; group?: number } = {}): {
    /** h̃ = tanh(W_out [context; query]) [R, queryDim]. */
    output: Tensor;
    /** Σ_j α_j k_j [R, keyDim]. */
    context: Tensor;
    /** The attention weights α [R, S] (0 at padding). */
    weights: Tensor;
  } {
    const W = 'Attention.forward';
    this.life.check(W);
    if (opts === null || typeof opts !== 'object') throw argError(W, 'options', 'an object', opts);
    checkKeys(W, 'options', opts, ['lengths', 'group']);
    checkTensor(W, 'keys', keys, ['*', '*', this.keyDim], `[B, S, keyDim], keyDim = ${this.keyDim}`);
    const [B, S] = keys.shape as [number, number, number];
    const group = checkInt(W, 'options.group', opts.group ?? 1, 1);
    checkTensor(W, 'query', query, [B * group, this.queryDim], `[B·group, queryDim] with B = ${B}, group = ${group}`);
    if (B < 1 || S < 1) throw new SimdRnnError('SHAPE_MISMATCH', `${W}: keys has shape [${keys.shape.join(',')}], expected at least one sentence and one position`);
    checkFinite(W, 'query', query.data, query.shape);
    checkFinite(W, 'keys', keys.data, keys.shape);
    const lengths = opts.lengths ?? new Array<number>(B).fill(S);
    if (lengths.length !== B) throw argError(W, 'options.lengths.length', `${B} (the sentences)`, lengths.length);
    for (let b = 0; b < B; b++) {
      const l = lengths[b];
      if (typeof l !== 'number' || !Number.isInteger(l) || l < 0 || l > S) throw argError(W, `options.lengths[${b}]`, `an integer in [0, ${S}]`, l);
    }
    const R = B * group, K = this.keyDim, Hq = this.queryDim, heap = this.be.heap, own = this.life.owner;
    this.releaseLast();
    this.core.ensure(1, R, S, B);
    const pk = heap.alloc(S * B * K, own), pm = heap.alloc(S * B, own), pq = heap.alloc(R * Hq, own), pdk = heap.zeros(S * B * K, own);
    const f = heap.f32;
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < S; j++) {
        f.set(keys.data.subarray((b * S + j) * K, (b * S + j + 1) * K), (pk >> 2) + (j * B + b) * K);
        f[(pm >> 2) + j * B + b] = j < lengths[b]! ? 1 : 0;
      }
    }
    heap.write(pq, query.data);
    this.core.begin(pk, pm, group);
    const out = this.core.step(pq);
    heap.free(pm, own);
    this.last = { R, S, B, keys: pk, q: pq, dkeys: pdk, group };
    return {
      output: { data: heap.read(out, R * Hq), shape: [R, Hq] },
      context: { data: heap.read(this.core.context(0), R * K), shape: [R, K] },
      weights: { data: heap.read(this.core.weights(0), R * S), shape: [R, S] },
    };
  }

  /** Backward of the last forward: accumulates (+=) the parameters' gradients; returns the queries' and the keys' gradients. */
  backward(dOutput: Tensor): {
    /** Gradient w.r.t. the queries [R, queryDim]. */
    dQuery: Tensor;
    /** Gradient w.r.t. the keys [B, S, keyDim]. */
    dKeys: Tensor;
  } {
    const W = 'Attention.backward';
    this.life.check(W);
    const last = this.last;
    if (!last) throw new SimdRnnError('INVALID_ARGUMENT', `${W}: no forward pass to backpropagate through; call forward first`);
    checkTensor(W, 'dOutput', dOutput, [last.R, this.queryDim], 'the shape of the last forward output');
    const heap = this.be.heap, own = this.life.owner, K = this.keyDim, pd = heap.alloc(last.R * this.queryDim, own);
    heap.write(pd, dOutput.data);
    this.core.startBackward();
    const dq = heap.read(this.core.backStep(0, last.q, pd, last.dkeys), last.R * this.queryDim);
    this.core.endBackward(last.q, last.dkeys);
    heap.free(pd, own);
    const dk = new Float32Array(last.B * last.S * K), f = heap.f32;
    for (let b = 0; b < last.B; b++) for (let j = 0; j < last.S; j++) dk.set(f.subarray((last.dkeys >> 2) + (j * last.B + b) * K, (last.dkeys >> 2) + (j * last.B + b + 1) * K), (b * last.S + j) * K);
    heap.f32.fill(0, last.dkeys >> 2, (last.dkeys >> 2) + last.B * last.S * K); // a second backward of the same forward starts from zero
    return { dQuery: { data: dq, shape: [last.R, this.queryDim] }, dKeys: { data: dk, shape: [last.B, last.S, K] } };
  }

  private releaseLast(): void {
    const l = this.last, heap = this.be.heap, own = this.life.owner;
    if (!l) return;
    heap.free(l.keys, own); heap.free(l.q, own); heap.free(l.dkeys, own);
    this.last = null;
  }

  /** The options that rebuild this layer. */
  config(): AttentionConfig {
    this.life.check('Attention.config');
    return { type: 'Attention', score: this.score, queryDim: this.queryDim, keyDim: this.keyDim, attentionDim: this.attentionDim };
  }

  /** The parameters by PyTorch's names, as copies. */
  stateDict(): Record<string, Tensor> { this.life.check('Attention.stateDict'); return this.params.stateDict(); }
  /** The parameter gradients, named like stateDict(). */
  gradStateDict(): Record<string, Tensor> { this.life.check('Attention.gradStateDict'); return this.params.gradStateDict(); }
  /** Loads parameters by name (strict: every name and shape is checked; SHAPE_MISMATCH or INVALID_ARGUMENT otherwise). */
  loadStateDict(dict: Record<string, Tensor>): void { this.life.check('Attention.loadStateDict'); this.params.load('Attention.loadStateDict', dict); }
  /** Sets every parameter gradient to zero. */
  zeroGrad(): void { this.life.check('Attention.zeroGrad'); this.params.zeroGrad(); }
  /** Number of parameters. */
  get numParams(): number { this.life.check('Attention.numParams'); return this.params.size; }
  /** Whether dispose() was called (on this layer or on its model). */
  get disposed(): boolean { return this.life.disposed; }
  /** @internal Throws DISPOSED if this layer was disposed. */
  checkAlive(where: string): void { this.life.check(where); }

  /** Frees the layer's heap regions; afterwards every call throws 'DISPOSED'. A second call does nothing. */
  dispose(): void {
    if (!this.life.dispose()) return;
    this.last = null;
    this.core.clear();
    this.params.detach();
  }
}
disposable(Attention);
