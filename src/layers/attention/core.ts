// Global attention over a source sequence for a decoder, one step of R query
// rows at a time on the heap, forward beside backward, in the form of Luong
// et al. 2015 (the attentional state h̃ = tanh(W_out [c; q]), which input
// feeding hands to the next step) with three scores:
//   dot       e_j = q · k_j                      (needs queryDim = keyDim)
//   general   e_j = (W_in q) · k_j               (Luong's general, q'ᵀ k)
//   additive  e_j = vᵀ tanh(W_q q + b_q + W_k k_j)   (Bahdanau et al. 2015)
// α = softmax over the real source positions, c = Σ_j α_j k_j.
//
// Keys [S, Bk, K] time-major (a recurrent encoder's output, read in place);
// row r belongs to sentence r / group. Each step keeps α, c, h̃ (and q' or
// the additive query) for the backward steps; the weight gradients are GEMMs
// over all steps at the end, as in the recurrent runners.
import type { Backend } from '../../backend/backend.js';
import type { HeapOwner } from '../../backend/heap.js';
import { Carve } from '../../backend/carve.js';
import { packedSize } from '../../backend/kernel_args.js';
import type { Params } from '../params.js';

/** The score of a query q against a key k: qᵀk ('dot'), qᵀW k ('general'), vᵀ tanh(W_q q + W_k k) ('additive'). */
export type AttentionScore = 'dot' | 'general' | 'additive';

interface Space {
  T: number; R: number; S: number; Bk: number;
  alpha: number; ctx: number; out: number; qs: number; // per step [T, R, ·]: α, c, h̃, q' (general) or u (additive)
  P: number; // additive: W_k·keys [S, Bk, A]
  dz: number; dqs: number; dqd: number; dctx: number; dq: number; de: number; // backward
  dP: number;
}

export class AttentionCore {
  private sp: Space | null = null;
  private own = 0;
  private arena: object | null = null;
  private packs = { version: -1, outC: 0, outQ: 0, outCb: 0, outQb: 0, inF: 0, inB: 0, qF: 0, qB: 0, kF: 0, kB: 0 };
  private keys = 0;
  private mask = 0;
  private group = 1;
  private steps = 0;
  /** Source positions of the current run (≤ the buffers' S). */
  private S = 0;

  constructor(private readonly be: Backend, private readonly params: Params, private readonly owner: HeapOwner,
              readonly score: AttentionScore, readonly Hq: number, readonly K: number, readonly A: number) {}

  private layout(c: Carve, T: number, R: number, S: number, Bk: number, backward: boolean): Space {
    const { Hq, K, A } = this, qsW = this.score === 'general' ? K : this.score === 'additive' ? A : 0;
    return {
      T, R, S, Bk,
      alpha: c.take(T * R * S), ctx: c.take(T * R * K), out: c.take(T * R * Hq), qs: c.maybe(T * R * qsW, qsW > 0),
      P: c.maybe(S * Bk * A, this.score === 'additive'),
      dz: c.maybe(T * R * Hq, backward), dqs: c.maybe(T * R * qsW, backward && qsW > 0), dctx: c.maybe(R * K, backward), dq: c.maybe(R * Hq, backward), de: c.maybe(S, backward),
      dqd: c.maybe(R * K, backward && this.score === 'dot'),
      dP: c.maybe(S * Bk * A, backward && this.score === 'additive'),
    };
  }

  /** Floats of the buffers for T steps of R rows over S positions of Bk sentences, in a model's arena. */
  arenaSize(T: number, R: number, S: number, Bk: number, backward: boolean): number {
    const c = new Carve();
    this.layout(c, T, R, S, Bk, backward);
    return c.floats;
  }

  bind(arena: object, c: Carve, T: number, R: number, S: number, Bk: number, backward: boolean): void {
    if (this.own) this.be.heap.free(this.own, this.owner);
    this.own = 0;
    this.sp = this.layout(c, T, R, S, Bk, backward);
    this.arena = arena;
  }

  boundTo(arena: object): boolean {
    return this.arena === arena;
  }

  /** Buffers of its own (the public forward). */
  ensure(T: number, R: number, S: number, Bk: number): void {
    const sp = this.sp;
    if (sp && !this.arena && sp.T >= T && sp.R === R && sp.S === S && sp.Bk === Bk) return;
    if (this.own) this.be.heap.free(this.own, this.owner);
    const c = new Carve();
    this.layout(c, T, R, S, Bk, true);
    this.own = this.be.heap.alloc(c.floats, this.owner);
    this.sp = this.layout(new Carve(this.own), T, R, S, Bk, true);
    this.arena = null;
  }

