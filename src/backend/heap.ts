// One heap per backend: a growable byte range that kernels address by byte
// offset. Blocks are 64-byte aligned (a cache line, and more than v128
// needs); a first-fit free list with coalescing lets disposed regions be
// reused. Float32Array views are re-created whenever the memory grows,
// because growing detaches (wasm) or replaces (js) the old buffer.
//
// Every block has an owner: a token handed out by `owner()`, never reused, so
// its id is the generation of everything it allocated. Freeing a block with
// the wrong token, or after its owner was released, is an error, never a
// silent free of someone else's memory: a stale pointer (a disposed layer's,
// a model disposed twice) cannot give back a block that now belongs to
// another object. `release(owner)` frees all of an owner's blocks at once
// (dispose(), and the finalizer of an object the program dropped).
import { SimdRnnError } from '../errors.js';

/** Where a heap's bytes live: wasm linear memory or a plain ArrayBuffer. */
export interface HeapMemory {
  /** The memory's current buffer (a new one after growth). */
  buffer(): ArrayBuffer;
  /** Grows to at least `bytes` in total. */
  grow(bytes: number): void;
}

const ALIGN = 64;
const PAGE = 65536;

interface Block { off: number; size: number }

/**
 * Who holds heap blocks: a layer, a model, an optimizer, a streaming state.
 * Ids only grow, so a token is never confused with a later one.
 */
export class HeapOwner {
  /** A number never reused. */
  readonly id: number;
  /** What owns the blocks (for error messages). */
  readonly label: string;
  /** False once released: its blocks are free and it may allocate no more. */
  live = true;
  /** Byte offsets of the blocks it holds. */
  readonly blocks = new Set<number>();
  constructor(id: number, label: string) {
    this.id = id;
    this.label = label;
  }
}

interface Used { size: number; owner: HeapOwner }

/** Largest heap the library can address: pointers are byte offsets that JS shifts as int32 (ptr >> 2). */
export const MAX_HEAP_BYTES = 2 ** 31;

/** A backend's memory: blocks allocated and freed with owner tokens, typed views (re-read after growth), reads and writes. */
export class Heap {
  /** f32 view of the whole memory; replaced when the memory grows. */
  f32!: Float32Array;
  /** i32 view (for masks and indices); replaced with f32. */
  i32!: Int32Array;
  /** The same bytes as int8 (the quantized kernels' rows). */
  i8!: Int8Array;
  private readonly mem: HeapMemory;
  private top: number; // first byte never handed out
  private readonly free_: Block[] = []; // sorted by offset
  private readonly used = new Map<number, Used>();
  private starts: number[] = []; // offsets of used blocks, sorted (for contains())
  private nextOwner = 1;
  /** Largest size (bytes) the memory may reach. */
  maxBytes: number;
  /** Owner of blocks allocated without one (tests, benchmarks, short-lived scratch). */
  readonly anon: HeapOwner;

  constructor(mem: HeapMemory, base: number, maxBytes = MAX_HEAP_BYTES) {
    if (!(maxBytes > 0 && maxBytes <= MAX_HEAP_BYTES)) {
      throw new SimdRnnError('INVALID_ARGUMENT', `Heap: maxBytes is ${maxBytes}, expected at most ${MAX_HEAP_BYTES} (pointers are int32 byte offsets)`);
    }
    this.mem = mem;
    this.top = align(Math.max(base, ALIGN)); // offset 0 is never handed out: 0 means "none" to kernels
    this.maxBytes = maxBytes;
    this.anon = this.owner('anonymous');
    this.refresh();
  }

  /** A new owner token (see HeapOwner). */
  owner(label: string): HeapOwner {
    return new HeapOwner(this.nextOwner++, label);
  }

  /** Bytes currently handed out. */
  get usedBytes(): number {
    let s = 0;
    for (const v of this.used.values()) s += v.size;
    return s;
  }

  /** Blocks currently handed out. */
  get usedBlocks(): number {
    return this.used.size;
  }

  /** Total bytes of the underlying memory. */
  get byteLength(): number {
    return this.mem.buffer().byteLength;
  }

  /** Allocates room for n f32 (n ≥ 0) for `owner`, 64-byte aligned; returns its byte offset. */
  alloc(n: number, owner: HeapOwner = this.anon): number {
    if (!Number.isInteger(n) || n < 0) {
      throw new SimdRnnError('INVALID_ARGUMENT', `Heap.alloc: n is ${n}, expected an integer ≥ 0`);
    }
    if (!owner.live) throw new SimdRnnError('DISPOSED', `Heap.alloc: owner ${owner.label}#${owner.id} was released`);
    if (n * 4 > this.maxBytes) {
      throw new SimdRnnError('OUT_OF_MEMORY', `Heap: needs ${n * 4} bytes, over the memory cap of ${this.maxBytes} bytes (init({ maxMemory }))`);
    }
    const size = align(Math.max(n * 4, ALIGN));
    let off = -1;
    for (let i = 0; i < this.free_.length; i++) {
      const b = this.free_[i]!;
      if (b.size >= size) {
        off = b.off;
        if (b.size === size) this.free_.splice(i, 1);
        else { b.off += size; b.size -= size; }
        break;
      }
    }
    if (off < 0) {
      off = this.top;
      // 64 bytes of slack above the last block keep kernels' vector tails in bounds.
      this.ensure(off + size + ALIGN);
      this.top = off + size;
    }
    this.used.set(off, { size, owner });
    owner.blocks.add(off);
    this.starts.splice(lowerBound(this.starts, off), 0, off);
    return off;
  }

