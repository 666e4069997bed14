// Who frees what, and when. Every object that holds heap blocks (a layer, a
// model, an optimizer, a streaming state) has a Lifetime: a heap owner token
// for its blocks and a disposed flag that every public call checks. Blocks
// are freed by dispose(), by a `using` scope (Symbol.dispose), or, when the
// program drops the object without either, by a FinalizationRegistry. The
// registry holds only the heap and the token, never the object itself.
import type { Heap, HeapOwner } from '../backend/heap.js';
import { SimdRnnError } from '../errors.js';

interface Held {
  heap: Heap;
  owner: HeapOwner;
  after?: () => void;
}

const registry = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry<Held>((h) => { h.heap.release(h.owner); h.after?.(); })
  : null;

/** `Symbol.dispose`, where the runtime has it (Node 20 does; TypeScript's `using` calls it). */
export const disposeSymbol: symbol | undefined = (Symbol as { dispose?: symbol }).dispose;

export class Lifetime {
  readonly owner: HeapOwner;
  readonly heap: Heap;
  private readonly what: string;
  private dead = false;

  /**
   * @param what  how errors name the object ("LSTM", "Sequential", "adam optimizer")
   * @param target  the object whose collection frees the blocks
   * @param after  runs once the blocks are freed (by dispose or by the collector); must not reference target
   */
  constructor(heap: Heap, what: string, target: object, after?: () => void) {
    this.heap = heap;
    this.what = what;
    this.owner = heap.owner(what);
    registry?.register(target, { heap, owner: this.owner, after }, this.owner);
    this.after = after;
  }

  private readonly after?: () => void;

  get disposed(): boolean {
    return this.dead;
  }

  /** Throws DISPOSED if the object was disposed. */
  check(where: string): void {
    if (this.dead) {
      throw new SimdRnnError('DISPOSED', `${where}: this ${this.what} was disposed; it refuses every call (make a new one)`);
    }
  }

  /** Frees every block; returns false if it had been done already. */
  dispose(): boolean {
    if (this.dead) return false;
    this.dead = true;
    registry?.unregister(this.owner);
    this.heap.release(this.owner);
    this.after?.();
    return true;
  }
}

/** Adds `[Symbol.dispose]()` (calling dispose()) to a class's prototype, where the runtime has the symbol. */
export function disposable(cls: { prototype: { dispose(): void } }): void {
  if (disposeSymbol) {
    Object.defineProperty(cls.prototype, disposeSymbol, {
      value: function (this: { dispose(): void }) { this.dispose(); },
      configurable: true, writable: true,
    });
  }
}
