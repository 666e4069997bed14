// A layer's parameters and gradients, each ONE contiguous region of the
// backend heap, carved by a table of (name, shape). Zeroing gradients,
// clipping and optimizer steps are one pass over one region; saving is one
// copy. `version` changes whenever parameters are written, so layers know
// when to re-pack their weights.
//
// A quantized layer (quantize()) keeps its weight matrices in int8 only:
// they move out of the region into a store that reads them back as f32
// (int8 · scale) and quantizes what is written; the region then holds the
// rest (biases, norms), and there are no gradients (such a layer does not
// train).
import type { Backend } from '../backend/backend.js';
import type { HeapOwner } from '../backend/heap.js';
import { SimdRnnError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkTensor, checkFinite, shapeStr } from './validate.js';

/** A parameter's name and shape. */
export interface ParamSpec {
  /** PyTorch's name, e.g. weight_ih_l0. */
  name: string;
  /** Its shape. */
  shape: number[];
  /** A constant initial value (e.g. a layer norm's gain 1), where the layer's random init does not apply. */
  init?: number;
}

/** Where parameters moved out of the f32 region live (a quantized layer's int8 matrices). */
export interface ParamStore {
  /** The parameter's values as f32 (what the layer computes with). */
  read(name: string): Float32Array;
  /** New values for the parameter (checked: its shape, finite). */
  write(name: string, data: ArrayLike<number>): void;
}

export class Params {
  readonly be: Backend;
  readonly specs: readonly ParamSpec[];
  /** Float offset of each parameter inside the regions (those in the region). */
  offsets: ReadonlyMap<string, number>;
  /** Floats in the region. */
  size: number;
  /** Parameters in all, in the region or not (what numParams reports). */
  readonly count: number;
  /** The parameters kept outside the region, and where (null: none). */
  private store: ParamStore | null = null;
  private readonly outside = new Set<string>();
  /** Byte offsets of the parameter and gradient regions. */
  ptr: number;
  gptr: number;
  version = 0;
  /** Who holds the regions: the layer, until a model takes them over (rebind). */
  private holder: HeapOwner | null;

  constructor(be: Backend, specs: ParamSpec[], owner: HeapOwner) {
    this.be = be;
    this.holder = owner;
    this.specs = specs;
    const offsets = new Map<string, number>();
    let n = 0;
    for (const s of specs) {
      offsets.set(s.name, n);
      n += s.shape.reduce((a, b) => a * b, 1);
    }
    this.offsets = offsets;
    this.size = n;
    this.count = n;
    this.ptr = be.heap.zeros(n, owner);
    this.gptr = be.heap.zeros(n, owner);
  }

  private at(name: string): number {
    const o = this.offsets.get(name);
    // A bug, not a user's error: the layer asked for a matrix it keeps in int8.
    if (o === undefined) throw new SimdRnnError('INVALID_ARGUMENT', `Params: "${name}" is not in the f32 region${this.outside.has(name) ? ' (it is kept in int8)' : ''}`);
    return o;
  }

  /** Byte offset of parameter `name`. */
  p(name: string): number {
    return this.ptr + 4 * this.at(name);
  }

  /** Whether there is a gradient region (not for a quantized layer). */
  get hasGrad(): boolean {
    return this.gptr !== 0;
  }

  /** Byte offset of the gradient of `name`. */
  g(name: string): number {
    if (!this.gptr) throw new SimdRnnError('INVALID_ARGUMENT', `Params: no gradient of "${name}": the layer is quantized (int8) and does not train`);
    return this.gptr + 4 * this.at(name);
  }

