// The streaming runner: one time step at a time for a unidirectional layer,
// any cell. A state holds, per stacked layer, x and h side by side ([B, I + H]:
// the cell's output lands in the h slot, so the next step's product reads
// [x | h] in one pass), h (and c), and the cell's scratch. A step allocates
// nothing: the state's step record and output tensor are reused.
import { SimdRnnError, argError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { Lifetime } from '../../util/lifetime.js';
import { checkFinite, checkTensor } from '../validate.js';
import type { StreamIO } from './cell.js';
import type { LayerCore } from './core.js';

/** State of a streaming (one step at a time) run; lives in the layer's heap. */
export interface StreamState {
  /** Sequences stepped together (B). */
  readonly batch: number;
  /** Hidden state per layer, a copy: [numLayers, B, H]. */
  readonly h: Tensor;
  /** Cell state per layer (LSTM), a copy. */
  readonly c?: Tensor;
  /** Sets every state back to zero. */
  reset(): void;
  /** Frees the state's heap memory. */
  dispose(): void;
}

interface StatePtrs {
  B: number;
  xh: number[];
  h: number[];
  c: number[];
  io: StreamIO;
  out: Tensor;
  owner: object;
  life: Lifetime;
}

export class StreamRunner {
  /** Live streaming states' lifetimes (freed with the layer). */
  private readonly states = new Set<Lifetime>();

  constructor(private readonly c: LayerCore, private readonly name: string, private readonly owner: object) {}

  private layerInput(l: number): number {
    return l === 0 ? this.c.I : this.c.D * this.c.H;
  }

  zeroState(B: number): StreamState {
    const { be, cell } = this.c, heap = be.heap, H = this.c.H, G = cell.gates * H, L = this.c.L, name = this.name;
    const states = this.states;
    const state = {} as StreamState;
    // The state's blocks have their own owner: freed by its dispose(), by the
    // layer's, or when the program drops the state.
    const life: Lifetime = new Lifetime(heap, `${name} streaming state`, state, () => { states.delete(life); });
    states.add(life);
    const own = life.owner;
    const xh: number[] = [], h: number[] = [], c: number[] = [];
    for (let l = 0; l < L; l++) {
      xh.push(heap.zeros(B * (this.layerInput(l) + H), own));
      h.push(heap.zeros(B * H, own));
      c.push(cell.hasCell ? heap.zeros(B * H, own) : 0);
    }
    const g = heap.alloc(B * G, own), gh = cell.separateRecurrent ? heap.alloc(B * G, own) : 0;
    const SV = cell.savedPerRow?.(H) ?? 0, sv = SV > 0 ? heap.alloc(B * SV, own) : 0;
    const io: StreamIO = { B, I: 0, H, G, w: this.c.weights.get()[0]![0]!, xh: 0, ld: 0, h: 0, c: 0, g, gh, sv };
    const ptrs: StatePtrs = { B, xh, h, c, io, out: { data: new Float32Array(B * H), shape: [B, H] }, owner: this.owner, life };
    const read = (arr: number[]): Tensor => {
      life.check(`${name} state`);
      const out = new Float32Array(L * B * H);
      arr.forEach((p, l) => out.set(heap.view(p, B * H), l * B * H));
      return { data: out, shape: [L, B, H] };
    };
    const self = this;
    return Object.defineProperties(state, {
      batch: { value: B, enumerable: true },
      _ptrs: { value: ptrs },
      h: { get() { return read(h); }, enumerable: true },
      c: { get() { return cell.hasCell ? read(c) : undefined; }, enumerable: true },
      reset: { value() {
        life.check(`${name} state.reset`);
        for (let l = 0; l < L; l++) {
          be.k.f32_fill(B * (self.layerInput(l) + H), 0, xh[l]!);
          be.k.f32_fill(B * H, 0, h[l]!);
          if (c[l]) be.k.f32_fill(B * H, 0, c[l]!);
        }
      } },
      dispose: { value() { life.dispose(); } },
      ...(Symbol.dispose ? { [Symbol.dispose]: { value() { life.dispose(); } } } : {}),
    });
  }

  /** One step of every sequence of `state`; see Recurrent.step. */
  step(where: string, xt: Tensor | Float32Array, state: StreamState): Tensor {
    const ps = (state as { _ptrs?: StatePtrs } | null)?._ptrs;
    if (!ps || ps.owner !== this.owner) throw argError(where, 'state', 'a state from this layer\'s zeroState()', state);
    if (ps.life.disposed) throw new SimdRnnError('DISPOSED', `${where}: state was disposed; make a new one with zeroState()`);
    const { be, cell } = this.c, I0 = this.c.I, H = this.c.H, B = ps.B;
    // The common, valid case is checked without allocating (no wrapper, no
    // subarray: this runs every step); anything else gets the full check.
    const bare = xt instanceof Float32Array;
    const d = (bare ? xt : (xt as Tensor | null)?.data) as Float32Array;
    const sh = bare ? null : (xt as Tensor | null)?.shape;
    if (!(d instanceof Float32Array && d.length === B * I0 && (bare || (sh?.length === 2 && sh[0] === B && sh[1] === I0)))) {
      checkTensor(where, 'xt', bare ? { data: d, shape: [d.length / I0, I0] } : xt, [B, I0], `[B, inputSize] with B = ${B}`);
    }
    let finite = 0;
    for (let i = 0; i < d.length; i++) finite += d[i]! * 0;
    if (finite !== 0) checkFinite(where, 'xt', d, [B, I0]);
    const packs = this.c.weights.get();
    const { k, heap } = be;
    const f = heap.f32, x0 = ps.xh[0]! >> 2;
    if (B === 1) f.set(d, x0);
    else for (let b = 0; b < B; b++) for (let i = 0; i < I0; i++) f[x0 + b * (I0 + H) + i] = d[b * I0 + i]!;
    const io = ps.io;
    for (let l = 0; l < this.c.L; l++) {
      const I = this.layerInput(l);
      io.I = I; io.w = packs[l]![0]!; io.xh = ps.xh[l]!; io.ld = I + H; io.h = ps.h[l]!; io.c = ps.c[l]!;
      cell.stream(k, io);
      if (l + 1 < this.c.L) {
        const next = ps.xh[l + 1]!, ldn = this.layerInput(l + 1) + H;
        k.f32_copy2d(B, H, io.h, H, next, ldn);
        // Residual: the next layer's input is this layer's output plus its input (I = H from layer 1 on).
        if (this.c.residual && l > 0) for (let b = 0; b < B; b++) k.f32_add(H, next + 4 * b * ldn, io.xh + 4 * b * io.ld, next + 4 * b * ldn);
      }
    }
    // A plain loop: no subarray object per step.
    const out = ps.out.data, o = ps.h[this.c.L - 1]! >> 2, v = heap.f32; // re-read: packing [W_ih | W_hh] may have grown memory
    if (this.c.residual) {
      const x = ps.xh[this.c.L - 1]! >> 2, ld = H + H;
      for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) out[b * H + j] = v[o + b * H + j]! + v[x + b * ld + j]!;
    } else {
      for (let i = 0; i < B * H; i++) out[i] = v[o + i]!;
    }
    return ps.out;
  }

  /** Frees every live state. */
  disposeStates(): void {
    for (const st of [...this.states]) st.dispose();
  }
}