  // The weights packed for the GEMMs, once per parameter version.
  private pack(): typeof this.packs {
    const pk = this.packs, p = this.params, { k, heap } = this.be, { Hq, K, A } = this;
    if (pk.version === p.version) return pk;
    const alloc = (n: number): number => heap.alloc(n, this.owner);
    if (pk.version < 0) {
      pk.outC = alloc(packedSize(K, Hq)); pk.outQ = alloc(packedSize(Hq, Hq)); pk.outCb = alloc(packedSize(Hq, K)); pk.outQb = alloc(packedSize(Hq, Hq));
      if (this.score === 'general') { pk.inF = alloc(packedSize(Hq, K)); pk.inB = alloc(packedSize(K, Hq)); }
      if (this.score === 'additive') { pk.qF = alloc(packedSize(Hq, A)); pk.qB = alloc(packedSize(A, Hq)); pk.kF = alloc(packedSize(K, A)); pk.kB = alloc(packedSize(A, K)); }
    }
    const W = p.p('linear_out.weight'), ld = K + Hq; // [Hq, K + Hq]: h̃ = tanh(W[:, :K]·c + W[:, K:]·q)
    k.f32_pack_b(1, K, Hq, W, ld, pk.outC); k.f32_pack_b(1, Hq, Hq, W + 4 * K, ld, pk.outQ);
    k.f32_pack_b(0, Hq, K, W, ld, pk.outCb); k.f32_pack_b(0, Hq, Hq, W + 4 * K, ld, pk.outQb);
    if (this.score === 'general') { const Wi = p.p('linear_in.weight'); k.f32_pack_b(1, Hq, K, Wi, Hq, pk.inF); k.f32_pack_b(0, K, Hq, Wi, Hq, pk.inB); }
    if (this.score === 'additive') {
      const Wq = p.p('linear_query.weight'), Wk = p.p('linear_context.weight');
      k.f32_pack_b(1, Hq, A, Wq, Hq, pk.qF); k.f32_pack_b(0, A, Hq, Wq, Hq, pk.qB);
      k.f32_pack_b(1, K, A, Wk, K, pk.kF); k.f32_pack_b(0, A, K, Wk, K, pk.kB);
    }
    pk.version = p.version;
    return pk;
  }

  /**
   * Starts a run over keys [S, Bk, K] with their mask [S, Bk] (S ≤ the
   * buffers' S; default theirs); rows r of a step belong to sentence r / group.
   */
  begin(keys: number, mask: number, group: number, S = this.sp!.S): void {
    const sp = this.sp!, pk = this.pack();
    this.keys = keys; this.mask = mask; this.group = group; this.steps = 0; this.S = S;
    if (this.score === 'additive') this.be.k.f32_gemm_packed_bias(0, S * sp.Bk, this.A, this.K, 1, keys, this.K, pk.kF, 0, sp.P, this.A, 0);
  }

  /** Source positions of the current run. */
  get positions(): number {
    return this.S;
  }

  /** Starts a backward pass over the steps run (the additive score's key-side gradient starts from zero). */
  startBackward(): void {
    const sp = this.sp!;
    if (sp.dP) this.be.k.f32_fill(this.S * sp.Bk * this.A, 0, sp.dP);
  }

  /** The attention weights of step t [R, S] and its context [R, K]. */
  weights(t: number): number { return this.sp!.alpha + 4 * t * this.sp!.R * this.sp!.S; }
  context(t: number): number { return this.sp!.ctx + 4 * t * this.sp!.R * this.K; }
  /** The attentional state h̃ of step t [R, Hq]. */
  output(t: number): number { return this.sp!.out + 4 * t * this.sp!.R * this.Hq; }

  /** Step t = steps run so far, for the queries q [R, Hq]: writes α, c and h̃; returns h̃. */
  step(q: number): number {
    const sp = this.sp!, pk = this.pack(), { k } = this.be, { Hq, K, A } = this, t = this.steps, R = sp.R, S = this.S;
    const alpha = this.weights(t), ctx = this.context(t), out = this.output(t);
    if (this.score === 'dot') {
      k.f32_attn_dot_fwd(R, S, K, this.group, q, this.keys, this.mask, alpha, ctx);
    } else if (this.score === 'general') {
      const qs = sp.qs + 4 * t * R * K;
      k.f32_gemm_packed_bias(0, R, K, Hq, 1, q, Hq, pk.inF, 0, qs, K, 0);
      k.f32_attn_dot_fwd(R, S, K, this.group, qs, this.keys, this.mask, alpha, ctx);
    } else {
      const u = sp.qs + 4 * t * R * A;
      k.f32_gemm_packed_bias(0, R, A, Hq, 1, q, Hq, pk.qF, 0, u, A, this.params.p('linear_query.bias'));
      k.f32_attn_additive_fwd(R, S, A, K, this.group, u, sp.P, this.params.p('v'), this.keys, this.mask, alpha, ctx);
    }
    k.f32_gemm_packed_bias(0, R, Hq, K, 1, ctx, K, pk.outC, 0, out, Hq, 0);
    k.f32_gemm_packed_bias(0, R, Hq, Hq, 1, q, Hq, pk.outQ, 1, out, Hq, 0);
    k.f32_tanh(R * Hq, out, out);
    this.steps = t + 1;
    return out;
  }

