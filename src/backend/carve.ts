// Buffers laid out one after another from a base pointer, each rounded up to
// 16 floats (64 bytes, the heap's block alignment, so SIMD rows stay
// aligned). A model carves one activation arena for all its layers this
// way; a layer used on its own carves its own block the same way. A dry
// carve (no base) only counts: modules describe their layout once and are
// asked for it twice, to size the block and then to place their buffers in it.
export class Carve {
  private off = 0;

  /** base: the block's byte offset; null for a dry run that only counts. */
  constructor(private readonly base: number | null = null) {}

  /** Whether this carve only counts (modules must not keep its pointers). */
  get dry(): boolean {
    return this.base === null;
  }

  /** The next n floats' byte offset (0 in a dry run). */
  take(n: number): number {
    const p = this.base === null ? 0 : this.base + 4 * this.off;
    this.off += Math.ceil(n / 16) * 16;
    return p;
  }

  /** take(n) when the buffer is needed, else 0 (no buffer). */
  maybe(n: number, needed: boolean): number {
    return needed ? this.take(n) : 0;
  }

  /** Floats carved so far. */
  get floats(): number {
    return this.off;
  }
}
