// A sequence-to-sequence model's options: checked and completed with their
// defaults into one plain config (what io.save writes and io.load reads), and
// the modules it implies with their parameter names — pure, so the file loader
// checks a file's tensors against them before anything is built.
import { SimdRnnError, argError, describe } from '../../errors.js';
import { cellOf, type RecurrentKind } from '../../layers/recurrent/cells/index.js';
import { recurrentParamSpecs } from '../../layers/recurrent/cell.js';
import { attentionParamSpecs, type AttentionScore } from '../../layers/attention/attention.js';
import type { ParamSpec } from '../../layers/params.js';

/** The recurrent cell of an encoder or decoder ('rnn' is the tanh Elman cell). */
export type CellName = 'lstm' | 'gru' | 'rnn';
/** The attention: Bahdanau's additive score, Luong's dot or general score, or none (the decoder sees only the bridge). */
export type AttentionKind = 'bahdanau' | 'luong-dot' | 'luong-general' | 'none';

/** The encoder's recurrent stack. */
export interface EncoderOptions {
  /** 'lstm' (default) | 'gru' | 'rnn' (tanh). */
  cell?: CellName;
  /** Hidden size per direction. */
  hiddenSize: number;
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** A reverse direction too (default false; its outputs are concatenated to the keys). */
  bidirectional?: boolean;
  /** Dropout between stacked layers, in training (default 0). */
  dropout?: number;
  /** The layer-normalized cell (LSTM, GRU). */
  layerNorm?: boolean;
}

/** The decoder's recurrent stack (unidirectional). */
export type DecoderOptions = Omit<EncoderOptions, 'bidirectional'>;

/** Options of `new Seq2Seq(options)`. */
export interface Seq2SeqOptions {
  /** Source vocabulary size (ids in [0, srcVocab)). */
  srcVocab: number;
  /** Target vocabulary size (ids in [0, tgtVocab), pad, bos and eos included). */
  tgtVocab: number;
  /** Width of both embeddings. */
  embeddingDim: number;
  /** The encoder. */
  encoder: EncoderOptions;
  /** The decoder. */
  decoder: DecoderOptions;
  /** Default 'bahdanau' (the additive score); 'luong-dot' needs decoder.hiddenSize = the encoder's output width. */
  attention?: AttentionKind;
  /** 'bahdanau': width of the score's hidden layer (default decoder.hiddenSize). */
  attentionSize?: number;
  /** Token ids: padding (both vocabularies), and the target's begin and end of sequence. */
  tokens: {
    /** Padding, in sources and targets (never generated). */
    pad: number;
    /** Begin of sequence: the decoder's first input (never generated). */
    bos: number;
    /** End of sequence: ends a target and a hypothesis. */
    eos: number;
  };
  /** Seed of the initialization, dropout and sampling (default: random). */
  seed?: number;
}

/** The options, complete (a model's config(), and the architecture of its file). */
export interface Seq2SeqConfig {
  /** Always 'Seq2Seq'. */
  type: 'Seq2Seq';
  /** Source vocabulary size. */
  srcVocab: number;
  /** Target vocabulary size. */
  tgtVocab: number;
  /** Width of both embeddings. */
  embeddingDim: number;
  /** The encoder, every option filled in. */
  encoder: Required<EncoderOptions>;
  /** The decoder, every option filled in. */
  decoder: Required<DecoderOptions>;
  /** The attention. */
  attention: AttentionKind;
  /** Width of the additive score's hidden layer. */
  attentionSize: number;
  /** The special token ids. */
  tokens: {
    /** Padding. */
    pad: number;
    /** Begin of sequence. */
    bos: number;
    /** End of sequence. */
    eos: number;
  };
}

const CELLS: Record<CellName, RecurrentKind> = { lstm: 'LSTM', gru: 'GRU', rnn: 'RNN' };
const KINDS: readonly AttentionKind[] = ['bahdanau', 'luong-dot', 'luong-general', 'none'];
const SCORE: Record<Exclude<AttentionKind, 'none'>, AttentionScore> = { bahdanau: 'additive', 'luong-dot': 'dot', 'luong-general': 'general' };

/** The attention layer's score for a kind (null: no attention). */
export function scoreOf(kind: AttentionKind): AttentionScore | null {
  return kind === 'none' ? null : SCORE[kind];
}

/** Limits (the file loader's too). */
export const SEQ2SEQ_LIMITS = { vocab: 1 << 22, size: 1 << 16, numLayers: 16 } as const;

function int(where: string, name: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw argError(where, name, `an integer in [${lo}, ${hi}]`, v);
  return v;
}