  /** Allocates and zero-fills. */
  zeros(n: number, owner?: HeapOwner): number {
    const p = this.alloc(n, owner);
    this.f32.fill(0, p >> 2, (p >> 2) + n);
    return p;
  }

  /** Returns `owner`'s block at ptr to the free list (a no-op for 0). */
  free(ptr: number, owner: HeapOwner = this.anon): void {
    if (ptr === 0) return;
    const u = this.used.get(ptr);
    if (u === undefined) {
      throw new SimdRnnError('INVALID_ARGUMENT', `Heap.free: ptr ${ptr} is not an allocated block`);
    }
    if (u.owner !== owner) {
      throw new SimdRnnError('INVALID_ARGUMENT',
        `Heap.free: ptr ${ptr} belongs to ${u.owner.label}#${u.owner.id}, not to ${owner.label}#${owner.id} (a stale pointer?)`);
    }
    this.release1(ptr, u.size);
    owner.blocks.delete(ptr);
  }

  /** Frees every block of `owner` and retires it (idempotent). */
  release(owner: HeapOwner): void {
    if (!owner.live) return;
    owner.live = false;
    for (const ptr of owner.blocks) {
      const u = this.used.get(ptr);
      if (u && u.owner === owner) this.release1(ptr, u.size);
    }
    owner.blocks.clear();
  }

  /**
   * Whether [ptr, ptr + bytes) lies inside one block in use (the debug check
   * that kernels touch only live memory).
   */
  contains(ptr: number, bytes: number): boolean {
    const i = lowerBound(this.starts, ptr + 1) - 1;
    if (i < 0) return false;
    const start = this.starts[i]!, u = this.used.get(start)!;
    return ptr + bytes <= start + u.size;
  }

  /** The owner of the block containing ptr, if any (for error messages). */
  ownerAt(ptr: number): HeapOwner | null {
    const i = lowerBound(this.starts, ptr + 1) - 1;
    if (i < 0) return null;
    const start = this.starts[i]!, u = this.used.get(start)!;
    return ptr < start + u.size ? u.owner : null;
  }

  private release1(ptr: number, size: number): void {
    this.used.delete(ptr);
    this.starts.splice(lowerBound(this.starts, ptr), 1);
    let lo = 0, hi = this.free_.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.free_[mid]!.off < ptr) lo = mid + 1; else hi = mid;
    }
    this.free_.splice(lo, 0, { off: ptr, size });
    // Coalesce with the next and previous blocks.
    const cur = this.free_[lo]!;
    const next = this.free_[lo + 1];
    if (next && cur.off + cur.size === next.off) { cur.size += next.size; this.free_.splice(lo + 1, 1); }
    const prev = this.free_[lo - 1];
    if (prev && prev.off + prev.size === cur.off) { prev.size += cur.size; this.free_.splice(lo, 1); }
    // A free block at the top goes back to the bump pointer.
    const last = this.free_[this.free_.length - 1];
    if (last && last.off + last.size === this.top) { this.top = last.off; this.free_.pop(); }
  }

  /** Copies a Float32Array (or number array) into the heap at ptr. */
  write(ptr: number, src: ArrayLike<number>): void {
    this.f32.set(src, ptr >> 2);
  }

  /** A copy of n f32 at ptr. */
  read(ptr: number, n: number): Float32Array {
    return this.f32.slice(ptr >> 2, (ptr >> 2) + n);
  }

  /** A live view of n f32 at ptr: valid until the next allocation (which may grow memory). */
  view(ptr: number, n: number): Float32Array {
    return this.f32.subarray(ptr >> 2, (ptr >> 2) + n);
  }

  private ensure(bytes: number): void {
    if (bytes <= this.mem.buffer().byteLength) return;
    if (bytes > this.maxBytes) {
      throw new SimdRnnError('OUT_OF_MEMORY',
        `Heap: needs ${bytes} bytes, over the memory cap of ${this.maxBytes} bytes (init({ maxMemory }))`);
    }
    // Grow geometrically so many small allocations don't grow one page at a time.
    const target = Math.min(this.maxBytes, Math.max(bytes, this.mem.buffer().byteLength * 1.5));
    try {
      this.mem.grow(Math.ceil(target / PAGE) * PAGE);
    } catch (e) {
      throw new SimdRnnError('OUT_OF_MEMORY', `Heap: could not grow memory to ${target} bytes (${(e as Error).message})`);
    }
    this.refresh();
  }

  private refresh(): void {
    const buf = this.mem.buffer();
    this.f32 = new Float32Array(buf);
    this.i32 = new Int32Array(buf);
    this.i8 = new Int8Array(buf);
  }
}

/** First index i with a[i] ≥ x (a sorted). */
function lowerBound(a: number[], x: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1; else hi = mid;
  }
  return lo;
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

/** A heap over a plain ArrayBuffer, grown by copying (the JS backend's). */
export function arrayBufferMemory(initialBytes: number): HeapMemory {
  let buf = new ArrayBuffer(initialBytes);
  return {
    buffer: () => buf,
    grow(bytes: number) {
      const next = new ArrayBuffer(bytes);
      new Uint8Array(next).set(new Uint8Array(buf));
      buf = next;
    },
  };
}

/** A heap over wasm linear memory. */
export function wasmMemory(memory: WebAssembly.Memory): HeapMemory {
  return {
    buffer: () => memory.buffer,
    grow(bytes: number) {
      const have = memory.buffer.byteLength;
      if (bytes > have) memory.grow(Math.ceil((bytes - have) / PAGE));
    },
  };
}
