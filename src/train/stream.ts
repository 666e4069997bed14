// Sequential's fit and evaluate on a stream of batches (model/batches.ts):
// data bigger than memory. Each batch is checked as fit's tensors are and
// trained as it comes, or, with a shuffle buffer, split into sequences that
// are drawn at random (seeded) from a buffer and batched again (padded to
// the longest, with masks, which the layers honour exactly). The loop
// (loop.ts) brings epochs, callbacks, validation, abort and checkpoints.
import { SimdRnnError, argError } from '../errors.js';
import type { Sequential } from '../model/sequential.js';
import { BatchReader, isSource, reopenable } from '../model/batches.js';
import type { Batch, BatchSource, Data, History, Logs, StreamEvalOptions, StreamFitOptions } from '../model/contracts.js';
import { KEYS } from '../model/keys.js';
import { checkInt, checkKeys, dflt } from '../layers/validate.js';
import { Linear } from '../layers/linear.js';
import { Embedding } from '../layers/embedding.js';
import type { Random } from '../util/rng.js';
import { MetricSum } from './losses.js';
import { trainBatch, evaluateData, evalBatch } from './trainer.js';
import { runLoop } from './loop.js';

/** One sequence of a batch, by reference into its batch's arrays. */
interface Row { x: Float32Array; y: Float32Array | Int32Array; valid: Uint8Array; T: number }

/** A batch checked and laid out (Data), with the rows to run (−1 fills up to the largest batch so far). */
interface Staged { d: Data; idx: Int32Array }

/** Reads a stream's batches as checked Data, naming each batch by its place. */
class Feed {
  private readonly reader: BatchReader;
  private B = 0;
  /** The stream was read once and ran out (it cannot be read again). */
  spent = false;
  /** The current pass reached the stream's end. */
  private ended = false;
  private readonly again: boolean;

  constructor(private readonly m: Sequential, private readonly where: string, src: BatchSource, private readonly targets: boolean) {
    this.reader = new BatchReader(where, src);
    this.again = reopenable(src);
  }

  /** Checks one batch against the model; `label` names it in errors. */
  check(b: Batch, label: string): Data {
    const w = `${this.where} (${label})`;
    checkKeys(w, 'batch', b, KEYS.batchOfStream);
    if (this.targets && b.y === undefined) throw argError(w, 'batch.y', 'the targets of the batch (as fit\'s y)', undefined);
    return this.m.engine.data(w, b.x, this.targets ? b.y! : null, b.lengths, b.mask);
  }

  /** Rows 0 … N−1 of d, filled with −1 up to the largest batch seen (so the arena is carved again only when batches grow). */
  stage(d: Data): Staged {
    this.B = Math.max(this.B, d.N);
    const idx = new Int32Array(this.B).fill(-1);
    for (let n = 0; n < d.N; n++) idx[n] = n;
    return { d, idx };
  }

  /**
   * The next batch of the pass for `epoch` (opening the stream if needed;
   * with `continuing`, a stream that ends is opened again once, for epochs
   * of stepsPerEpoch batches), or null at the end.
   */
  async next(epoch: number, step: number, continuing: boolean): Promise<Data | null> {
    if (!this.reader.isOpen) {
      if (this.spent || this.ended) return null;
      this.reader.open(epoch);
    }
    let b = await this.reader.next();
    if (b === null && continuing && this.again) {
      this.reader.open(epoch);
      b = await this.reader.next();
      if (b === null) throw new SimdRnnError('INVALID_ARGUMENT', `${this.where}: the data stream yielded no batch when opened again in epoch ${epoch + 1}`);
    }
    if (b === null) {
      this.ended = true;
      if (!this.again) this.spent = true;
      return null;
    }
    return this.check(b, `batch ${step} of epoch ${epoch + 1}`);
  }

  /** A new pass may begin (the next read opens the stream again if it is closed). */
  beginPass(): void {
    this.ended = false;
  }

  async close(): Promise<void> {
    await this.reader.close();
  }
}

/** Sequences drawn at random from a buffer of `size`, batched again in batches of batchSize. */
class ShuffleBuffer {
  private readonly rows: Row[] = [];

  constructor(private readonly size: number, private readonly m: Sequential) {}

  get length(): number {
    return this.rows.length;
  }

  /** Holds enough rows to draw a batch of B from (at least its size). */
  full(B: number): boolean {
    return this.rows.length >= Math.max(this.size, B);
  }

