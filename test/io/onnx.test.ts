// ONNX export: onnxruntime (native, from npm) runs the exported model and
// gives our outputs, for LSTM and GRU, stacked, bidirectional, without bias.
import t from 'tap';
import { createRequire } from 'node:module';
import { init, tensor, LSTM, GRU, RNN, Linear, Dropout, Embedding, Sequential, io } from '../../src/index.js';
import type { ModelLayer, SequentialOptions } from '../../src/index.js';
import { rng } from '../helpers/rng.js';

// onnxruntime-node is one of the peers (bench/peers, installed on demand by
// npm run setup:peers; CI installs it before npm test).
const require = createRequire(new URL('../../bench/peers/package.json', import.meta.url));
interface Ort {
  InferenceSession: { create(bytes: Uint8Array): Promise<{ run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown; dims: readonly number[] }>> }> };
  Tensor: new (type: 'float32' | 'int32' | 'int64', data: Float32Array | Int32Array | BigInt64Array, dims: number[]) => unknown;
}
let ort: Ort | null = null;
try { ort = require('onnxruntime-node') as Ort; } catch { /* not installed */ }

t.test('onnxruntime runs the export and matches', { skip: ort ? false : 'onnxruntime-node is not installed (npm run setup:peers)' }, async (t) => {
  if (!ort) return;
  await init();
  const cases = [
    [LSTM, { numLayers: 1 }], [GRU, { numLayers: 1 }],
    [LSTM, { numLayers: 2, bidirectional: true }], [GRU, { numLayers: 3, bidirectional: true, bias: false }],
  ] as const;
  for (const [Cell, opts] of cases) {
    const T = 7, B = 3, I = 5, H = 6;
    const layer = new Cell({ inputSize: I, hiddenSize: H, seed: 1, ...opts });
    const x = Float32Array.from({ length: T * B * I }, (_, i) => Math.sin(i));
    const ours = layer.forward(tensor(x, [T, B, I])).output.data;
    const s = await ort.InferenceSession.create(io.toOnnx(layer));
    const r = await s.run({ x: new ort.Tensor('float32', x, [T, B, I]) });
    const y = r.y!.data as Float32Array;
    t.equal(y.length, ours.length);
    let m = 0;
    for (let i = 0; i < y.length; i++) m = Math.max(m, Math.abs(y[i]! - ours[i]!));
    t.ok(m < 1e-5, `${Cell.name} ${JSON.stringify(opts)}: max |Δ| ${m.toExponential(2)}`);
  }
});

t.test('io.toOnnx refuses what ONNX has no operator for', async (t) => {
  await init();
  t.throws(() => io.toOnnx(new RNN({ inputSize: 2, hiddenSize: 2 })), { message: /io\.toOnnx: layer is a RNN_TANH layer, expected an LSTM or a GRU \(a Sequential exports RNN layers too\)/ });
  const m = new Sequential([new LSTM({ inputSize: 2, hiddenSize: 2, seed: 1 }), new Linear({ inFeatures: 2, outFeatures: 1, seed: 2 })]);
  t.throws(() => io.toOnnx(m, { lengths: 1 } as never), { code: 'INVALID_ARGUMENT', message: /io\.toOnnx: options\.lengths is 1, expected a boolean/ });
  t.throws(() => io.toOnnx(m, { lenghts: false } as never), { message: /options\.lenghts is not an option; did you mean options\.lengths\?/ });
  t.throws(() => io.toOnnx({} as never), { message: /io\.toOnnx: model is .*expected a Sequential, a Seq2Seq or a recurrent layer/ });
  t.throws(() => io.toOnnx(new LSTM({ inputSize: 2, hiddenSize: 2 }), { lengths: true }), { message: /no value for a single layer/ });
  t.throws(() => io.toOnnx(new Sequential([new LSTM({ inputSize: 2, hiddenSize: 2, numLayers: 2, residual: true, seed: 1 })])), { message: /io\.toOnnx \(layer 0\): layer has residual connections/ });
  m.dispose();
  t.throws(() => io.toOnnx(m), { message: /io\.toOnnx: .*disposed/ });
});

