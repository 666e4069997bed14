// train, predict, generate, eval, bench: the CLI's work on the user's
// own data (CSV time series, or text: one sequence per line, or --stream,
// the whole file as one stream of characters). Files are streamed: a first
// pass checks them and gathers what the model needs (statistics, the
// vocabulary, counts), then every epoch reads them again (feeds.ts), so
// memory holds a batch and the shuffle buffer, not the file.
import { readFileBytes } from '../../io/file.js';
import { readSafetensorsFile } from '../../io/safetensors.js';
import { load, saveFile } from '../../io/model.js';
import { init, backend } from '../../backend/index.js';
import { LSTM } from '../../layers/lstm.js';
import { GRU } from '../../layers/gru.js';
import { RNN } from '../../layers/rnn.js';
import { Linear } from '../../layers/linear.js';
import { Embedding } from '../../layers/embedding.js';
import { Sequential } from '../../model/sequential.js';
import { Seq2Seq } from '../../model/seq2seq/seq2seq.js';
import type { Batch, ModelLayer } from '../../model/contracts.js';
import { optim, type Optimizer } from '../../train/optim.js';
import { SimdRnnError } from '../../errors.js';
import { Random } from '../../util/rng.js';
import { parseArgs, UsageError, type Flag } from '../args.js';
import { fitWithProgress } from '../fitting.js';
import { trainPairs, pairsFlags } from './pairs.js';
import { charCount, indexOf, sampleLine, vocabFromSet, vocabOf, MAX_TEXT_STEPS, type Vocab } from '../chars.js';
import { csvHeader, csvRows, Moments, type Scaler } from '../data.js';
import { readText, checkWritable, exists } from '../files.js';
import { csvWindows, textLines, lineBatches, charWindows, type Line, type Side } from '../feeds.js';

/** Memory the default shuffle buffer may take. */
const SHUFFLE_BYTES = 64 << 20;

export const BACKEND: Flag = { name: 'backend', type: 'string', choices: ['auto', 'wasm-simd', 'wasm', 'js'], default: 'auto', help: 'which backend runs' };

export async function start(a: Record<string, unknown>): Promise<void> {
  if (a.backend === 'auto' || a.backend === undefined) await init();
  else await init({ backend: a.backend as 'wasm-simd' | 'wasm' | 'js' });
}

export const trainFlags: Flag[] = [
  { name: 'csv', type: 'string', help: 'time series: a CSV file (RFC 4180) with a header row' },
  { name: 'text', type: 'string', help: 'text: one sequence per line (character level), UTF-8' },
  { name: 'pairs', type: 'string', help: 'sequence to sequence: a TSV file, source TAB target per line, UTF-8' },
  { name: 'stream', type: 'bool', default: false, help: 'text: read the file as one stream of characters, in windows of --window' },
  { name: 'columns', type: 'string', help: 'CSV: input columns, comma-separated (default: all)' },
  { name: 'target', type: 'string', help: 'CSV: the column to predict (default: the last input column)' },
  { name: 'window', type: 'int', min: 1, help: 'steps per window: CSV rows (default 24), or --stream characters (default 100)' },
  { name: 'horizon', type: 'int', default: 1, min: 1, help: 'CSV: how many steps ahead to predict' },
  { name: 'cell', type: 'string', choices: ['lstm', 'gru', 'rnn'], default: 'gru', help: 'recurrent cell' },
  { name: 'hidden', type: 'int', default: 64, min: 1, max: 1 << 16, help: 'hidden size' },
  { name: 'layers', type: 'int', default: 1, min: 1, max: 64, help: 'stacked layers' },
  { name: 'bidirectional', type: 'bool', default: false, help: 'add a reverse direction (CSV only)' },
  { name: 'dropout', type: 'number', default: 0, min: 0, max: 0.99, help: 'dropout between layers' },
  { name: 'epochs', type: 'int', default: 10, min: 1, help: 'passes over the data' },
  { name: 'batch', type: 'int', default: 32, min: 1, help: 'batch size' },
  { name: 'tbptt', type: 'int', default: 0, min: 0, help: 'truncated BPTT chunk length (0: full)' },
  { name: 'optimizer', type: 'string', choices: ['adam', 'adamw', 'sgd', 'rmsprop', 'adagrad'], default: 'adam', help: 'optimizer' },
  { name: 'lr', type: 'number', default: 0.005, min: 0, help: 'learning rate' },
  { name: 'shuffle-buffer', type: 'int', min: 0, help: 'samples held in memory to shuffle from (default: as many as fit in 64 MiB; 0: file order)' },
  { name: 'val', type: 'number', default: 0.1, min: 0, max: 0.9, help: 'fraction held out for validation, drawn at random (seeded)' },
  { name: 'seed', type: 'int', default: 1, min: 0, max: 2 ** 32 - 1, help: 'seed of everything random' },
  { name: 'out', type: 'string', default: 'model.safetensors', help: 'where the trained model goes' },
  { name: 'checkpoint', type: 'string', help: 'checkpoint file, written after every epoch (default: <out>.ckpt)' },
  { name: 'resume', type: 'bool', default: false, help: 'continue from the checkpoint' },
  ...pairsFlags,
  BACKEND,
];

