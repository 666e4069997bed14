// The encoder–decoder on the heap, one batch of B pairs at a time: staging,
// the forward pass (encoder over the sources; bridge; decoder driven one step
// at a time with input feeding of the attentional state, fed the gold
// previous token or, with scheduled sampling, its own prediction), the loss
// of every target token, and the backward pass through all of it. Every
// buffer (the engine's and each module's) is carved out of ONE arena per
// (S, T, B); a training step allocates nothing after the first batch.
//
// Time-major inside: sources [S, B], decoder inputs and targets [T, B].
import type { Backend } from '../../backend/backend.js';
import type { HeapOwner } from '../../backend/heap.js';
import { Carve } from '../../backend/carve.js';
import type { Random } from '../../util/rng.js';
import type { Embedding } from '../../layers/embedding.js';
import type { Recurrent } from '../../layers/recurrent/index.js';
import type { Linear } from '../../layers/linear.js';
import type { Attention } from '../../layers/attention/attention.js';
import type { Seq2SeqConfig } from './config.js';
import type { Pairs } from './data.js';

export interface Modules {
  srcEmb: Embedding;
  encoder: Recurrent;
  bridge: Linear;
  tgtEmb: Embedding;
  decoder: Recurrent;
  attention: Attention | null;
  generator: Linear;
}

interface Buffers {
  S: number; T: number; B: number; backward: boolean; ptr: number; floats: number;
  srcIdx: number; srcMask: number; inIdx: number; tgtIdx: number; tgtMask: number;
  emb: number; hfin: number; h0: number;
  dlogits: number; demb: number; dfeed: number; dbridge: number; dhEnc: number;
}

const EMPTY: Buffers = { S: 0, T: 0, B: 0, backward: false, ptr: 0, floats: 0, srcIdx: 0, srcMask: 0, inIdx: 0, tgtIdx: 0, tgtMask: 0, emb: 0, hfin: 0, h0: 0, dlogits: 0, demb: 0, dfeed: 0, dbridge: 0, dhEnc: 0 };

export class Seq2SeqEngine {
  buf: Buffers = { ...EMPTY };
  private arena: object = {};
  /** Target tokens of the staged batch that count for the loss. */
  count = 0;
  /** The staged batch's S and T (≤ the arena's). */
  S = 0;
  T = 0;
  /** Decoder inputs replaced by the model's own prediction in the last forward (scheduled sampling). */
  sampled = 0;

  readonly E: number;
  readonly K: number;
  readonly Hd: number;
  readonly V: number;
  readonly Ld: number;
  readonly De: number;

  constructor(private readonly be: Backend, private readonly owner: HeapOwner, readonly c: Seq2SeqConfig, readonly m: Modules) {
    this.E = c.embeddingDim;
    this.De = c.encoder.bidirectional ? 2 : 1;
    this.K = this.De * c.encoder.hiddenSize;
    this.Hd = c.decoder.hiddenSize;
    this.V = c.tgtVocab;
    this.Ld = c.decoder.numLayers;
  }

  /** Width of the decoder's input: the embedding, and the previous attentional state (input feeding). */
  get I(): number {
    return this.E + (this.m.attention ? this.Hd : 0);
  }

  private allBound(): boolean {
    const { encoder, decoder, attention, bridge, generator } = this.m, a = this.arena;
    return encoder.boundTo(a) && decoder.driver.boundTo(a) && (!attention || attention.core.boundTo(a)) && bridge.boundTo(a) && generator.boundTo(a);
  }

  /** The arena for batches of B pairs with up to S source and T target tokens. */
  ensure(S: number, T: number, B: number, backward: boolean): void {
    const b = this.buf;
    if (b.B === B && b.S >= S && b.T >= T && (b.backward || !backward) && this.allBound()) return;
    const same = b.B === B, cS = same ? Math.max(S, b.S) : S, cT = same ? Math.max(T, b.T) : T, bw = backward || (same && b.backward);
    const floats = this.carve(new Carve(), cS, cT, B, bw);
    if (!b.ptr || floats !== b.floats) {
      if (b.ptr) this.be.heap.free(b.ptr, this.owner);
      b.ptr = this.be.heap.alloc(floats, this.owner);
      b.floats = floats;
    }
    this.carve(new Carve(b.ptr), cS, cT, B, bw);
    b.S = cS; b.T = cT; b.B = B; b.backward = bw;
  }

