// Decoding on the heap: batched beam search (greedy is beam 1) and sampling.
// The beams of all B sentences of a batch are R = B·beam rows of one decoder
// run: the encoder runs once per sentence, attention reads each sentence's
// keys for all its beams (group = beam), and after each step the surviving
// hypotheses' states are gathered into place (f32_gather_rows). Every buffer
// is carved once per (S, maxLength, B, beam); a step allocates nothing.
//
// The pad and bos tokens are never generated. Beam search, per sentence and step t (n = t + 1 tokens so far, eos
// included): every live hypothesis k extends by every token v with score
// s_k + log p(v); the 2·beam best candidates (ties: lower k·V + v first) are
// taken in order: one ending in eos is finished (ranked by s / lp(n), lp(n) =
// ((5 + n)/6)^α, GNMT's length penalty; the best nBest are kept), any other
// continues, until beam of them continue. A sentence is done when it has
// nBest finished hypotheses and its best live one, ranked the same way, is
// worse than the worst of them, or at maxLength; then live hypotheses fill
// the n-best list if it is short (they end without eos). Scores returned are
// the raw sums of the log-probabilities (eos included); lp only ranks.
import type { Backend } from '../../backend/backend.js';
import type { HeapOwner } from '../../backend/heap.js';
import { Carve } from '../../backend/carve.js';
import type { Random } from '../../util/rng.js';
import type { Seq2SeqEngine } from './engine.js';
import type { Pairs } from './data.js';

export interface DecodeOptions {
  beam: number;
  maxLength: number;
  lengthPenalty: number;
  nBest: number;
  returnAttention: boolean;
  /** Sampling instead of search (beam 1): softmax(log p / temperature) over the topK best (0: all). */
  sample: { temperature: number; topK: number; random: Random } | null;
}

export interface Hypothesis {
  tokens: number[];
  score: number;
  attention?: Float32Array;
}

/** A hypothesis while searching: raw score, tokens incl. eos (n), where its chain of live rows ends. */
interface Hyp { s: number; n: number; lastLive: number; row: number; finished: boolean }

interface DecodeBuffers {
  S: number; T: number; B: number; beam: number; ptr: number; floats: number;
  srcIdx: number; srcMask: number; h0: number; inIdx: number; emb: number; feed: number; parent: number; tmp: number; expand: number;
}

const lp = (n: number, alpha: number): number => (alpha === 0 ? 1 : ((5 + n) / 6) ** alpha);

export class Decoder {
  private buf: DecodeBuffers | null = null;
  private readonly arena: object = {};
  // JS-side bookkeeping, grown only when the shapes grow.
  private score = new Float64Array(0);
  private tok = new Int32Array(0);
  private par = new Int32Array(0);
  private cand = { s: new Float64Array(0), i: new Int32Array(0) };

  constructor(private readonly be: Backend, private readonly owner: HeapOwner, private readonly e: Seq2SeqEngine) {}

  private carve(c: Carve, S: number, T: number, B: number, beam: number): void {
    const { encoder, decoder, attention, bridge, generator } = this.e.m, a = this.arena, R = B * beam, bind = !c.dry;
    const Hd = this.e.Hd, wide = Math.max(Hd, this.e.c.encoder.hiddenSize, this.e.c.decoder.hiddenSize);
    const own = {
      srcIdx: c.take(S * B), srcMask: c.take(S * B), h0: c.take(this.e.Ld * R * Hd), inIdx: c.take(R), emb: c.take(R * this.e.E),
      feed: c.take(R * Hd), parent: c.take(R), tmp: c.take(R * wide), expand: c.take(R),
    };
    const needs = { input: true, backward: false, dx: false, topDy: false };
    if (bind) encoder.bindArena(a, c, S, B, needs); else c.take(encoder.arenaSize(S, B, needs));
    if (bind) decoder.driver.bind(a, c, T, R, false); else c.take(decoder.driver.arenaSize(T, R, false));
    if (attention) { if (bind) attention.core.bind(a, c, T, R, S, B, false); else c.take(attention.core.arenaSize(T, R, S, B, false)); }
    if (bind) bridge.bindArena(a, c, B, false); else c.take(bridge.arenaSize(B, false));
    if (bind) generator.bindArena(a, c, R, false); else c.take(generator.arenaSize(R, false));
    if (bind) this.buf = { ...this.buf!, ...own, S, T, B, beam };
  }

