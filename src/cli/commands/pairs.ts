// train --pairs and translate: sequence-to-sequence models on the user's own
// pairs (a TSV file: source TAB target per line), tokenized by characters or
// by words (spaces), with the vocabularies stored in the model file.
import { readFileBytes } from '../../io/file.js';
import { readSafetensorsFile } from '../../io/safetensors.js';
import { load, saveFile } from '../../io/model.js';
import { backend } from '../../backend/index.js';
import { Seq2Seq, type AttentionKind, type CellName } from '../../model/seq2seq/seq2seq.js';
import { SimdRnnError } from '../../errors.js';
import { optim } from '../../train/optim.js';
import { parseArgs, UsageError, type Flag, type Parsed } from '../args.js';
import { readText, checkWritable, exists } from '../files.js';
import { textLines } from '../feeds.js';
import { randomSplit } from '../split.js';
import { fitWithProgress } from '../fitting.js';

const PAD = 0, BOS = 1, EOS = 2;
/** Lines and tokens per side a pairs file may have. */
const MAX_PAIRS = 1 << 22, MAX_TOKENS = 1 << 12;

type Mode = 'chars' | 'words';

export const pairsFlags: Flag[] = [
  { name: 'tokens', type: 'string', choices: ['chars', 'words'], default: 'chars', help: 'pairs: tokens of both sides (words: separated by spaces)' },
  { name: 'tgt-tokens', type: 'string', choices: ['chars', 'words'], help: 'pairs: tokens of the target side (default: --tokens)' },
  { name: 'attention', type: 'string', choices: ['bahdanau', 'luong-dot', 'luong-general', 'none'], default: 'bahdanau', help: 'pairs: attention' },
  { name: 'embedding', type: 'int', default: 64, min: 1, max: 1 << 16, help: 'pairs: embedding width' },
  { name: 'label-smoothing', type: 'number', default: 0, min: 0, max: 0.99, help: 'pairs: label smoothing' },
];

function tokenize(s: string, mode: Mode): string[] {
  return mode === 'chars' ? [...s] : s.split(' ').filter((w) => w !== '');
}

function joinTokens(t: string[], mode: Mode): string {
  return mode === 'chars' ? t.join('') : t.join(' ');
}

/** Token ids of one side of every pair, flat (ends[n] is where pair n's tokens end), with the vocabulary met so far. */
export class Side {
  /** 2 bytes a token while the vocabulary fits. */
  ids: Uint16Array | Int32Array = new Uint16Array(1 << 12);
  ends: Int32Array = new Int32Array(1 << 10);
  n = 0;
  used = 0;
  longest = 0;
  /** Provisional ids, in order of first appearance. */
  readonly seen = new Map<string, number>();

  push(tokens: string[]): void {
    if (this.used + tokens.length > this.ids.length) this.ids = grow(this.ids, this.used + tokens.length);
    for (const tk of tokens) {
      let id = this.seen.get(tk);
      if (id === undefined) {
        id = this.seen.size;
        this.seen.set(tk, id);
        if (id > 0xffff && this.ids instanceof Uint16Array) this.ids = Int32Array.from(this.ids); // a vocabulary past 65 536 tokens
      }
      this.ids[this.used++] = id;
    }
    if (this.n === this.ends.length) this.ends = grow(this.ends, this.n + 1);
    this.ends[this.n++] = this.used;
    this.longest = Math.max(this.longest, tokens.length);
  }

  /** Ids: 0 pad, 1 bos, 2 eos, then the tokens in sorted order. */
  vocab(): { tokens: string[]; remap: Int32Array } {
    const tokens = [...this.seen.keys()].sort(), remap = new Int32Array(tokens.length);
    tokens.forEach((tk, i) => { remap[this.seen.get(tk)!] = i + 3; });
    return { tokens, remap };
  }

  /** Pairs idx as a padded [N, L] tensor (with eos after each). */
  encode(idx: ArrayLike<number>, remap: Int32Array, withEos: boolean): { data: Int32Array; shape: number[] } {
    let L = 0;
    for (let i = 0; i < idx.length; i++) { const n = idx[i]!; L = Math.max(L, this.ends[n]! - (n ? this.ends[n - 1]! : 0)); }
    L += withEos ? 1 : 0;
    const d = new Int32Array(idx.length * L);
    for (let i = 0; i < idx.length; i++) {
      const n = idx[i]!, from = n ? this.ends[n - 1]! : 0, to = this.ends[n]!;
      for (let j = from; j < to; j++) d[i * L + j - from] = remap[this.ids[j]!]!;
      if (withEos) d[i * L + to - from] = EOS;
    }
    return { data: d, shape: [idx.length, L] };
  }
}

