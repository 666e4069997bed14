// int8 model files: a quantized model's weight matrices as safetensors I8
// tensors [N, K] (the int8 values, PyTorch's layout: row n is output n) with
// their F32 row scales under "<name>.scale" [N]; metadata quantized = "int8".
// PyTorch reads the file as it is: weight = int8 · scale[:, None] gives the
// f32 weights back (the scales are symmetric: zero point 0). Saving writes
// the int8 values and scales the layers hold; loading checks the file like
// any other (dequantized) and then gives the layers those values and scales
// as they are, so a loaded model computes what the saved one did, to the
// bit.
import { SimdRnnError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import type { Int8Matrix } from '../layers/int8.js';

/** The suffix of a weight matrix's row scales. */
export const SCALE = '.scale';

/** The weight matrices that a quantized model's int8 products read, by state-dict name. */
export function int8Keys(names: readonly string[], quantizedPrefixes: readonly string[]): string[] {
  return names.filter((n) => quantizedPrefixes.some((p) => n.startsWith(p)) && /(^|\.)weight(_ih_l\d+(_reverse)?|_hh_l\d+(_reverse)?)?$/.test(n));
}

/** The dict with each int8 matrix's values (I8 [N, K]) in place of its f32 values, and its row scales ("<name>.scale", F32 [N]). */
export function withInt8(dict: Record<string, Tensor>, int8: Record<string, Int8Matrix>): Record<string, Tensor | { data: Int8Array; shape: number[] }> {
  const out: Record<string, Tensor | { data: Int8Array; shape: number[] }> = { ...dict };
  for (const [key, m] of Object.entries(int8)) {
    out[key] = { data: m.q, shape: [m.scale.length, m.q.length / m.scale.length] };
    out[key + SCALE] = { data: m.scale, shape: [m.scale.length] };
  }
  return out;
}

/** An int8 file's matrices as decoded (the I8 values, exact integers in f32) with their scales, before dequantizeDict. */
export function int8Of(tensors: Record<string, Tensor>, int8: ReadonlySet<string>): Record<string, Int8Matrix> {
  const out: Record<string, Int8Matrix> = {};
  for (const name of int8) out[name] = { q: Int8Array.from(tensors[name]!.data), scale: Float32Array.from(tensors[name + SCALE]!.data) };
  return out;
}

/**
 * Checks an int8 file's I8 tensors against their scales (each I8 matrix
 * [N, K] has a finite, non-negative F32 scale [N], and no scale is without
 * its matrix); returns the shapes without the scales.
 */
export function checkInt8(entries: readonly { name: string; dtype: string; shape: number[] }[], shapes: Record<string, number[]>, fail: (m: string) => SimdRnnError): Record<string, number[]> {
  const byName = new Map(entries.map((e) => [e.name, e]));
  const rest: Record<string, number[]> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    if (name.endsWith(SCALE)) {
      const m = byName.get(name.slice(0, -SCALE.length));
      if (!m || m.dtype !== 'I8') throw fail(`tensor "${name}" scales no int8 matrix`);
      continue;
    }
    const e = byName.get(name)!;
    if (e.dtype === 'I8') {
      const s = byName.get(name + SCALE);
      if (e.shape.length !== 2) throw fail(`int8 tensor "${name}" has shape [${e.shape.join(',')}], expected a matrix`);
      if (!s) throw fail(`int8 tensor "${name}" has no scales ("${name}${SCALE}")`);
      if (s.dtype !== 'F32' || s.shape.length !== 1 || s.shape[0] !== e.shape[0]) throw fail(`tensor "${name}${SCALE}" is ${s.dtype} [${s.shape.join(',')}], expected F32 [${e.shape[0]}]`);
    }
    rest[name] = shape;
  }
  return rest;
}

/** Multiplies each I8 matrix (decoded as exact integers) by its row scales, in place, and drops the scales. */
export function dequantizeDict(tensors: Record<string, Tensor>, int8: ReadonlySet<string>, fail: (m: string) => SimdRnnError): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (name.endsWith(SCALE)) continue;
    if (int8.has(name)) {
      const s = tensors[name + SCALE]!.data, K = t.shape[1]!;
      for (let n = 0; n < s.length; n++) {
        const v = s[n]!;
        if (!(v >= 0 && v - v === 0)) throw fail(`tensor "${name}${SCALE}" holds ${v} at element ${n}; scales must be finite and not negative`);
        for (let j = n * K; j < (n + 1) * K; j++) t.data[j] = Math.fround(t.data[j]! * v);
      }
    }
    out[name] = t;
  }
  return out;
}