t.test('a layer with residual connections is refused, with the reason', async (t) => {
  const { init, LSTM, io } = await import('../../src/index.js');
  await init();
  t.throws(() => io.toOnnx(new LSTM({ inputSize: 3, hiddenSize: 3, numLayers: 2, residual: true, seed: 1 })), { code: 'INVALID_ARGUMENT', message: /residual connections, which ONNX's LSTM and GRU operators have no attribute for/ });
});

t.test('a layer-normalized layer is refused, with the reason', async (t) => {
  const { init, LSTM, GRU, io } = await import('../../src/index.js');
  await init();
  t.throws(() => io.toOnnx(new GRU({ inputSize: 3, hiddenSize: 3, layerNorm: true, seed: 1 })), { code: 'INVALID_ARGUMENT', message: /layer-normalized GRU, and ONNX has no such operator/ });
  t.throws(() => io.toOnnx(new LSTM({ inputSize: 3, hiddenSize: 3, layerNorm: true, seed: 1 })), { code: 'INVALID_ARGUMENT', message: /layer-normalized LSTM/ });
});

// Whole models: every output mode, every cell, an embedding, a head, padding through lengths; predict's
// numbers from onnxruntime. The first three are the examples' architectures (births, sensors, spam).
t.test('whole Sequential models: onnxruntime gives predict\'s numbers, padding included', { skip: ort ? false : 'onnxruntime-node is not installed (npm run setup:peers)' }, async (t) => {
  if (!ort) return;
  await init();
  type Case = { name: string; layers: () => ModelLayer[]; opts?: SequentialOptions; F: number; vocab?: number };
  const cases: Case[] = [
    { name: 'births: LSTM 48, last', F: 3, layers: () => [new LSTM({ inputSize: 3, hiddenSize: 48, seed: 1 }), new Linear({ inFeatures: 48, outFeatures: 1, seed: 2 })] },
    { name: 'sensors: GRU 32, last, 2 outputs', F: 2, layers: () => [new GRU({ inputSize: 2, hiddenSize: 32, seed: 1 }), new Linear({ inFeatures: 32, outFeatures: 2, seed: 2 })] },
    { name: 'spam: embedding, bidirectional GRU, mean', F: 1, vocab: 50, opts: { output: 'mean' }, layers: () => [new Embedding({ numEmbeddings: 50, embeddingDim: 8, paddingIdx: 0, seed: 1 }), new GRU({ inputSize: 8, hiddenSize: 6, bidirectional: true, recurrentDropout: 0.2, seed: 2 }), new Linear({ inFeatures: 12, outFeatures: 1, seed: 3 })] },
    { name: 'stacked bidirectional LSTM, dropout, a GRU on top, a tanh head, last', F: 4, layers: () => [new LSTM({ inputSize: 4, hiddenSize: 5, numLayers: 2, bidirectional: true, dropout: 0.3, seed: 1 }), new Dropout({ p: 0.5, seed: 4 }), new GRU({ inputSize: 10, hiddenSize: 3, bidirectional: true, seed: 2 }), new Linear({ inFeatures: 6, outFeatures: 4, activation: 'tanh', seed: 3 }), new Dropout({ p: 0.1 }), new Linear({ inFeatures: 4, outFeatures: 2, seed: 5 })] },
    { name: 'RNN relu and tanh, bidirectional, sigmoid head, all', F: 3, opts: { output: 'all' }, layers: () => [new RNN({ inputSize: 3, hiddenSize: 4, nonlinearity: 'relu', bidirectional: true, seed: 1 }), new RNN({ inputSize: 8, hiddenSize: 4, numLayers: 2, seed: 2 }), new Linear({ inFeatures: 4, outFeatures: 3, activation: 'sigmoid', seed: 3 })] },
    { name: 'embedding, LSTM without bias, relu head, all', F: 1, vocab: 20, opts: { output: 'all' }, layers: () => [new Embedding({ numEmbeddings: 20, embeddingDim: 5, seed: 1 }), new LSTM({ inputSize: 5, hiddenSize: 7, bias: false, seed: 2 }), new Linear({ inFeatures: 7, outFeatures: 20, activation: 'relu', seed: 3 })] },
    { name: 'GRU mean without a head', F: 2, opts: { output: 'mean' }, layers: () => [new GRU({ inputSize: 2, hiddenSize: 3, numLayers: 2, seed: 9 })] },
  ];
  const g = rng(11);
  for (const c of cases) {
    const model = new Sequential(c.layers(), c.opts);
    for (const B of [1, 5]) {
      const T = 9, lengths = Int32Array.from({ length: B }, (_, b) => (b === 0 ? T : 1 + Math.floor(g() * T)));
      const n = B * T * (c.vocab ? 1 : c.F);
      const xs = Float32Array.from({ length: n }, () => (c.vocab ? 1 + Math.floor(g() * (c.vocab - 1)) : g() * 4 - 2));
      const x = tensor(xs, c.vocab ? [B, T] : [B, T, c.F]);
      const feedX = c.vocab ? new ort.Tensor('int64', BigInt64Array.from(xs, (v) => BigInt(v)), [B, T]) : new ort.Tensor('float32', xs, [B, T, c.F]);
      for (const padded of [true, false]) {
        const ours = model.predict(x, padded ? { lengths } : {});
        const s = await ort.InferenceSession.create(io.toOnnx(model, { lengths: padded }));
        const feeds: Record<string, unknown> = { x: feedX };
        if (padded) feeds.lengths = new ort.Tensor('int32', lengths, [B]);
        const r = (await s.run(feeds)).y!;
        t.same(Array.from(r.dims), ours.shape, `${c.name}, B = ${B}: shape`);
        const y = r.data as Float32Array;
        let m = 0, zeros = 0, pads = 0;
        for (let i = 0; i < y.length; i++) m = Math.max(m, Math.abs(y[i]! - ours.data[i]!) / (2e-4 + 2e-3 * Math.abs(ours.data[i]!)));
        if (c.opts?.output === 'all' && padded) {
          const O = ours.shape[2]!;
          for (let b = 0; b < B; b++) for (let tt = lengths[b]!; tt < T; tt++) for (let o = 0; o < O; o++) { pads++; if (y[(b * T + tt) * O + o] === 0) zeros++; }
          t.equal(zeros, pads, `${c.name}: zeros at the ${pads} padding outputs`);
        }
        t.ok(m <= 1, `${c.name}, B = ${B}, ${padded ? 'padded (lengths)' : 'no lengths input'}: |Δ| ≤ 2e-4 + 2e-3·|y| (worst at ${m.toFixed(3)} of the bound)`);
      }
    }
    model.dispose();
  }
});
