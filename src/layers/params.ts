// A layer's parameters and gradients, each ONE contiguous region of the
// backend heap, carved by a table of (name, shape). Zeroing gradients,
// clipping and optimizer steps are one pass over one region; saving is one
// copy. `version` changes whenever parameters are written, so layers know
// when to re-pack their weights.
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

export class Params {
  readonly be: Backend;
  readonly specs: readonly ParamSpec[];
  /** Float offset of each parameter inside the regions. */
  readonly offsets: ReadonlyMap<string, number>;
  /** Total floats. */
  readonly size: number;
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
    this.ptr = be.heap.zeros(n, owner);
    this.gptr = be.heap.zeros(n, owner);
  }

  /** Byte offset of parameter `name`. */
  p(name: string): number {
    return this.ptr + 4 * this.offsets.get(name)!;
  }

  /** Byte offset of the gradient of `name`. */
  g(name: string): number {
    return this.gptr + 4 * this.offsets.get(name)!;
  }

  private dict(base: number): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const s of this.specs) {
      const n = s.shape.reduce((a, b) => a * b, 1);
      out[s.name] = { data: this.be.heap.read(base + 4 * this.offsets.get(s.name)!, n), shape: [...s.shape] };
    }
    return out;
  }

  stateDict(): Record<string, Tensor> {
    return this.dict(this.ptr);
  }

  gradStateDict(): Record<string, Tensor> {
    return this.dict(this.gptr);
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
      if (!this.offsets.has(key)) {
        throw new SimdRnnError('INVALID_ARGUMENT', `${where}: unexpected key "${key}" (expected ${this.specs.map((s) => s.name).join(', ')})`);
      }
    }
    for (const s of this.specs) {
      if (!Object.prototype.hasOwnProperty.call(dict, s.name)) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: missing key "${s.name}" (shape ${shapeStr(s.shape)})`);
      checkTensor(where, s.name, dict[s.name], s.shape);
      checkFinite(where, s.name, dict[s.name]!.data, s.shape);
    }
    for (const s of this.specs) this.be.heap.write(this.p(s.name), dict[s.name]!.data);
    this.version++;
  }

  zeroGrad(): void {
    this.be.k.f32_fill(this.size, 0, this.gptr);
  }

  /**
   * Moves parameters and gradients into regions owned by a model (so a
   * model's parameters are one contiguous region); frees the old ones.
   */
  rebind(ptr: number, gptr: number): void {
    const { k, heap } = this.be;
    k.f32_copy(this.size, this.ptr, ptr);
    k.f32_copy(this.size, this.gptr, gptr);
    if (this.holder) { heap.free(this.ptr, this.holder); heap.free(this.gptr, this.holder); }
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
