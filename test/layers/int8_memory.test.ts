// The memory of a quantized layer or model: its weight matrices live in int8
// only (1 byte a weight and 4 a row for the scale), with no f32 copy and no
// gradients, so its parameters take about a quarter of the f32 bytes. Its
// stateDict gives what it computes with (int8 · scale); it trains nothing;
// compiling it (for evaluate) allocates no optimizer state; an int8 file
// gives back the very values and scales, so the loaded model computes the
// saved one's outputs to the bit.
import t from 'tap';
import { init, io, quantize, tensor, optim, LSTM, GRU, Linear, Embedding, Sequential, Seq2Seq, type Tensor } from '../../src/index.js';
import { getBackend } from '../../src/backend/index.js';
import { packedSizeI8 } from '../../src/backend/kernel_args.js';
import { rng, uniform } from '../helpers/rng.js';
import { forEachCurrentBackend } from '../helpers/current.js';

const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));
/** Heap bytes that `make` leaves held. */
function held<T>(make: () => T): { value: T; bytes: number } {
  const heap = getBackend().heap, before = heap.usedBytes, value = make();
  return { value, bytes: heap.usedBytes - before };
}
const isMatrix = (name: string): boolean => /(^|\.)weight(_ih_l\d+(_reverse)?|_hh_l\d+(_reverse)?)?$/.test(name);
/** The bytes a quantized copy may hold: int8 panels and scales for the matrices of the quantized modules, f32 for the rest, 64-byte rounding of each block. */
function bound(sd: Record<string, Tensor>, quantized: (name: string) => boolean): number {
  let want = 0, blocks = 4;
  for (const [k, v] of Object.entries(sd)) {
    if (isMatrix(k) && quantized(k)) { want += packedSizeI8(v.shape[0]!, v.shape[1]!) + 4 * v.shape[0]!; blocks += 3; } else { want += 4 * v.data.length; blocks++; }
  }
  return want + 64 * blocks;
}

t.test('a quantized layer holds its matrices in int8 only: about a quarter of the f32 bytes, no gradients', async (t) => {
  await forEachCurrentBackend(t, async (t) => {
    // (The panels pad K to a multiple of 8 and N to one of 16: odd sizes take a little more than a quarter.)
    for (const [name, make, ratio] of [
      ['LSTM I=64 H=128', () => new LSTM({ inputSize: 64, hiddenSize: 128, seed: 1 }), 0.27],
      ['GRU I=33 H=70, 2 layers, bidirectional', () => new GRU({ inputSize: 33, hiddenSize: 70, numLayers: 2, bidirectional: true, seed: 2 }), 0.31],
      ['Linear 300 → 45', () => new Linear({ inFeatures: 300, outFeatures: 45, seed: 3 }), 0.28],
    ] as const) {
      const f = held(make), q = held(() => quantize(f.value));
      const n = f.value.numParams, sd = f.value.stateDict();
      t.equal(q.value.numParams, n, `${name}: numParams is the layer's (${n})`);
      t.equal(f.bytes >= 8 * n, true, `${name}: the f32 layer holds parameters and gradients (${f.bytes} bytes)`);
      const want = bound(sd, () => true);
      t.ok(q.bytes <= want, `${name}: the copy holds ${q.bytes} bytes, at most its int8 panels, scales and f32 vectors (${want} with rounding)`);
      t.ok(q.bytes < ratio * 4 * n, `${name}: ${(q.bytes / (4 * n)).toFixed(3)} of the f32 parameters' bytes`);
      // stateDict: the matrices as int8 · scale (half a step from the f32 ones at most), the vectors as they were.
      const qd = q.value.stateDict();
      for (const [k, v] of Object.entries(sd)) {
        if (!isMatrix(k)) { t.ok(same(qd[k]!.data, v.data), `${name}: ${k} is kept in f32 as it was`); continue; }
        const [N, K] = v.shape as [number, number];
        let worst = 0;
        for (let r = 0; r < N; r++) {
          let amax = 0;
          for (let c = 0; c < K; c++) amax = Math.max(amax, Math.abs(v.data[r * K + c]!));
          for (let c = 0; c < K; c++) worst = Math.max(worst, Math.abs(qd[k]!.data[r * K + c]! - v.data[r * K + c]!) / (amax / 127));
        }
        t.ok(worst <= 0.5 + 1e-4, `${name}: ${k} reads back within half a step of its row's scale (worst ${worst.toFixed(4)} of a step)`);
      }
      t.throws(() => q.value.gradStateDict(), { code: 'INVALID_ARGUMENT', message: /gradStateDict: this \w+ is quantized \(int8\) and runs inference only/ }, `${name}: no gradients`);
      t.doesNotThrow(() => q.value.zeroGrad(), `${name}: zeroGrad has nothing to zero`);
      const before = getBackend().heap.usedBytes;
      q.value.dispose();
      t.equal(before - getBackend().heap.usedBytes, q.bytes, `${name}: dispose() gives every byte back`);
      t.throws(() => q.value.stateDict(), { code: 'DISPOSED' });
      f.value.dispose();
    }
  });
});

