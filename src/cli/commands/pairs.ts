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
import { readTextFile, checkWritable, exists } from '../files.js';
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

/** Pairs from TSV text; errors name the line. */
function parsePairs(text: string, file: string, srcMode: Mode, tgtMode: Mode): { src: string[][]; tgt: string[][] } {
  const src: string[][] = [], tgt: string[][] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const tab = line.indexOf('\t');
    if (tab < 0) throw new UsageError(`train: ${file}:${i + 1}: no TAB between source and target`);
    const s = tokenize(line.slice(0, tab), srcMode), t = tokenize(line.slice(tab + 1), tgtMode);
    if (s.length === 0 || t.length === 0) throw new UsageError(`train: ${file}:${i + 1}: an empty ${s.length === 0 ? 'source' : 'target'}`);
    if (s.length > MAX_TOKENS || t.length > MAX_TOKENS) throw new UsageError(`train: ${file}:${i + 1}: over ${MAX_TOKENS} tokens on one side`);
    src.push(s); tgt.push(t);
  });
  if (src.length < 2) throw new UsageError(`train: ${file} has fewer than 2 pairs`);
  if (src.length > MAX_PAIRS) throw new UsageError(`train: ${file} has ${src.length} pairs, over the limit of ${MAX_PAIRS}`);
  return { src, tgt };
}

// Ids: 0 pad, 1 bos, 2 eos, then the tokens in sorted order.
function vocabOf(seqs: string[][]): string[] {
  return [...new Set(seqs.flat())].sort();
}

function encode(seqs: string[][], vocab: string[], withEos: boolean): { data: Int32Array; shape: number[] } {
  const id = new Map(vocab.map((t, i) => [t, i + 3]));
  const L = seqs.reduce((m, s) => Math.max(m, s.length), 0) + (withEos ? 1 : 0), d = new Int32Array(seqs.length * L);
  seqs.forEach((s, n) => { s.forEach((t, i) => { d[n * L + i] = id.get(t)!; }); if (withEos) d[n * L + s.length] = EOS; });
  return { data: d, shape: [seqs.length, L] };
}

export async function trainPairs(a: Parsed): Promise<void> {
  const out = a.out as string, ckpt = (a.checkpoint as string | undefined) ?? `${out}.ckpt`;
  await checkWritable(out, 'train', '--out');
  await checkWritable(ckpt, 'train', '--checkpoint');
  if (a.resume && !(await exists(ckpt))) throw new UsageError(`train: --resume: there is no checkpoint at ${ckpt} (nothing to resume; train without --resume)`);
  const srcMode = a.tokens as Mode, tgtMode = ((a['tgt-tokens'] as Mode | undefined) ?? srcMode);
  const { src, tgt } = parsePairs(await readTextFile(a.pairs as string, 'train'), a.pairs as string, srcMode, tgtMode);
  const sv = vocabOf(src), tv = vocabOf(tgt), seed = a.seed as number, H = a.hidden as number;
  const split = randomSplit(src.length, a.val as number, seed);
  if (split.train.length < 1) throw new UsageError(`train: --val ${a.val} leaves no pair to train on (${src.length} in all)`);
  const pick = (xs: string[][], idx: Int32Array | number[]): string[][] => Array.from(idx, (i) => xs[i]!);
  const trainSrc = encode(pick(src, split.train), sv, false), trainTgt = encode(pick(tgt, split.train), tv, true);
  const val = split.val.length ? { src: encode(pick(src, split.val), sv, false), tgt: encode(pick(tgt, split.val), tv, true) } : undefined;
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
  console.log(`pairs: ${src.length} (${split.train.length} to train on), ${sv.length} source and ${tv.length} target tokens (${srcMode} → ${tgtMode}); ${model.numParams} parameters`);
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