  /** Whether `name` is kept outside the region (in int8). */
  isOutside(name: string): boolean {
    return this.outside.has(name);
  }

  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const s of this.specs) {
      const data = this.outside.has(s.name) ? this.store!.read(s.name) : this.be.heap.read(this.p(s.name), s.shape.reduce((a, b) => a * b, 1));
      out[s.name] = { data, shape: [...s.shape] };
    }
    return out;
  }

  gradStateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const s of this.specs) out[s.name] = { data: this.be.heap.read(this.g(s.name), s.shape.reduce((a, b) => a * b, 1)), shape: [...s.shape] };
    return out;
  }

  /** Strict load: every name present, no extra names, every shape equal; nothing is written unless all are valid. */
  load(where: string, dict: Record<string, Tensor>): void {
    if (dict === null || typeof dict !== 'object') {
      throw new SimdRnnError('INVALID_ARGUMENT', `${where}: dict is ${String(dict)}, expected an object of tensors`);
    }
    if (Object.getPrototypeOf(dict) !== Object.prototype && Object.getPrototypeOf(dict) !== null) {
      throw new SimdRnnError('INVALID_ARGUMENT', `${where}: dict has a prototype other than Object's (a "__proto__" key?)`);
    }
    for (const key of Object.keys(dict)) {
      if (!this.specs.some((s) => s.name === key)) {
        throw new SimdRnnError('INVALID_ARGUMENT', `${where}: unexpected key "${key}" (expected ${this.specs.map((s) => s.name).join(', ')})`);
      }
    }
    for (const s of this.specs) {
      if (!Object.prototype.hasOwnProperty.call(dict, s.name)) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: missing key "${s.name}" (shape ${shapeStr(s.shape)})`);
      checkTensor(where, s.name, dict[s.name], s.shape);
      checkFinite(where, s.name, dict[s.name]!.data, s.shape);
    }
    for (const s of this.specs) {
      if (this.outside.has(s.name)) this.store!.write(s.name, dict[s.name]!.data);
      else this.be.heap.write(this.p(s.name), dict[s.name]!.data);
    }
    this.version++;
  }

  zeroGrad(): void {
    if (this.gptr) this.be.k.f32_fill(this.size, 0, this.gptr);
  }

  /**
   * Moves the named parameters out of the region into `store` (which holds
   * them from now on: a quantized layer's int8 matrices), packs the others to
   * the front of the region in their order, and drops the gradients: such a
   * layer does not train. A layer's own region shrinks to what is left; in a
   * model's region the tail is unused until the model packs its regions
   * again (rebind with its new offsets).
   */
  externalize(names: readonly string[], store: ParamStore): void {
    const { k, heap } = this.be;
    for (const n of names) this.outside.add(n);
    this.store = store;
    const offsets = new Map<string, number>();
    let n = 0;
    for (const s of this.specs) {
      if (this.outside.has(s.name)) continue;
      const len = s.shape.reduce((a, b) => a * b, 1), from = this.offsets.get(s.name)!;
      if (from !== n) k.f32_copy(len, this.ptr + 4 * from, this.ptr + 4 * n); // moves down only: overlap-safe
      offsets.set(s.name, n);
      n += len;
    }
    this.offsets = offsets;
    this.size = n;
    if (this.holder) {
      // The layer's own blocks: a region of what is left, no gradients.
      const ptr = heap.alloc(n, this.holder);
      k.f32_copy(n, this.ptr, ptr);
      heap.free(this.ptr, this.holder);
      heap.free(this.gptr, this.holder);
      this.ptr = ptr;
    }
    this.gptr = 0;
    this.version++;
  }

  /**
   * Moves parameters and gradients into regions owned by a model (so a
   * model's parameters are one contiguous region); frees the old ones.
   * gptr 0: no gradients (a quantized model's).
   */
  rebind(ptr: number, gptr: number): void {
    const { k, heap } = this.be;
    k.f32_copy(this.size, this.ptr, ptr);
    if (gptr && this.gptr) k.f32_copy(this.size, this.gptr, gptr);
    if (this.holder) { heap.free(this.ptr, this.holder); if (this.gptr) heap.free(this.gptr, this.holder); }
    this.ptr = ptr;
    this.gptr = gptr;
    this.holder = null;
    this.version++;
  }

  /** Marks parameters as changed (after an optimizer step). */
  touch(): void {
    this.version++;
  }

  /** Forgets the regions (their holder frees them: the layer's or the model's lifetime). */
  detach(): void {
    this.ptr = this.gptr = 0;
    this.holder = null;
  }
}
