// Keras / TensorFlow.js models in: tfjs (cpu, from bench/peers) builds and
// saves models, io.fromTfjs reads model.json and the weights, and predict
// must give tfjs's own predict on the same inputs, on every backend. A GRU
// with reset_after (which tfjs cannot build, Keras can) is checked against
// Keras's equations in float64. What has no equivalent is refused with the
// reason; a file whose weights do not match its configuration is BAD_FILE.
import t from 'tap';
import { createRequire } from 'node:module';
import { init, io, tensor, type Tensor } from '../../src/index.js';
import { availableBackends } from '../helpers/backends.js';
import { rng } from '../helpers/rng.js';

const require = createRequire(new URL('../../bench/peers/package.json', import.meta.url));
/* eslint-disable @typescript-eslint/no-explicit-any */
let tf: any = null;
try {
  const warn = console.warn, log = console.log;
  console.warn = console.log = () => {}; // tfjs greets Node users on import
  try { tf = require('@tensorflow/tfjs'); } finally { console.warn = warn; console.log = log; }
} catch { /* not installed */ }

interface Saved { json: Record<string, unknown>; weights: Uint8Array }

async function saveTf(model: any): Promise<Saved> {
  let art: any;
  await model.save(tf.io.withSaveHandler(async (a: any) => { art = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
  // model.json as tfjs writes it to disk: the topology and a weights manifest.
  const json = { format: art.format, generatedBy: art.generatedBy, modelTopology: art.modelTopology, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: art.weightSpecs }] };
  return { json: JSON.parse(JSON.stringify(json)), weights: new Uint8Array(art.weightData) };
}

const bound = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / (2e-4 + 2e-3 * Math.abs(b[i]!)));
  return a.length === b.length ? m : Infinity;
};

t.test('tfjs models: io.fromTfjs gives tfjs\'s predict on every backend', { skip: tf ? false : '@tensorflow/tfjs is not installed (npm run setup:peers)' }, async (t) => {
  await tf.setBackend('cpu');
  tf.util.seedrandom?.(1);
  const L = tf.layers, sig = { recurrentActivation: 'sigmoid' };
  const B = 4, T = 7, g = rng(3);
  type Case = { name: string; build: () => any; F: number; vocab?: number; masked?: boolean; output: string };
  const cases: Case[] = [
    { name: 'LSTM → Dense', F: 3, output: 'last', build: () => tf.sequential({ layers: [L.lstm({ units: 5, inputShape: [T, 3], ...sig }), L.dense({ units: 2 })] }) },
    { name: 'Embedding → Bidirectional(LSTM, sequences) → LSTM → Dense tanh → Dropout → Dense', F: 1, vocab: 12, output: 'last', build: () => tf.sequential({ layers: [
      L.embedding({ inputDim: 12, outputDim: 4, inputLength: T }), L.bidirectional({ layer: L.lstm({ units: 3, returnSequences: true, ...sig }), mergeMode: 'concat' }),
      L.lstm({ units: 4, ...sig }), L.dense({ units: 3, activation: 'tanh' }), L.dropout({ rate: 0.3 }), L.dense({ units: 1 })] }) },
    { name: 'SimpleRNN relu (sequences) → TimeDistributed(Dense sigmoid)', F: 2, output: 'all', build: () => tf.sequential({ layers: [
      L.simpleRNN({ units: 6, activation: 'relu', returnSequences: true, inputShape: [T, 2] }), L.timeDistributed({ layer: L.dense({ units: 3, activation: 'sigmoid' }) })] }) },
    { name: 'LSTM (sequences) → GlobalAveragePooling1D → Dense relu', F: 3, output: 'mean', build: () => tf.sequential({ layers: [
      L.lstm({ units: 4, returnSequences: true, inputShape: [T, 3], ...sig }), L.globalAveragePooling1d(), L.dense({ units: 2, activation: 'relu' })] }) },
    { name: 'Bidirectional(SimpleRNN) without bias → Dropout → Dense (3D: per step)', F: 2, output: 'all', build: () => tf.sequential({ layers: [
      L.bidirectional({ layer: L.simpleRNN({ units: 3, useBias: false, returnSequences: true }), inputShape: [T, 2] }), L.dropout({ rate: 0.1 }), L.dense({ units: 2, useBias: false })] }) },
    { name: 'Embedding mask_zero → LSTM → Dense, padded after', F: 1, vocab: 9, masked: true, output: 'last', build: () => tf.sequential({ layers: [
      L.embedding({ inputDim: 9, outputDim: 3, inputLength: T, maskZero: true }), L.lstm({ units: 4, ...sig }), L.dense({ units: 1 })] }) },
  ];
  const saved: { c: Case; s: Saved; x: Tensor; lengths: Int32Array; want: Float32Array }[] = [];
  for (const c of cases) {
    const m = c.build();
    // Random weights of a spread training would give (Glorot is too tame to test the gates).
    m.setWeights(m.getWeights().map((w: any) => tf.tensor(Float32Array.from({ length: w.size }, () => g() * 1.6 - 0.8), w.shape)));
    const lengths = Int32Array.from({ length: B }, (_, b) => (c.masked ? 1 + ((b * 3) % T) : T));
    const xs = Float32Array.from({ length: B * T * (c.vocab ? 1 : c.F) }, (_, i) => {
      if (!c.vocab) return g() * 4 - 2;
      const b = Math.floor(i / T), tt = i % T;
      return tt < lengths[b]! ? 1 + Math.floor(g() * (c.vocab - 1)) : 0;
    });
    const x = tensor(xs, c.vocab ? [B, T] : [B, T, c.F]);
    const want = m.predict(tf.tensor(xs, x.shape)).dataSync() as Float32Array;
    saved.push({ c, s: await saveTf(m), x, lengths, want: Float32Array.from(want) });
  }
  for (const name of availableBackends()) {
    await init({ backend: name });
    for (const { c, s, x, lengths, want } of saved) {
      const model = io.fromTfjs(JSON.stringify(s.json), s.weights, c.masked ? { allowMasking: true } : {});
      t.equal(model.output, c.output, `${c.name}: output '${c.output}'`);
      const y = model.predict(x, c.masked ? { lengths } : {});
      const m = bound(y.data, want);
      t.ok(m <= 1, `${name}: ${c.name}: |Δ| ≤ 2e-4 + 2e-3·|y| (worst at ${m.toFixed(4)} of the bound)`);
      model.dispose();
    }
  }
  // Shards: the weights file cut in two, given in order.
  const { s, x, want } = saved[1]!;
  const cut = 40;
  const model = io.fromTfjs(s.json, [s.weights.slice(0, cut), s.weights.slice(cut).buffer]);
  t.ok(bound(model.predict(x).data, want) <= 1, 'the weights in two shards');
  model.dispose();
});

