// The one data type crossing the public API.
import { argError } from './errors.js';

/** A dense row-major f32 array with a shape. */
export interface Tensor {
  /** The elements, row-major. */
  data: Float32Array;
  /** The dimensions; their product is data.length. */
  shape: number[];
}

/**
 * Makes a tensor, checking that the data fills the shape exactly.
 *
 * @example
 * const x = tensor(new Float32Array(2 * 3 * 4), [2, 3, 4]);
 */
export function tensor(data: Float32Array | ArrayLike<number>, shape: readonly number[]): Tensor {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw argError('tensor', 'shape', 'an array of integers ≥ 0', shape);
  }
  const n = shape.reduce((a, b) => a * b, 1);
  const arr = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
  if (arr.length !== n) {
    throw argError('tensor', 'data.length', `${n} (the product of shape [${shape.join(',')}])`, arr.length);
  }
  return { data: arr, shape: [...shape] };
}

/** Number of elements of a shape. */
export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
