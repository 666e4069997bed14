// Batches from ragged sequences, like Keras's pad_sequences.
import { argError } from '../errors.js';
import { checkKeys, keysOf } from '../util/keys.js';
import type { Tensor } from '../tensor.js';

/** Options of padSequences (Keras's pad_sequences). */
export interface PadOptions {
  /** Steps per sequence (default: the longest). */
  maxlen?: number;
  /** Where padding goes (default 'post', which `lengths` describes). */
  padding?: 'pre' | 'post';
  /** Which end of a too-long sequence is cut (default 'pre', as in Keras). */
  truncating?: 'pre' | 'post';
  /** Fill value of padding steps (default 0). */
  value?: number;
  /** Features per step (default 1): each sequence holds steps × features numbers. */
  features?: number;
}

/** What padSequences returns: the padded batch, each sequence's length and the mask. */
export interface Padded {
  /** [N, maxlen, features] */
  x: Tensor;
  /** Real steps per sequence. */
  lengths: Int32Array;
  /** `[N, maxlen]`: 1 at real steps, 0 at padding (pass it as `mask` with padding: 'pre'). */
  mask: Tensor;
}

/**
 * @example
 * const { x, lengths } = padSequences([[1, 2, 3], [4]], { maxlen: 3 });
 * // x [2, 3, 1] = [[1,2,3],[4,0,0]], lengths [3, 1]
 */
export function padSequences(seqs: ArrayLike<number>[], opts: PadOptions = {}): Padded {
  const where = 'padSequences';
  if (!Array.isArray(seqs) || seqs.length === 0) throw argError(where, 'sequences', 'a non-empty array of arrays', seqs);
  if (opts === null || typeof opts !== 'object') throw argError(where, 'options', 'an object', opts);
  checkKeys(where, 'options', opts, keysOf<PadOptions>()(['maxlen', 'padding', 'truncating', 'value', 'features']));
  const F = opts.features ?? 1;
  if (!Number.isInteger(F) || F < 1) throw argError(where, 'options.features', 'an integer ≥ 1', F);
  const steps = seqs.map((s, i) => {
    if (s === null || typeof s !== 'object' || typeof s.length !== 'number') throw argError(where, `sequences[${i}]`, 'an array of numbers', s);
    if (s.length % F !== 0) throw argError(where, `sequences[${i}].length`, `a multiple of features (${F})`, s.length);
    return s.length / F;
  });
  const maxlen = opts.maxlen ?? Math.max(...steps);
  if (!Number.isInteger(maxlen) || maxlen < 1) throw argError(where, 'options.maxlen', 'an integer ≥ 1', maxlen);
  const padding = opts.padding ?? 'post', truncating = opts.truncating ?? 'pre', value = opts.value ?? 0;
  if (padding !== 'pre' && padding !== 'post') throw argError(where, 'options.padding', "'pre' or 'post'", padding);
  if (truncating !== 'pre' && truncating !== 'post') throw argError(where, 'options.truncating', "'pre' or 'post'", truncating);
  const N = seqs.length;
  const x = new Float32Array(N * maxlen * F).fill(value), mask = new Float32Array(N * maxlen), lengths = new Int32Array(N);
  seqs.forEach((s, n) => {
    const len = Math.min(steps[n]!, maxlen);
    const from = truncating === 'pre' ? steps[n]! - len : 0; // first step kept
    const at = padding === 'pre' ? maxlen - len : 0; // where it lands
    for (let t = 0; t < len; t++) {
      for (let f = 0; f < F; f++) {
        const v = s[(from + t) * F + f];
        if (typeof v !== 'number' || !Number.isFinite(v)) throw argError(where, `sequences[${n}][${(from + t) * F + f}]`, 'a finite number', v);
        x[(n * maxlen + at + t) * F + f] = v;
      }
      mask[n * maxlen + at + t] = 1;
    }
    lengths[n] = len;
  });
  return { x: { data: x, shape: [N, maxlen, F] }, lengths, mask: { data: mask, shape: [N, maxlen] } };
}
