// The driven runner: a unidirectional (stacked) recurrent layer advanced one
// time step at a time by a caller that makes each step's input from the
// previous step's output — a decoder with input feeding, or fed its own
// predictions (scheduled sampling) — with backpropagation through time.
//
// Forward keeps every step (the same buffers as the sequence runner: inputs,
// gates, states, what the cell saves); backward runs the steps in reverse and
// hands back each step's dX at once (the caller needs it for the step
// before); the weight-gradient GEMMs run once over all steps afterwards, as
// in the sequence runner. Any cell: the steps are the cell's own kernels.
//
// Layout (time-major, D = 1): x [T, B, I] is layer 0's input, written by the
// caller at xSlot(t); per layer y [T, B, H], g (and gh) [T, B, G], states
// S[0..T] [T+1, B, H], the cell's saved slots; dropout between layers keeps
// its multipliers. Backward: per layer dG (and dGh) [T, B, G], running dh, dc
// and the gradient reaching the layer's output at the current step.
import { Carve } from '../../backend/carve.js';
import type { StepGrad, StepIO } from './cell.js';
import type { LayerCore } from './core.js';

interface DriveSpace {
  T: number;
  B: number;
  x: number;
  y: number[];
  drop: number[];
  dropped: number[];
  g: number[];
  gh: number[];
  sh: number[];
  sc: number[];
  sv: number[];
  // backward (0 when carved for inference)
  dg: number[];
  dgh: number[];
  dh: number[];
  dc: number[];
  dy: number[];
  dx: number;
  tmp: number;
}

export class DriveRunner {
  private sp: DriveSpace | null = null;
  private own = 0;
  private arena: object | null = null;
  private io: StepGrad | null = null;
  /** Steps run since begin() (the backward runs them in reverse). */
  private steps = 0;
  private train = false;
  private masks: number[] = [];

  constructor(private readonly c: LayerCore) {}

  private inputOf(l: number): number {
    return l === 0 ? this.c.I : this.c.H;
  }

  private layout(c: Carve, T: number, B: number, backward: boolean): DriveSpace {
    const { cell } = this.c, H = this.c.H, G = cell.gates * H, L = this.c.L, SV = cell.savedPerRow?.(H) ?? 0;
    const sp: DriveSpace = { T, B, x: c.take(T * B * this.c.I), y: [], drop: [], dropped: [], g: [], gh: [], sh: [], sc: [], sv: [], dg: [], dgh: [], dh: [], dc: [], dy: [], dx: 0, tmp: 0 };
    for (let l = 0; l < L; l++) {
      sp.y.push(c.take(T * B * H));
      const dropHere = l < L - 1 && this.c.dropout > 0;
      sp.drop.push(c.maybe(T * B * H, dropHere));
      sp.dropped.push(c.maybe(T * B * H, dropHere));
      sp.g.push(c.take(T * B * G));
      sp.gh.push(c.maybe(T * B * G, cell.separateRecurrent));
      sp.sh.push(c.take((T + 1) * B * H));
      sp.sc.push(c.maybe((T + 1) * B * H, cell.hasCell));
      sp.sv.push(c.maybe(T * B * SV, SV > 0));
      sp.dg.push(c.maybe(T * B * G, backward));
      sp.dgh.push(c.maybe(T * B * G, backward && cell.separateRecurrent));
      sp.dh.push(c.maybe(B * H, backward));
      sp.dc.push(c.maybe(B * H, backward));
      sp.dy.push(c.maybe(B * H, backward));
    }
    sp.dx = c.maybe(B * this.c.I, backward);
    sp.tmp = c.maybe(B * H, backward);
    return sp;
  }

  /** Floats of the buffers for up to T steps of B sequences, in a model's arena. */
  arenaSize(T: number, B: number, backward: boolean): number {
    const c = new Carve();
    this.layout(c, T, B, backward);
    return c.floats;
  }

  /** Places the buffers in a model's arena (from c). */
  bind(arena: object, c: Carve, T: number, B: number, backward: boolean): void {
    if (this.own) this.c.be.heap.free(this.own, this.c.owner);
    this.own = 0;
    this.sp = this.layout(c, T, B, backward);
    this.arena = arena;
  }

  boundTo(arena: object): boolean {
    return this.arena === arena;
  }