/** Sequences as a padded [N, L] tensor of ids (vocab[i] has id i + 3). */
function encode(seqs: string[][], vocab: string[], withEos: boolean): { data: Int32Array; shape: number[] } {
  const id = new Map(vocab.map((t, i) => [t, i + 3]));
  const L = seqs.reduce((m, s) => Math.max(m, s.length), 0) + (withEos ? 1 : 0), d = new Int32Array(seqs.length * L);
  seqs.forEach((s, n) => { s.forEach((t, i) => { d[n * L + i] = id.get(t)!; }); if (withEos) d[n * L + s.length] = EOS; });
  return { data: d, shape: [seqs.length, L] };
}

function grow<A extends Uint16Array | Int32Array>(a: A, need: number): A {
  const b = new (a.constructor as new (n: number) => A)(Math.max(need, 2 * a.length));
  b.set(a);
  return b;
}

/**
 * Pairs from a TSV file, read as a stream (the file is never held whole: a
 * pair costs 4 bytes a token); errors name the line.
 */
export async function readPairs(file: string, srcMode: Mode, tgtMode: Mode): Promise<{ src: Side; tgt: Side }> {
  const src = new Side(), tgt = new Side();
  const maxChars = 8 * MAX_TOKENS; // a side of MAX_TOKENS words of a few characters each
  const tooLong = (line: number): UsageError => new UsageError(`train: ${file}:${line}: longer than ${2 * maxChars} characters (a pair holds at most ${MAX_TOKENS} tokens a side)`);
  for await (const { text, line } of textLines(readText(file, 'train'), 2 * maxChars, tooLong)) {
    const tab = text.indexOf('\t');
    if (tab < 0) throw new UsageError(`train: ${file}:${line}: no TAB between source and target`);
    const s = tokenize(text.slice(0, tab), srcMode), t = tokenize(text.slice(tab + 1), tgtMode);
    if (s.length === 0 || t.length === 0) throw new UsageError(`train: ${file}:${line}: an empty ${s.length === 0 ? 'source' : 'target'}`);
    if (s.length > MAX_TOKENS || t.length > MAX_TOKENS) throw new UsageError(`train: ${file}:${line}: over ${MAX_TOKENS} tokens on one side`);
    if (src.n === MAX_PAIRS) throw new UsageError(`train: ${file} has more than ${MAX_PAIRS} pairs, the limit`);
    src.push(s); tgt.push(t);
  }
  if (src.n < 2) throw new UsageError(`train: ${file} has fewer than 2 pairs`);
  return { src, tgt };
}

export async function trainPairs(a: Parsed): Promise<void> {
  const out = a.out as string, ckpt = (a.checkpoint as string | undefined) ?? `${out}.ckpt`;
  await checkWritable(out, 'train', '--out');
  await checkWritable(ckpt, 'train', '--checkpoint');
  if (a.resume && !(await exists(ckpt))) throw new UsageError(`train: --resume: there is no checkpoint at ${ckpt} (nothing to resume; train without --resume)`);
  const srcMode = a.tokens as Mode, tgtMode = ((a['tgt-tokens'] as Mode | undefined) ?? srcMode);
  const { src, tgt } = await readPairs(a.pairs as string, srcMode, tgtMode);
  const { tokens: sv, remap: sr } = src.vocab(), { tokens: tv, remap: tr } = tgt.vocab(), seed = a.seed as number, H = a.hidden as number;
  const split = randomSplit(src.n, a.val as number, seed);
  if (split.train.length < 1) throw new UsageError(`train: --val ${a.val} leaves no pair to train on (${src.n} in all)`);
  const trainSrc = src.encode(split.train, sr, false), trainTgt = tgt.encode(split.train, tr, true);
  const val = split.val.length ? { src: src.encode(split.val, sr, false), tgt: tgt.encode(split.val, tr, true) } : undefined;
  const cell = a.cell as CellName, attention = a.attention as AttentionKind, D = a.bidirectional ? 2 : 1;
  let model: Seq2Seq;
  try {
    model = new Seq2Seq({
      srcVocab: sv.length + 3, tgtVocab: tv.length + 3, embeddingDim: a.embedding as number,
      encoder: { cell, hiddenSize: H, numLayers: a.layers as number, bidirectional: a.bidirectional as boolean, dropout: a.dropout as number },
      decoder: { cell, hiddenSize: attention === 'luong-dot' ? D * H : H, numLayers: a.layers as number, dropout: a.dropout as number },
      attention, tokens: { pad: PAD, bos: BOS, eos: EOS }, seed,
    });
  } catch (e) {
    if (e instanceof SimdRnnError && e.code === 'INVALID_ARGUMENT') throw new UsageError(`train: ${e.message}`);
    throw e;
  }
  model.compile({ optimizer: optim.adam({ lr: a.lr as number }), clipNorm: 5, labelSmoothing: a['label-smoothing'] as number });
  console.log(`pairs: ${src.n} (${split.train.length} to train on), ${sv.length} source and ${tv.length} target tokens (${srcMode} → ${tgtMode}); ${model.numParams} parameters`);
  const meta = { kind: 'pairs', srcVocab: JSON.stringify(sv), tgtVocab: JSON.stringify(tv), srcTokens: srcMode, tgtTokens: tgtMode };
  const epochs = a.epochs as number, batch = a.batch as number;
  const stopped = await fitWithProgress(ckpt, epochs, Math.ceil(split.train.length / batch), (callbacks, signal) => model.fit(trainSrc, trainTgt, {
    epochs, batchSize: batch, seed, validationData: val, signal, checkpoint: { path: ckpt }, resume: a.resume ? ckpt : undefined, callbacks,
  }));
  if (stopped) return;
  await saveFile(model, out, meta);
  console.log(`wrote ${out} (${model.numParams} parameters) on ${backend()}`);
}

