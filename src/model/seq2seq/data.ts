// Pairs of token sequences checked once: source [N, S] and target [N, T]
// (Int32Array, or integer-valued Float32Array), padded with pad, each with its
// length (given, or up to the first pad); target tokens end with eos and have
// no bos (the decoder's first input is bos).
import { SimdRnnError, argError } from '../../errors.js';
import type { Seq2SeqConfig } from './config.js';

/** Token ids, row-major: { data: Int32Array, shape: [N, S] }. */
export interface TokenTensor {
  /** Token ids, row-major (integers; a Float32Array of integers is accepted too). */
  data: Int32Array | Float32Array;
  /** `[N, S]`: N sequences padded to S. */
  shape: number[];
}

/** Checked pairs: tokens row-major, lengths per row (not exported from the package). */
export interface Pairs {
  N: number;
  S: number;
  src: Int32Array;
  srcLen: Int32Array;
  T: number;
  tgt: Int32Array | null;
  tgtLen: Int32Array | null;
}

function tokens(where: string, name: string, t: TokenTensor, vocab: number, N: number | null): { data: Int32Array; N: number; L: number } {
  const shape = (t as TokenTensor | null)?.shape, d = (t as TokenTensor | null)?.data;
  if (!Array.isArray(shape) || shape.length !== 2 || !(d instanceof Int32Array || d instanceof Float32Array)) {
    throw argError(where, name, 'a tensor of token ids { data: Int32Array, shape: [N, length] }', t);
  }
  const [n, L] = shape as [number, number];
  if (!Number.isInteger(n) || !Number.isInteger(L) || n < 1 || L < 1) throw argError(where, `${name}.shape`, '[N, length] with N ≥ 1 and length ≥ 1', shape);
  if (d.length !== n * L) throw argError(where, `${name}.data.length`, `${n * L} (${n}×${L})`, d.length);
  if (N !== null && n !== N) throw argError(where, `${name}.shape[0]`, `${N} (as many as the sources)`, n);
  const out = new Int32Array(n * L);
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= vocab) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: ${name}[${Math.floor(i / L)}][${i % L}] is ${v}, expected a token id in [0, ${vocab - 1}]`);
    out[i] = v;
  }
  return { data: out, N: n, L };
}

function lengthsOf(where: string, name: string, given: ArrayLike<number> | undefined, toks: Int32Array, N: number, L: number, pad: number): Int32Array {
  const out = new Int32Array(N);
  if (given !== undefined) {
    if (given === null || typeof given !== 'object' || typeof given.length !== 'number') throw argError(where, name, `an array of ${N} lengths`, given);
    if (given.length !== N) throw argError(where, `${name}.length`, `${N} (one per pair)`, given.length);
    for (let n = 0; n < N; n++) {
      const v = given[n];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > L) throw argError(where, `${name}[${n}]`, `an integer in [1, ${L}]`, v);
      out[n] = v;
    }
    return out;
  }
  for (let n = 0; n < N; n++) {
    let l = 0;
    while (l < L && toks[n * L + l] !== pad) l++;
    if (l === 0) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: row ${n} of ${name.replace('Lengths', '')} starts with the pad token: it has no tokens (give ${name} if pad is a real token there)`);
    out[n] = l;
  }
  return out;
}

/** @internal Checks sources (and targets) against the model's vocabularies and tokens. */
export function checkPairs(where: string, c: Seq2SeqConfig, src: TokenTensor, tgt: TokenTensor | null, srcLengths?: ArrayLike<number>, tgtLengths?: ArrayLike<number>): Pairs {
  const s = tokens(where, 'src', src, c.srcVocab, null);
  const srcLen = lengthsOf(where, 'srcLengths', srcLengths, s.data, s.N, s.L, c.tokens.pad);
  if (!tgt) return { N: s.N, S: s.L, src: s.data, srcLen, T: 0, tgt: null, tgtLen: null };
  const t = tokens(where, 'tgt', tgt, c.tgtVocab, s.N);
  const tgtLen = lengthsOf(where, 'tgtLengths', tgtLengths, t.data, t.N, t.L, c.tokens.pad);
  for (let n = 0; n < t.N; n++) {
    for (let i = 0; i < tgtLen[n]!; i++) {
      if (t.data[n * t.L + i] === c.tokens.bos) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: tgt[${n}][${i}] is the bos token (${c.tokens.bos}); targets hold no bos (the decoder starts from it) and end with eos`);
    }
  }
  return { N: s.N, S: s.L, src: s.data, srcLen, T: t.L, tgt: t.data, tgtLen };
}

/** @internal The pairs of rows [a, b). */
export function slicePairs(p: Pairs, a: number, b: number): Pairs {
  return {
    ...p, N: b - a, src: p.src.subarray(a * p.S, b * p.S), srcLen: p.srcLen.subarray(a, b),
    tgt: p.tgt ? p.tgt.subarray(a * p.T, b * p.T) : null, tgtLen: p.tgtLen ? p.tgtLen.subarray(a, b) : null,
  };
}
