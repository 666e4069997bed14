// train, predict, generate, eval, info, bench: the CLI's work on the user's
// own data (CSV time series or text, one sequence per line).
import { readFileBytes } from '../../io/file.js';
import { readSafetensorsFile } from '../../io/safetensors.js';
import { load, saveFile } from '../../io/model.js';
import { init, backend } from '../../backend/index.js';
import { LSTM } from '../../layers/lstm.js';
import { GRU } from '../../layers/gru.js';
import { RNN } from '../../layers/rnn.js';
import { Linear } from '../../layers/linear.js';
import { Embedding } from '../../layers/embedding.js';
import { Sequential, type ModelLayer } from '../../train/sequential.js';
import { optim, type Optimizer } from '../../train/optim.js';
import { SimdRnnError } from '../../errors.js';
import { Random } from '../../util/rng.js';
import { parseArgs, UsageError, type Flag } from '../args.js';
import { Progress } from '../progress.js';
import { buildVocab, encodeLines, sampleLine, type Vocab } from '../chars.js';
import { readText, parseCsv, fitScaler, windows, type Scaler } from '../data.js';

const BACKEND: Flag = { name: 'backend', type: 'string', choices: ['auto', 'wasm-simd', 'wasm', 'js'], default: 'auto', help: 'which backend runs' };

async function start(a: Record<string, unknown>): Promise<void> {
  if (a.backend === 'auto' || a.backend === undefined) await init();
  else await init({ backend: a.backend as 'wasm-simd' | 'wasm' | 'js' });
}

