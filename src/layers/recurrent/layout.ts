// A sequence between the caller's layout ([B, T, F] with batchFirst, else
// [T, B, F]) and the runners' time-major heap rows.
//
// Batch-first data goes through a small staging block of the heap: each
// sequence's steps are contiguous on the caller's side, so a chunk of them is
// one memcpy there and one strided copy (f32_copy2d) on the heap's side,
// instead of a typed-array view and a copy for every row (T·B of them: a
// fifth of a batch-32 forward's time on one thread went to those views).
import type { Backend } from '../../backend/backend.js';

/** Floats of the staging block (32 KiB): a chunk of steps of one sequence. */
const STAGE = 8192;

/**
 * Visits a batch-first [B, T, F] sequence in chunks of steps of one sequence
 * (b, steps [t0, t0 + n)), with a staging block of the heap that holds a
 * chunk (freed after), or 0 where none can be had.
 */
function chunks(be: Backend, T: number, B: number, F: number, visit: (stage: number, b: number, t0: number, n: number) => void): void {
  const tc = Math.max(1, Math.min(T, Math.floor(STAGE / Math.max(F, 1))));
  let stage = 0;
  try { stage = be.heap.alloc(tc * F); } catch { stage = 0; }
  try {
    for (let b = 0; b < B; b++) for (let t0 = 0; t0 < T; t0 += tc) visit(stage, b, t0, Math.min(tc, T - t0));
  } finally {
    if (stage) be.heap.free(stage);
  }
}

/** Copies src into the time-major rows at byte offset dst of the heap. */
export function toTimeMajor(be: Backend, src: Float32Array, T: number, B: number, F: number, dst: number, batchFirst: boolean): void {
  const o = dst >> 2;
  // [T, B, F], and [B, T, F] with B = 1, are the heap layout already.
  if (!batchFirst || B === 1) { be.heap.f32.set(src.length === T * B * F ? src : src.subarray(0, T * B * F), o); return; }
  chunks(be, T, B, F, (stage, b, t0, n) => {
    const from = (b * T + t0) * F, f = be.heap.f32;
    if (!stage) {
      for (let t = t0; t < t0 + n; t++) f.set(src.subarray((b * T + t) * F, (b * T + t + 1) * F), o + (t * B + b) * F);
      return;
    }
    f.set(src.subarray(from, from + n * F), stage >> 2);
    be.k.f32_copy2d(n, F, stage, F, dst + 4 * (t0 * B + b) * F, B * F);
  });
}

/** Reads the time-major rows at byte offset src of the heap back into the caller's layout (a new array). */
export function fromTimeMajor(be: Backend, src: number, T: number, B: number, F: number, batchFirst: boolean): Float32Array {
  const o = src >> 2;
  if (!batchFirst || B === 1) return be.heap.f32.slice(o, o + T * B * F);
  const out = new Float32Array(T * B * F);
  chunks(be, T, B, F, (stage, b, t0, n) => {
    if (!stage) {
      const f = be.heap.f32;
      for (let t = t0; t < t0 + n; t++) out.set(f.subarray(o + (t * B + b) * F, o + (t * B + b + 1) * F), (b * T + t) * F);
      return;
    }
    be.k.f32_copy2d(n, F, src + 4 * (t0 * B + b) * F, B * F, stage, F);
    out.set(be.heap.f32.subarray(stage >> 2, (stage >> 2) + n * F), (b * T + t0) * F);
  });
  return out;
}

/** The final states [L·D, B, H] from the heap blocks [B, H] at(l, d) gives (f32 byte offsets), in PyTorch's order. */
export function readStates(f: Float32Array, L: number, D: number, B: number, H: number, at: (l: number, d: number) => number): Float32Array {
  const out = new Float32Array(L * D * B * H);
  for (let l = 0; l < L; l++) {
    for (let d = 0; d < D; d++) {
      const i = at(l, d) >> 2;
      out.set(f.subarray(i, i + B * H), (l * D + d) * B * H);
    }
  }
  return out;
}