  private carve(c: Carve, S: number, T: number, B: number, backward: boolean): number {
    const { E, K, Hd, V, Ld, De } = this, He = this.c.encoder.hiddenSize, Le = this.c.encoder.numLayers, bind = !c.dry, a = this.arena;
    const own = {
      srcIdx: c.take(S * B), srcMask: c.take(S * B), inIdx: c.take(T * B), tgtIdx: c.take(T * B), tgtMask: c.take(T * B),
      emb: c.take(B * E), hfin: c.take(B * K), h0: c.take(Ld * B * Hd),
      dlogits: c.maybe(T * B * V, backward), demb: c.maybe(T * B * E, backward), dfeed: c.maybe(B * Hd, backward),
      dbridge: c.maybe(B * Ld * Hd, backward), dhEnc: c.maybe(Le * De * B * He, backward),
    };
    if (bind) Object.assign(this.buf, own);
    const { encoder, decoder, attention, bridge, generator } = this.m;
    const needs = { input: true, backward, dx: true, topDy: attention !== null };
    if (bind) encoder.bindArena(a, c, S, B, needs); else c.take(encoder.arenaSize(S, B, needs));
    if (bind) decoder.driver.bind(a, c, T, B, backward); else c.take(decoder.driver.arenaSize(T, B, backward));
    if (attention) { if (bind) attention.core.bind(a, c, T, B, S, B, backward); else c.take(attention.core.arenaSize(T, B, S, B, backward)); }
    if (bind) bridge.bindArena(a, c, B, backward); else c.take(bridge.arenaSize(B, backward));
    if (bind) generator.bindArena(a, c, T * B, backward); else c.take(generator.arenaSize(T * B, backward));
    return c.floats;
  }

  /** The longest source and target among pairs idx (−1 = filler). */
  shapeOf(p: Pairs, idx: Int32Array): [number, number] {
    let S = 1, T = 1;
    for (let b = 0; b < idx.length; b++) {
      const n = idx[b]!;
      if (n < 0) continue;
      S = Math.max(S, p.srcLen[n]!);
      if (p.tgtLen) T = Math.max(T, p.tgtLen[n]!);
    }
    return [S, T];
  }

  /** Stages pairs idx (B rows; −1 = filler) into the arena (ensure(shapeOf(…)) first). */
  stage(p: Pairs, idx: Int32Array, withTargets: boolean): void {
    const B = idx.length, { heap } = this.be, ix = heap.i32, f = heap.f32, { bos, pad } = this.c.tokens;
    const [S, T] = this.shapeOf(p, idx);
    this.S = S; this.T = T;
    const bf = this.buf;
    const si = bf.srcIdx >> 2, sm = bf.srcMask >> 2, ii = bf.inIdx >> 2, ti = bf.tgtIdx >> 2, tm = bf.tgtMask >> 2;
    let count = 0;
    for (let b = 0; b < B; b++) {
      const n = idx[b]!, sl = n < 0 ? 0 : p.srcLen[n]!;
      for (let j = 0; j < S; j++) {
        ix[si + j * B + b] = j < sl ? p.src[n * p.S + j]! : pad;
        f[sm + j * B + b] = j < sl ? 1 : 0;
      }
      if (!withTargets) continue;
      const tl = n < 0 ? 0 : p.tgtLen![n]!;
      for (let t = 0; t < T; t++) {
        const real = t < tl;
        ix[ii + t * B + b] = t === 0 ? bos : real ? p.tgt![n * p.T + t - 1]! : pad;
        ix[ti + t * B + b] = real ? p.tgt![n * p.T + t]! : pad;
        f[tm + t * B + b] = real ? 1 : 0;
        if (real) count++;
      }
    }
    this.count = count;
  }

