// The sequence runner: a recurrent layer over whole sequences, for any cell.
//
// Data path (DESIGN.md): per layer and direction, one GEMM projects the
// inputs of all T steps at once ([T·B, I] × [I, G·H]); each step then does
// the cell's step (its recurrent GEMM and one fused pointwise kernel).
// Backward runs the cell's backward per step, adds dGh·W_hh into dh, keeps
// the gate gradients of all steps, and computes dW_ih, dW_hh and dX as three
// big GEMMs after the loop.
//
// Inside, everything is time-major: x is [T, B, I], a layer's output is
// [T, B, D·H] with direction d in columns d·H … d·H+H, and each direction
// keeps its states in S[0..T] ([T+1, B, H]): the forward direction reads
// S[t] and writes S[t+1]; the reverse one reads S[t+1] and writes S[t], so
// its initial state sits in S[T]. Padding steps (mask 0) carry state
// through and emit zeros, which gives PyTorch's packed-sequence results: the
// reverse direction starts each sequence at its own last valid step.
import type { Carve } from '../../backend/carve.js';
import type { StepGrad, StepIO } from './cell.js';
import type { Kernels } from '../../backend/backend.js';
import type { StepCall } from '../../backend/steps.js';
import type { LayerCore } from './core.js';
import { Workspaces, type Workspace, type BackSpace, type ArenaNeeds } from './workspace.js';
import { laneable, laneCuts } from '../../backend/lanes.js';

/** Hidden units a lane has at least: at 32 (H = 64 on two threads) the barrier cost what the halves saved (0.86–1.07× one thread). */
const LANE_LEAST = 48;

export type { ArenaNeeds } from './workspace.js';
export type { LayerCore } from './core.js';

interface ForwardRecord {
  T: number;
  B: number;
  masked: boolean;
  dropout: boolean;
  rdrop: boolean;
  /** Where layer 0's input and the mask were read from (the workspace's own slots, or another layer's buffers). */
  x0: number;
  mask: number;
  /** The layers and directions run in lanes (their gates in the lanes' layout until backward puts them back). */
  lanes: { l: number; d: number; cuts: readonly number[] }[] | null;
}

/** Where a forward pass reads from, when not from the workspace's own x0 and mask slots. */
export interface ForwardFrom {
  /** [T, B, I] time-major: another layer's output, read in place (no copy). */
  x?: number;
  /** [T, B] mask, read in place. */
  mask?: number;
}

/** What a backward pass may leave out. */
export interface BackwardNeeds {
  /** Compute dX (default true): the first layer of a model has no one to hand it to. */
  dx?: boolean;
  /** The output gradient dy is all zero (default false): the top layer reads none (the 'last' output's gradient enters through dh). */
  zeroDy?: boolean;
}

export class SequenceRunner {
  private last: ForwardRecord | null = null;
  /** Kernels that record their calls (traceSteps), and what they recorded. */
  private recorder: Kernels | null = null;
  private laneOk: boolean | null = null; // every call of the cell's step can be cut into lanes (traced once)
  private recorded: { name: keyof Kernels; a: number[] }[] = [];
  private readonly space: Workspaces;

  constructor(private readonly c: LayerCore) {
    this.space = new Workspaces(c);
  }

  private get ws(): Workspace | null {
    return this.space.ws;
  }

  private get bs(): BackSpace | null {
    return this.space.bs;
  }

  private layerInput(l: number): number {
    return l === 0 ? this.c.I : this.c.D * this.c.H;
  }

  private suffix(l: number, d: number): string {
    return `l${l}${d ? '_reverse' : ''}`;
  }

  /** Whether a forward pass has run (and can be backpropagated through). */
  get hasForward(): boolean {
    return this.last !== null;
  }

  /** T and B of the last forward pass. */
  get lastShape(): { T: number; B: number } {
    return { T: this.last!.T, B: this.last!.B };
  }

  /** Makes packed weights and a workspace for (T, B) ready; returns where x and the mask go. */
  prepare(T: number, B: number): { x0: number; mask: number } {
    this.c.weights.get();
    if (this.space.ensure(T, B)) this.last = null;
    const ws = this.space.ws!;
    return { x0: ws.x0, mask: ws.mask };
  }

  /** Floats of the workspaces for (T, B) with `needs`, as bind() lays them out in a model's arena. */
  arenaSize(T: number, B: number, needs: ArenaNeeds): number {
    return this.space.arenaSize(T, B, needs);
  }

  /** Places the workspaces for (T, B) in a model's arena (from c), freeing the layer's own blocks. */
  bind(arena: object, c: Carve, T: number, B: number, needs: ArenaNeeds): void {
    this.space.bind(arena, c, T, B, needs);
    this.last = null;
  }