function optimizerOf(name: string, lr: number): Optimizer {
  switch (name) {
    case 'sgd': return optim.sgd({ lr, momentum: 0.9 });
    case 'adamw': return optim.adamw({ lr });
    case 'rmsprop': return optim.rmsprop({ lr });
    case 'adagrad': return optim.adagrad({ lr });
    default: return optim.adam({ lr });
  }
}

function recurrent(cell: string, o: Record<string, unknown>): ModelLayer {
  if (cell === 'lstm') return new LSTM(o as never);
  if (cell === 'rnn') return new RNN(o as never);
  return new GRU(o as never);
}

export async function train(argv: string[]): Promise<void> {
  const a = parseArgs('train', argv, trainFlags);
  if ([a.csv, a.text, a.pairs].filter(Boolean).length !== 1) throw new UsageError('train: give exactly one of --csv FILE, --text FILE or --pairs FILE');
  if (a.pairs) { await start(a); return trainPairs(a); }
  if (a.stream && !a.text) throw new UsageError('train: --stream goes with --text');
  const out = a.out as string, ckpt = (a.checkpoint as string | undefined) ?? `${out}.ckpt`;
  // Everything that can fail before training does, before training.
  await checkWritable(out, 'train', '--out');
  await checkWritable(ckpt, 'train', '--checkpoint');
  if (a.resume && !(await exists(ckpt))) throw new UsageError(`train: --resume: there is no checkpoint at ${ckpt} (nothing to resume; train without --resume)`);
  await start(a);
  const seed = a.seed as number, H = a.hidden as number, L = a.layers as number;
  const rec = { hiddenSize: H, numLayers: L, dropout: a.dropout, seed };
  const B = a.batch as number, frac = a.val as number;
  let model: Sequential, meta: Record<string, string>, N: number, feed: (side: Side) => AsyncIterable<Batch>, perSample: number;
  if (a.text) {
    if (a.bidirectional) throw new UsageError('train: --bidirectional does not fit a text model (it generates left to right)');
    const path = a.text as string, chars = new Set<string>();
    let vocab: Vocab;
    if (a.stream) {
      // First pass: the characters and how many; each epoch reads the windows again.
      const W = (a.window as number | undefined) ?? 100;
      let count = 0;
      for await (const c of readText(path, 'train')) for (const ch of c) { chars.add(ch); count++; }
      if (count < 2 * W + 1) throw new UsageError(`train: ${path} has ${count} characters; --stream needs at least 2 windows of ${W} (lower --window)`);
      vocab = vocabFromSet(chars);
      const ix = indexOf(vocab);
      N = Math.floor((count - 1) / W);
      feed = (side) => charWindows(readText(path, 'train'), ix, W, B, side);
      perSample = W * 9;
      meta = { kind: 'text', vocab: JSON.stringify(vocab.chars), maxLen: String(Math.min(W, 1000)), stream: 'true' };
      console.log(`text (stream): ${count} characters in ${N} windows of ${W}, ${vocab.chars.length} distinct`);
    } else {
      // First pass: lines, characters, the longest line; each epoch reads the lines again, a batch padded to its longest.
      const maxChars = Math.floor(MAX_TEXT_STEPS / B) - 1;
      const tooLong = (line: number): UsageError => new UsageError(`train: ${path}: line ${line} is longer than ${maxChars} characters: ` +
        `a batch of ${B} such lines would be over the limit of ${MAX_TEXT_STEPS} steps; use --stream (the file as one stream, in windows of --window characters) or a smaller --batch`);
      const lines = (): AsyncIterable<Line> => textLines(readText(path, 'train'), maxChars, tooLong);
      let longest = 0;
      N = 0;
      for await (const l of lines()) {
        N++;
        for (const ch of l.text) chars.add(ch);
        longest = Math.max(longest, charCount(l.text));
      }
      if (N < 2) throw new UsageError(`train: ${path} has fewer than 2 non-empty lines`);
      vocab = vocabFromSet(chars);
      const ix = indexOf(vocab);
      feed = (side) => lineBatches(lines(), ix, B, side);
      perSample = (longest + 1) * 9;
      meta = { kind: 'text', vocab: JSON.stringify(vocab.chars), maxLen: String(longest) };
      console.log(`text: ${N} lines, ${vocab.chars.length - 1} characters, up to ${longest} per line`);
    }
    const V = vocab.chars.length;
    model = new Sequential([
      new Embedding({ numEmbeddings: V, embeddingDim: Math.min(32, V), seed }),
      recurrent(a.cell as string, { inputSize: Math.min(32, V), ...rec }),
      new Linear({ inFeatures: H, outFeatures: V, seed: seed + 1 }),
    ], { output: 'all' });
    model.compile({ optimizer: optimizerOf(a.optimizer as string, a.lr as number), loss: 'crossEntropy', clipNorm: 1 });
  } else {
    const path = a.csv as string;
    const header = await csvHeader(readText(path, 'train'), path);
    const columns = a.columns ? String(a.columns).split(',').map((c) => c.trim()) : header;
    if (new Set(columns).size !== columns.length) throw new UsageError(`train: --columns names a column twice (${columns.join(', ')})`);
    const target = (a.target as string | undefined) ?? columns[columns.length - 1]!;
    // First pass: every row checked, counted and z-scoring statistics gathered; each epoch reads the windows again.
    const ti = columns.indexOf(target);
    if (ti < 0) throw new UsageError(`train: --target "${target}" must be one of the input columns (${columns.join(', ')})`);
    const moments = new Moments(columns.length);
    for await (const row of csvRows(readText(path, 'train'), path, columns)) moments.add(row);
    const scaler = moments.scaler(), W = (a.window as number | undefined) ?? 24, h = a.horizon as number;
    N = moments.count - W - h + 1;
    if (N < 1) throw new UsageError(`train: ${path} has ${moments.count} rows; a window of ${W} predicting ${h} step(s) ahead needs at least ${W + h}`);
    feed = (side) => csvWindows(csvRows(readText(path, 'train'), path, columns), scaler, W, h, ti, B, side);
    perSample = W * (columns.length * 4 + 1) + 4;
    const D = a.bidirectional ? 2 : 1;
    model = new Sequential([
      recurrent(a.cell as string, { inputSize: columns.length, bidirectional: a.bidirectional, ...rec }),
      new Linear({ inFeatures: D * H, outFeatures: 1, seed: seed + 1 }),
    ]);
    model.compile({ optimizer: optimizerOf(a.optimizer as string, a.lr as number), loss: 'mse', clipNorm: 1, metrics: ['mae'] });
    meta = { kind: 'csv', columns: JSON.stringify(columns), target, window: String(W), horizon: String(h), scaler: JSON.stringify(scaler) };
    console.log(`csv: ${moments.count} rows, ${N} windows of ${W} × ${columns.length}, predicting ${target} ${h} step(s) ahead`);
  }
  const nVal = Math.floor(N * frac), nTrain = N - nVal;
  if (nTrain < 1) throw new UsageError(`train: --val ${frac} leaves no sample to train on (${N} in all)`);
  const shuffle = a['shuffle-buffer'] !== undefined ? a['shuffle-buffer'] as number : Math.max(1, Math.min(nTrain, Math.floor(SHUFFLE_BYTES / perSample)));
  if (shuffle === 0) console.log('no shuffling: batches in file order');
  else if (shuffle < nTrain) console.log(`shuffling in a buffer of ${shuffle} of the ${nTrain} training samples`);
  const side = (val: boolean): Side => (nVal ? { N, frac, seed, val } : null);
  const epochs = a.epochs as number, perEpoch = Math.ceil(nTrain / B);
  const t0 = performance.now();
  const stopped = await fitWithProgress(ckpt, epochs, perEpoch, (callbacks, signal) => model.fit(() => feed(side(false)), {
    epochs, batchSize: B, tbptt: a.tbptt as number, seed, shuffleBuffer: shuffle || undefined,
    validationData: nVal ? () => feed(side(true)) : undefined,
    signal, checkpoint: { path: ckpt }, resume: a.resume ? ckpt : undefined, callbacks,
  }));
  if (stopped) return;
  await saveFile(model, out, meta);
  console.log(`wrote ${out} (${model.numParams} parameters) in ${((performance.now() - t0) / 1000).toFixed(1)} s on ${backend()}`);
}

