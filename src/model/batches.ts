// Data bigger than memory: a stream of batches ({ x, y, lengths } as fit's
// arguments for B sequences), from an iterable, an async iterable, or a
// function of the epoch returning one. The model reads it for predict; the
// training code (train/stream.ts) for fit and evaluate. Each batch is
// checked as the tensors of fit are, and named by its place in the stream.
import { SimdRnnError, argError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkKeys } from '../layers/validate.js';
import type { Engine } from './engine.js';
import type { Batch, BatchIterable, BatchSource } from './contracts.js';

/** Whether v is a stream of batches rather than a tensor. */
export function isSource(v: unknown): v is BatchSource {
  if (typeof v === 'function') return true;
  if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return false;
  return typeof (v as Iterable<unknown>)[Symbol.iterator] === 'function' || typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

/**
 * Whether passes over the source can be repeated: a function, or an iterable
 * whose iterator is a new object each time (an array); a generator's result
 * is its own iterator and is read once.
 */
export function reopenable(src: BatchSource): boolean {
  if (typeof src === 'function') return true;
  const s = src as unknown as Record<symbol, unknown>;
  return (s[Symbol.asyncIterator] ?? s[Symbol.iterator]) !== undefined && !isOwnIterator(src);
}

function isOwnIterator(src: BatchIterable): boolean {
  const a = (src as AsyncIterable<Batch>)[Symbol.asyncIterator];
  if (typeof a === 'function') return typeof (src as unknown as AsyncIterator<Batch>).next === 'function';
  return typeof (src as unknown as Iterator<Batch>).next === 'function';
}

/** One pass over a stream: the batches in order, each checked to be an object with an x. */
export class BatchReader {
  private it: Iterator<Batch> | AsyncIterator<Batch> | null = null;
  /** Batches read since the last open. */
  count = 0;

  constructor(private readonly where: string, private readonly src: BatchSource) {}

  /** Starts a pass (epoch: what a source function is called with). */
  open(epoch: number): void {
    let s: unknown = this.src;
    if (typeof s === 'function') {
      s = (s as (e: number) => BatchIterable)(epoch);
      if (!isSource(s) || typeof s === 'function') throw argError(this.where, `data(${epoch})`, 'an iterable or async iterable of batches { x, y, lengths }', s);
    }
    const o = s as Record<symbol, (() => Iterator<Batch> | AsyncIterator<Batch>) | undefined>;
    const make = o[Symbol.asyncIterator] ?? o[Symbol.iterator];
    this.it = make!.call(s);
    this.count = 0;
  }

  /** The next batch, or null at the end of the pass. */
  async next(): Promise<Batch | null> {
    if (!this.it) throw new SimdRnnError('INVALID_ARGUMENT', `${this.where}: internal: read before open`);
    const r = await this.it.next();
    if (r.done) { this.it = null; return null; }
    const b = r.value as unknown;
    if (b === null || typeof b !== 'object' || !('x' in b)) {
      throw argError(this.where, `batch ${this.count}`, 'an object { x, y?, lengths?, mask? }', b);
    }
    this.count++;
    return b as Batch;
  }

  /** Whether a pass is open. */
  get isOpen(): boolean {
    return this.it !== null;
  }

  /** Ends the pass early, letting a generator run its finally blocks. */
  async close(): Promise<void> {
    const it = this.it;
    this.it = null;
    if (it && typeof it.return === 'function') await it.return();
  }
}

/** What predict on a stream needs of a model. */
interface Predictor {
  alive(where: string): void;
  readonly engine: Engine;
  readonly outputSize: number;
}

/** predict(data): each batch's predictions, in order, as predict(x) gives them (zero at padding steps). */
export async function* predictStream(m: Predictor, src: BatchSource): AsyncGenerator<Tensor, void, undefined> {
  const where = 'Sequential.predict';
  const reader = new BatchReader(where, src);
  reader.open(0);
  let B = 0;
  try {
    for (let b, i = 0; (b = await reader.next()) !== null; i++) {
      m.alive(where);
      const w = `${where} (batch ${i})`, e = m.engine, O = m.outputSize;
      checkKeys(w, 'batch', b, ['x', 'y', 'lengths', 'mask']);
      const d = e.data(w, b.x, null, b.lengths, b.mask);
      B = Math.max(B, d.N);
      const idx = new Int32Array(B).fill(-1);
      for (let n = 0; n < d.N; n++) idx[n] = n;
      const out = new Float32Array((e.perSeq ? d.N : d.N * d.T) * O);
      e.infer(d, idx, out, false);
      yield { data: out, shape: e.perSeq ? [d.N, O] : [d.N, d.T, O] };
    }
  } finally {
    await reader.close();
  }
}
