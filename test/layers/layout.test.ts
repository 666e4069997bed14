// batchFirst: a layer fed [B, T, F] gives exactly what the same layer gives
// fed [T, B, F] (transposed), forward and backward, on every backend; the
// copies between the two layouts go through a staging block of the heap in
// chunks of steps, and without one (a heap too full for it) the same way.
import t from 'tap';
import { init, getBackend, LSTM, GRU, tensor } from '../../src/index.js';
import { availableBackends } from '../helpers/backends.js';
import { rng } from '../helpers/rng.js';

const seeded = (n: number, seed: number): Float32Array => { const r = rng(seed); return Float32Array.from({ length: n }, () => 2 * r() - 1); };
/** [A, C, F] → [C, A, F]. */
function swap01(x: Float32Array, A: number, C: number, F: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let a = 0; a < A; a++) for (let c = 0; c < C; c++) y.set(x.subarray((a * C + c) * F, (a * C + c + 1) * F), (c * A + a) * F);
  return y;
}
const same = (a: Float32Array, b: Float32Array): boolean => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

// (B, T, I, H): one chunk, several chunks (T·I beyond the 8192-float stage: 70·300), a step wider than the stage, one step.
const SHAPES = [[3, 5, 4, 6], [33, 70, 300, 8], [2, 3, 9000, 5], [5, 1, 7, 3]] as const;

for (const name of availableBackends()) {
  t.test(`${name}: batchFirst equals time-major, forward and backward`, async (t) => {
    await init({ backend: name, threads: 1 });
    for (const [B, T, I, H] of SHAPES) {
      const bf = new LSTM({ inputSize: I, hiddenSize: H, batchFirst: true, bidirectional: true, seed: 4 });
      const tm = new LSTM({ inputSize: I, hiddenSize: H, bidirectional: true, seed: 4 });
      const x = seeded(B * T * I, B + T), dy = seeded(B * T * 2 * H, 7);
      const a = bf.forward(tensor(x, [B, T, I]), { train: true }), b = tm.forward(tensor(swap01(x, B, T, I), [T, B, I]), { train: true });
      t.ok(same(a.output.data, swap01(b.output.data, T, B, 2 * H)), `[${B},${T},${I}]: outputs`);
      t.ok(same(a.h.data, b.h.data), 'final states');
      const ga = bf.backward(tensor(dy, [B, T, 2 * H])), gb = tm.backward(tensor(swap01(dy, B, T, 2 * H), [T, B, 2 * H]));
      t.ok(same(ga.dx.data, swap01(gb.dx.data, T, B, I)), 'dx');
      bf.dispose();
      tm.dispose();
    }
  });
}

t.test('a heap too full for the staging block: the same results, row by row', async (t) => {
  await init({ backend: 'wasm-simd', threads: 1, maxMemory: 1 << 20 });
  const B = 4, T = 40, I = 24, H = 16;
  const l = new GRU({ inputSize: I, hiddenSize: H, batchFirst: true, seed: 2 });
  const x = tensor(seeded(B * T * I, 3), [B, T, I]);
  const want = l.forward(x).output.data.slice();
  const heap = getBackend().heap, fill: number[] = [];
  for (const n of [1024, 16, 1]) for (;;) { try { fill.push(heap.alloc(n)); } catch { break; } }
  t.ok(fill.length > 0, `the heap is full (${fill.length} blocks)`);
  // The stage for these rows: all T steps of I floats (T·I < 8192).
  t.throws(() => heap.alloc(T * I), 'no room for a staging block');
  const used = heap.usedBytes;
  t.ok(same(l.forward(x).output.data, want), 'outputs equal the staged ones');
  t.equal(heap.usedBytes, used, 'and nothing was left allocated');
  for (const p of fill) heap.free(p);
  t.ok(same(l.forward(x).output.data, want), 'room again: staged, the same');
  l.dispose();
});