function stack(where: string, name: string, o: unknown, bidi: boolean): Required<EncoderOptions> {
  if (o === null || typeof o !== 'object') throw argError(where, name, '{ cell, hiddenSize, numLayers, … }', o);
  const e = o as EncoderOptions & Record<string, unknown>;
  const allowed = ['cell', 'hiddenSize', 'numLayers', 'bidirectional', 'dropout', 'layerNorm'];
  for (const k of Object.keys(e)) {
    if (!allowed.includes(k) || (k === 'bidirectional' && !bidi)) throw argError(where, `${name}.${k}`, `one of ${allowed.filter((a) => bidi || a !== 'bidirectional').join(', ')} (an unknown option)`, e[k]);
  }
  const cell = e.cell ?? 'lstm';
  if (!(cell in CELLS)) throw argError(where, `${name}.cell`, "'lstm' | 'gru' | 'rnn'", cell);
  const S = SEQ2SEQ_LIMITS;
  const out: Required<EncoderOptions> = {
    cell, hiddenSize: int(where, `${name}.hiddenSize`, e.hiddenSize, 1, S.size), numLayers: int(where, `${name}.numLayers`, e.numLayers ?? 1, 1, S.numLayers),
    bidirectional: e.bidirectional ?? false, dropout: e.dropout ?? 0, layerNorm: e.layerNorm ?? false,
  };
  if (typeof out.bidirectional !== 'boolean') throw argError(where, `${name}.bidirectional`, 'true or false', out.bidirectional);
  if (typeof out.dropout !== 'number' || !(out.dropout >= 0 && out.dropout < 1)) throw argError(where, `${name}.dropout`, 'a number in [0, 1)', out.dropout);
  cellOf(CELLS[cell], { layerNorm: out.layerNorm }, `${where}: ${name}`); // refuses layerNorm for 'rnn', non-booleans
  return out;
}

/** Checks the options and completes them. Errors name the option, the expected and the actual value. */
export function seq2seqConfig(opts: Seq2SeqOptions, where = 'Seq2Seq'): Seq2SeqConfig {
  if (opts === null || typeof opts !== 'object') throw argError(where, 'options', 'an object', opts);
  const S = SEQ2SEQ_LIMITS;
  const srcVocab = int(where, 'srcVocab', opts.srcVocab, 2, S.vocab), tgtVocab = int(where, 'tgtVocab', opts.tgtVocab, 3, S.vocab);
  const embeddingDim = int(where, 'embeddingDim', opts.embeddingDim, 1, S.size);
  const encoder = stack(where, 'encoder', opts.encoder, true);
  const decoder = stack(where, 'decoder', opts.decoder, false) as Required<DecoderOptions> & { bidirectional?: boolean };
  delete decoder.bidirectional;
  const attention = opts.attention ?? 'bahdanau';
  if (!KINDS.includes(attention)) throw argError(where, 'attention', KINDS.map((k) => `'${k}'`).join(' | '), attention);
  const K = encoder.hiddenSize * (encoder.bidirectional ? 2 : 1);
  if (attention === 'luong-dot' && K !== decoder.hiddenSize) {
    throw argError(where, 'decoder.hiddenSize', `${K} for 'luong-dot' (the encoder's output width; or use 'luong-general' or 'bahdanau')`, decoder.hiddenSize);
  }
  const attentionSize = opts.attentionSize === undefined ? decoder.hiddenSize : int(where, 'attentionSize', opts.attentionSize, 1, S.size);
  const t = opts.tokens;
  if (t === null || typeof t !== 'object') throw argError(where, 'tokens', '{ pad, bos, eos }', t);
  const pad = int(where, 'tokens.pad', t.pad, 0, Math.min(srcVocab, tgtVocab) - 1);
  const bos = int(where, 'tokens.bos', t.bos, 0, tgtVocab - 1), eos = int(where, 'tokens.eos', t.eos, 0, tgtVocab - 1);
  if (pad === bos || pad === eos || bos === eos) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: tokens are ${describe(t)}, expected pad, bos and eos to be three different ids`);
  return { type: 'Seq2Seq', srcVocab, tgtVocab, embeddingDim, encoder, decoder: decoder as Required<DecoderOptions>, attention, attentionSize, tokens: { pad, bos, eos } };
}

/** The modules of a model, in parameter order, with their name prefixes and parameters. */
export function seq2seqModules(c: Seq2SeqConfig): { prefix: string; specs: ParamSpec[] }[] {
  const E = c.embeddingDim, e = c.encoder, d = c.decoder, De = e.bidirectional ? 2 : 1, K = De * e.hiddenSize, Hd = d.hiddenSize;
  const score = scoreOf(c.attention);
  const rec = (cell: CellName, o: EncoderOptions, I: number, D: number): ParamSpec[] =>
    recurrentParamSpecs(cellOf(CELLS[cell], { layerNorm: o.layerNorm }), I, o.hiddenSize, o.numLayers ?? 1, D, true);
  const out = [
    { prefix: 'src_embedding.', specs: [{ name: 'weight', shape: [c.srcVocab, E] }] },
    { prefix: 'encoder.', specs: rec(e.cell, e, E, De) },
    { prefix: 'bridge.', specs: [{ name: 'weight', shape: [d.numLayers * Hd, K] }, { name: 'bias', shape: [d.numLayers * Hd] }] },
    { prefix: 'tgt_embedding.', specs: [{ name: 'weight', shape: [c.tgtVocab, E] }] },
    { prefix: 'decoder.', specs: rec(d.cell, d, E + (score ? Hd : 0), 1) },
  ];
  if (score) out.push({ prefix: 'attention.', specs: attentionParamSpecs(score, Hd, K, c.attentionSize) });
  out.push({ prefix: 'generator.', specs: [{ name: 'weight', shape: [c.tgtVocab, Hd] }, { name: 'bias', shape: [c.tgtVocab] }] });
  return out;
}

/** The recurrent layer kind of a cell name. */
export function kindOf(cell: CellName): RecurrentKind {
  return CELLS[cell];
}