t.test('a quantized model: one f32 region of what stays f32, no gradient region, no optimizer state', async (t) => {
  await init({ backend: 'wasm-simd', threads: 1 });
  const f = held(() => new Sequential([new Embedding({ numEmbeddings: 50, embeddingDim: 16, seed: 1 }), new LSTM({ inputSize: 16, hiddenSize: 96, numLayers: 2, seed: 2 }), new Linear({ inFeatures: 96, outFeatures: 50, seed: 3 })], { output: 'all' }));
  const m = f.value, n = m.numParams, q = held(() => quantize(m));
  t.equal(q.value.numParams, n, 'numParams is the model\'s');
  const want = bound(m.stateDict(), (k) => !k.startsWith('layers.0.'));
  t.ok(q.bytes <= want, `the copy holds ${q.bytes} bytes: its int8 matrices, the f32 embedding and vectors (${want} with rounding), ${(q.bytes / (4 * n)).toFixed(3)} of the f32 parameters'`);
  const c = held(() => q.value.compile({ optimizer: optim.adam(), loss: 'crossEntropy' }));
  t.ok(c.bytes < 1024, `compile() for evaluate allocates no optimizer state (${c.bytes} bytes)`);
  const x = tensor(Float32Array.from({ length: 4 * 9 }, (_, i) => (i * 7) % 50), [4, 9, 1]);
  const y = Int32Array.from({ length: 4 * 9 }, (_, i) => (i * 3) % 50);
  t.ok(Number.isFinite(q.value.evaluate(x, y).loss), 'it evaluates');
  t.throws(() => q.value.gradStateDict(), { code: 'INVALID_ARGUMENT', message: /Sequential\.gradStateDict: layer 1 is quantized/ });
  t.doesNotThrow(() => q.value.zeroGrad());
  await t.rejects(q.value.fit(x, y, { epochs: 1 }), { message: /quantized/ });
  const s2 = new Seq2Seq({ srcVocab: 30, tgtVocab: 40, embeddingDim: 16, encoder: { cell: 'gru', hiddenSize: 48, bidirectional: true }, decoder: { cell: 'lstm', hiddenSize: 64 }, attention: 'luong-general', tokens: { pad: 0, bos: 1, eos: 2 }, seed: 4 });
  const qs = held(() => quantize(s2));
  const w2 = bound(s2.stateDict(), (k) => /^(encoder|decoder|bridge|generator)\./.test(k));
  t.ok(qs.bytes <= w2, `a Seq2Seq copy: ${qs.bytes} bytes, at most its int8 matrices and f32 embeddings, attention and vectors (${w2}); ${(qs.bytes / (4 * s2.numParams)).toFixed(3)} of its f32 parameters'`);
  t.throws(() => qs.value.gradStateDict(), { message: /quantized \(int8\)/ });
  m.dispose(); q.value.dispose(); s2.dispose(); qs.value.dispose();
});