  add(d: Data): void {
    const perY = this.m.engine.perSeq ? d.O : d.T * d.O;
    for (let n = 0; n < d.N; n++) {
      // Copies: a view would keep its whole batch alive while one row of it waits here.
      this.rows.push({ x: d.x.slice(n * d.T * d.F, (n + 1) * d.T * d.F), y: d.y.slice(n * perY, (n + 1) * perY), valid: d.valid.slice(n * d.T, (n + 1) * d.T), T: d.T });
    }
  }

  /** Up to B rows drawn at random (each removed: the last row takes its place), padded to the longest. */
  take(B: number, random: Random, template: Data): Data {
    const picked: Row[] = [];
    while (picked.length < B && this.rows.length) {
      const j = Math.floor(random.next() * this.rows.length);
      picked.push(this.rows[j]!);
      this.rows[j] = this.rows[this.rows.length - 1]!;
      this.rows.pop();
    }
    return pad(picked, template, this.m.engine.perSeq);
  }
}

/** The rows as one Data, each padded (zeros, mask 0) to the longest row's T. */
function pad(rows: Row[], t: Data, perSeq: boolean): Data {
  const N = rows.length, T = Math.max(...rows.map((r) => r.T)), F = t.F, O = t.O;
  const x = new Float32Array(N * T * F), valid = new Uint8Array(N * T);
  const y = t.y instanceof Int32Array ? new Int32Array(N * (perSeq ? O : T * O)) : new Float32Array(N * (perSeq ? O : T * O));
  rows.forEach((r, n) => {
    x.set(r.x, n * T * F);
    valid.set(r.valid, n * T);
    y.set(r.y as Float32Array & Int32Array, n * (perSeq ? O : T * O));
  });
  return { x, N, T, F, y, O, valid };
}

/** Steps and their option name, checked ≥ 1 when given. */
function stepsOf(where: string, name: string, v: unknown): number {
  return v === undefined ? Infinity : checkInt(where, `options.${name}`, v, 1);
}

export async function fitStream(m: Sequential, src: BatchSource, opts: StreamFitOptions): Promise<History> {
  const where = 'Sequential.fit';
  const c = m.compiled;
  if (!c) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: call compile({ optimizer, loss }) first`);
  if (opts === null || typeof opts !== 'object') throw argError(where, 'options', 'an object (a stream of batches carries its own targets: fit(data, options))', opts);
  if ((opts as { validationSplit?: unknown }).validationSplit !== undefined) {
    throw argError(where, 'options.validationSplit', 'no value with a stream of batches (give validationData: tensors or a stream)', (opts as { validationSplit?: unknown }).validationSplit);
  }
  checkKeys(where, 'options', opts, KEYS.fitStream);
  const steps = stepsOf(where, 'stepsPerEpoch', opts.stepsPerEpoch);
  const epochs = checkInt(where, 'options.epochs', dflt(opts.epochs, 1), 1);
  if (!reopenable(src) && epochs > 1 && steps === Infinity) {
    throw argError(where, 'data', `a stream that can be read ${epochs} times (a generator's result is read once: pass the generator function, called once per epoch, or give stepsPerEpoch)`, 'a generator');
  }
  const bufferSize = opts.shuffleBuffer === undefined ? 0 : checkInt(where, 'options.shuffleBuffer', opts.shuffleBuffer, 0);
  if (bufferSize > 0 && opts.shuffle === false) throw argError(where, 'options.shuffleBuffer', '0 with shuffle: false', bufferSize);
  const tbptt = checkInt(where, 'options.tbptt', dflt(opts.tbptt, 0), 0);
  if (tbptt > 0 && m.engine.recs.some((r) => r.bidirectional)) throw argError(where, 'options.tbptt', '0 for a bidirectional model (the reverse direction needs the whole sequence)', tbptt);
  if (tbptt > 0 && m.output === 'mean') throw argError(where, 'options.tbptt', "0 for output: 'mean' (the mean pools the whole sequence)", tbptt);
  const validate = validation(m, where, opts);
  const feed = new Feed(m, where, src, true);
  const buffer = bufferSize > 0 ? new ShuffleBuffer(bufferSize, m) : null;
  let template: Data | null = null;
  async function* epochBatches(_order: Int32Array, batchSize: number, epoch: number, random: Random): AsyncGenerator<Staged> {
    let step = 0, read = 0;
    const continuing = steps !== Infinity;
    feed.beginPass();
    try {
      while (step < steps) {
        if (!buffer) {
          const d = await feed.next(epoch, read++, continuing);
          if (d === null) break;
          step++;
          yield feed.stage(d);
          continue;
        }
        // Fill the buffer, then draw a batch from it; at the end of the stream, drain it.
        while (!buffer.full(batchSize)) {
          const d = await feed.next(epoch, read++, continuing);
          if (d === null) break;
          template ??= d;
          buffer.add(d);
        }
        if (buffer.length === 0) break;
        step++;
        yield feed.stage(buffer.take(batchSize, random, template!));
      }
    } finally {
      // An epoch of stepsPerEpoch batches leaves the stream open for the next; a full pass or an abort closes it.
      if (steps === Infinity || step < steps) await feed.close();
    }
    if (step === 0) {
      throw new SimdRnnError('INVALID_ARGUMENT', `${where}: the data stream yielded no batch in epoch ${epoch + 1}${feed.spent ? ' (it was read to its end before: a generator\'s result is read once; pass the generator function)' : ''}`);
    }
  }
  let ms: MetricSum[] = [];
  return runLoop<Staged>({
    where, model: m, optimizer: c.optimizer, N: 0,
    batches: (order, batchSize, epoch, random) => epochBatches(order, batchSize, epoch, random),
    metricNames: c.metrics,
    beginEpoch: () => { ms = c.metrics.map((name) => new MetricSum(name, c.loss, c.lossOptions.ignoreIndex)); },
    trainBatch: (s) => trainBatch(m, s.d, s.idx, tbptt, ms),
    exhausted: () => feed.spent,
    epochMetrics: () => Object.fromEntries(ms.map((s) => [s.name, s.value()])),
    validate,
    rngs: m.layers.map((l) => (l instanceof Linear || l instanceof Embedding ? null : l.random)).filter((r): r is Random => r !== null),
  }, opts);
}

