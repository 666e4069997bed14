// int8 model files: a quantized model's weight matrices as safetensors I8
// tensors [N, K] (the int8 values, PyTorch's layout: row n is output n) with
// their F32 row scales under "<name>.scale" [N]; metadata quantized = "int8".
// PyTorch reads the file as it is: weight = int8 · scale[:, None] gives the
// f32 weights back (the scales are symmetric: zero point 0). Loading
// dequantizes the same way into the layers' f32 parameters and quantizes
// them again, which gives back the same int8 values (each q·s rounds back
// to q) and scales equal up to the last bit.
import { SimdRnnError } from '../errors.js';
import { getBackend } from '../backend/index.js';
import type { Tensor } from '../tensor.js';

/** The suffix of a weight matrix's row scales. */
export const SCALE = '.scale';

/** The weight matrices that a quantized model's int8 products read, by state-dict name. */
export function int8Keys(names: readonly string[], quantizedPrefixes: readonly string[]): string[] {
  return names.filter((n) => quantizedPrefixes.some((p) => n.startsWith(p)) && /(^|\.)weight(_ih_l\d+(_reverse)?|_hh_l\d+(_reverse)?)?$/.test(n));
}

/** Replaces each named f32 matrix of the dict by its int8 values (I8) and adds its row scales. */
export function quantizeDict(dict: Record<string, Tensor>, keys: readonly string[]): Record<string, Tensor | { data: Int8Array; shape: number[] }> {
  const { heap, k } = getBackend(), out: Record<string, Tensor | { data: Int8Array; shape: number[] }> = { ...dict };
  for (const key of keys) {
    const t = dict[key]!, [N, K] = t.shape as [number, number], ldq = (K + 7) & ~7;
    const X = heap.alloc(N * K), Q = heap.alloc(Math.ceil((N * ldq) / 4)), S = heap.alloc(N);
    try {
      heap.write(X, t.data);
      k.i8_quantize_rows(N, K, X, K, Q, ldq, S);
      const q = new Int8Array(N * K), rows = heap.i8;
      for (let n = 0; n < N; n++) q.set(rows.subarray(Q + n * ldq, Q + n * ldq + K), n * K);
      out[key] = { data: q, shape: [N, K] };
      out[key + SCALE] = { data: heap.read(S, N), shape: [N] };
    } finally {
      heap.free(X); heap.free(Q); heap.free(S);
    }
  }
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
