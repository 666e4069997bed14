// The model's heap-level engine: data checked and staged time-major straight
// into the first layer's workspace, forward and backward of a staged batch
// through the layers (which hand each other heap pointers), the buffers a
// batch needs (sized once per (T, B)), and the output modes 'last', 'mean'
// and 'all'. The batch size stays fixed (a short last batch is filled with
// rows of weight 0), so after the first batch nothing is allocated.
import type { Backend } from '../backend/backend.js';
import type { HeapOwner } from '../backend/heap.js';
import { Carve } from '../backend/carve.js';
import { argError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { Recurrent, validSteps } from '../layers/recurrent/index.js';
import { Linear } from '../layers/linear.js';
import { Dropout } from '../layers/dropout.js';
import { Embedding } from '../layers/embedding.js';
import { checkTensor, checkFinite } from '../layers/validate.js';
import type { Data, ModelLayer } from './contracts.js';

export class Engine {
  /** Targets are class indices (crossEntropy), and which index is ignored: set by compile. */
  classes = false;
  ignoreIndex = -100;
  /** Pointer of the last forward pass's predictions [rows, outputs]. */
  lastPred = 0;
  buf = { T: 0, B: 0, backward: false, ptr: 0, floats: 0, mask: 0, idx: 0, pool: 0, gather: 0, dH: 0, dpred: 0, target: 0, weight: 0, meanGrad: 0, carryH: [] as number[], carryC: [] as number[] };
  /** The arena's identity for the layers bound to it (a fresh object each time the model's memory is cleared). */
  private arena: object = {};
  /** Elements (class-index rows for crossEntropy) of the staged batch that count for the loss. */
  count = 0;

  constructor(
    private readonly be: Backend,
    private readonly owner: HeapOwner,
    readonly layers: readonly ModelLayer[],
    readonly seq: readonly (Recurrent | Dropout)[],
    readonly head: readonly (Linear | Dropout)[],
    readonly recs: readonly Recurrent[],
    readonly embedding: Embedding | null,
    readonly output: 'last' | 'mean' | 'all',
    readonly inputSize: number,
    readonly outputSize: number,
  ) {}

  data(where: string, x: Tensor, y: Tensor | Int32Array | null, lengths: ArrayLike<number> | undefined, mask?: Tensor): Data {
    if (this.embedding) {
      // Indices: [N, T] (or [N, T, 1]), Int32Array or Float32Array of integers.
      const shape = (x as Tensor | null)?.shape, d = (x as Tensor | null)?.data;
      if (!Array.isArray(shape) || (shape.length !== 2 && !(shape.length === 3 && shape[2] === 1)) || !(d instanceof Int32Array || d instanceof Float32Array)) {
        throw argError(where, 'x', 'a tensor of indices [N, T] (Int32Array or Float32Array data)', x);
      }
      if (d.length !== shape.reduce((a: number, b: number) => a * b, 1)) throw argError(where, 'x.data.length', `${shape.join('×')}`, d.length);
      this.embedding.checkIndices(where, 'x', d);
      x = { data: d instanceof Float32Array ? d : Float32Array.from(d), shape: [shape[0]!, shape[1]!, 1] };
    }
    checkTensor(where, 'x', x, ['*', '*', this.inputSize], `[N, T, inputSize], inputSize = ${this.inputSize}`);
    const [N, T] = x.shape as [number, number, number];
    if (N < 1 || T < 1) throw argError(where, 'x.shape', 'at least one sequence of at least one step', x.shape);
    checkFinite(where, 'x', x.data, x.shape);
    const valid = validSteps(where, { lengths, mask }, N, T, 1) ?? new Uint8Array(N * T).fill(1);
    let yd: Float32Array | Int32Array = new Float32Array(0);
    let O = this.outputSize;
    if (y !== null) {
      const ce = this.classes;
      const perRow = this.perSeq ? N : N * T;
      if (ce) {
        const arr = y instanceof Int32Array ? y : (y as Tensor)?.data;
        if (!(arr instanceof Int32Array || arr instanceof Float32Array) || arr.length !== perRow) {
          throw argError(where, 'y', `${perRow} class indices (Int32Array, ${this.perSeq ? '[N]' : '[N, T]'})`, y);
        }
        yd = Int32Array.from(arr as ArrayLike<number>);
        for (let i = 0; i < yd.length; i++) {
          const c = yd[i]!;
          if (c !== arr[i] || ((c < 0 || c >= O) && c !== this.ignoreIndex)) {
            throw argError(where, `y[${i}]`, `a class index in [0, ${O - 1}]`, arr[i]);
          }
        }
        O = 1;
      } else {
        const pattern = this.perSeq ? [N, O] : [N, T, O];
        checkTensor(where, 'y', y, pattern, this.perSeq ? '[N, outputs]' : '[N, T, outputs]');
        yd = (y as Tensor).data;
        for (let i = 0; i < yd.length; i++) if (!Number.isFinite(yd[i]!)) throw argError(where, `y (element ${i})`, 'a finite number', yd[i]);
      }
    }
    return { x: x.data, N, T, F: this.inputSize, y: yd, O, valid };
  }

  /**
   * The model's one activation arena, for batches of B sequences of up to T
   * steps: the engine's own buffers (mask, targets, pooling, gradients of the
   * head's input, TBPTT carries) and every layer's workspace, carved out of
   * one block, so layers read and write each other's buffers in place. It is
   * carved again only when B changes, T grows, training needs the backward
   * space an inference arena left out, or a layer used on its own in between
   * moved to a block of its own.
   */
  ensureBuffers(T: number, B: number, backward: boolean): void {
    const a = this.buf;
    if (a.B === B && a.T >= T && (a.backward || !backward) && this.allBound()) return;
    const sameB = a.B === B;
    const cap = sameB ? Math.max(T, a.T) : T, bw = backward || (sameB && a.backward);
    const floats = this.carve(new Carve(), cap, B, bw);
    if (!a.ptr || floats !== a.floats) {
      if (a.ptr) this.be.heap.free(a.ptr, this.owner);
      a.ptr = this.be.heap.alloc(floats, this.owner);
      a.floats = floats;
    }
    this.carve(new Carve(a.ptr), cap, B, bw);
    a.T = cap; a.B = B; a.backward = bw;
  }

  private allBound(): boolean {
    for (const l of this.seq) if (!l.boundTo(this.arena)) return false;
    for (const l of this.head) if (!l.boundTo(this.arena)) return false;
    return true;
  }

  // Lays out the arena from c (a dry carve only counts); returns its floats.
  private carve(c: Carve, T: number, B: number, backward: boolean): number {
    const last = this.recs[this.recs.length - 1]!, D = last.bidirectional ? 2 : 1;
    const gatherW = D * last.hiddenSize, rows = this.perSeq ? B : T * B, O = this.outputSize;
    const bind = !c.dry, b = this.buf;
    // target: [rows, outputs] f32, or [rows] i32 class indices; weight: [rows], 1 valid and 0 ignored.
    const own = {
      mask: c.take(T * B), idx: c.take(T * B), pool: c.take(T * B), gather: c.take(B * gatherW),
      dH: c.maybe(last.numLayers * D * B * last.hiddenSize, backward), dpred: c.maybe(rows * O, backward),
      target: c.take(rows * O), weight: c.take(rows),
      carryH: this.recs.map((r) => c.take(r.numLayers * (r.bidirectional ? 2 : 1) * B * r.hiddenSize)),
      carryC: this.recs.map((r) => c.maybe(r.numLayers * (r.bidirectional ? 2 : 1) * B * r.hiddenSize, r.hasCellState)),
      // 'mean' with a Dropout on top of the recurrent layers: the pooled gradient spread over the steps.
      meanGrad: c.maybe(T * B * this.widthBefore(this.off + this.seq.length), backward && this.output === 'mean' && !(this.seq[this.seq.length - 1] instanceof Recurrent)),
    };
    if (bind) Object.assign(b, own);
    this.seq.forEach((l, i) => {
      if (l instanceof Recurrent) {
        const needs = { input: l === this.recs[0], backward, dx: i > 0 || this.embedding !== null, topDy: !(this.output === 'last' && l === last) };
        if (bind) l.bindArena(this.arena, c, T, B, needs);
        else c.take(l.arenaSize(T, B, needs));
      } else {
        const n = T * B * this.widthBefore(this.off + i);
        if (bind) l.bindArena(this.arena, c, n);
        else c.take(l.arenaSize(n));
      }
    });
    this.head.forEach((l, i) => {
      if (l instanceof Linear) {
        if (bind) l.bindArena(this.arena, c, rows, backward);
        else c.take(l.arenaSize(rows, backward));
      } else {
        const n = rows * this.widthBefore(this.off + this.seq.length + i);
        if (bind) l.bindArena(this.arena, c, n);
        else c.take(l.arenaSize(n));
      }
    });
    return c.floats;
  }

  /** Stages rows `idx` (B of them; −1 = filler) of steps [t0, t0+T) into the first layer and the mask. */
  stage(d: Data, idx: Int32Array, t0: number, T: number, withTargets: boolean, lastChunk: boolean): boolean {
    const B = idx.length, F = d.F, first = this.recs[0]!;
    const emb = this.embedding;
    const x0 = first.prepare(T, B).x0 >> 2, f = this.be.heap.f32, ix = this.be.heap.i32, ib = this.buf.idx >> 2;
    let masked = false;
    const m = this.buf.mask >> 2;
    for (let b = 0; b < B; b++) {
      const n = idx[b]! < 0 ? 0 : idx[b]!;
      for (let t = 0; t < T; t++) {
        const src = (n * d.T + t0 + t) * F, dst = x0 + (t * B + b) * F;
        if (emb) ix[ib + t * B + b] = d.x[src]!;
        else for (let i = 0; i < F; i++) f[dst + i] = d.x[src + i]!;
        const valid = d.valid[n * d.T + t0 + t] === 1;
        f[m + t * B + b] = valid ? 1 : 0;
        if (!valid) masked = true;
      }
    }
    if (emb) emb.runForward(T * B, this.buf.idx, x0 << 2);
    if (this.output === 'mean') {
      // Pooling weights [B, T]: 1/len at valid steps, 0 at padding.
      const pw = this.buf.pool >> 2;
      for (let b = 0; b < B; b++) {
        let n = 0;
        for (let t = 0; t < T; t++) n += f[m + t * B + b]!;
        for (let t = 0; t < T; t++) f[pw + b * T + t] = n > 0 ? f[m + t * B + b]! / n : 0;
      }
    }
    if (!withTargets) return masked;
    // Targets and row weights go straight to the heap, where the loss kernels read them:
    // row r = b ('last', 'mean') or t·B + b ('all'); class indices go in as i32.
    const O = d.O, w = this.buf.weight >> 2, tg = this.buf.target >> 2, tv = this.classes ? ix : f;
    const rowsPerB = this.perSeq ? 1 : T;
    let count = 0;
    for (let t = 0; t < rowsPerB; t++) {
      for (let b = 0; b < B; b++) {
        const n = idx[b]!, nn = n < 0 ? 0 : n, r = t * B + b;
        const valid = n >= 0 && (this.perSeq ? lastChunk : d.valid[nn * d.T + t0 + t] === 1);
        const src = (this.perSeq ? nn : nn * d.T + t0 + t) * O;
        f[w + r] = valid ? 1 : 0;
        for (let o = 0; o < O; o++) tv[tg + r * O + o] = d.y[src + o]!;
        if (valid) count += this.classes ? (d.y[src] === this.ignoreIndex ? 0 : 1) : O;
      }
    }
    this.count = count;
    return masked;
  }

  /** Forward of the staged batch; returns the prediction pointer [rows, outputs]. */
  forward(T: number, B: number, masked: boolean, train: boolean, carry: boolean): number {
    const { k } = this.be;
    let cur = 0, width = this.inputSize, ri = 0;
    for (const l of this.seq) {
      if (l instanceof Recurrent) {
        // Layers read each other's buffers in place: the previous layer's output and the batch's mask.
        const c = carry ? this.buf.carryH[ri]! : null, cc = carry && l.hasCellState ? this.buf.carryC[ri]! : null;
        l.runForward(T, B, masked, train, c, cc, { x: cur || undefined, mask: this.buf.mask });
        cur = l.outputPtr();
        width = l.hiddenSize * (l.bidirectional ? 2 : 1);
        ri++;
      } else {
        cur = l.runForward(cur, T * B * width, train);
      }
    }
    let rows = T * B;
    if (this.output === 'last') {
      const last = this.recs[this.recs.length - 1]!, D = last.bidirectional ? 2 : 1, H = last.hiddenSize;
      for (let d = 0; d < D; d++) k.f32_copy2d(B, H, last.finalStatePtr(last.numLayers - 1, d), H, this.buf.gather + 4 * d * H, D * H);
      cur = this.buf.gather;
      rows = B;
    } else if (this.output === 'mean') {
      // pooled[b] = Σ_t w[b, t] · y[t, b]: one [1, T] × [T, F] product per sequence (y rows B·F apart).
      for (let b = 0; b < B; b++) {
        k.f32_gemm(0, 0, 1, width, T, 1, this.buf.pool + 4 * b * T, T, cur + 4 * b * width, B * width, 0, this.buf.gather + 4 * b * width, width);
      }
      cur = this.buf.gather;
      rows = B;
    }
    for (const l of this.head) {
      if (l instanceof Linear) {
        cur = l.runForward(rows, cur);
        width = l.outFeatures;
      } else {
        cur = l.runForward(cur, rows * width, train);
      }
    }
    return cur;
  }

  /** Saves every recurrent layer's final states as the next chunk's initial states. */
  saveCarry(B: number): void {
    const { k } = this.be;
    this.recs.forEach((r, i) => {
      const D = r.bidirectional ? 2 : 1, n = B * r.hiddenSize;
      for (let l = 0; l < r.numLayers; l++) {
        for (let d = 0; d < D; d++) {
          const o = 4 * (l * D + d) * n;
          k.f32_copy(n, r.finalStatePtr(l, d), this.buf.carryH[i]! + o);
          if (r.hasCellState) k.f32_copy(n, r.finalStatePtr(l, d, true), this.buf.carryC[i]! + o);
        }
      }
    });
  }

  backward(T: number, B: number): void {
    const { k } = this.be;
    const rows = this.perSeq ? B : T * B;
    let d = this.buf.dpred;
    // In 'all' mode the head's first layer writes its dx straight into the top recurrent layer's dy slot.
    const top = this.seq[this.seq.length - 1]!;
    const into = this.output === 'all' && top instanceof Recurrent ? top.prepareBackward().dy : 0;
    for (let i = this.head.length - 1; i >= 0; i--) {
      const l = this.head[i]!;
      if (l instanceof Linear) d = i === 0 && into ? l.runBackward(rows, d, into) : l.runBackward(rows, d);
      else d = l.runBackward(d, rows * this.widthBefore(this.off + this.seq.length + i));
    }
    let useDH = false;
    const last = this.recs[this.recs.length - 1]!;
    if (this.output === 'last') {
      const D = last.bidirectional ? 2 : 1, H = last.hiddenSize, L = last.numLayers;
      k.f32_fill(L * D * B * H, 0, this.buf.dH);
      for (let dd = 0; dd < D; dd++) k.f32_copy2d(B, H, d + 4 * dd * H, D * H, this.buf.dH + 4 * ((L - 1) * D + dd) * B * H, H);
      useDH = true;
    }
    let first = true;
    for (let i = this.seq.length - 1; i >= 0; i--) {
      const l = this.seq[i]!;
      const width = this.widthBefore(this.off + i + 1);
      if (first && this.output === 'mean') {
        // dy[t, b] = w[b, t] · dpooled[b]: one [T, 1] × [1, F] outer product per sequence, into a free slot.
        const target = l instanceof Recurrent ? l.prepareBackward().dy : this.buf.meanGrad;
        for (let b = 0; b < B; b++) {
          k.f32_gemm(0, 0, T, width, 1, 1, this.buf.pool + 4 * b * T, 1, d + 4 * b * width, width, 0, target + 4 * b * width, B * width);
        }
        d = target;
        if (l instanceof Recurrent) {
          l.runBackward(null, null, null, null, { dx: i > 0 || this.embedding !== null });
          d = l.prepareBackward().dx;
          first = false;
          if (i === 0 && this.embedding) this.embedding.runBackward(T * B, this.buf.idx, d);
          continue;
        }
        first = false;
      }
      if (l instanceof Recurrent) {
        const bs = l.prepareBackward();
        // 'last': the gradient enters through the final state only (no dy at all); otherwise dy is
        // already in place when the head wrote it there.
        if (!(first && useDH) && d !== bs.dy) k.f32_copy(T * B * width, d, bs.dy);
        l.runBackward(first && useDH ? this.buf.dH : null, null, null, null,
          { dx: i > 0 || this.embedding !== null, zeroDy: first && useDH });
        d = bs.dx;
        first = false;
        if (i === 0 && this.embedding) this.embedding.runBackward(T * B, this.buf.idx, d);
      } else if (!(first && useDH)) {
        d = l.runBackward(d, T * B * width);
      }
    }
  }

  /** One prediction per sequence ('last', 'mean') rather than per step. */
  get perSeq(): boolean {
    return this.output !== 'all';
  }

  /** Index in this.layers of this.seq[0]. */
  private get off(): number {
    return this.embedding ? 1 : 0;
  }

  /** Feature width entering layer index i (of this.layers). */
  private widthBefore(i: number): number {
    let w = this.inputSize;
    for (let j = 0; j < i; j++) {
      const l = this.layers[j]!;
      if (l instanceof Recurrent) w = l.hiddenSize * (l.bidirectional ? 2 : 1);
      else if (l instanceof Linear) w = l.outFeatures;
      else if (l instanceof Embedding) w = l.embeddingDim;
    }
    return w;
  }

  batches(N: number, batchSize: number, order: Int32Array): Int32Array[] {
    const B = Math.min(batchSize, N), out: Int32Array[] = [];
    for (let s = 0; s < N; s += B) {
      const idx = new Int32Array(B).fill(-1);
      for (let b = 0; b < B && s + b < N; b++) idx[b] = order[s + b]!;
      out.push(idx);
    }
    return out;
  }

  slice(d: Data, a: number, b: number): Data {
    const perY = this.perSeq ? d.O : d.T * d.O;
    return { ...d, N: b - a, x: d.x.subarray(a * d.T * d.F, b * d.T * d.F), y: d.y.subarray(a * perY, b * perY), valid: d.valid.subarray(a * d.T, b * d.T) };
  }

  /**
   * Inference on rows `idx` of d (−1: filler): staged and run forward; the
   * predictions go to out (by sample) when given, zero at padding steps. Returns the number of
   * prediction rows (B or T·B), which sit at lastPred.
   */
  infer(d: Data, idx: Int32Array, out: Float32Array | null, withTargets: boolean): number {
    const B = idx.length, T = d.T;
    this.ensureBuffers(T, B, false);
    const masked = this.stage(d, idx, 0, T, withTargets, true);
    this.lastPred = this.forward(T, B, masked, false, false);
    const O = this.outputSize;
    if (out) {
      const pred = this.be.heap.view(this.lastPred, (this.perSeq ? B : T * B) * O);
      for (let b = 0; b < B; b++) {
        const n = idx[b]!;
        if (n < 0) continue;
        if (this.perSeq) out.set(pred.subarray(b * O, (b + 1) * O), n * O);
        // Padding steps stay zero (as PyTorch's pad_packed_sequence leaves them), not the head's bias.
        else for (let t = 0; t < T; t++) if (d.valid[n * T + t] === 1) out.set(pred.subarray((t * B + b) * O, (t * B + b + 1) * O), (n * T + t) * O);
      }
    }
    return this.perSeq ? B : T * B;
  }

  /** Forgets the arena (its block goes with the model's owner). */
  clear(): void {
    this.buf = { T: 0, B: 0, backward: false, ptr: 0, floats: 0, mask: 0, idx: 0, pool: 0, gather: 0, dH: 0, dpred: 0, target: 0, weight: 0, meanGrad: 0, carryH: [], carryC: [] };
    this.arena = {};
  }
}