/** fit's validation: tensors as fit's validationData, or a stream of batches (validationSteps of them). */
function validation(m: Sequential, where: string, opts: StreamFitOptions): ((batchSize: number) => Logs | Promise<Logs>) | null {
  const v = opts.validationData;
  const vsteps = stepsOf(where, 'validationSteps', opts.validationSteps);
  if (v === undefined) {
    if (opts.validationSteps !== undefined) throw argError(where, 'options.validationSteps', 'no value without validationData', opts.validationSteps);
    return null;
  }
  if (isSource(v)) {
    if (!reopenable(v)) throw argError(where, 'options.validationData', 'a stream that can be read every epoch (a function returning an iterable, or an array)', 'a generator');
    return () => evaluateSource(m, `${where} (validationData)`, v, vsteps);
  }
  if (v === null || typeof v !== 'object') throw argError(where, 'options.validationData', '{ x, y, lengths? } or a stream of batches', v);
  checkKeys(where, 'options.validationData', v, KEYS.validationData);
  const d = m.engine.data(`${where} (validationData)`, v.x, v.y, v.lengths, v.mask);
  return (batchSize) => evaluateData(m, d, batchSize);
}

async function evaluateSource(m: Sequential, where: string, src: BatchSource, steps: number): Promise<Logs> {
  const c = m.compiled!;
  const ms = c.metrics.map((name) => new MetricSum(name, c.loss, c.lossOptions.ignoreIndex));
  const feed = new Feed(m, where, src, true);
  let sum = 0, count = 0, step = 0;
  try {
    for (let d; step < steps && (d = await feed.next(0, step, false)) !== null; step++) {
      m.alive(where);
      const s = feed.stage(d);
      const r = evalBatch(m, s.d, s.idx, ms);
      if (r.count) { sum += r.loss * r.count; count += r.count; }
    }
  } finally {
    await feed.close();
  }
  if (step === 0) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: the data stream yielded no batch`);
  const logs: Logs = { loss: count ? sum / count : NaN };
  for (const s of ms) logs[s.name] = s.value();
  return logs;
}

export async function evaluateStream(m: Sequential, src: BatchSource, opts: StreamEvalOptions): Promise<Logs> {
  const where = 'Sequential.evaluate';
  if (!m.compiled) throw new SimdRnnError('INVALID_ARGUMENT', `${where}: call compile({ optimizer, loss }) first`);
  if (opts === null || typeof opts !== 'object') throw argError(where, 'options', 'an object', opts);
  checkKeys(where, 'options', opts, KEYS.evaluateStream);
  return evaluateSource(m, where, src, stepsOf(where, 'steps', opts.steps));
}