/** @internal A model file for a command, or a one-line UsageError. */
export async function openAny(cmd: string, path: string | undefined): Promise<{ model: Sequential | Seq2Seq; meta: Record<string, string> }> {
  if (!path) throw new UsageError(`${cmd}: give the model file (see simd-rnn ${cmd} --help)`);
  let bytes: Uint8Array;
  try {
    bytes = await readFileBytes(path);
  } catch (e) {
    throw new UsageError(`${cmd}: ${(e as Error).message}`);
  }
  try {
    return { model: load<Sequential | Seq2Seq>(bytes), meta: readSafetensorsFile(bytes).metadata };
  } catch (e) {
    if (e instanceof SimdRnnError) throw new UsageError(`${cmd}: ${path} is not a usable model: ${e.message}`);
    throw e;
  }
}

async function openModel(cmd: string, path: string | undefined): Promise<{ model: Sequential; meta: Record<string, string> }> {
  const { model, meta } = await openAny(cmd, path);
  if (model instanceof Seq2Seq) throw new UsageError(`${cmd}: ${path} is a sequence-to-sequence model: use simd-rnn translate`);
  return { model, meta };
}

/** JSON from a model file's metadata, or a one-line UsageError (the file may be hostile). */
function metaJson(cmd: string, path: string, key: string, text: string | undefined): unknown {
  if (typeof text !== 'string' || text.length > 1 << 24) throw new UsageError(`${cmd}: ${path} has no usable "${key}" metadata`);
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${cmd}: ${path} has "${key}" metadata that is not valid JSON`);
  }
}

function metaInt(cmd: string, path: string, key: string, text: string | undefined, hi: number): number {
  const v = Number(text);
  if (typeof text !== 'string' || !/^\d+$/.test(text) || v < 1 || v > hi) throw new UsageError(`${cmd}: ${path} has "${key}" metadata ${JSON.stringify(String(text).slice(0, 20))}, expected an integer in [1, ${hi}]`);
  return v;
}

function textModel(cmd: string, path: string, model: Sequential, meta: Record<string, string>): { vocab: Vocab; maxLen: number } {
  if (meta.kind !== 'text') throw new UsageError(`${cmd}: this model was not trained on text (no vocabulary)`);
  const vocab = vocabOf(metaJson(cmd, path, 'vocab', meta.vocab));
  if (!vocab) throw new UsageError(`${cmd}: ${path} has a "vocab" that is not a list of distinct characters starting with the line end`);
  const first = model.config().layers[0]!;
  if (first.type !== 'Embedding' || first.numEmbeddings !== vocab.chars.length || model.outputSize !== vocab.chars.length || model.output !== 'all') {
    throw new UsageError(`${cmd}: ${path}'s model does not fit its vocabulary of ${vocab.chars.length} characters`);
  }
  return { vocab, maxLen: metaInt(cmd, path, 'maxLen', meta.maxLen, 1 << 20) };
}

