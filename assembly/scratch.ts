// A thread's scratch: what the products keep between the loads of their
// operands and the arithmetic. The f32 GEMM packs B panels, the partial
// panel, a spill slot and A tiles here; the int8 product widens rows of its
// quantized input to i16 into the A-tile region (the two never run at once
// on one thread). In static memory for the single-threaded builds; in the
// threaded build every thread has its own block (set_scratch, from a heap
// block of scratch_bytes()), and the static one is the main thread's.

// @ts-ignore: decorator
@inline export const KC: i32 = 256;
// @ts-ignore: decorator
@inline export const NC: i32 = 512; // multiple of 8
// @ts-ignore: decorator
@inline export const MC: i32 = 64; // rows of A packed at a time: 16 tiles of ≤ KC·64 bytes
// @ts-ignore: decorator
@inline const PACK_BYTES: usize = KC * NC * 4;
// @ts-ignore: decorator
@inline const PARTIAL_BYTES: usize = KC * 8 * 4;
// @ts-ignore: decorator
@inline const TMP_BYTES: usize = 64;
// @ts-ignore: decorator
@inline export const APACK_BYTES: usize = MC * KC * 16 + (MC / 4) * 64;
const SCRATCH: usize = memory.data(<i32>(PACK_BYTES + PARTIAL_BYTES + TMP_BYTES + APACK_BYTES), 64);
let scratch: usize = SCRATCH;

/** Bytes of one thread's scratch (64-byte aligned blocks). */
export function scratch_bytes(): i32 {
  return <i32>(PACK_BYTES + PARTIAL_BYTES + TMP_BYTES + APACK_BYTES);
}

/** This instance's scratch (a 64-byte aligned block of scratch_bytes(); 0: the static one). */
export function set_scratch(ptr: usize): void {
  scratch = ptr ? ptr : SCRATCH;
}

// In the single-threaded builds the static block's offsets are constants.
// @ts-ignore: decorator
@inline function base(): usize { return ASC_FEATURE_THREADS ? scratch : SCRATCH; }
/** Packed B panels: KC·NC floats. */
// @ts-ignore: decorator
@inline export function pack(): usize { return base(); }
/** The last, partial B panel (zero padded): KC·8 floats. */
// @ts-ignore: decorator
@inline export function partial(): usize { return base() + PACK_BYTES; }
/** A spill slot of 64 bytes. */
// @ts-ignore: decorator
@inline export function tmp(): usize { return base() + PACK_BYTES + PARTIAL_BYTES; }
/** Packed A tiles (APACK_BYTES); the int8 product's widened rows. */
// @ts-ignore: decorator
@inline export function apack(): usize { return base() + PACK_BYTES + PARTIAL_BYTES + TMP_BYTES; }