t.test('an int8 file gives back the int8 values and scales: the loaded model computes the saved one\'s outputs to the bit', async (t) => {
  await forEachCurrentBackend(t, async (t) => {
    const m = new Sequential([new GRU({ inputSize: 7, hiddenSize: 40, numLayers: 2, bidirectional: true, seed: 5 }), new Linear({ inFeatures: 80, outFeatures: 3, activation: 'tanh', seed: 6 })], { output: 'mean' });
    const q = quantize(m), bytes = io.save(q), back = io.load(bytes);
    const x = tensor(uniform(rng(8), 5 * 11 * 7, -2, 2), [5, 11, 7]), lengths = [11, 4, 9, 1, 11];
    t.ok(same(back.predict(x, { lengths }).data, q.predict(x, { lengths }).data), 'predictions bit-identical');
    t.ok(same(io.save(back), bytes), 'saved again: the same file, byte for byte');
    const sd = back.stateDict(), qd = q.stateDict();
    t.ok(Object.keys(qd).every((k) => same(sd[k]!.data, qd[k]!.data)), 'the same state dict (int8 · scale and the f32 vectors)');
    // Loading the dequantized weights into a quantized model quantizes them again: the same int8 values.
    const raw = io.readSafetensors(bytes), again = quantize(m);
    again.loadStateDict(q.stateDict());
    const reread = io.readSafetensors(io.save(again));
    t.ok(same(reread['layers.0.weight_hh_l1_reverse']!.data, raw['layers.0.weight_hh_l1_reverse']!.data), 'int8 · scale quantizes back to the same int8 values');
    m.dispose(); q.dispose(); back.dispose(); again.dispose();
  });
});

t.test('a layer that ran in f32 and then turns int8 (as a loaded model\'s layers do) gives its f32 packs back', async (t) => {
  await init({ backend: 'wasm-simd', threads: 1 });
  const heap = getBackend().heap, before = heap.usedBytes;
  const l = new LSTM({ inputSize: 16, hiddenSize: 32, numLayers: 2, seed: 3 });
  const fresh = heap.usedBytes - before;
  l.forward(tensor(uniform(rng(4), 5 * 2 * 16), [5, 2, 16]));
  const ran = heap.usedBytes - before;
  l.toInt8();
  const after = heap.usedBytes - before;
  t.ok(ran > fresh, `a forward pass adds packed weights and a workspace (${ran - fresh} bytes)`);
  t.ok(after < fresh, `turned int8 it holds less than it did before it ran (${after} < ${fresh}: no f32 packs, parameters or gradients left behind)`);
  t.ok(l.forward(tensor(uniform(rng(4), 5 * 2 * 16), [5, 2, 16])).output.data.every(Number.isFinite), 'and runs in int8');
  l.dispose();
  t.equal(heap.usedBytes, before, 'dispose() gives every byte back');
});

t.test('bad weights for a quantized layer are refused before anything changes', async (t) => {
  await init({ backend: 'wasm-simd', threads: 1 });
  const f = new LSTM({ inputSize: 4, hiddenSize: 8, seed: 9 }), q = quantize(f);
  const good = q.stateDict(), x = tensor(uniform(rng(2), 2 * 3 * 4), [2, 3, 4]), y0 = q.forward(x).output.data.slice();
  const bad: Record<string, Tensor> = { ...good, weight_hh_l0: { data: good.weight_hh_l0!.data.map((v, i) => (i === 5 ? NaN : v)), shape: good.weight_hh_l0!.shape } };
  t.throws(() => q.loadStateDict(bad), { code: 'INVALID_ARGUMENT', message: /weight_hh_l0/ }, 'NaN in an int8 matrix: refused');
  t.throws(() => q.loadStateDict({ ...good, weight_ih_l0: { data: new Float32Array(3), shape: [1, 3] } }), { message: /weight_ih_l0/ }, 'a wrong shape: refused');
  t.ok(same(q.forward(x).output.data, y0), 'the layer computes what it did before');
  f.dispose(); q.dispose();
});