  /** Whether the workspaces sit in this arena (a layer used on its own meanwhile moves to its own blocks). */
  boundTo(arena: object): boolean {
    return this.space.boundTo(arena);
  }

  private loadState(dst: number, src: Float32Array | number | null, sIdx: number, n: number): void {
    const { be } = this.c;
    if (src === null) be.k.f32_fill(n, 0, dst);
    else if (typeof src === 'number') be.k.f32_copy(n, src + 4 * sIdx, dst);
    else be.heap.f32.set(src.subarray(sIdx, sIdx + n), dst >> 2);
  }

  /**
   * Forward of x already in prepare()'s x0 ([T, B, I] time-major) and, when
   * masked, the mask in its mask slot. Initial states come from a
   * Float32Array, a heap pointer to [L·D, B, H], or zeros (null).
   */
  forward(T: number, B: number, masked: boolean, train: boolean, h0: Float32Array | number | null, c0: Float32Array | number | null, from: ForwardFrom = {}): void {
    const { be, cell } = this.c, { k } = be;
    const ws = this.ws!, packs = this.c.weights.get();
    const H = this.c.H, L = this.c.L, D = this.c.D, G = cell.gates * H, DH = D * H, SV = cell.savedPerRow?.(H) ?? 0;
    const x0 = from.x ?? ws.x0, mask = masked ? from.mask ?? ws.mask : 0;
    const useDropout = train && this.c.dropout > 0 && L > 1;
    const rdrop = train && this.c.recurrentDropout > 0;
    const step = { B, H, G, w: packs[0]![0]!, g: 0, gh: 0, hIn: 0, hPrev: 0, hNext: 0, cPrev: 0, cNext: 0, mask: 0, y: 0, ldy: DH, sv: 0 };

    const lanes: ForwardRecord['lanes'] = [];
    let input = x0;
    for (let l = 0; l < L; l++) {
      const I = this.layerInput(l);
      for (let d = 0; d < D; d++) {
        const w = packs[l]![d]!;
        const g = ws.g[l]![d]!, sh = ws.sh[l]![d]!, sc = ws.sc[l]![d]!, gh = ws.gh[l]![d]!, sv = ws.sv[l]![d]!;
        const rev = d === 1;
        const start = rev ? T : 0; // index of the initial state in S
        const sIdx = (l * D + d) * B * H;
        this.loadState(sh + 4 * start * B * H, h0, sIdx, B * H);
        if (cell.hasCell) this.loadState(sc + 4 * start * B * H, c0, sIdx, B * H);
        const yBase = ws.y[l]! + 4 * d * H;
        const rdm = ws.rdm[l]![d]!, hm = ws.hm[l]![d]!;
        if (rdrop) {
          const keep = 1 - this.c.recurrentDropout, scale = 1 / keep, m = be.heap.view(rdm, B * H);
          for (let i = 0; i < B * H; i++) m[i] = this.c.random.next() < keep ? scale : 0;
        }
        step.w = w;
        // Step s's pointers (the same for every cell; the cell adds its kernels' arguments).
        const at = (s: number): void => {
          const t = rev ? T - 1 - s : s;
          const prev = rev ? t + 1 : t, next = rev ? t : t + 1;
          step.hPrev = sh + 4 * prev * B * H;
          step.hNext = sh + 4 * next * B * H;
          step.cPrev = sc ? sc + 4 * prev * B * H : 0;
          step.cNext = sc ? sc + 4 * next * B * H : 0;
          step.g = g + 4 * t * B * G;
          step.gh = gh ? gh + 4 * t * B * G : 0;
          step.mask = mask ? mask + 4 * t * B : 0;
          step.y = yBase + 4 * t * B * DH;
          step.sv = sv ? sv + 4 * t * B * SV : 0;
          // What enters the recurrent product: h_{t−1}, or h_{t−1} ⊙ mask (kept for backward).
          step.hIn = rdrop ? hm + 4 * t * B * H : step.hPrev;
        };
        // A batch-1 sequence with threads: each thread its lane of the hidden units.
        if (!train && this.inLanes(l, d, T, B, input, I, g, step, () => this.traceSteps(at, (rk) => cell.forward(rk, step)), lanes)) continue;
        // Input projection of every step at once; the GEMM adds the cell's input bias as it stores.
        // With threads, this thread computes the rows of the first steps it runs (the last ones in
        // the reverse direction) and starts on them while the workers project the rest: it waits
        // for those (settle) only at the first step that reads them.
        const proj = [0, T * B, G, I, 1, input, I, w.wih, 0, g, G, cell.inputBias(w)] as const;
        const mine = be.pool?.startRows(k, proj, rev) ?? null;
        if (!mine) k.f32_gemm_packed_bias(...proj);
        // The first step whose rows this thread did not compute (need() makes them done and says how far).
        let settleAt = !mine ? -1 : rev ? T - Math.ceil(mine[0] / B) : Math.floor(mine[1] / B);
        try {
          // With threads and a batch of 8 rows a thread or more, each thread runs its rows of the
          // whole sequence (no hand-off a step) where the cell's step can be cut so.
          const calls = this.wholeSequences(T, B, rdrop) ? this.traceSteps(at, (rk) => cell.forward(rk, step)) : null;
          if (!calls || !be.pool!.steps(k, calls, T)) {
            for (let s = 0; s < T; s++) {
              if (s === settleAt) {
                const t = rev ? T - 1 - s : s, r = be.pool!.need(t * B, (t + 1) * B);
                settleAt = r < 0 ? -1 : rev ? T - Math.ceil(r / B) : Math.floor(r / B);
              }
              at(s);
              if (rdrop) k.f32_mul(B * H, step.hPrev, rdm, step.hIn);
              cell.forward(k, step);
            }
          }
        } finally {
          if (mine) be.pool!.settle();
        }
      }
      // Residual: the layer's output plus its input (padding steps stay 0: the input is 0 there too).
      if (this.c.residual && l > 0) k.f32_add(T * B * DH, ws.y[l]!, input, ws.y[l]!);
      input = ws.y[l]!;
      if (useDropout && l < L - 1) {
        const n = T * B * DH, keep = 1 - this.c.dropout, scale = 1 / keep;
        const m = be.heap.view(ws.drop[l]!, n);
        for (let i = 0; i < n; i++) m[i] = this.c.random.next() < keep ? scale : 0;
        k.f32_mul(n, ws.y[l]!, ws.drop[l]!, ws.dropped[l]!);
        input = ws.dropped[l]!;
      }
    }
    this.last = { T, B, masked, dropout: useDropout, rdrop, x0, mask, lanes: lanes.length ? lanes : null };
  }

