// Argument checks shared by the layers. Messages name the argument, the
// expected and the actual value.
import { SimdRnnError, argError } from '../errors.js';
import type { Tensor } from '../tensor.js';

export { checkKeys, keysOf, nearestName } from '../util/keys.js';

export function shapeStr(shape: readonly (number | string)[]): string {
  return `[${shape.join(',')}]`;
}

/** Checks a Tensor-like value: Float32Array data that fills its shape, with the given pattern ('*' = any). */
export function checkTensor(where: string, name: string, t: unknown, pattern: readonly (number | string)[], note = ''): Tensor {
  if (t === null || typeof t !== 'object' || !('data' in t) || !('shape' in t)) {
    throw argError(where, name, `a tensor { data: Float32Array, shape: ${shapeStr(pattern)} }`, t);
  }
  const { data, shape } = t as Tensor;
  if (!(data instanceof Float32Array)) throw argError(where, `${name}.data`, 'a Float32Array', data);
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw argError(where, `${name}.shape`, 'an array of integers ≥ 0', shape);
  }
  const n = shape.reduce((a, b) => a * b, 1);
  if (data.length !== n) {
    throw new SimdRnnError('SHAPE_MISMATCH', `${where}: ${name}.data has ${data.length} elements, expected ${n} for shape ${shapeStr(shape)}`);
  }
  const ok = shape.length === pattern.length && pattern.every((p, i) => p === '*' || p === shape[i]);
  if (!ok) {
    throw new SimdRnnError('SHAPE_MISMATCH', `${where}: ${name} has shape ${shapeStr(shape)}, expected ${shapeStr(pattern)}${note ? ` (${note})` : ''}`);
  }
  return t as Tensor;
}

/** An integer in [lo, hi]. */
export function checkInt(where: string, name: string, v: unknown, lo: number, hi = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw argError(where, name, hi === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${lo}` : `an integer in [${lo}, ${hi}]`, v);
  }
  return v;
}

export function checkBool(where: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw argError(where, name, 'true or false', v);
  return v;
}

/** Refuses NaN and ±Inf, naming the first position. */
export function checkFinite(where: string, name: string, data: Float32Array, shape: readonly number[]): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v - v !== 0) {
      const idx: number[] = [];
      let r = i;
      for (let d = shape.length - 1; d >= 0; d--) { idx.unshift(r % shape[d]!); r = Math.floor(r / shape[d]!); }
      throw new SimdRnnError('INVALID_ARGUMENT', `${where}: ${name}${shapeStr(idx)} is ${v}, expected a finite number`);
    }
  }
}

/** The default only when the option is absent: an explicit null is a value to check (and refuse). */
export function dflt<T>(v: T | undefined, d: T): T {
  return v === undefined ? d : v;
}