export const generateFlags: Flag[] = [
  { name: 'n', type: 'int', default: 10, min: 1, help: 'how many lines' },
  { name: 'temperature', type: 'number', default: 0.8, min: 0.01, max: 10, help: 'sampling temperature' },
  { name: 'prefix', type: 'string', default: '', help: 'start every line with this' },
  { name: 'max', type: 'int', min: 1, help: 'longest line (default: the training maximum)' },
  { name: 'seed', type: 'int', default: 1, min: 0, max: 2 ** 32 - 1, help: 'sampling seed' },
  BACKEND,
];

export async function generate(argv: string[]): Promise<void> {
  const a = parseArgs('generate', argv, generateFlags, ['MODEL'], 1);
  await start(a);
  const path = a._[0]!;
  const { model, meta } = await openModel('generate', path);
  const { vocab, maxLen } = textModel('generate', path, model, meta);
  const known = new Set(vocab.chars);
  for (const ch of a.prefix as string) if (!known.has(ch)) throw new UsageError(`generate: --prefix has ${JSON.stringify(ch)}, which the model never saw`);
  const r = new Random(a.seed as number), max = (a.max as number | undefined) ?? maxLen;
  for (let i = 0; i < (a.n as number); i++) console.log(sampleLine(model, vocab, r, a.temperature as number, max, a.prefix as string));
}