export const translateFlags: Flag[] = [
  { name: 'beam', type: 'int', default: 5, min: 1, max: 256, help: 'beam width (1: greedy)' },
  { name: 'n-best', type: 'int', default: 1, min: 1, max: 256, help: 'hypotheses per input (printed with their scores)' },
  { name: 'max-length', type: 'int', min: 1, max: 1 << 16, help: 'longest output (default: twice the input + 10)' },
  { name: 'length-penalty', type: 'number', default: 0, min: 0, max: 10, help: "GNMT's α: rank by Σ log p / ((5 + n)/6)^α" },
  { name: 'backend', type: 'string', choices: ['auto', 'wasm-simd', 'wasm', 'js'], default: 'auto', help: 'which backend runs' },
];

function vocabMeta(path: string, meta: Record<string, string>, key: string): string[] {
  let v: unknown;
  try { v = JSON.parse(meta[key] ?? ''); } catch { v = null; }
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string') || new Set(v).size !== v.length) throw new UsageError(`translate: ${path} has no usable "${key}" metadata (a list of distinct tokens)`);
  return v as string[];
}

/** Reads stdin lines when no input is given on the command line. */
async function stdinLines(): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
}

export async function translate(argv: string[], start: (a: Parsed) => Promise<void>): Promise<void> {
  const a = parseArgs('translate', argv, translateFlags, ['MODEL', '[INPUT…]'], 1, true);
  await start(a);
  const path = a._[0]!;
  let bytes: Uint8Array;
  try { bytes = await readFileBytes(path); } catch (e) { throw new UsageError(`translate: ${(e as Error).message}`); }
  let model: Seq2Seq;
  try {
    const m = load<Seq2Seq>(bytes);
    if (!(m instanceof Seq2Seq)) throw new UsageError(`translate: ${path} is not a sequence-to-sequence model (train one with simd-rnn train --pairs)`);
    model = m;
  } catch (e) {
    if (e instanceof SimdRnnError) throw new UsageError(`translate: ${path} is not a usable model: ${e.message}`);
    throw e;
  }
  const meta = readSafetensorsFile(bytes).metadata;
  const sv = vocabMeta(path, meta, 'srcVocab'), tv = vocabMeta(path, meta, 'tgtVocab');
  const srcMode: Mode = meta.srcTokens === 'words' ? 'words' : 'chars', tgtMode: Mode = meta.tgtTokens === 'words' ? 'words' : 'chars';
  if (sv.length + 3 !== model.config().srcVocab || tv.length + 3 !== model.config().tgtVocab) throw new UsageError(`translate: ${path}'s vocabularies do not fit its model`);
  const inputs = a._.length > 1 ? a._.slice(1) : await stdinLines();
  if (inputs.length === 0) throw new UsageError('translate: no input (give it as arguments, or as lines on stdin)');
  const id = new Map(sv.map((t, i) => [t, i + 3]));
  const toks = inputs.map((s, n) => {
    const t = tokenize(s, srcMode);
    if (t.length === 0) throw new UsageError(`translate: input ${n + 1} is empty`);
    for (const x of t) if (!id.has(x)) throw new UsageError(`translate: input ${n + 1} has ${JSON.stringify(x)}, which the model never saw`);
    return t;
  });
  const nBest = a['n-best'] as number, beam = Math.max(a.beam as number, nBest);
  const r = model.translate(encode(toks, sv, false), { beam, nBest, lengthPenalty: a['length-penalty'] as number, maxLength: a['max-length'] as number | undefined });
  inputs.forEach((_, n) => {
    for (let j = 0; j < nBest; j++) {
      const h = r.tokens[n * nBest + j]!, text = joinTokens(h.map((i) => tv[i - 3]!), tgtMode);
      console.log(nBest > 1 ? `${text}\t${r.scores[n * nBest + j]!.toFixed(4)}` : text);
    }
  });
}