  /** The encoder over the staged sources, and the bridge into the decoder's initial states (h0 in the arena). */
  encode(B: number, train: boolean): void {
    const { k } = this.be, { srcEmb, encoder, bridge } = this.m, S = this.S, bf = this.buf;
    const He = this.c.encoder.hiddenSize, Le = this.c.encoder.numLayers, { K, Hd, Ld, De } = this;
    srcEmb.runForward(S * B, bf.srcIdx, encoder.prepare(S, B).x0);
    encoder.runForward(S, B, true, train, null, null, { mask: bf.srcMask });
    // Bridge: h0 of every decoder layer from the top encoder layer's final states [h→; h←].
    for (let d = 0; d < De; d++) k.f32_copy2d(B, He, encoder.finalStatePtr(Le - 1, d), He, bf.hfin + 4 * d * He, K);
    const y = bridge.runForward(B, bf.hfin);
    for (let l = 0; l < Ld; l++) k.f32_copy2d(B, Hd, y + 4 * l * Hd, Ld * Hd, bf.h0 + 4 * l * B * Hd, Hd);
  }

  /**
   * Forward of the staged batch: encode, then T decoder steps. ratio: the
   * chance that a step (after the first) is fed the gold previous token; the
   * rest are fed the model's own argmax (scheduled sampling). Logits of every
   * step end up in the generator's output [T·B, V].
   */
  forward(B: number, train: boolean, ratio: number, random: Random | null): number {
    const { k } = this.be, { tgtEmb, decoder, attention, generator, encoder } = this.m, T = this.T, bf = this.buf;
    const { E, Hd, V } = this, I = this.I, d = decoder.driver;
    this.encode(B, train);
    d.begin(bf.h0, 0, train);
    if (attention) attention.core.begin(encoder.outputPtr(), bf.srcMask, 1, this.S);
    const sampling = ratio < 1 && random !== null;
    const logits = generator.outputPtr();
    this.sampled = 0;
    let prev = 0; // h̃ of the previous step
    for (let t = 0; t < T; t++) {
      const x = d.xSlot(t), inRow = bf.inIdx + 4 * t * B;
      if (sampling && t > 0) this.sample(B, t, ratio, random!, logits);
      tgtEmb.runForward(B, inRow, bf.emb);
      k.f32_copy2d(B, E, bf.emb, E, x, I);
      if (attention) {
        if (prev) k.f32_copy2d(B, Hd, prev, Hd, x + 4 * E, I);
        else for (let b = 0; b < B; b++) k.f32_fill(Hd, 0, x + 4 * (b * I + E));
      }
      const q = d.step(bf.tgtMask + 4 * t * B);
      prev = attention ? attention.core.step(q) : q;
      if (sampling) generator.runForward(B, prev, logits + 4 * t * B * V);
    }
    // One GEMM for every step's logits (also after sampling: the input the backward reads is every step's).
    generator.runForward(T * B, this.stateAll());
    return logits;
  }

  // Replaces decoder inputs of step t by the argmax of step t−1's logits, each with chance 1 − ratio.
  private sample(B: number, t: number, ratio: number, random: Random, logits: number): void {
    const { heap } = this.be, f = heap.f32, ix = heap.i32, V = this.V, row = (this.buf.inIdx >> 2) + t * B, L = (logits >> 2) + (t - 1) * B * V;
    for (let b = 0; b < B; b++) {
      if (random.next() < ratio) continue;
      let best = 0, bv = -Infinity;
      for (let v = 0; v < V; v++) { const x = f[L + b * V + v]!; if (x > bv) { bv = x; best = v; } }
      ix[row + b] = best;
      this.sampled++;
    }
  }