export const predictFlags: Flag[] = [
  { name: 'csv', type: 'string', help: 'the series to continue (same columns as training)' },
  { name: 'steps', type: 'int', default: 1, min: 1, max: 1e6, help: 'how many steps ahead to forecast' },
  BACKEND,
];

function csvModel(cmd: string, path: string, model: Sequential, meta: Record<string, string>): { columns: string[]; target: string; window: number; horizon: number; scaler: Scaler } {
  if (meta.kind !== 'csv') throw new UsageError(`${cmd}: this model was not trained on a CSV time series`);
  const columns = metaJson(cmd, path, 'columns', meta.columns);
  if (!Array.isArray(columns) || columns.length < 1 || !columns.every((c) => typeof c === 'string' && c !== '') || new Set(columns).size !== columns.length) {
    throw new UsageError(`${cmd}: ${path} has "columns" metadata that is not a list of distinct names`);
  }
  if (typeof meta.target !== 'string' || !columns.includes(meta.target)) throw new UsageError(`${cmd}: ${path}'s target is not one of its columns`);
  const scaler = metaJson(cmd, path, 'scaler', meta.scaler) as Scaler;
  const okArr = (v: unknown, pos: boolean): boolean => Array.isArray(v) && v.length === columns.length && v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!pos || x > 0));
  if (!scaler || typeof scaler !== 'object' || !okArr(scaler.mean, false) || !okArr(scaler.std, true)) {
    throw new UsageError(`${cmd}: ${path} has a "scaler" that is not { mean, std } with ${columns.length} finite numbers each (std > 0)`);
  }
  if (model.inputSize !== columns.length || model.outputSize !== 1 || model.output === 'all') {
    throw new UsageError(`${cmd}: ${path}'s model does not fit its ${columns.length} columns`);
  }
  return { columns, target: meta.target, window: metaInt(cmd, path, 'window', meta.window, 1e6), horizon: metaInt(cmd, path, 'horizon', meta.horizon, 1e6), scaler };
}

export async function predict(argv: string[]): Promise<void> {
  const a = parseArgs('predict', argv, predictFlags, ['MODEL'], 1);
  if (!a.csv) throw new UsageError('predict: give --csv FILE');
  await start(a);
  const path = a._[0]!;
  const { model, meta } = await openModel('predict', path);
  const c = csvModel('predict', path, model, meta);
  // Only the last window of rows is kept while the file streams by.
  const last: number[][] = [];
  let count = 0;
  for await (const row of csvRows(readText(a.csv as string, 'predict'), a.csv as string, c.columns)) {
    last.push(row);
    if (last.length > c.window) last.shift();
    count++;
  }
  if (count < c.window) throw new UsageError(`predict: ${a.csv} has ${count} rows, the model needs a window of ${c.window}`);
  const ti = c.columns.indexOf(c.target), F = c.columns.length, steps = a.steps as number;
  if (steps > c.horizon && F > 1) {
    console.error(`note: forecasting past the horizon feeds predictions back for ${c.target}; the other columns are held at their last values`);
  }
  const hist = last;
  console.log(`step,${c.target}`);
  for (let s = 1; s <= steps; s++) {
    const x = new Float32Array(c.window * F);
    hist.slice(-c.window).forEach((r, t) => r.forEach((v, f) => { x[t * F + f] = (v - c.scaler.mean[f]!) / c.scaler.std[f]!; }));
    const yz = model.predict({ data: x, shape: [1, c.window, F] }).data[0]!;
    const y = yz * c.scaler.std[ti]! + c.scaler.mean[ti]!;
    console.log(`${s},${y}`);
    const next = [...hist[hist.length - 1]!];
    next[ti] = y;
    hist.push(next);
  }
}

