// The encoder–decoder model: its modules and their one parameter region
// (gradients in another, each optimizer moment in another), state dicts,
// decoding (translate, logProb) and memory. The batch work on the heap is the
// engine's (engine.ts) and the decoder's (decode.ts); training (compile, fit,
// trainOnBatch, evaluate) is train/'s, reached through model/training.ts.
import type { Backend } from '../../backend/backend.js';
import { getBackend } from '../../backend/index.js';
import { SimdRnnError, argError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { Random, randomSeed } from '../../util/rng.js';
import { Lifetime, disposable } from '../../util/lifetime.js';
import { Embedding } from '../../layers/embedding.js';
import { Linear } from '../../layers/linear.js';
import { LSTM } from '../../layers/lstm.js';
import { GRU } from '../../layers/gru.js';
import { RNN } from '../../layers/rnn.js';
import type { Recurrent } from '../../layers/recurrent/index.js';
import { Attention } from '../../layers/attention/attention.js';
import type { Params } from '../../layers/params.js';
import { checkInt, checkTensor, checkKeys } from '../../layers/validate.js';
import { KEYS } from '../keys.js';
import type { History, Logs, Optimizer } from '../contracts.js';
import { training, type Training } from '../training.js';
import { seq2seqConfig, seq2seqModules, scoreOf, type Seq2SeqConfig, type Seq2SeqOptions, type EncoderOptions, type CellName } from './config.js';
import { checkPairs, type TokenTensor } from './data.js';
import { Seq2SeqEngine, type Modules } from './engine.js';
import { Decoder, type Hypothesis } from './decode.js';
import { quantizeRegions } from '../int8.js';
import type { Seq2SeqCompileOptions, Seq2SeqCompiled, Seq2SeqFitOptions, Seq2SeqEvalOptions, TranslateOptions, Translation } from './options.js';

export type { Seq2SeqOptions, Seq2SeqConfig, EncoderOptions, DecoderOptions, AttentionKind, CellName } from './config.js';
export type { TokenTensor } from './data.js';
export type { Seq2SeqCompileOptions, Seq2SeqFitOptions, Seq2SeqEvalOptions, TranslateOptions, Translation } from './options.js';

/** What train/ gives a Seq2Seq (not exported from the package). */
export type Seq2SeqTraining = Training<Seq2Seq, TokenTensor, TokenTensor, Seq2SeqCompileOptions, Seq2SeqFitOptions, Seq2SeqEvalOptions, Seq2SeqEvalOptions>;

const s2s = (where: string): Seq2SeqTraining => training(where, 'seq2seq') as unknown as Seq2SeqTraining;

function recurrent(cell: CellName, o: EncoderOptions, inputSize: number, seed: number): Recurrent {
  const opts = { inputSize, hiddenSize: o.hiddenSize, numLayers: o.numLayers, bidirectional: o.bidirectional ?? false, dropout: o.dropout, layerNorm: o.layerNorm, seed };
  return cell === 'lstm' ? new LSTM(opts) : cell === 'gru' ? new GRU(opts) : new RNN(opts);
}

/**
 * An RNN encoder–decoder with attention (Bahdanau et al. 2015; Luong et al.
 * 2015): embedding → recurrent encoder (bidirectional or not) → a bridge
 * (h0 of every decoder layer = tanh(W [h→; h←] + b) of the encoder's top
 * layer; c0 = 0) → a recurrent decoder fed [embedding of the previous token;
 * previous attentional state] → attention → a linear generator over the
 * target vocabulary. Sources [N, S] and targets [N, T] are token ids padded
 * with tokens.pad; targets end with eos and hold no bos.
 *
 * @example
 * const m = new Seq2Seq({ srcVocab: 30, tgtVocab: 45, embeddingDim: 64,
 *   encoder: { cell: 'lstm', hiddenSize: 128, bidirectional: true }, decoder: { cell: 'lstm', hiddenSize: 128 },
 *   attention: 'bahdanau', tokens: { pad: 0, bos: 1, eos: 2 }, seed: 1 });
 * m.compile({ optimizer: optim.adam({ lr: 1e-3 }), clipNorm: 5 });
 * await m.fit(src, tgt, { epochs: 10, batchSize: 64 });
 * const { tokens, scores } = m.translate(src, { beam: 5 });
 */
export class Seq2Seq {
  /** Number of parameters. */
  readonly numParams: number;
  /** @internal */ readonly be: Backend;
  /** @internal */ readonly c: Seq2SeqConfig;
  /** @internal */ readonly modules: Modules;
  /** @internal */ readonly engine: Seq2SeqEngine;
  /** @internal */ readonly decoder: Decoder;
  /** @internal */ readonly params: Params[];
  /** @internal */ readonly prefixes: string[];
  /** @internal Parameter and gradient regions (a quantized model's are packed again, without gradients: gPtr 0). */ pPtr: number;
  /** @internal */ gPtr: number;
  /** @internal */ readonly life: Lifetime;
  /** @internal Scheduled sampling's and sampling's generator (saved in checkpoints). */ readonly random: Random;
  /** @internal What compile() set up (train/ reads and writes it). */ compiled: Seq2SeqCompiled | null = null;
  /** @internal */ busy = false;
  /** @internal */ backup = 0;
  /** @internal */ skipped = 0;
  /** `using` calls dispose() at the end of the block. */
  declare [Symbol.dispose]: () => void;

  constructor(opts: Seq2SeqOptions) {
    // (A model's config(), with its type, makes the same model again.)
    checkKeys('Seq2Seq', 'options', opts, (opts as { type?: unknown } | null)?.type === 'Seq2Seq' ? [...KEYS.seq2seq, 'type'] : KEYS.seq2seq);
    if (opts !== null && typeof opts === 'object') checkKeys('Seq2Seq', 'tokens', opts.tokens, KEYS.tokens);
    const c = seq2seqConfig(opts);
    this.c = c;
    const seed = opts.seed === undefined ? randomSeed() : checkInt('Seq2Seq', 'seed', opts.seed, 0, 2 ** 32 - 1);
    this.be = getBackend();
    const E = c.embeddingDim, K = c.encoder.hiddenSize * (c.encoder.bidirectional ? 2 : 1), Hd = c.decoder.hiddenSize, score = scoreOf(c.attention);
    const built: { dispose(): void }[] = [];
    const keep = <T extends { dispose(): void }>(m: T): T => { built.push(m); return m; };
    try {
      this.modules = {
        srcEmb: keep(new Embedding({ numEmbeddings: c.srcVocab, embeddingDim: E, paddingIdx: c.tokens.pad, seed })),
        encoder: keep(recurrent(c.encoder.cell, c.encoder, E, (seed + 1) >>> 0)),
        bridge: keep(new Linear({ inFeatures: K, outFeatures: c.decoder.numLayers * Hd, activation: 'tanh', seed: (seed + 2) >>> 0 })),
        tgtEmb: keep(new Embedding({ numEmbeddings: c.tgtVocab, embeddingDim: E, paddingIdx: c.tokens.pad, seed: (seed + 3) >>> 0 })),
        decoder: keep(recurrent(c.decoder.cell, { ...c.decoder, bidirectional: false }, E + (score ? Hd : 0), (seed + 4) >>> 0)),
        attention: score ? keep(new Attention({ score, queryDim: Hd, keyDim: K, attentionDim: c.attentionSize, seed: (seed + 5) >>> 0 })) : null,
        generator: keep(new Linear({ inFeatures: Hd, outFeatures: c.tgtVocab, seed: (seed + 6) >>> 0 })),
      };
    } catch (e) {
      for (const m of built) m.dispose();
      throw e;
    }
    const m = this.modules;
    const mods = [m.srcEmb, m.encoder, m.bridge, m.tgtEmb, m.decoder, ...(m.attention ? [m.attention] : []), m.generator];
    this.prefixes = seq2seqModules(c).map((x) => x.prefix);
    this.params = mods.map((x) => x.params);
    this.numParams = this.params.reduce((a, p) => a + p.size, 0);
    this.life = new Lifetime(this.be.heap, 'Seq2Seq', this);
    try {
      this.pPtr = this.be.heap.alloc(this.numParams, this.life.owner);
      this.gPtr = this.be.heap.zeros(this.numParams, this.life.owner);
    } catch (e) {
      for (const x of built) x.dispose();
      this.life.dispose();
      throw e;
    }
    for (const x of mods) x.model = this;
    let off = 0;
    for (const p of this.params) { p.rebind(this.pPtr + 4 * off, this.gPtr + 4 * off); off += p.size; }
    this.random = new Random((seed ^ 0x5bd1e995) >>> 0);
    this.engine = new Seq2SeqEngine(this.be, this.life.owner, c, m);
    this.decoder = new Decoder(this.be, this.life.owner, this.engine);
  }

  /** 'int8' for a model quantize() made (inference only), else null. */
  get quantized(): 'int8' | null {
    return this.modules.encoder.quantized;
  }

  /** @internal Makes this (fresh) model's recurrent and Linear products int8: see quantize(). */
  toInt8(): void {
    this.pPtr = quantizeRegions(this.be, this.life.owner, this.int8Layers.map(([, l]) => l), this.params, this.pPtr, this.gPtr);
    this.gPtr = 0;
  }

  /** @internal The encoder, decoder, bridge and generator under their state-dict prefixes (model/int8.ts). */
  get int8Layers(): (readonly [string, Recurrent | Linear])[] {
    const m = this.modules;
    return [['encoder.', m.encoder], ['bridge.', m.bridge], ['decoder.', m.decoder], ['generator.', m.generator]];
  }

  private get mods(): { dispose(): void; disposed: boolean }[] {
    const m = this.modules;
    return [m.srcEmb, m.encoder, m.bridge, m.tgtEmb, m.decoder, ...(m.attention ? [m.attention] : []), m.generator];
  }

  /** @internal Throws DISPOSED if the model or one of its modules was disposed. */
  alive(where: string): void {
    this.life.check(where);
    for (const x of this.mods) if (x.disposed) throw new SimdRnnError('DISPOSED', `${where}: a module of this model was disposed; the model cannot run without it`);
  }

  /** @internal Throws BUSY while a fit() runs. */
  notBusy(where: string): void {
    if (this.busy) throw new SimdRnnError('BUSY', `${where}: a fit() is running on this model; wait for it (or abort it with its signal) first`);
  }

  // A quantized model (quantize()) evaluates and decodes but does not train.
  private trainable(where: string): void {
    if (this.quantized) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: this model is quantized (int8) and runs inference only; train the f32 model, then quantize it again`);
  }

  /** Whether dispose() was called. */
  get disposed(): boolean {
    return this.life.disposed;
  }

  /** Sets the optimizer (which belongs to this model from then on), clipping and label smoothing. */
  compile(opts: Seq2SeqCompileOptions): void {
    this.alive('Seq2Seq.compile');
    this.notBusy('Seq2Seq.compile');
    s2s('Seq2Seq.compile').compile(this, opts);
  }

  /** Trains on pairs (teacher forcing, or scheduled sampling below ratio 1). Same seed and backend: bit-identical runs. */
  async fit(src: TokenTensor, tgt: TokenTensor, opts: Seq2SeqFitOptions = {}): Promise<History> {
    const where = 'Seq2Seq.fit';
    this.alive(where);
    this.notBusy(where);
    this.trainable(where);
    const t = s2s(where);
    this.busy = true;
    try {
      return await t.fit(this, src, tgt, opts);
    } finally {
      this.busy = false;
    }
  }

  /** One optimizer step on all the pairs given; returns the loss (mean per target token). */
  trainOnBatch(src: TokenTensor, tgt: TokenTensor, opts: Seq2SeqEvalOptions = {}): number {
    this.alive('Seq2Seq.trainOnBatch');
    this.notBusy('Seq2Seq.trainOnBatch');
    this.trainable('Seq2Seq.trainOnBatch');
    return s2s('Seq2Seq.trainOnBatch').trainOnBatch(this, src, tgt, opts);
  }

  /** The loss (mean per target token, teacher forced, with the compiled label smoothing) over pairs. */
  evaluate(src: TokenTensor, tgt: TokenTensor, opts: Seq2SeqEvalOptions = {}): Logs {
    this.alive('Seq2Seq.evaluate');
    return s2s('Seq2Seq.evaluate').evaluate(this, src, tgt, opts);
  }

  /** Σ log p of each target given its source (teacher forced, eos included): one number per pair. */
  logProb(src: TokenTensor, tgt: TokenTensor, opts: Seq2SeqEvalOptions = {}): Float64Array {
    const where = 'Seq2Seq.logProb';
    this.alive(where);
    if (opts === null || typeof opts !== 'object') throw argError(where, 'options', 'an object', opts);
    checkKeys(where, 'options', opts, KEYS.seq2seqEval);
    const p = checkPairs(where, this.c, src, tgt, opts.srcLengths, opts.tgtLengths);
    const bs = checkInt(where, 'options.batchSize', opts.batchSize ?? 64, 1), B = Math.min(bs, p.N);
    const out = new Float64Array(p.N), rows = new Float64Array(B);
    for (let s = 0; s < p.N; s += B) {
      const idx = new Int32Array(B).fill(-1);
      for (let b = 0; b < B && s + b < p.N; b++) idx[b] = s + b;
      const [S, T] = this.engine.shapeOf(p, idx);
      this.engine.ensure(S, T, B, false);
      this.engine.stage(p, idx, true);
      this.engine.forward(B, false, 1, null);
      this.engine.rowLogProbs(B, rows);
      for (let b = 0; b < B && s + b < p.N; b++) out[s + b] = rows[b]!;
    }
    return out;
  }

  /**
   * Decodes sources [N, S]: beam search (beam 1 is greedy), or sampling.
   * Returns per pair (pair i's j-th best at i·nBest + j) the tokens without
   * bos and eos, the raw Σ log p of the tokens (eos included when the
   * hypothesis ended with it), and with returnAttention the weights
   * [steps, S] of every output step (eos's included).
   */
  translate(src: TokenTensor, opts: TranslateOptions = {}): Translation {
    const where = 'Seq2Seq.translate';
    this.alive(where);
    if (opts === null || typeof opts !== 'object') throw argError(where, 'options', 'an object', opts);
    checkKeys(where, 'options', opts, KEYS.translate);
    if (opts.sample !== undefined) checkKeys(where, 'options.sample', opts.sample, KEYS.sample);
    const p = checkPairs(where, this.c, src, null, opts.srcLengths);
    const beam = checkInt(where, 'options.beam', opts.beam ?? 1, 1, 256);
    const nBest = checkInt(where, 'options.nBest', opts.nBest ?? 1, 1, beam);
    const maxLength = checkInt(where, 'options.maxLength', opts.maxLength ?? 2 * p.S + 10, 1, 1 << 16);
    const alpha = opts.lengthPenalty ?? 0;
    if (typeof alpha !== 'number' || !(alpha >= 0 && alpha <= 10)) throw argError(where, 'options.lengthPenalty', 'a number in [0, 10]', alpha);
    const bs = checkInt(where, 'options.batchSize', opts.batchSize ?? 32, 1);
    let sample: { temperature: number; topK: number; random: Random } | null = null;
    if (opts.sample !== undefined) {
      const s = opts.sample;
      if (s === null || typeof s !== 'object') throw argError(where, 'options.sample', '{ temperature?, topK?, seed? }', s);
      const temperature = s.temperature ?? 1;
      if (typeof temperature !== 'number' || !(temperature > 0 && Number.isFinite(temperature))) throw argError(where, 'options.sample.temperature', 'a finite number > 0', temperature);
      if (beam !== 1) throw argError(where, 'options.beam', '1 with sampling (a sample is one hypothesis)', beam);
      sample = { temperature, topK: checkInt(where, 'options.sample.topK', s.topK ?? 0, 0), random: s.seed === undefined ? this.random : new Random(checkInt(where, 'options.sample.seed', s.seed, 0, 2 ** 32 - 1)) };
    }
    const o = { beam, maxLength, lengthPenalty: alpha, nBest, returnAttention: opts.returnAttention === true, sample };
    const hyps: Hypothesis[][] = new Array(p.N);
    const B = Math.min(bs, p.N);
    for (let s = 0; s < p.N; s += B) {
      const idx = new Int32Array(B).fill(-1);
      for (let b = 0; b < B && s + b < p.N; b++) idx[b] = s + b;
      this.decoder.run(p, idx, o, hyps);
    }
    const out: Translation = { tokens: [], scores: [] };
    if (o.returnAttention) out.attention = [];
    for (const hs of hyps) {
      for (const h of hs) {
        out.tokens.push(h.tokens);
        out.scores.push(h.score);
        if (out.attention) out.attention.push({ data: h.attention ?? new Float32Array(0), shape: [h.attention ? h.attention.length / p.S : 0, p.S] });
      }
    }
    return out;
  }

  /** The complete options (what io.save writes as the architecture). */
  config(): Seq2SeqConfig {
    this.life.check('Seq2Seq.config');
    return JSON.parse(JSON.stringify(this.c)) as Seq2SeqConfig;
  }

  /** The optimizer given to compile (for checkpoints). */
  get optimizer(): Optimizer | null {
    this.life.check('Seq2Seq.optimizer');
    return this.compiled?.optimizer ?? null;
  }

  private named(get: (i: number) => Record<string, Tensor>): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    this.prefixes.forEach((pre, i) => { for (const [k, v] of Object.entries(get(i))) out[pre + k] = v; });
    return out;
  }

  /** All parameters, named `{module}.{name}` (src_embedding, encoder, bridge, tgt_embedding, decoder, attention, generator). */
  stateDict(): Record<string, Tensor> {
    this.alive('Seq2Seq.stateDict');
    return this.named((i) => this.params[i]!.stateDict());
  }

  /** The gradients, named like stateDict(). */
  gradStateDict(): Record<string, Tensor> {
    this.alive('Seq2Seq.gradStateDict');
    this.trainable('Seq2Seq.gradStateDict');
    return this.named((i) => this.params[i]!.gradStateDict());
  }

  /** Loads parameters named like stateDict() (strict: every name and shape checked); BUSY while fit runs. */
  loadStateDict(dict: Record<string, Tensor>): void {
    const where = 'Seq2Seq.loadStateDict';
    this.alive(where);
    this.notBusy(where);
    this.loadWeights(where, dict);
  }

  /** @internal Strict: every name and shape, checked before anything is written. */
  loadWeights(where: string, dict: Record<string, Tensor>): void {
    if (dict === null || typeof dict !== 'object') throw argError(where, 'dict', 'an object of tensors', dict);
    const known = new Set<string>();
    this.prefixes.forEach((pre, i) => {
      for (const s of this.params[i]!.specs) {
        const key = pre + s.name;
        known.add(key);
        if (!Object.prototype.hasOwnProperty.call(dict, key)) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: missing key "${key}"`);
        checkTensor(where, key, dict[key], s.shape);
      }
    });
    for (const k of Object.keys(dict)) if (!known.has(k)) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: unexpected key "${k}"`);
    this.prefixes.forEach((pre, i) => {
      const sub: Record<string, Tensor> = {};
      for (const s of this.params[i]!.specs) sub[s.name] = dict[pre + s.name]!;
      this.params[i]!.load(where, sub);
    });
  }

  /** Sets every gradient to zero. */
  zeroGrad(): void {
    this.alive('Seq2Seq.zeroGrad');
    if (this.gPtr) this.be.k.f32_fill(this.numParams, 0, this.gPtr); // a quantized model has no gradients
  }

  /** Frees the model's memory, its modules' and its optimizer's; afterwards every call throws DISPOSED. */
  dispose(): void {
    if (this.life.disposed) return;
    for (const x of this.mods) x.dispose();
    this.compiled?.optimizer.dispose();
    this.life.dispose();
    this.engine.clear();
    this.decoder.clear();
    this.backup = 0;
  }
}
disposable(Seq2Seq);