t.test('tfjs defaults and what has no equivalent: refused with the reason', { skip: tf ? false : '@tensorflow/tfjs is not installed' }, async (t) => {
  await init();
  const L = tf.layers;
  const refuse = async (layers: any[], msg: RegExp, opts = {}): Promise<void> => {
    const s = await saveTf(tf.sequential({ layers }));
    t.throws(() => io.fromTfjs(s.json, s.weights, opts), { code: 'INVALID_ARGUMENT', message: msg });
  };
  await refuse([L.lstm({ units: 2, inputShape: [3, 2] })], /layer 0 \(LSTM lstm_LSTM\d+\): recurrent_activation is "hard_sigmoid", expected "sigmoid" .*recurrentActivation: 'sigmoid'/);
  await refuse([L.gru({ units: 2, inputShape: [3, 2], recurrentActivation: 'sigmoid' })], /reset_after is false, expected true: .*another GRU than PyTorch's/);
  await refuse([L.bidirectional({ layer: L.simpleRNN({ units: 2 }), mergeMode: 'sum', inputShape: [3, 2] })], /merge_mode is "sum", expected "concat"/);
  await refuse([L.simpleRNN({ units: 2, inputShape: [3, 2] }), L.dense({ units: 2, activation: 'softmax' })], /activation is "softmax", expected linear, tanh, relu or sigmoid \(save the model without the softmax/);
  await refuse([L.simpleRNN({ units: 2, inputShape: [3, 2], goBackwards: true })], /go_backwards is true/);
  await refuse([L.embedding({ inputDim: 5, outputDim: 2, maskZero: true, inputLength: 3 }), L.simpleRNN({ units: 2 })], /masks steps .*pass \{ allowMasking: true \}/);
  await refuse([L.dense({ units: 2, inputShape: [3, 2] }), L.simpleRNN({ units: 2 })], /a Dense layer before the recurrent layers/);
  await refuse([L.simpleRNN({ units: 2, inputShape: [3, 2], returnSequences: true }), L.flatten()], /is a Flatten, which has no simd-rnn equivalent/);
  await refuse([L.dense({ units: 2, inputShape: [2] })], /a Dense layer before the recurrent layers/);
  const inp = tf.input({ shape: [3, 2] });
  const fn = tf.model({ inputs: inp, outputs: L.simpleRNN({ units: 2 }).apply(inp) });
  const f = await saveTf(fn);
  t.throws(() => io.fromTfjs(f.json, f.weights), { code: 'INVALID_ARGUMENT', message: /the model is a "Model" model; only Sequential models are read/ });
});

t.test('hostile or broken files: BAD_FILE before anything is built', async (t) => {
  await init();
  const top = (layers: unknown[]): Record<string, unknown> => ({ modelTopology: { class_name: 'Sequential', config: { layers } } });
  const rnn = (units: number): unknown => ({ class_name: 'SimpleRNN', config: { units, batch_input_shape: [null, 3, 2] } });
  const specs = (shapes: number[][]): unknown[] => [{ paths: ['w.bin'], weights: shapes.map((shape, i) => ({ name: `w${i}`, shape, dtype: 'float32' })) }];
  const ok = { ...top([rnn(2)]), weightsManifest: specs([[2, 2], [2, 2], [2]]) };
  const m = io.fromTfjs(ok, new Uint8Array(40));
  t.equal(m.numParams, 2 * 2 + 2 * 2 + 2 + 2, 'a well-formed file loads (bias_hh zero)');
  m.dispose();
  // A tiny file declaring a huge layer: the weights it would need are not there.
  t.throws(() => io.fromTfjs({ ...top([rnn(1 << 20)]), weightsManifest: specs([[2, 2], [2, 2], [2]]) }, new Uint8Array(40)), { code: 'BAD_FILE', message: /weight w0 has shape \[2,2\], expected \[2,1048576\]/ });
  t.throws(() => io.fromTfjs({ ...top([rnn(1 << 20)]), weightsManifest: specs([[2, 1 << 20], [1 << 20, 1 << 20], [1 << 20]]) }, new Uint8Array(40)), { code: 'BAD_FILE', message: /the weights are 40 bytes, the manifest's 3 float32 tensors take/ });
  t.throws(() => io.fromTfjs(ok, new Uint8Array(36)), { code: 'BAD_FILE', message: /the weights are 36 bytes/ });
  t.throws(() => io.fromTfjs({ ...top([rnn(2)]), weightsManifest: specs([[2, 2], [2, 2]]) }, new Uint8Array(32)), { code: 'BAD_FILE', message: /needs a weight of shape \[2\], and the manifest has no more weights/ });
  t.throws(() => io.fromTfjs({ ...top([rnn(2)]), weightsManifest: specs([[2, 2], [2, 2], [2], [1]]) }, new Uint8Array(44)), { code: 'BAD_FILE', message: /the manifest has 4 weights, the layers use 3/ });
  t.throws(() => io.fromTfjs({ ...top([rnn(0)]), weightsManifest: specs([]) }, new Uint8Array(0)), { code: 'BAD_FILE', message: /units is 0, expected an integer/ });
  t.throws(() => io.fromTfjs({ ...top([rnn(2), { class_name: 'SimpleRNN', config: { units: 2 } }]), weightsManifest: specs([[2, 2], [2, 2], [2], [2, 2], [2, 2], [2]]) }, new Uint8Array(80)), { code: 'INVALID_ARGUMENT', message: /layer 1 \(SimpleRNN\) reads the output of a recurrent layer without return_sequences/ });
  t.throws(() => io.fromTfjs('{"modelTopology": ', new Uint8Array(0)), { code: 'BAD_FILE', message: /model\.json is not JSON/ });
  t.throws(() => io.fromTfjs({ modelTopology: 3 }, new Uint8Array(0)), { code: 'BAD_FILE', message: /modelTopology is not an object/ });
  t.throws(() => io.fromTfjs(top([rnn(2)]), new Uint8Array(0)), { code: 'BAD_FILE', message: /no weightsManifest/ });
  t.throws(() => io.fromTfjs({ ...top([{ class_name: 'SimpleRNN', config: { units: 2 } }]), weightsManifest: specs([]) }, new Uint8Array(0)), { code: 'BAD_FILE', message: /the input's feature size is not in the configuration/ });
  t.throws(() => io.fromTfjs({ ...top([rnn(2)]), weightsManifest: [{ weights: [{ name: 'w', shape: [2, 2], dtype: 'int32' }] }] }, new Uint8Array(16)), { code: 'INVALID_ARGUMENT', message: /weight w is "int32", expected float32/ });
  t.throws(() => io.fromTfjs(ok, 'bytes' as never), { code: 'INVALID_ARGUMENT', message: /io\.fromTfjs: weights is "bytes", expected an ArrayBuffer or a Uint8Array/ });
  t.throws(() => io.fromTfjs(ok, new Uint8Array(40), { allowMasks: true } as never), { message: /options\.allowMasks is not an option; did you mean options\.allowMasking\?/ });
});

// Keras's GRU with reset_after (its default), which tfjs cannot build: a model.json as Keras's converter
// writes it, against Keras's equations in float64 (gates z, r, h side by side; bias [2, 3H]: input, recurrent).
t.test('a Keras GRU (reset_after: true) equals Keras\'s equations in float64', async (t) => {
  const I = 3, H = 4, T = 6, B = 2, g = rng(8);
  const kernel = Float32Array.from({ length: I * 3 * H }, () => g() * 2 - 1), rec = Float32Array.from({ length: H * 3 * H }, () => g() * 2 - 1);
  const bias = Float32Array.from({ length: 2 * 3 * H }, () => g() - 0.5), dk = Float32Array.from({ length: H * 2 }, () => g() * 2 - 1), db = Float32Array.from([0.1, -0.2]);
  const json = {
    format: 'layers-model', generatedBy: 'keras v2.15.0', convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: { keras_version: '2.15.0', backend: 'tensorflow', model_config: { class_name: 'Sequential', config: { name: 'sequential', layers: [
      { class_name: 'InputLayer', config: { batch_input_shape: [null, T, I], dtype: 'float32', name: 'input_1' } },
      { class_name: 'GRU', config: { name: 'gru', units: H, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true, reset_after: true, return_sequences: false } },
      { class_name: 'Dense', config: { name: 'dense', units: 2, activation: 'linear', use_bias: true } }] } } },
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: [
      { name: 'gru/gru_cell/kernel', shape: [I, 3 * H], dtype: 'float32' }, { name: 'gru/gru_cell/recurrent_kernel', shape: [H, 3 * H], dtype: 'float32' },
      { name: 'gru/gru_cell/bias', shape: [2, 3 * H], dtype: 'float32' }, { name: 'dense/kernel', shape: [H, 2], dtype: 'float32' }, { name: 'dense/bias', shape: [2], dtype: 'float32' }] }],
  };
  const parts = [kernel, rec, bias, dk, db], bytes = new Uint8Array(parts.reduce((n, p) => n + 4 * p.length, 0));
  let o = 0;
  for (const p of parts) { bytes.set(new Uint8Array(p.buffer), o); o += 4 * p.length; }
  const x = Float32Array.from({ length: B * T * I }, () => g() * 2 - 1);
  // Keras: z = σ(x Kz + bz + h Uz + b'z), r likewise, h̃ = tanh(x Kh + bh + r ⊙ (h Uh + b'h)), h = z ⊙ h + (1 − z) ⊙ h̃.
  const sig = (v: number): number => 1 / (1 + Math.exp(-v));
  const want: number[] = [];
  for (let b = 0; b < B; b++) {
    let h = new Float64Array(H);
    for (let tt = 0; tt < T; tt++) {
      const xp = new Float64Array(3 * H), hp = new Float64Array(3 * H);
      for (let j = 0; j < 3 * H; j++) {
        xp[j] = bias[j]!; hp[j] = bias[3 * H + j]!;
        for (let i = 0; i < I; i++) xp[j] += x[(b * T + tt) * I + i]! * kernel[i * 3 * H + j]!;
        for (let k = 0; k < H; k++) hp[j] += h[k]! * rec[k * 3 * H + j]!;
      }
      const next = new Float64Array(H);
      for (let k = 0; k < H; k++) {
        const z = sig(xp[k]! + hp[k]!), r = sig(xp[H + k]! + hp[H + k]!), c = Math.tanh(xp[2 * H + k]! + r * hp[2 * H + k]!);
        next[k] = z * h[k]! + (1 - z) * c;
      }
      h = next;
    }
    for (let u = 0; u < 2; u++) { let s = db[u]!; for (let k = 0; k < H; k++) s += h[k]! * dk[k * 2 + u]!; want.push(s); }
  }
  for (const name of availableBackends()) {
    await init({ backend: name });
    const model = io.fromTfjs(json, bytes);
    const y = model.predict(tensor(x, [B, T, I])).data;
    const m = bound(y, want);
    t.ok(m <= 1, `${name}: |Δ| ≤ 2e-4 + 2e-3·|y| against float64 (worst at ${m.toFixed(4)} of the bound)`);
    model.dispose();
  }
});