export const evalFlags: Flag[] = [
  { name: 'csv', type: 'string', help: 'held-out CSV (CSV models)' },
  { name: 'text', type: 'string', help: 'held-out text, one sequence per line (text models)' },
  BACKEND,
];

export async function evaluate(argv: string[]): Promise<void> {
  const a = parseArgs('eval', argv, evalFlags, ['MODEL'], 1);
  await start(a);
  const path = a._[0]!;
  const { model, meta } = await openModel('eval', path);
  if (meta.kind === 'text') {
    if (!a.text) throw new UsageError('eval: give --text FILE for a text model');
    const { vocab } = textModel('eval', path, model, meta);
    const file = a.text as string, ix = indexOf(vocab), B = 64, maxChars = Math.floor(MAX_TEXT_STEPS / B) - 1;
    const tooLong = (line: number): UsageError => new UsageError(`eval: ${file}: line ${line} is longer than ${maxChars} characters, over what a batch of ${B} lines holds (${MAX_TEXT_STEPS} steps)`);
    let count = 0;
    const lines = async function* (): AsyncGenerator<Line> {
      for await (const l of textLines(readText(file, 'eval'), maxChars, tooLong)) { count++; yield l; }
    };
    model.compile({ optimizer: optim.sgd(), loss: 'crossEntropy', metrics: ['accuracy'] });
    let r;
    try {
      r = await model.evaluate(() => lineBatches(lines(), ix, B, null));
    } catch (e) {
      if (count === 0 && e instanceof SimdRnnError && /yielded no batch/.test(e.message)) throw new UsageError(`eval: ${file} has no non-empty line`);
      throw e;
    }
    console.log(`lines ${count}\nloss ${r.loss.toFixed(4)} nats/char\naccuracy ${r.accuracy!.toFixed(4)} (next character)`);
    return;
  }
  if (!a.csv) throw new UsageError('eval: give --csv FILE for a CSV model');
  const c = csvModel('eval', path, model, meta);
  const ti = c.columns.indexOf(c.target), file = a.csv as string;
  let mae = 0, sse = 0, n = 0;
  for await (const b of csvWindows(csvRows(readText(file, 'eval'), file, c.columns), c.scaler, c.window, c.horizon, ti, 256, null)) {
    const p = model.predict(b.x).data;
    for (let i = 0; i < p.length; i++) {
      const d = (p[i]! - b.y.data[i]!) * c.scaler.std[ti]!;
      mae += Math.abs(d);
      sse += d * d;
    }
    n += p.length;
  }
  if (n === 0) throw new UsageError(`eval: ${file} has too few rows for one window of ${c.window} predicting ${c.horizon} step(s) ahead (${c.window + c.horizon} rows)`);
  console.log(`windows ${n}\nMAE ${(mae / n).toPrecision(5)}\nRMSE ${Math.sqrt(sse / n).toPrecision(5)}   (in ${c.target}'s units)`);
}

export const benchFlags: Flag[] = [
  { name: 'batch', type: 'int', default: 32, min: 1, max: 4096, help: 'sequences per batch' },
  { name: 'steps', type: 'int', default: 50, min: 1, max: 100000, help: 'time steps' },
];

export async function bench(argv: string[]): Promise<void> {
  const a = parseArgs('bench', argv, benchFlags, ['[MODEL]']);
  const results: string[] = [];
  for (const name of ['wasm-simd', 'js'] as const) {
    await init({ backend: name });
    const model = a._[0]
      ? (await openModel('bench', a._[0])).model
      : new Sequential([new LSTM({ inputSize: 32, hiddenSize: 128, seed: 1 }), new Linear({ inFeatures: 128, outFeatures: 1, seed: 2 })]);
    if (model.config().layers[0]!.type === 'Embedding') throw new UsageError('bench: models with an Embedding are timed by npm start');
    const B = a.batch as number, T = a.steps as number, F = model.inputSize;
    const x = { data: new Float32Array(B * T * F).map((_, i) => Math.sin(i)), shape: [B, T, F] };
    model.predict(x);
    let n = 0;
    const s = performance.now();
    while (performance.now() - s < 1000) { model.predict(x, { batchSize: B }); n++; }
    results.push(`${name}: ${((n * B * 1000) / (performance.now() - s)).toFixed(0)} sequences/s (forward, batch ${B}, ${T} steps)`);
    model.dispose();
  }
  console.log(results.join('\n'));
}