  /**
   * Runs layer l's direction d of a batch-1 sequence on every thread, each
   * its lane of the hidden units (backend/lanes.ts), where the pool has
   * threads and lanes can cut every call of the cell's step (`trace`: the
   * step's calls with step.w's weights); the gates stay in the lanes'
   * layout (backward() puts them back). True: run (and listed in `done`).
   */
  private inLanes(l: number, d: number, T: number, B: number, input: number, I: number, g: number, step: StepIO, trace: () => StepCall[] | null, done: NonNullable<ForwardRecord['lanes']>): boolean {
    const { be, cell, weights, H } = this.c, pool = be.pool, w = step.w;
    const cuts = pool && B === 1 && T >= 3 && cell.callsOnly && !weights.int8 ? laneCuts(H, pool.size, LANE_LEAST) : null;
    if (!cuts || !(this.laneOk ??= laneable(trace() ?? []))) return false;
    const lw = weights.lanes(l, d, cuts), G = cell.gates * H;
    step.w = lw;
    const calls = trace();
    step.w = w;
    const proj = [0, T, G, I, 1, input, I, lw.wih, 0, g, G, cell.inputBias(lw)];
    if (!calls || !pool!.lanes(be.k, { proj, calls, T, cuts, gates: cell.gates })) return false;
    done.push({ l, d, cuts });
    return true;
  }

  // The gates of the layers a forward ran in lanes back in the layer's layout (through dg: backward writes it next).
  private unlane(rec: ForwardRecord, bs: BackSpace): void {
    const { k } = this.c.be, H = this.c.H, gates = this.c.cell.gates, G = gates * H, n = rec.T * rec.B * G;
    for (const { l, d, cuts } of rec.lanes ?? []) {
      for (const buf of [this.ws!.g[l]![d]!, this.ws!.gh[l]![d]!]) {
        if (!buf) continue;
        for (let q = 0; q + 1 < cuts.length; q++) {
          const u0 = cuts[q]!, m = cuts[q + 1]! - u0;
          for (let j = 0; j < gates; j++) k.f32_copy2d(rec.T * rec.B, m, buf + 4 * (gates * u0 + j * m), G, bs.dg + 4 * (j * H + u0), G);
        }
        k.f32_copy(n, bs.dg, buf);
      }
    }
    rec.lanes = null;
  }

