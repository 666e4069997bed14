// What a program may do to the threads while a fit runs on them (from a
// callback between batches): stop them (dispose()), replace them
// (init() with another count), or abort the fit. Training goes on with one
// thread's bits, or stops at the batch, and the model trains again after.
import t from 'tap';
import { init, dispose, threads, tensor, LSTM, GRU, Linear, Sequential, optim } from '../../src/index.js';

const seeded = (n: number, s: number): Float32Array => {
  let x = s >>> 0;
  return Float32Array.from({ length: n }, () => { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; return x / 2 ** 32 - 0.5; });
};
const make = (): Sequential => {
  const m = new Sequential([new LSTM({ inputSize: 16, hiddenSize: 40, numLayers: 2, seed: 1 }), new GRU({ inputSize: 40, hiddenSize: 36, seed: 3 }), new Linear({ inFeatures: 36, outFeatures: 2, seed: 2 })], { output: 'last' });
  m.compile({ optimizer: optim.adam({ lr: 1e-3 }), loss: 'mse', clipNorm: 1 });
  return m;
};
const x = tensor(seeded(192 * 12 * 16, 3), [192, 12, 16]), y = tensor(seeded(192 * 2, 4), [192, 2]);
const fitOpts = { epochs: 2, batchSize: 32, seed: 7 };
const weights = (m: Sequential): Float32Array[] => { const sd = m.stateDict(); return Object.keys(sd).sort().map((k) => sd[k]!.data as Float32Array); };
const sameBits = (a: Float32Array[], b: Float32Array[]): boolean => a.length === b.length && a.every((v, i) => v.length === b[i]!.length && v.every((z, j) => Object.is(z, b[i]![j])));

t.test('dispose() or init() from a callback in the middle of a fit on threads: the fit ends with one thread\'s bits', async (t) => {
  await init({ threads: 1 });
  const ref = make();
  await ref.fit(x, y, fitOpts);
  const want = weights(ref);
  ref.dispose();
  for (const [what, act, after] of [
    ['dispose()', () => dispose(), 1],
    ['init({ threads: 1 })', () => init({ threads: 1 }), 1],
    ['init({ threads: 3 })', () => init({ threads: 3 }), 3],
  ] as const) {
    await init({ threads: 2 });
    const m = make();
    let batches = 0, before = 0;
    const h = await m.fit(x, y, { ...fitOpts, callbacks: { onBatchEnd: async () => { if (++batches === 4) { before = threads(); await act(); } } } });
    t.equal(before, 2, `${what}: the first 4 batches ran on two threads`);
    t.equal(batches, 12, `${what} after batch 4: every batch ran`);
    t.equal(h.stopped, undefined, `${what}: the fit was not stopped`);
    t.equal(threads(), after, `${what}: threads() is ${after} after it`);
    t.ok(sameBits(weights(m), want), `${what}: the trained weights are one thread's bits`);
    m.dispose();
  }
  await init({ threads: 1 });
});

t.test('an abort in the middle of a fit on threads stops it at the batch; the model trains again, on threads, with one thread\'s bits', async (t) => {
  const run = async (n: number, abortAt: number | null): Promise<{ w: Float32Array[]; stopped: unknown; batches: number }> => {
    await init({ threads: n });
    const m = make(), ac = new AbortController();
    let batches = 0;
    const h = await m.fit(x, y, { ...fitOpts, signal: ac.signal, callbacks: { onBatchEnd: () => { if (++batches === abortAt) ac.abort(); } } });
    await m.fit(x, y, { epochs: 1, batchSize: 32, seed: 8 });
    const w = weights(m);
    m.dispose();
    return { w, stopped: h.stopped, batches };
  };
  const one = await run(1, 3), two = await run(2, 3);
  t.equal(two.stopped, 'aborted', 'the fit on two threads says it was aborted');
  t.equal(two.batches, 3, 'no batch ran after the abort');
  t.equal(one.stopped, 'aborted', 'as on one thread');
  t.ok(sameBits(two.w, one.w), 'aborted after 3 batches and trained again: two threads give one thread\'s bits');
  t.notOk(sameBits(two.w, (await run(1, null)).w), 'and not the bits of a fit that was not aborted (the check can fail)');
  await init({ threads: 1 });
});