  /** The attentional states of all steps [T·B, Hd] (the decoder's outputs without attention). */
  stateAll(): number {
    const { attention, decoder } = this.m;
    return attention ? attention.core.output(0) : decoder.driver.output(0);
  }

  /** The loss of the staged targets (mean over their tokens) and, for training, its gradient into the arena. */
  loss(B: number, smoothing: number, withGrad: boolean): number {
    if (this.count === 0) return 0;
    const bf = this.buf, rows = this.T * B;
    const sum = this.be.k.f32_softmax_xent_loss(rows, this.V, this.m.generator.outputPtr(), bf.tgtIdx, bf.tgtMask, -1, smoothing, 1 / this.count, withGrad ? bf.dlogits : 0);
    return sum / this.count;
  }

  /** Backward of the last forward from the loss gradient: every parameter's gradient accumulates. */
  backward(B: number): void {
    const { k } = this.be, { tgtEmb, srcEmb, encoder, decoder, attention, generator, bridge } = this.m;
    const T = this.T, bf = this.buf, { E, Hd, Ld, De } = this, I = this.I, d = decoder.driver;
    const He = this.c.encoder.hiddenSize, Le = this.c.encoder.numLayers;
    const dAll = generator.runBackward(T * B, bf.dlogits); // ∂L/∂h̃ of every step [T·B, Hd]
    const keysGrad = attention ? encoder.prepareBackward().dy : 0;
    if (attention) { attention.core.startBackward(); k.f32_fill(this.S * B * this.K, 0, keysGrad); }
    d.beginBackward(0, 0);
    for (let t = T - 1; t >= 0; t--) {
      const dh = dAll + 4 * t * B * Hd;
      if (attention && t < T - 1) k.f32_add(B * Hd, dh, bf.dfeed, dh); // input feeding: h̃_t was part of step t+1's input
      const dq = attention ? attention.core.backStep(t, d.output(t), dh, keysGrad) : dh;
      const dx = d.backStep(t, dq);
      k.f32_copy2d(B, E, dx, I, bf.demb + 4 * t * B * E, E);
      if (attention) k.f32_copy2d(B, Hd, dx + 4 * E, I, bf.dfeed, Hd);
    }
    d.endBackward();
    if (attention) attention.core.endBackward(d.output(0), keysGrad);
    tgtEmb.runBackward(T * B, bf.inIdx, bf.demb);
    // Back through the bridge into the top encoder layer's final states.
    for (let l = 0; l < Ld; l++) k.f32_copy2d(B, Hd, d.initialGrad(l), Hd, bf.dbridge + 4 * l * Hd, Ld * Hd);
    const dfin = bridge.runBackward(B, bf.dbridge);
    k.f32_fill(Le * De * B * He, 0, bf.dhEnc);
    for (let dd = 0; dd < De; dd++) k.f32_copy2d(B, He, dfin + 4 * dd * He, this.K, bf.dhEnc + 4 * ((Le - 1) * De + dd) * B * He, He);
    encoder.runBackward(bf.dhEnc, null, null, null, { dx: true, zeroDy: !attention });
    srcEmb.runBackward(this.S * B, bf.srcIdx, encoder.prepareBackward().dx);
  }

  /** Σ log p of each staged target, per row (teacher forced, after forward with ratio 1). */
  rowLogProbs(B: number, out: Float64Array): void {
    const { k, heap } = this.be, T = this.T, V = this.V, logits = this.m.generator.outputPtr(), bf = this.buf;
    k.f32_log_softmax_rows(T * B, V, logits, logits);
    const f = heap.f32, ix = heap.i32;
    out.fill(0, 0, B);
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        if (f[(bf.tgtMask >> 2) + t * B + b] === 0) continue;
        out[b] = out[b]! + f[(logits >> 2) + (t * B + b) * V + ix[(bf.tgtIdx >> 2) + t * B + b]!]!;
      }
    }
  }

  clear(): void {
    this.buf = { ...EMPTY };
    this.arena = {};
  }
}