  /**
   * Backward of step t (t = steps−1 down to 0) given dOut = ∂L/∂h̃_t [R, Hq]
   * and the step's queries q: accumulates into dkeys [S, Bk, K] (the
   * context and dot paths; the additive score's reaches them at the end);
   * returns dq [R, Hq], valid until the next call.
   */
  backStep(t: number, q: number, dOut: number, dkeys: number): number {
    const sp = this.sp!, pk = this.pack(), { k } = this.be, { Hq, K, A } = this, R = sp.R, S = this.S;
    const dz = sp.dz + 4 * t * R * Hq;
    k.f32_tanh_bwd(R * Hq, this.output(t), dOut, dz);
    k.f32_gemm_packed_bias(0, R, K, Hq, 1, dz, Hq, pk.outCb, 0, sp.dctx, K, 0);
    k.f32_gemm_packed_bias(0, R, Hq, Hq, 1, dz, Hq, pk.outQb, 0, sp.dq, Hq, 0);
    const alpha = this.weights(t);
    if (this.score === 'dot') {
      // The score's share of dq (K = Hq) in scratch, then added to the direct path's.
      k.f32_attn_dot_bwd(R, S, K, this.group, q, this.keys, alpha, sp.dctx, sp.dqd, dkeys, sp.de);
      k.f32_add(R * Hq, sp.dq, sp.dqd, sp.dq);
    } else if (this.score === 'general') {
      const qs = sp.qs + 4 * t * R * K, dqs = sp.dqs + 4 * t * R * K;
      k.f32_attn_dot_bwd(R, S, K, this.group, qs, this.keys, alpha, sp.dctx, dqs, dkeys, sp.de);
      k.f32_gemm_packed_bias(0, R, Hq, K, 1, dqs, K, pk.inB, 1, sp.dq, Hq, 0);
    } else {
      const u = sp.qs + 4 * t * R * A, du = sp.dqs + 4 * t * R * A;
      k.f32_attn_additive_bwd(R, S, A, K, this.group, u, sp.P, this.params.p('v'), this.keys, alpha, sp.dctx, du, sp.dP, this.params.g('v'), dkeys, sp.de);
      k.f32_gemm_packed_bias(0, R, Hq, A, 1, du, A, pk.qB, 1, sp.dq, Hq, 0);
    }
    return sp.dq;
  }

  /** The weight gradients from all steps; qAll [T·R, Hq] are the steps' queries; the additive keys' rest into dkeys. */
  endBackward(qAll: number, dkeys: number): void {
    const sp = this.sp!, pk = this.pack(), { k } = this.be, { Hq, K, A } = this, n = this.steps * sp.R, p = this.params;
    const gW = p.g('linear_out.weight');
    k.f32_gemm(1, 0, Hq, K, n, 1, sp.dz, Hq, sp.ctx, K, 1, gW, K + Hq);
    k.f32_gemm(1, 0, Hq, Hq, n, 1, sp.dz, Hq, qAll, Hq, 1, gW + 4 * K, K + Hq);
    if (this.score === 'general') k.f32_gemm(1, 0, K, Hq, n, 1, sp.dqs, K, qAll, Hq, 1, p.g('linear_in.weight'), Hq);
    if (this.score === 'additive') {
      k.f32_gemm(1, 0, A, Hq, n, 1, sp.dqs, A, qAll, Hq, 1, p.g('linear_query.weight'), Hq);
      k.f32_sum_rows(n, A, sp.dqs, A, p.g('linear_query.bias'));
      const rows = this.S * sp.Bk;
      k.f32_gemm(1, 0, A, K, rows, 1, sp.dP, A, this.keys, K, 1, p.g('linear_context.weight'), K);
      k.f32_gemm_packed_bias(0, rows, K, A, 1, sp.dP, A, pk.kB, 1, dkeys, K, 0);
    }
  }

  clear(): void {
    this.sp = null;
    this.own = 0;
    this.arena = null;
    this.packs.version = -1;
  }
}