  /**
   * Whether each thread may run its rows of a whole sequence (step programs):
   * threads, a cell that only calls kernels, no recurrent dropout (its mask
   * is a call the record cannot cut), T ≥ 3 (three steps are recorded) and 8
   * rows of the batch a thread or more.
   */
  private wholeSequences(T: number, B: number, rdrop: boolean): boolean {
    const pool = this.c.be.pool;
    return !!pool && !!this.c.cell.callsOnly && !rdrop && T >= 3 && B >= 8 * pool.size;
  }

  /**
   * The kernel calls of the cell's step as arguments at step 0 and
   * increments a step, from recording steps 0, 1 and 2 (nothing runs); null
   * when they are not affine in the step (then the steps run one by one).
   */
  private traceSteps(at: (s: number) => void, one: (k: Kernels) => void): StepCall[] | null {
    const seen: { name: keyof Kernels; a: number[] }[][] = [];
    const rec = this.recorder ??= Object.fromEntries(Object.keys(this.c.be.k).map((n) => [n, (...a: number[]) => { this.recorded.push({ name: n as keyof Kernels, a }); return 0; }])) as unknown as Kernels;
    for (let s = 0; s < 3; s++) {
      this.recorded = [];
      at(s);
      one(rec);
      seen.push(this.recorded);
    }
    const [s0, s1, s2] = seen as [typeof seen[0], typeof seen[0], typeof seen[0]];
    if (s0.length === 0 || s1.length !== s0.length || s2.length !== s0.length) return null;
    const calls: StepCall[] = [];
    for (let c = 0; c < s0.length; c++) {
      const a0 = s0[c]!.a, a1 = s1[c]!.a, a2 = s2[c]!.a, name = s0[c]!.name;
      if (s1[c]!.name !== name || s2[c]!.name !== name || a1.length !== a0.length || a2.length !== a0.length) return null;
      const d = a0.map((v, j) => a1[j]! - v);
      if (!a2.every((v, j) => v - a1[j]! === d[j])) return null;
      calls.push({ name, a: a0, d });
    }
    return calls;
  }

  /** The last layer's output of the last forward pass: [T, B, D·H] time-major. */
  outputPtr(): number {
    return this.ws!.y[this.c.L - 1]!;
  }

  /** Pointer to the final hidden (or cell) state [B, H] of layer l, direction d. */
  finalStatePtr(l: number, d: number, cell = false): number {
    const ws = this.ws!, T = this.last!.T, B = this.last!.B;
    const fin = d === 1 ? 0 : T;
    return (cell ? ws.sc : ws.sh)[l]![d]! + 4 * fin * B * this.c.H;
  }

  /** Backward space for the last forward pass: dy ([T, B, D·H]) is where the output gradient goes, dx where dX comes out. */
  prepareBackward(full = false): { dy: number; dx: number } {
    const rec = this.last!;
    this.c.weights.get();
    const bs = this.space.ensureBack(rec.T, rec.B, full);
    return { dy: bs.dy[this.c.L - 1]!, dx: bs.dx0 };
  }

  // dh += dG·W_hh, through the recurrent dropout mask when there is one.
  private recurrentGrad(k: Kernels, B: number, H: number, G: number, dG: number, whhB: number, mask: number, bs: BackSpace): void {
    if (!mask) { k.f32_gemm_packed_bias(0, B, H, G, 1, dG, G, whhB, 1, bs.dh, H, 0); return; }
    k.f32_gemm_packed_bias(0, B, H, G, 1, dG, G, whhB, 0, bs.tmp, H, 0);
    k.f32_mul(B * H, bs.tmp, mask, bs.tmp);
    k.f32_add(B * H, bs.dh, bs.tmp, bs.dh);
  }

