// A sequence between the caller's layout ([B, T, F] with batchFirst, else
// [T, B, F]) and the runners' time-major heap rows.

/** Copies src into the time-major rows at byte offset dst of f. */
export function toTimeMajor(f: Float32Array, src: Float32Array, T: number, B: number, F: number, dst: number, batchFirst: boolean): void {
  const o = dst >> 2;
  // [T, B, F], and [B, T, F] with B = 1, are the heap layout already.
  if (!batchFirst || B === 1) { f.set(src.length === T * B * F ? src : src.subarray(0, T * B * F), o); return; }
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) f.set(src.subarray((b * T + t) * F, (b * T + t + 1) * F), o + (t * B + b) * F);
  }
}

/** Reads the time-major rows at byte offset src of f back into the caller's layout (a new array). */
export function fromTimeMajor(f: Float32Array, src: number, T: number, B: number, F: number, batchFirst: boolean): Float32Array {
  const o = src >> 2;
  if (!batchFirst || B === 1) return f.slice(o, o + T * B * F);
  const out = new Float32Array(T * B * F);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) out.set(f.subarray(o + (t * B + b) * F, o + (t * B + b + 1) * F), (b * T + t) * F);
  }
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
