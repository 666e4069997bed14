// One heap per backend: a growable byte range that kernels address by byte
// offset. Blocks are 64-byte aligned (a cache line, and more than v128
// needs); a first-fit free list with coalescing lets disposed regions be
// reused. Float32Array views are re-created whenever the memory grows,
// because growing detaches (wasm) or replaces (js) the old buffer.
import { SimdRnnError } from '../errors.js';

/** Where a heap's bytes live: wasm linear memory or a plain ArrayBuffer. */
export interface HeapMemory {
  buffer(): ArrayBuffer;
  /** Grows to at least `bytes` in total. */
  grow(bytes: number): void;
}

const ALIGN = 64;
const PAGE = 65536;

interface Block { off: number; size: number }

export class Heap {
  /** f32 view of the whole memory; replaced when the memory grows. */
  f32!: Float32Array;
  /** i32 view (for masks and indices); replaced with f32. */
  i32!: Int32Array;
  private readonly mem: HeapMemory;
  private top: number; // first byte never handed out
  private readonly free_: Block[] = []; // sorted by offset
  private readonly used = new Map<number, number>();
  /** Largest size (bytes) the memory may reach. */
  maxBytes: number;

  constructor(mem: HeapMemory, base: number, maxBytes = 2 ** 31) {
    this.mem = mem;
    this.top = align(Math.max(base, ALIGN)); // offset 0 is never handed out: 0 means "none" to kernels
    this.maxBytes = maxBytes;
    this.refresh();
  }

  /** Bytes currently handed out. */
  get usedBytes(): number {
    let s = 0;
    for (const v of this.used.values()) s += v;
    return s;
  }

  /** Total bytes of the underlying memory. */
  get byteLength(): number {
    return this.mem.buffer().byteLength;
  }

  /** Allocates room for n f32 (n ≥ 0), 64-byte aligned; returns its byte offset. */
  alloc(n: number): number {
    if (!Number.isInteger(n) || n < 0) {
      throw new SimdRnnError('INVALID_ARGUMENT', `Heap.alloc: n is ${n}, expected an integer ≥ 0`);
    }
    const size = align(Math.max(n * 4, ALIGN));
    for (let i = 0; i < this.free_.length; i++) {
      const b = this.free_[i]!;
      if (b.size >= size) {
        const off = b.off;
        if (b.size === size) this.free_.splice(i, 1);
        else { b.off += size; b.size -= size; }
        this.used.set(off, size);
        return off;
      }
    }
    const off = this.top;
    // 64 bytes of slack above the last block keep kernels' vector tails in bounds.
    this.ensure(off + size + ALIGN);
    this.top = off + size;
    this.used.set(off, size);
    return off;
  }

  /** Allocates and zero-fills. */
  zeros(n: number): number {
    const p = this.alloc(n);
    this.f32.fill(0, p >> 2, (p >> 2) + n);
    return p;
  }

  /** Returns a block to the free list (a no-op for 0). */
  free(ptr: number): void {
    if (ptr === 0) return;
    const size = this.used.get(ptr);
    if (size === undefined) {
      throw new SimdRnnError('INVALID_ARGUMENT', `Heap.free: ptr ${ptr} is not an allocated block`);
    }
    this.used.delete(ptr);
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
  }
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