export const trainFlags: Flag[] = [
  { name: 'csv', type: 'string', help: 'time series: a CSV file with a header row' },
  { name: 'text', type: 'string', help: 'text: one sequence per line (character level)' },
  { name: 'columns', type: 'string', help: 'CSV: input columns, comma-separated (default: all)' },
  { name: 'target', type: 'string', help: 'CSV: the column to predict (default: the last input column)' },
  { name: 'window', type: 'int', default: 24, min: 1, help: 'CSV: steps per input window' },
  { name: 'horizon', type: 'int', default: 1, min: 1, help: 'CSV: how many steps ahead to predict' },
  { name: 'cell', type: 'string', choices: ['lstm', 'gru', 'rnn'], default: 'gru', help: 'recurrent cell' },
  { name: 'hidden', type: 'int', default: 64, min: 1, help: 'hidden size' },
  { name: 'layers', type: 'int', default: 1, min: 1, help: 'stacked layers' },
  { name: 'bidirectional', type: 'bool', default: false, help: 'add a reverse direction (CSV only)' },
  { name: 'dropout', type: 'number', default: 0, min: 0, max: 0.99, help: 'dropout between layers' },
  { name: 'epochs', type: 'int', default: 10, min: 1, help: 'passes over the data' },
  { name: 'batch', type: 'int', default: 32, min: 1, help: 'batch size' },
  { name: 'tbptt', type: 'int', default: 0, min: 0, help: 'truncated BPTT chunk length (0: full)' },
  { name: 'optimizer', type: 'string', choices: ['adam', 'adamw', 'sgd', 'rmsprop', 'adagrad'], default: 'adam', help: 'optimizer' },
  { name: 'lr', type: 'number', default: 0.005, min: 0, help: 'learning rate' },
  { name: 'val', type: 'number', default: 0.1, min: 0, max: 0.9, help: 'fraction held out for validation' },
  { name: 'seed', type: 'int', default: 1, min: 0, help: 'seed of everything random' },
  { name: 'out', type: 'string', default: 'model.safetensors', help: 'where the trained model goes' },
  { name: 'checkpoint', type: 'string', help: 'checkpoint file, written after every epoch (default: <out>.ckpt)' },
  { name: 'resume', type: 'bool', default: false, help: 'continue from the checkpoint' },
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
  if (!a.csv === !a.text) throw new UsageError('train: give exactly one of --csv FILE or --text FILE');
  await start(a);
  const seed = a.seed as number, H = a.hidden as number, L = a.layers as number;
  const rec = { hiddenSize: H, numLayers: L, dropout: a.dropout, seed };
  let model: Sequential, x, y, lengths: Int32Array | undefined, meta: Record<string, string>;
  if (a.text) {
    if (a.bidirectional) throw new UsageError('train: --bidirectional does not fit a text model (it generates left to right)');
    const lines = (await readText(a.text as string, 'train')).split(/\r?\n/).map((l) => l.trimEnd()).filter((l) => l.length > 0);
    if (lines.length < 2) throw new UsageError(`train: ${a.text} has fewer than 2 non-empty lines`);
    const vocab = buildVocab(lines), V = vocab.chars.length;
    const T = Math.min(256, Math.max(...lines.map((l) => [...l].length)) + 1);
    const enc = encodeLines(lines, vocab, T);
    x = enc.x; y = enc.y; lengths = enc.lengths;
    model = new Sequential([
      new Embedding({ numEmbeddings: V, embeddingDim: Math.min(32, V), seed }),
      recurrent(a.cell as string, { inputSize: Math.min(32, V), ...rec }),
      new Linear({ inFeatures: H, outFeatures: V, seed: seed + 1 }),
    ], { output: 'all' });
    model.compile({ optimizer: optimizerOf(a.optimizer as string, a.lr as number), loss: 'crossEntropy', clipNorm: 1 });
    meta = { kind: 'text', vocab: JSON.stringify(vocab.chars), maxLen: String(T - 1) };
    console.log(`text: ${lines.length} lines, ${V - 1} characters, up to ${T - 1} per line`);
  } else {
    const text = await readText(a.csv as string, 'train');
    const header = (text.split(/\r?\n/)[0] ?? '').split(',').map((h) => h.trim());
    const columns = a.columns ? String(a.columns).split(',').map((c) => c.trim()) : header;
    const target = (a.target as string | undefined) ?? columns[columns.length - 1]!;
    const ti = columns.indexOf(target);
    if (ti < 0) throw new UsageError(`train: --target "${target}" must be one of the input columns (${columns.join(', ')})`);
    const table = parseCsv(text, a.csv as string, columns);
    const scaler = fitScaler(table.rows);
    ({ x, y } = windows(table.rows, scaler, a.window as number, a.horizon as number, ti));
    const D = a.bidirectional ? 2 : 1;
    model = new Sequential([
      recurrent(a.cell as string, { inputSize: columns.length, bidirectional: a.bidirectional, ...rec }),
      new Linear({ inFeatures: D * H, outFeatures: 1, seed: seed + 1 }),
    ]);
    model.compile({ optimizer: optimizerOf(a.optimizer as string, a.lr as number), loss: 'mse', clipNorm: 1, metrics: ['mae'] });
    meta = { kind: 'csv', columns: JSON.stringify(columns), target, window: String(a.window), horizon: String(a.horizon), scaler: JSON.stringify(scaler) };
    console.log(`csv: ${table.rows.length} rows, ${x.shape[0]} windows of ${a.window} × ${columns.length}, predicting ${target} ${a.horizon} step(s) ahead`);
  }
  const ckpt = (a.checkpoint as string | undefined) ?? `${a.out as string}.ckpt`;
  const ctl = new AbortController();
  const onSigint = (): void => { ctl.abort(); };
  process.once('SIGINT', onSigint);
  const progress = new Progress();
  const N = x.shape[0]!, nTrain = N - Math.floor(N * (a.val as number)), epochs = a.epochs as number;
  const perEpoch = Math.ceil(nTrain / (a.batch as number));
  let done = 0, ema = NaN;
  const t0 = performance.now();
  try {
    const h = await model.fit(x, y, {
      lengths, epochs, batchSize: a.batch as number, tbptt: a.tbptt as number, seed, validationSplit: a.val as number,
      signal: ctl.signal, checkpoint: { path: ckpt }, resume: a.resume ? ckpt : undefined,
      callbacks: {
        onBatchEnd: (_b, logs) => {
          done++;
          ema = Number.isNaN(ema) ? logs.loss : 0.95 * ema + 0.05 * logs.loss;
          progress.update({ done, total: epochs * perEpoch, loss: ema, stepsPerSec: done / ((performance.now() - t0) / 1000), label: 'training ' });
        },
        onEpochEnd: (e, logs) => {
          progress.end();
          console.log(`epoch ${e + 1}/${epochs}: loss ${logs.loss.toFixed(4)}${logs.valLoss !== undefined ? `, validation ${logs.valLoss.toFixed(4)}` : ''}`);
        },
      },
    });
    if (h.stopped === 'aborted') {
      progress.end();
      console.log(`stopped; the last checkpoint (${ckpt}) is intact: resume with --resume`);
      process.exitCode = 130;
      return;
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  await saveFile(model, a.out as string, meta);
  console.log(`wrote ${a.out as string} (${model.numParams} parameters) in ${((performance.now() - t0) / 1000).toFixed(1)} s on ${backend()}`);
}

async function openModel(cmd: string, path: string | undefined): Promise<{ model: Sequential; meta: Record<string, string> }> {
  if (!path) throw new UsageError(`${cmd}: give the model file (see simd-rnn ${cmd} --help)`);
  let bytes: Uint8Array;
  try {
    bytes = await readFileBytes(path);
  } catch (e) {
    throw new UsageError(`${cmd}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return { model: load(bytes), meta: readSafetensorsFile(bytes).metadata };
  } catch (e) {
    if (e instanceof SimdRnnError) throw new UsageError(`${cmd}: ${path} is not a usable model: ${e.message}`);
    throw e;
  }
}

export const generateFlags: Flag[] = [
  { name: 'n', type: 'int', default: 10, min: 1, help: 'how many lines' },
  { name: 'temperature', type: 'number', default: 0.8, min: 0.01, max: 10, help: 'sampling temperature' },
  { name: 'prefix', type: 'string', default: '', help: 'start every line with this' },
  { name: 'max', type: 'int', min: 1, help: 'longest line (default: the training maximum)' },
  { name: 'seed', type: 'int', default: 1, min: 0, help: 'sampling seed' },
  BACKEND,
];

export async function generate(argv: string[]): Promise<void> {
  const a = parseArgs('generate', argv, generateFlags);
  await start(a);
  const { model, meta } = await openModel('generate', a._[0]);
  if (meta.kind !== 'text' && meta.vocab === undefined) throw new UsageError('generate: this model was not trained on text (no vocabulary)');
  const vocab: Vocab = { chars: JSON.parse(meta.vocab!) as string[] };
  const r = new Random(a.seed as number), max = (a.max as number | undefined) ?? Number(meta.maxLen ?? 32);
  for (let i = 0; i < (a.n as number); i++) console.log(sampleLine(model, vocab, r, a.temperature as number, max, a.prefix as string));
}

export const predictFlags: Flag[] = [
  { name: 'csv', type: 'string', help: 'the series to continue (same columns as training)' },
  { name: 'steps', type: 'int', default: 1, min: 1, help: 'how many steps ahead to forecast' },
  BACKEND,
];

function csvModel(cmd: string, meta: Record<string, string>): { columns: string[]; target: string; window: number; horizon: number; scaler: Scaler } {
  if (meta.kind !== 'csv') throw new UsageError(`${cmd}: this model was not trained on a CSV time series`);
  return { columns: JSON.parse(meta.columns!), target: meta.target!, window: Number(meta.window), horizon: Number(meta.horizon), scaler: JSON.parse(meta.scaler!) };
}

export async function predict(argv: string[]): Promise<void> {
  const a = parseArgs('predict', argv, predictFlags);
  if (!a.csv) throw new UsageError('predict: give --csv FILE');
  await start(a);
  const { model, meta } = await openModel('predict', a._[0]);
  const c = csvModel('predict', meta);
  const rows = parseCsv(await readText(a.csv as string, 'predict'), a.csv as string, c.columns).rows;
  if (rows.length < c.window) throw new UsageError(`predict: ${a.csv} has ${rows.length} rows, the model needs a window of ${c.window}`);
  const ti = c.columns.indexOf(c.target), F = c.columns.length, steps = a.steps as number;
  if (steps > c.horizon && F > 1) {
    console.error(`note: forecasting past the horizon feeds predictions back for ${c.target}; the other columns are held at their last values`);
  }
  const hist = rows.slice(-c.window).map((r) => [...r]);
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
  const a = parseArgs('eval', argv, evalFlags);
  await start(a);
  const { model, meta } = await openModel('eval', a._[0]);
  if (meta.kind === 'text') {
    if (!a.text) throw new UsageError('eval: give --text FILE for a text model');
    const vocab: Vocab = { chars: JSON.parse(meta.vocab!) };
    const lines = (await readText(a.text as string, 'eval')).split(/\r?\n/).filter((l) => l.length > 0);
    const enc = encodeLines(lines, vocab, Number(meta.maxLen) + 1);
    model.compile({ optimizer: optim.sgd(), loss: 'crossEntropy', metrics: ['accuracy'] });
    const r = model.evaluate(enc.x, enc.y, { lengths: enc.lengths });
    console.log(`lines ${lines.length}\nloss ${r.loss.toFixed(4)} nats/char\naccuracy ${r.accuracy!.toFixed(4)} (next character)`);
    return;
  }
  if (!a.csv) throw new UsageError('eval: give --csv FILE for a CSV model');
  const c = csvModel('eval', meta);
  const rows = parseCsv(await readText(a.csv as string, 'eval'), a.csv as string, c.columns).rows;
  const ti = c.columns.indexOf(c.target);
  const { x, y } = windows(rows, c.scaler, c.window, c.horizon, ti);
  const p = model.predict(x).data;
  let mae = 0, mse = 0;
  for (let i = 0; i < p.length; i++) {
    const d = (p[i]! - y.data[i]!) * c.scaler.std[ti]!;
    mae += Math.abs(d) / p.length;
    mse += (d * d) / p.length;
  }
  console.log(`windows ${p.length}\nMAE ${mae.toPrecision(5)}\nRMSE ${Math.sqrt(mse).toPrecision(5)}   (in ${c.target}'s units)`);
}

export async function info(argv: string[]): Promise<void> {
  const a = parseArgs('info', argv, [BACKEND]);
  await start(a);
  if (!a._[0]) {
    console.log(`backend: ${backend()}`);
    return;
  }
  const { model, meta } = await openModel('info', a._[0]);
  const cfg = model.config();
  console.log(`model: ${a._[0]}`);
  console.log(`output: ${cfg.output}; ${model.numParams} parameters`);
  cfg.layers.forEach((l, i) => {
    const { type, ...rest } = l;
    console.log(`  ${i}: ${String(type)} ${JSON.stringify(rest)}`);
  });
  if (meta.kind) console.log(`trained on: ${meta.kind}${meta.kind === 'csv' ? ` (${meta.columns} → ${meta.target}, window ${meta.window}, horizon ${meta.horizon})` : ''}`);
  console.log(`backend: ${backend()}`);
}

export async function bench(argv: string[]): Promise<void> {
  const a = parseArgs('bench', argv, [{ name: 'batch', type: 'int', default: 32, min: 1, help: 'sequences per batch' }, { name: 'steps', type: 'int', default: 50, min: 1, help: 'time steps' }]);
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
  }
  console.log(results.join('\n'));
}