  /** Buffers of the layer's own for up to T steps of B sequences (tests, and a layer driven outside a model). */
  ensure(T: number, B: number): void {
    const sp = this.sp;
    if (sp && sp.T >= T && sp.B === B && sp.dg[0]) return;
    if (this.own) this.c.be.heap.free(this.own, this.c.owner);
    const c = new Carve();
    this.layout(c, T, B, true);
    this.own = this.c.be.heap.alloc(c.floats, this.c.owner);
    this.sp = this.layout(new Carve(this.own), T, B, true);
    this.arena = null;
  }

  /**
   * Starts a run of B sequences: the initial states h0 (and c0) [L, B, H]
   * from heap pointers, or zeros. `train` turns dropout between layers on.
   */
  begin(h0: number, c0: number, train: boolean): void {
    const sp = this.sp!, { be, cell } = this.c, { k } = be, n = sp.B * this.c.H;
    this.c.weights.get();
    for (let l = 0; l < this.c.L; l++) {
      if (h0) k.f32_copy(n, h0 + 4 * l * n, sp.sh[l]!); else k.f32_fill(n, 0, sp.sh[l]!);
      if (cell.hasCell) { if (c0) k.f32_copy(n, c0 + 4 * l * n, sp.sc[l]!); else k.f32_fill(n, 0, sp.sc[l]!); }
    }
    this.steps = 0;
    this.train = train && this.c.dropout > 0 && this.c.L > 1;
    this.masks.length = 0;
    const H = this.c.H, G = cell.gates * H;
    this.io ??= { B: sp.B, H, G, w: this.c.weights.get()[0]![0]!, g: 0, gh: 0, hIn: 0, hPrev: 0, hNext: 0, cPrev: 0, cNext: 0, mask: 0, y: 0, ldy: H, sv: 0, dy: 0, dh: 0, dc: 0, dg: 0, dgh: 0 };
    this.io.B = sp.B;
  }

  // The step record for layer l at step t: its slots of the gates, states, saved values and output.
  private at(l: number, t: number, w: StepIO['w'], mask: number): void {
    const sp = this.sp!, s = this.io!, B = sp.B, H = this.c.H, G = this.c.cell.gates * H, SV = this.c.cell.savedPerRow?.(H) ?? 0;
    s.w = w;
    s.g = sp.g[l]! + 4 * t * B * G;
    s.gh = sp.gh[l] ? sp.gh[l]! + 4 * t * B * G : 0;
    s.hPrev = s.hIn = sp.sh[l]! + 4 * t * B * H;
    s.hNext = sp.sh[l]! + 4 * (t + 1) * B * H;
    s.cPrev = sp.sc[l] ? sp.sc[l]! + 4 * t * B * H : 0;
    s.cNext = sp.sc[l] ? sp.sc[l]! + 4 * (t + 1) * B * H : 0;
    s.sv = sp.sv[l] ? sp.sv[l]! + 4 * t * B * SV : 0;
    s.mask = mask;
    s.y = sp.y[l]! + 4 * t * B * H;
  }

  /** Where the caller writes step t's input x_t [B, I]. */
  xSlot(t: number): number {
    return this.sp!.x + 4 * t * this.sp!.B * this.c.I;
  }

  /**
   * Step t = the number of steps run so far, its input at xSlot(t); mask: [B]
   * (1 valid, 0 padding: the state carries through and the output is 0) or
   * 0. Returns the top layer's output y_t [B, H].
   */
  step(mask: number): number {
    const sp = this.sp!, { be, cell } = this.c, { k } = be, t = this.steps;
    const B = sp.B, H = this.c.H, G = cell.gates * H, packs = this.c.weights.get(), s = this.io!;
    let input = this.xSlot(t);
    for (let l = 0; l < this.c.L; l++) {
      const w = packs[l]![0]!, I = this.inputOf(l);
      this.at(l, t, w, mask);
      k.f32_gemm_packed_bias(0, B, G, I, 1, input, I, w.wih, 0, s.g, G, cell.inputBias(w));
      cell.forward(k, s);
      input = s.y;
      if (this.train && l < this.c.L - 1) {
        const n = B * H, keep = 1 - this.c.dropout, scale = 1 / keep, m0 = sp.drop[l]! + 4 * t * n, mv = be.heap.view(m0, n);
        for (let i = 0; i < n; i++) mv[i] = this.c.random.next() < keep ? scale : 0;
        input = sp.dropped[l]! + 4 * t * n;
        k.f32_mul(n, s.y, m0, input);
      }
    }
    this.masks[t] = mask;
    this.steps = t + 1;
    return s.y;
  }