  private ensure(S: number, T: number, B: number, beam: number): DecodeBuffers {
    const b = this.buf, { encoder, decoder, attention, generator, bridge } = this.e.m, a = this.arena;
    const bound = encoder.boundTo(a) && decoder.driver.boundTo(a) && (!attention || attention.core.boundTo(a)) && generator.boundTo(a) && bridge.boundTo(a);
    if (b && b.S >= S && b.T >= T && b.B === B && b.beam === beam && bound) return b;
    const cS = b && b.B === B && b.beam === beam ? Math.max(S, b.S) : S, cT = b && b.B === B && b.beam === beam ? Math.max(T, b.T) : T;
    const dry = new Carve();
    this.carve(dry, cS, cT, B, beam);
    if (!b || b.floats !== dry.floats) {
      if (b) this.be.heap.free(b.ptr, this.owner);
      const ptr = this.be.heap.alloc(dry.floats, this.owner);
      this.buf = { ...(b ?? {} as DecodeBuffers), ptr, floats: dry.floats };
    }
    this.carve(new Carve(this.buf!.ptr), cS, cT, B, beam);
    const R = B * beam;
    if (this.score.length < R) { this.score = new Float64Array(R); this.cand = { s: new Float64Array(2 * R), i: new Int32Array(2 * R) }; }
    if (this.tok.length < cT * R) { this.tok = new Int32Array(cT * R); this.par = new Int32Array(cT * R); }
    return this.buf!;
  }

  /** Decodes pairs idx (B of them; −1 = filler) of p; returns each real one's hypotheses, best first. */
  run(p: Pairs, idx: Int32Array, o: DecodeOptions, out: Hypothesis[][]): void {
    const B = idx.length, beam = o.sample ? 1 : o.beam, R = B * beam, e = this.e, { k, heap } = this.be;
    let S = 1;
    for (let b = 0; b < B; b++) if (idx[b]! >= 0) S = Math.max(S, p.srcLen[idx[b]!]!);
    const T = o.maxLength, bf = this.ensure(S, T, B, beam);
    const { srcEmb, encoder, bridge, tgtEmb, decoder, attention, generator } = e.m;
    const { E, Hd, V, Ld, De, K } = e, I = e.I, He = e.c.encoder.hiddenSize, Le = e.c.encoder.numLayers, { bos, eos, pad } = e.c.tokens;
    // Views are read where they are used: packing weights on first use may grow the memory, which detaches old views.
    let f = heap.f32, ix = heap.i32;
    // Sources, the encoder, the bridge; the initial states copied to every beam of their sentence.
    for (let b = 0; b < B; b++) {
      const n = idx[b]!, sl = n < 0 ? 0 : p.srcLen[n]!;
      for (let j = 0; j < S; j++) { ix[(bf.srcIdx >> 2) + j * B + b] = j < sl ? p.src[n * p.S + j]! : pad; f[(bf.srcMask >> 2) + j * B + b] = j < sl ? 1 : 0; }
    }
    srcEmb.runForward(S * B, bf.srcIdx, encoder.prepare(S, B).x0);
    encoder.runForward(S, B, true, false, null, null, { mask: bf.srcMask });
    for (let d = 0; d < De; d++) k.f32_copy2d(B, He, encoder.finalStatePtr(Le - 1, d), He, bf.tmp + 4 * d * He, K);
    const y = bridge.runForward(B, bf.tmp);
    ix = heap.i32;
    for (let r = 0; r < R; r++) ix[(bf.expand >> 2) + r] = Math.floor(r / beam);
    for (let l = 0; l < Ld; l++) {
      k.f32_copy2d(B, Hd, y + 4 * l * Hd, Ld * Hd, bf.feed, Hd); // the layer's rows, contiguous
      k.f32_gather_rows(R, bf.expand, bf.feed, Hd, bf.h0 + 4 * l * R * Hd);
    }
    const d = decoder.driver;
    d.begin(bf.h0, 0, false);
    if (attention) attention.core.begin(encoder.outputPtr(), bf.srcMask, beam, S);
    ix = heap.i32;
    for (let r = 0; r < R; r++) { ix[(bf.inIdx >> 2) + r] = bos; this.score[r] = r % beam === 0 && idx[Math.floor(r / beam)]! >= 0 ? 0 : -Infinity; }
    k.f32_fill(R * Hd, 0, bf.feed);
    const fin: Hyp[][] = Array.from({ length: B }, () => []);
    const doneAt = new Int32Array(B); // steps run when the sentence was done (0: not yet)
    for (let b = 0; b < B; b++) if (idx[b]! < 0) doneAt[b] = -1;
    let steps = 0;
    for (let t = 0; t < T; t++) {
      const x0 = d.xSlot(t);
      tgtEmb.runForward(R, bf.inIdx, bf.emb);
      k.f32_copy2d(R, E, bf.emb, E, x0, I);
      if (attention) k.f32_copy2d(R, Hd, bf.feed, Hd, x0 + 4 * E, I);
      const q = d.step(0);
      const h = attention ? attention.core.step(q) : q;
      const logp = generator.runForward(R, h);
      k.f32_log_softmax_rows(R, V, logp, logp);
      f = heap.f32; ix = heap.i32;
      // Never generated: the padding and the start token (their probability stays in the others' scores' normalizer).
      for (let r = 0, L = logp >> 2; r < R; r++) { f[L + r * V + pad] = -Infinity; f[L + r * V + bos] = -Infinity; }
      steps = t + 1;
      if (o.sample) this.sampleStep(R, t, logp, eos, o.sample, fin, doneAt);
      else this.beamStep(B, beam, t, logp, eos, o, fin, doneAt);
      let all = true;
      for (let b = 0; b < B; b++) if (doneAt[b] === 0) { all = false; break; }
      if (all || t === T - 1) break;
      // The next step's inputs and states, in the surviving hypotheses' order.
      const pr = bf.parent >> 2;
      for (let r = 0; r < R; r++) { ix[pr + r] = this.par[t * R + r]!; ix[(bf.inIdx >> 2) + r] = this.tok[t * R + r]!; }
      for (let l = 0; l < Ld; l++) {
        this.gather(R, bf.parent, d.state(l), Hd, bf.tmp);
        if (decoder.hasCellState) this.gather(R, bf.parent, d.state(l, true), Hd, bf.tmp);
      }
      if (attention) k.f32_gather_rows(R, bf.parent, h, Hd, bf.feed);
    }
    for (let b = 0; b < B; b++) {
      const n = idx[b]!;
      if (n < 0) continue;
      const list = fin[b]!, last = doneAt[b]! > 0 ? doneAt[b]! : steps;
      for (let kk = 0; kk < beam && list.length < o.nBest; kk++) {
        const r = b * beam + kk, sc = this.score[r]!;
        if (sc !== -Infinity) list.push({ s: sc, n: last, lastLive: last - 1, row: r, finished: false });
      }
      list.sort((h1, h2) => h2.s / lp(h2.n, o.lengthPenalty) - h1.s / lp(h1.n, o.lengthPenalty));
      out[n] = list.slice(0, o.nBest).map((hy) => this.hypothesis(hy, R, o.returnAttention, S));
    }
  }

