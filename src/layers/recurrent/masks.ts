// Which steps of a padded batch are real: from `lengths` (each sequence's
// valid length) or a `mask` ([N, T] of 0 and 1). One check for layers
// (lengths may be 0: a sequence with no step) and for models (at least 1).
import { argError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { checkTensor } from '../validate.js';

export interface ValidSteps {
  lengths?: ArrayLike<number>;
  mask?: Tensor;
}

/**
 * [N, T] of 1 (a real step) and 0 (padding), or null when every step is
 * real. `names` says how errors name the options (e.g. 'options.mask').
 */
export function validSteps(where: string, o: ValidSteps, N: number, T: number, minLength: number,
                           names: { lengths: string; mask: string } = { lengths: 'options.lengths', mask: 'options.mask' }): Uint8Array | null {
  if (o.lengths !== undefined && o.mask !== undefined) throw argError(where, 'options', 'either lengths or mask, not both', 'both');
  if (o.lengths !== undefined) {
    const len = o.lengths;
    if (len === null || typeof len !== 'object' || typeof (len as ArrayLike<number>).length !== 'number') {
      throw argError(where, names.lengths, `an array of ${N} integers in [${minLength}, ${T}]`, len);
    }
    if (len.length !== N) throw argError(where, `${names.lengths}.length`, `${N} (the batch size)`, len.length);
    let full = true;
    for (let n = 0; n < N; n++) {
      const v = len[n];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < minLength || v > T) {
        throw argError(where, `${names.lengths}[${n}]`, `an integer in [${minLength}, ${T}] (T)`, v);
      }
      if (v !== T) full = false;
    }
    if (full) return null;
    const valid = new Uint8Array(N * T);
    for (let n = 0; n < N; n++) valid.fill(1, n * T, n * T + len[n]!);
    return valid;
  }
  if (o.mask !== undefined) {
    checkTensor(where, names.mask, o.mask, [N, T], `[${N}, ${T}] of 0 and 1`);
    const valid = new Uint8Array(N * T);
    const d = o.mask.data;
    let full = true;
    for (let i = 0; i < N * T; i++) {
      const v = d[i]!;
      if (v !== 0 && v !== 1) throw argError(where, `${names.mask}[${Math.floor(i / T)},${i % T}]`, '0 or 1', v);
      valid[i] = v;
      if (v === 0) full = false;
    }
    return full ? null : valid;
  }
  return null;
}
