// The arithmetic ceilings of this machine for the products' inner loops, on
// registers alone (no loads): 8 independent accumulators, so neither latency
// nor memory limits them. bench/int8.js compiles this file (asc, SIMD) and
// reports the int8 and f32 products against these rates.
//   int8: i32x4.dot_i16x8_s + i32x4.add = 8 multiply–adds (16 ops) per pair.
//   f32:  f32x4.mul + f32x4.add = 4 multiply–adds (8 flops) per pair (baseline SIMD has no fused multiply–add).

/** n iterations of 8 dot-and-adds; returns a lane (so nothing is optimized away). */
export function dot_ceiling(n: i32, seed: i32): i32 {
  let s0 = i32x4.splat(seed), s1 = i32x4.splat(2), s2 = i32x4.splat(3), s3 = i32x4.splat(4);
  let s4 = i32x4.splat(seed), s5 = i32x4.splat(6), s6 = i32x4.splat(7), s7 = i32x4.splat(8);
  const x = i16x8.splat(<i16>seed), w = i16x8.splat(5), y = i16x8.splat(7), z = i16x8.splat(9);
  for (let i = 0; i < n; i++) {
    s0 = i32x4.add(s0, i32x4.dot_i16x8_s(x, w)); s1 = i32x4.add(s1, i32x4.dot_i16x8_s(x, y));
    s2 = i32x4.add(s2, i32x4.dot_i16x8_s(x, z)); s3 = i32x4.add(s3, i32x4.dot_i16x8_s(y, w));
    s4 = i32x4.add(s4, i32x4.dot_i16x8_s(y, z)); s5 = i32x4.add(s5, i32x4.dot_i16x8_s(z, w));
    s6 = i32x4.add(s6, i32x4.dot_i16x8_s(w, w)); s7 = i32x4.add(s7, i32x4.dot_i16x8_s(y, y));
  }
  return i32x4.extract_lane(i32x4.add(i32x4.add(i32x4.add(s0, s1), i32x4.add(s2, s3)), i32x4.add(i32x4.add(s4, s5), i32x4.add(s6, s7))), 0);
}

/** n iterations of 8 multiply-then-adds in f32. */
export function f32_ceiling(n: i32, seed: f32): f32 {
  let s0 = f32x4.splat(seed), s1 = f32x4.splat(2), s2 = f32x4.splat(3), s3 = f32x4.splat(4);
  let s4 = f32x4.splat(seed), s5 = f32x4.splat(6), s6 = f32x4.splat(7), s7 = f32x4.splat(8);
  const x = f32x4.splat(seed), w = f32x4.splat(0.5), y = f32x4.splat(0.25), z = f32x4.splat(0.125);
  for (let i = 0; i < n; i++) {
    s0 = f32x4.add(s0, f32x4.mul(x, w)); s1 = f32x4.add(s1, f32x4.mul(x, y));
    s2 = f32x4.add(s2, f32x4.mul(x, z)); s3 = f32x4.add(s3, f32x4.mul(y, w));
    s4 = f32x4.add(s4, f32x4.mul(y, z)); s5 = f32x4.add(s5, f32x4.mul(z, w));
    s6 = f32x4.add(s6, f32x4.mul(w, w)); s7 = f32x4.add(s7, f32x4.mul(y, y));
  }
  return f32x4.extract_lane(f32x4.add(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)), f32x4.add(f32x4.add(s4, s5), f32x4.add(s6, s7))), 0);
}
