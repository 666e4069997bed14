// A sequence-to-sequence model as one safetensors file: the weights under
// their module names (src_embedding.weight, encoder.weight_ih_l0, …), the
// complete config as the architecture, format "simd-rnn/seq2seq". Loading
// checks the architecture against the limits and every parameter it implies
// against a tensor of that name and shape before anything is built.
import { SimdRnnError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { Seq2Seq } from '../model/seq2seq/seq2seq.js';
import { seq2seqConfig, seq2seqModules, type Seq2SeqConfig, type Seq2SeqOptions } from '../model/seq2seq/config.js';

export const SEQ2SEQ_FORMAT = 'simd-rnn/seq2seq';

/** Checks a seq2seq architecture and the tensors' shapes; returns the config. Nothing is built. */
export function checkSeq2Seq(arch: Record<string, unknown>, shapes: Record<string, readonly number[]>, paramLimit: number, fail: (m: string) => SimdRnnError): Seq2SeqConfig {
  let c: Seq2SeqConfig;
  try {
    c = seq2seqConfig(arch as unknown as Seq2SeqOptions, 'architecture');
  } catch (e) {
    throw fail(`the architecture is not a valid Seq2Seq: ${(e as Error).message}`);
  }
  const expected = new Set<string>();
  let params = 0;
  for (const { prefix, specs } of seq2seqModules(c)) {
    for (const s of specs) {
      const key = prefix + s.name, t = Object.prototype.hasOwnProperty.call(shapes, key) ? shapes[key] : undefined, want = `[${s.shape.join(',')}]`;
      if (!t) throw fail(`the architecture needs a tensor "${key}" of shape ${want}; the file has none`);
      if (t.length !== s.shape.length || t.some((d, j) => d !== s.shape[j])) throw fail(`tensor "${key}" has shape [${t.join(',')}], the architecture implies ${want}`);
      params += s.shape.reduce((a, b) => a * b, 1);
      if (params > paramLimit) throw fail(`the model has over ${paramLimit} parameters (the limit)`);
      expected.add(key);
    }
  }
  for (const k of Object.keys(shapes)) if (!expected.has(k)) throw fail(`tensor "${k}" is not a parameter of the architecture`);
  return c;
}

/** Builds the model of a checked config and loads its weights; a failure frees what it built. */
export function buildSeq2Seq(c: Seq2SeqConfig, tensors: Record<string, Tensor>, fail: (m: string) => SimdRnnError): Seq2Seq {
  let m: Seq2Seq;
  try {
    m = new Seq2Seq({ ...c, seed: 0 });
  } catch (e) {
    if (e instanceof SimdRnnError && e.code === 'OUT_OF_MEMORY') throw e;
    throw fail(`architecture is not a valid model: ${(e as Error).message}`);
  }
  try {
    m.loadStateDict(tensors);
  } catch (e) {
    m.dispose();
    throw fail(`weights do not fit the architecture: ${(e as Error).message}`);
  }
  return m;
}