  private gather(R: number, parent: number, rows: number, H: number, tmp: number): void {
    this.be.k.f32_gather_rows(R, parent, rows, H, tmp);
    this.be.k.f32_copy(R * H, tmp, rows);
  }

  // One beam-search step for every sentence still searching: the survivors' parent rows, tokens and scores at step t.
  private beamStep(B: number, beam: number, t: number, logp: number, eos: number, o: DecodeOptions, fin: Hyp[][], doneAt: Int32Array): void {
    const f = this.be.heap.f32, V = this.e.V, R = B * beam, L = logp >> 2, top = 2 * beam, cs = this.cand.s, ci = this.cand.i, alpha = o.lengthPenalty;
    const score = this.score;
    for (let b = 0; b < B; b++) {
      const base = b * beam;
      if (doneAt[b] !== 0) {
        for (let kk = 0; kk < beam; kk++) { this.par[t * R + base + kk] = base + kk; this.tok[t * R + base + kk] = eos; }
        continue;
      }
      let n = 0;
      for (let kk = 0; kk < beam; kk++) {
        const s0 = score[base + kk]!;
        if (s0 === -Infinity) continue;
        const row = L + (base + kk) * V;
        for (let v = 0; v < V; v++) {
          const s = s0 + f[row + v]!;
          if (s === -Infinity || (n === top && s <= cs[top - 1]!)) continue;
          // Insert keeping order: higher score first; an equal one goes after (lower index first).
          let j = n < top ? n++ : top - 1;
          while (j > 0 && cs[j - 1]! < s) { cs[j] = cs[j - 1]!; ci[j] = ci[j - 1]!; j--; }
          cs[j] = s; ci[j] = kk * V + v;
        }
      }
      const list = fin[b]!;
      let live = 0;
      for (let c = 0; c < n && live < beam; c++) {
        const kk = Math.floor(ci[c]! / V), v = ci[c]! % V;
        if (v === eos) { keepBest(list, { s: cs[c]!, n: t + 1, lastLive: t - 1, row: base + kk, finished: true }, o.nBest, alpha); continue; }
        this.par[t * R + base + live] = base + kk;
        this.tok[t * R + base + live] = v;
        ci[c] = -1 - live; // survivor `live` takes candidate c's score below (the old scores are all read)
        live++;
      }
      for (let c = 0; c < n; c++) if (ci[c]! < 0) score[base + (-1 - ci[c]!)] = cs[c]!;
      for (let kk = live; kk < beam; kk++) { score[base + kk] = -Infinity; this.par[t * R + base + kk] = base; this.tok[t * R + base + kk] = eos; }
      const worst = list.length >= o.nBest ? list[o.nBest - 1]!.s / lp(list[o.nBest - 1]!.n, alpha) : Infinity;
      if (live === 0 || (list.length >= o.nBest && score[base]! / lp(t + 1, alpha) < worst)) doneAt[b] = t + 1;
    }
  }