  /** The top layer's output at step t [B, H]. */
  output(t: number): number {
    return this.sp!.y[this.c.L - 1]! + 4 * t * this.sp!.B * this.c.H;
  }

  /** Layer l's state after the steps run so far [B, H] (padding rows carried theirs through). */
  state(l: number, cell = false): number {
    const sp = this.sp!;
    return (cell ? sp.sc : sp.sh)[l]! + 4 * this.steps * sp.B * this.c.H;
  }

  /** Starts the backward pass: the gradients w.r.t. the final states [L, B, H] (heap pointers), or none. */
  beginBackward(dh: number, dc: number): void {
    const sp = this.sp!, { k } = this.c.be, n = sp.B * this.c.H;
    for (let l = 0; l < this.c.L; l++) {
      if (dh) k.f32_copy(n, dh + 4 * l * n, sp.dh[l]!); else k.f32_fill(n, 0, sp.dh[l]!);
      if (dc) k.f32_copy(n, dc + 4 * l * n, sp.dc[l]!); else k.f32_fill(n, 0, sp.dc[l]!);
    }
  }

  /**
   * Backward of step t (call for t = steps−1 down to 0): dy [B, H] is the
   * gradient reaching the top layer's output y_t (0: none). Returns dX_t
   * [B, I] (the gradient w.r.t. xSlot(t)), valid until the next call.
   */
  backStep(t: number, dy: number): number {
    const sp = this.sp!, { be, cell } = this.c, { k } = be;
    const B = sp.B, H = this.c.H, G = cell.gates * H, packs = this.c.weights.get(), s = this.io!;
    const mask = this.masks[t]!;
    for (let l = this.c.L - 1; l >= 0; l--) {
      const w = packs[l]![0]!, I = this.inputOf(l);
      this.at(l, t, w, mask);
      s.dy = l === this.c.L - 1 ? dy : sp.dy[l]!;
      s.dh = sp.dh[l]!;
      s.dc = sp.dc[l]!;
      s.dg = sp.dg[l]! + 4 * t * B * G;
      s.dgh = sp.dgh[l] ? sp.dgh[l]! + 4 * t * B * G : 0;
      const rec = cell.backward(k, s);
      k.f32_gemm_packed_bias(0, B, H, G, 1, rec, G, w.whhB, 1, sp.dh[l]!, H, 0);
      // dX_t = dG_x · W_ih, into the layer below's output gradient (through its dropout) or the caller's slot.
      const dIn = l === 0 ? sp.dx : sp.dy[l - 1]!;
      k.f32_gemm_packed_bias(0, B, I, G, 1, s.dg, G, w.wihB, 0, dIn, I, 0);
      if (l > 0 && this.train) k.f32_mul(B * H, dIn, sp.drop[l - 1]! + 4 * t * B * H, dIn);
    }
    return sp.dx;
  }

  /** The gradients w.r.t. the initial states after the backward steps: layer l's dh (and dc) [B, H]. */
  initialGrad(l: number, cell = false): number {
    return (cell ? this.sp!.dc : this.sp!.dh)[l]!;
  }

  /** Ends the backward pass: every parameter's gradient from all steps, in three GEMMs per layer. */
  endBackward(): void {
    const sp = this.sp!, { cell, params } = this.c, { k } = this.c.be;
    const T = this.steps, B = sp.B, H = this.c.H, G = cell.gates * H;
    for (let l = 0; l < this.c.L; l++) {
      const s = `l${l}`, I = this.inputOf(l);
      const input = l === 0 ? sp.x : this.train ? sp.dropped[l - 1]! : sp.y[l - 1]!;
      const dGx = sp.dg[l]!, dGh = cell.separateRecurrent ? sp.dgh[l]! : sp.dg[l]!;
      k.f32_gemm(1, 0, G, I, T * B, 1, dGx, G, input, I, 1, params.g(`weight_ih_${s}`), I);
      k.f32_gemm(1, 0, G, H, T * B, 1, dGh, G, sp.sh[l]!, H, 1, params.g(`weight_hh_${s}`), H);
      if (this.c.bias && !cell.ownsBiasGrad) {
        k.f32_sum_rows(T * B, G, dGx, G, params.g(`bias_ih_${s}`));
        k.f32_sum_rows(T * B, G, dGh, G, params.g(`bias_hh_${s}`));
      }
    }
  }

  /** Forgets the buffers (their blocks go with the layer's owner or the model's arena). */
  clear(): void {
    this.sp = null;
    this.own = 0;
    this.arena = null;
  }
}