  /**
   * Backward of the last forward pass, with the output gradient already in
   * prepareBackward().dy; dh/dc (final-state gradients) from a Float32Array,
   * a heap pointer to [L·D, B, H], or none. Accumulates every parameter's
   * gradient; dX lands in prepareBackward().dx.
   */
  backward(dh: Float32Array | number | null, dc: Float32Array | number | null, dh0: Float32Array | null, dc0: Float32Array | null, needs: BackwardNeeds = {}): void {
    const rec = this.last!, { be, cell, params } = this.c, { k, heap } = be;
    const ws = this.ws!, bs = this.bs!, packs = this.c.weights.get();
    const { T, B } = rec, H = this.c.H, L = this.c.L, D = this.c.D, G = cell.gates * H, DH = D * H, SV = cell.savedPerRow?.(H) ?? 0;
    const mask = rec.masked ? rec.mask : 0, needDx = needs.dx ?? true;
    if (rec.lanes) this.unlane(rec, bs);
    const step: StepGrad = { B, H, G, w: packs[0]![0]!, g: 0, gh: 0, hIn: 0, hPrev: 0, hNext: 0, cPrev: 0, cNext: 0, mask: 0, y: 0, ldy: DH, sv: 0, dy: 0, dh: bs.dh, dc: bs.dc, dg: 0, dgh: 0 };

    for (let l = L - 1; l >= 0; l--) {
      const I = this.layerInput(l);
      const input = l === 0 ? rec.x0 : rec.dropout ? ws.dropped[l - 1]! : ws.y[l - 1]!;
      const dInput = l === 0 ? bs.dx0 : bs.dy[l - 1]!;
      const dy = l === L - 1 && needs.zeroDy ? 0 : bs.dy[l]!;
      for (let d = 0; d < D; d++) {
        const s = this.suffix(l, d), w = packs[l]![d]!, rev = d === 1;
        const g = ws.g[l]![d]!, gh = ws.gh[l]![d]!, sh = ws.sh[l]![d]!, sc = ws.sc[l]![d]!, sv = ws.sv[l]![d]!;
        const sIdx = (l * D + d) * B * H;
        this.loadState(bs.dh, dh, sIdx, B * H);
        if (cell.hasCell) this.loadState(bs.dc, dc, sIdx, B * H);
        const dyBase = dy ? dy + 4 * d * H : 0, rdm = rec.rdrop ? ws.rdm[l]![d]! : 0;
        step.w = w;
        const at = (st: number): void => {
          const t = rev ? st : T - 1 - st;
          const prev = rev ? t + 1 : t, next = rev ? t : t + 1;
          step.g = g + 4 * t * B * G;
          step.gh = gh ? gh + 4 * t * B * G : 0;
          step.hPrev = sh + 4 * prev * B * H;
          step.hNext = sh + 4 * next * B * H;
          step.cPrev = sc ? sc + 4 * prev * B * H : 0;
          step.cNext = sc ? sc + 4 * next * B * H : 0;
          step.mask = mask ? mask + 4 * t * B : 0;
          step.sv = sv ? sv + 4 * t * B * SV : 0;
          step.dy = dyBase ? dyBase + 4 * t * B * DH : 0;
          step.dg = bs.dg + 4 * t * B * G;
          step.dgh = bs.dgh ? bs.dgh + 4 * t * B * G : 0;
        };
        // As in forward: each thread its rows of the whole sequence where the steps can be cut so.
        const calls = this.wholeSequences(T, B, rdm !== 0)
          ? this.traceSteps(at, (rk) => this.recurrentGrad(rk, B, H, G, cell.backward(rk, step), w.whhB, rdm, bs)) : null;
        if (!calls || !be.pool!.steps(k, calls, T)) {
          for (let st = 0; st < T; st++) {
            at(st);
            this.recurrentGrad(k, B, H, G, cell.backward(k, step), w.whhB, rdm, bs);
          }
        }
        if (dh0) dh0.set(heap.view(bs.dh, B * H), sIdx);
        if (dc0) dc0.set(heap.view(bs.dc, B * H), sIdx);
        // Parameter gradients and dX: three big GEMMs over all steps.
        const dGx = bs.dg, dGh = cell.separateRecurrent ? bs.dgh : bs.dg;
        const hPrevAll = rec.rdrop ? ws.hm[l]![d]! : sh + 4 * (rev ? 1 : 0) * B * H;
        k.f32_gemm(1, 0, G, I, T * B, 1, dGx, G, input, I, 1, params.g(`weight_ih_${s}`), I);
        k.f32_gemm(1, 0, G, H, T * B, 1, dGh, G, hPrevAll, H, 1, params.g(`weight_hh_${s}`), H);
        if (this.c.bias && !cell.ownsBiasGrad) {
          k.f32_sum_rows(T * B, G, dGx, G, params.g(`bias_ih_${s}`));
          k.f32_sum_rows(T * B, G, dGh, G, params.g(`bias_hh_${s}`));
        }
        if (l > 0 || needDx) k.f32_gemm_packed_bias(0, T * B, I, G, 1, dGx, G, w.wihB, d === 0 ? 0 : 1, dInput, I, 0);
      }
      // The skip path carries dy straight to the layer's input.
      if (l > 0 && this.c.residual && dy) k.f32_add(T * B * DH, dInput, dy, dInput);
      if (l > 0 && rec.dropout) k.f32_mul(T * B * DH, dInput, ws.drop[l - 1]!, dInput);
    }
  }

  /** Forgets the workspaces (their blocks go with the layer's owner, or the model's arena with the model). */
  clear(): void {
    this.space.clear();
    this.last = null;
  }
}
