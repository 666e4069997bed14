// A model one step at a time (unidirectional models): every recurrent
// layer's streaming state, then the head on the last layer's output. A step
// allocates nothing on the heap and no wrapper objects.
import type { Backend } from '../backend/backend.js';
import { SimdRnnError, argError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { Recurrent, type StreamState } from '../layers/recurrent/index.js';
import { Linear } from '../layers/linear.js';
import { Lifetime } from '../util/lifetime.js';
import type { Engine } from './engine.js';

/** A model's streaming state (see Sequential.zeroState). */
export interface ModelState {
  /** Sequences stepped together (B). */
  readonly batch: number;
  /** @internal Each recurrent layer's state. */
  readonly states: StreamState[];
  /** @internal The model this state belongs to. */
  readonly owner: object;
  /** @internal The output tensor step() returns (reused: copy it to keep it). */
  readonly out: Tensor;
  /** @internal The embedding's index buffer on the heap. */
  readonly idx: number;
  /** @internal The embedding's output buffer on the heap. */
  readonly emb: number;
  /** @internal The staged indices. */
  readonly embIn: Float32Array | null;
  /** @internal The head's input [B, width] in the state's memory. */
  readonly headX: number;
  /** @internal Each head layer's output (0 for a Dropout), in the state's memory. */
  readonly headY: readonly number[];
  /** Whether dispose() was called (on it, or on its model). */
  readonly disposed: boolean;
  /** Zeroes the states: the next step starts new sequences. */
  reset(): void;
  /** Frees the state's memory; afterwards step() with it throws DISPOSED. A second call does nothing. */
  dispose(): void;
}

export class ModelStream {
  private readonly stateLives = new Set<Lifetime>();

  constructor(private readonly be: Backend, private readonly e: Engine, private readonly model: object) {}

  zeroState(B: number): ModelState {
    const e = this.e;
    if (e.output === 'mean') throw argError('Sequential.zeroState', 'model', "a model with output 'last' or 'all' (a mean pools the whole sequence)", 'mean');
    if (e.recs.some((r) => r.bidirectional)) throw argError('Sequential.zeroState', 'model', 'a unidirectional model (a reverse direction needs the whole sequence)', 'bidirectional');
    const states = e.recs.map((r) => r.zeroState(B));
    const heap = this.be.heap;
    const st = {} as ModelState;
    // Its own blocks (the embedding's index and output rows) have their own owner, freed with the model too.
    const lives = this.stateLives;
    const life: Lifetime = new Lifetime(heap, 'Sequential streaming state', st, () => { lives.delete(life); });
    lives.add(life);
    // The head's buffers: its first layer's input, then each Linear's output (the next one's input, read in place).
    const headX = heap.alloc(B * (e.head.length ? this.headWidth() : 1), life.owner);
    const headY = e.head.map((l) => (l instanceof Linear ? heap.alloc(B * l.outFeatures, life.owner) : 0));
    const idx = e.embedding ? heap.alloc(B, life.owner) : 0;
    const emb = e.embedding ? heap.alloc(B * e.embedding.embeddingDim, life.owner) : 0;
    const embIn = e.embedding ? new Float32Array(B * e.embedding.embeddingDim) : null;
    const out: Tensor = { data: new Float32Array(B * e.outputSize), shape: [B, e.outputSize] };
    const dispose = (): void => { states.forEach((s) => s.dispose()); life.dispose(); };
    Object.assign(st, {
      batch: B, states, owner: this.model, out, idx, emb, embIn, headX, headY,
      reset() { life.check('Sequential state.reset'); states.forEach((s) => s.reset()); },
      dispose,
      ...(Symbol.dispose ? { [Symbol.dispose]: dispose } : {}),
    });
    return Object.defineProperty(st, 'disposed', { get: () => life.disposed, enumerable: true });
  }

  /**
   * One step for every sequence of a streaming state: xt [B, F] (or B
   * indices with an Embedding) → the head's output [B, outputs], as the
   * model would predict if the sequences ended here. Feeding outputs back as
   * the next inputs generates (teacher forcing is training on 'all' with the
   * true previous values as inputs). The returned tensor is reused.
   */
  step(where: string, xt: Tensor | Float32Array | Int32Array, state: ModelState): Tensor {
    const e = this.e;
    if (!state || state.owner !== this.model) throw argError(where, 'state', "a state from this model's zeroState()", state);
    if (state.disposed) throw new SimdRnnError('DISPOSED', `${where}: state was disposed; make a new one with zeroState()`);
    const B = state.batch;
    // Runs every step: no wrapper objects; Recurrent.step takes a bare Float32Array.
    let input: Tensor | Float32Array;
    const data = xt instanceof Float32Array || xt instanceof Int32Array ? xt : xt?.data;
    if (e.embedding) {
      if (!(data instanceof Int32Array || data instanceof Float32Array) || data.length !== B) throw argError(where, 'xt', `${B} indices`, xt);
      e.embedding.checkIndices(where, 'xt', data);
      this.be.heap.i32.set(data, state.idx >> 2);
      e.embedding.runForward(B, state.idx, state.emb);
      const v = this.be.heap.f32, o = state.emb >> 2;
      for (let i = 0; i < state.embIn!.length; i++) state.embIn![i] = v[o + i]!;
      input = state.embIn!;
    } else {
      input = xt as Tensor | Float32Array;
    }
    // Indexed loops: an array iterator per step is an object V8 does not always optimize away.
    let ri = 0, cur = state.out;
    for (let i = 0; i < e.seq.length; i++) {
      const l = e.seq[i]!;
      if (l instanceof Recurrent) { cur = l.step(input, state.states[ri++]!); input = cur; }
    }
    let ptr = 0;
    if (e.head.length) this.be.heap.f32.set(cur.data, state.headX >> 2);
    for (let i = 0; i < e.head.length; i++) {
      const l = e.head[i]!;
      if (!(l instanceof Linear)) continue; // dropout is identity at inference
      ptr = l.runForward(B, ptr || state.headX, state.headY[i]!);
    }
    const out = state.out.data, f = this.be.heap.f32;
    if (ptr) for (let i = 0; i < out.length; i++) out[i] = f[(ptr >> 2) + i]!;
    else out.set(cur.data);
    return state.out;
  }

  // Width of the head's input: the last recurrent layer's output.
  private headWidth(): number {
    const r = this.e.recs[this.e.recs.length - 1]!;
    return r.hiddenSize * (r.bidirectional ? 2 : 1);
  }

  /** Frees every live state. */
  disposeStates(): void {
    for (const life of [...this.stateLives]) life.dispose();
  }
}