  // One sampling step (beam 1): a token from softmax(log p / temperature) over the topK best.
  private sampleStep(R: number, t: number, logp: number, eos: number, smp: NonNullable<DecodeOptions['sample']>, fin: Hyp[][], doneAt: Int32Array): void {
    const f = this.be.heap.f32, V = this.e.V, L = logp >> 2, K = smp.topK > 0 ? Math.min(smp.topK, V) : V;
    if (this.cand.s.length < K) this.cand = { s: new Float64Array(K), i: new Int32Array(K) };
    const cs = this.cand.s, ci = this.cand.i;
    for (let r = 0; r < R; r++) {
      this.par[t * R + r] = r;
      this.tok[t * R + r] = eos;
      if (doneAt[r] !== 0) continue;
      const row = L + r * V;
      let n = 0;
      for (let v = 0; v < V; v++) {
        const s = f[row + v]!;
        if (s === -Infinity || (n === K && s <= cs[K - 1]!)) continue;
        let j = n < K ? n++ : K - 1;
        while (j > 0 && cs[j - 1]! < s) { cs[j] = cs[j - 1]!; ci[j] = ci[j - 1]!; j--; }
        cs[j] = s; ci[j] = v;
      }
      let z = 0;
      for (let j = 0; j < n; j++) z += Math.exp((cs[j]! - cs[0]!) / smp.temperature);
      let u = smp.random.next() * z, pick = n - 1;
      for (let j = 0; j < n; j++) { u -= Math.exp((cs[j]! - cs[0]!) / smp.temperature); if (u <= 0) { pick = j; break; } }
      const v = ci[pick]!, before = this.score[r]!;
      this.score[r] = before + cs[pick]!;
      if (v === eos) {
        fin[r]!.push({ s: this.score[r]!, n: t + 1, lastLive: t - 1, row: r, finished: true });
        this.score[r] = before;
        doneAt[r] = t + 1;
        continue;
      }
      this.tok[t * R + r] = v;
    }
  }

  // Tokens (and attention rows) of a hypothesis, following the parents back from its last live step.
  private hypothesis(hy: Hyp, R: number, withAtt: boolean, S: number): Hypothesis {
    const tokens: number[] = [], comp: number[] = []; // comp[s]: the row that computed step s
    let row = hy.row;
    for (let t = hy.lastLive; t >= 0; t--) {
      tokens.push(this.tok[t * R + row]!);
      row = this.par[t * R + row]!;
      comp.push(row);
    }
    tokens.reverse();
    comp.reverse();
    if (hy.finished) comp.push(hy.row); // eos came from hy.row at step lastLive + 1
    const out: Hypothesis = { tokens, score: hy.s };
    if (withAtt && this.e.m.attention) {
      const f = this.be.heap.f32, core = this.e.m.attention.core, att = new Float32Array(comp.length * S);
      comp.forEach((r, s) => { const w = (core.weights(s) >> 2) + r * S; att.set(f.subarray(w, w + S), s * S); });
      out.attention = att;
    }
    return out;
  }

  clear(): void {
    this.buf = null;
  }
}

// Keeps the nBest best finished hypotheses (by score / lp), best first.
function keepBest(list: Hyp[], h: Hyp, nBest: number, alpha: number): void {
  const key = (x: { s: number; n: number }): number => x.s / lp(x.n, alpha);
  let i = list.length;
  while (i > 0 && key(list[i - 1]!) < key(h)) i--;
  if (i >= nBest) return;
  list.splice(i, 0, h);
  if (list.length > nBest) list.pop();
}
