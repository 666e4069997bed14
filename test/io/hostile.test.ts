// Hostile model files: tiny files that declare huge models, deep JSON,
// reserved names, inexact integers, and every single-bit flip of a model's and
// a checkpoint's header. Each is refused with a BAD_FILE SimdRnnError before
// anything is allocated on the heap (or loads exactly the model it was), and
// a failed load leaves the heap as it found it.
import t from 'tap';
import { init, tensor, GRU, LSTM, RNN, Linear, Sequential, optim, io, getBackend, SimdRnnError, type Tensor } from '../../src/index.js';
import { stampCrc } from '../../src/io/crc32.js';

/** A safetensors file from a raw header (object or JSON text) and data bytes. */
function raw(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** A model file (format 2, whole-file CRC) with the given architecture and tensors. */
function modelFile(arch: unknown, tensors: Record<string, Tensor>): Uint8Array {
  return stampCrc(io.writeSafetensors(tensors, {
    format: 'simd-rnn/sequential', formatVersion: '2', architecture: typeof arch === 'string' ? arch : JSON.stringify(arch), crc32: '00000000',
  }));
}

const rnnWeights = (H: number, I: number): Record<string, Tensor> => ({
  'layers.0.weight_ih_l0': tensor(new Float32Array(H * I), [H, I]), 'layers.0.weight_hh_l0': tensor(new Float32Array(H * H), [H, H]),
  'layers.0.bias_ih_l0': tensor(new Float32Array(H), [H]), 'layers.0.bias_hh_l0': tensor(new Float32Array(H), [H]),
});

t.test('tiny files declaring huge models are refused before anything is built', async (t) => {
  await init();
  const heap = getBackend().heap;
  const deep = (n: number, leaf = '1'): string => '['.repeat(n) + leaf + ']'.repeat(n);
  const head = { type: 'Linear', inFeatures: 1, outFeatures: 1 };
  const cases: [string, Uint8Array, RegExp][] = [
    ['RNN numLayers 1e8 (used to take 3.8 GB and abort)', modelFile({ output: 'last', layers: [{ type: 'RNN', inputSize: 1, hiddenSize: 1, numLayers: 1e8 }, head] }, rnnWeights(1, 1)),
      /layer 0 \(RNN\): numLayers is 100000000, expected an integer in \[1, 64\]/],
    ['RNN numLayers 1e6 (used to take 59 s)', modelFile({ output: 'last', layers: [{ type: 'RNN', inputSize: 1, hiddenSize: 1, numLayers: 1e6 }, head] }, rnnWeights(1, 1)),
      /numLayers is 1000000, expected an integer in \[1, 64\]/],
    ['LSTM hidden 7000 without its tensors (used to take 1.5 GB)', modelFile({ output: 'last', layers: [{ type: 'LSTM', inputSize: 1, hiddenSize: 7000 }, head] }, {}),
      /layer 0 needs a tensor "layers\.0\.weight_ih_l0" of shape \[28000,1\]; the file has none/],
    ['a tensor of the wrong shape', modelFile({ output: 'last', layers: [{ type: 'RNN', inputSize: 1, hiddenSize: 2 }, head] }, rnnWeights(1, 1)),
      /tensor "layers\.0\.weight_ih_l0" has shape \[1,1\], the architecture implies \[2,1\]/],
    ['a stray tensor', modelFile({ output: 'last', layers: [{ type: 'RNN', inputSize: 1, hiddenSize: 1, bias: false }, { type: 'Linear', inFeatures: 1, outFeatures: 1, bias: false }] },
      { ...rnnWeights(1, 1), 'layers.1.weight': tensor([1], [1, 1]) }), /tensor "layers\.0\.bias_ih_l0" is not a parameter of the architecture/],
    ['hidden size 2^40', modelFile({ output: 'last', layers: [{ type: 'GRU', inputSize: 1, hiddenSize: 2 ** 40 }] }, {}), /hiddenSize is 1099511627776, expected an integer in \[1, 16777216\]/],
    ['an Embedding of 2^24 × 2^24', modelFile({ output: 'all', layers: [{ type: 'Embedding', numEmbeddings: 2 ** 24, embeddingDim: 2 ** 24 }] }, {}), /needs a tensor "layers\.0\.weight" of shape \[16777216,16777216\]/],
    ['300 layers', modelFile({ output: 'last', layers: Array.from({ length: 300 }, () => ({ type: 'Dropout', p: 0 })) }, {}), /architecture has 300 layers, expected 1 to 256/],
    ['no layers', modelFile({ output: 'last', layers: [] }, {}), /architecture has 0 layers/],
    ['a size that is not an integer', modelFile({ output: 'last', layers: [{ type: 'RNN', inputSize: 1.5, hiddenSize: 1 }] }, {}), /inputSize is 1\.5, expected an integer/],
    ['a size that is a string', modelFile({ output: 'last', layers: [{ type: 'RNN', inputSize: '1', hiddenSize: 1 }] }, {}), /inputSize is "1", expected an integer/],
    ['architecture nested 5000 deep', modelFile(`{"output":"last","layers":${deep(5000)}}`, {}), /architecture metadata nests deeper than 16 levels/],
    ['header shape nested 5000 deep (used to overflow the stack)', raw(`{"x":{"dtype":"F32","shape":${deep(5000)},"data_offsets":[0,4]}}`, new Uint8Array(4)), /header nests over 1000 levels deep/],
    ['header offsets nested 5000 deep', raw(`{"x":{"dtype":"F32","shape":[1],"data_offsets":${deep(5000, '0')}}}`, new Uint8Array(4)), /header nests over 1000 levels deep/],
    ['header nested 20 deep', raw(`{"x":{"dtype":"F32","shape":${deep(18)},"data_offsets":[0,4]}}`, new Uint8Array(4)), /header nests 20 levels deep, over the limit of 16/],
    ['a shape of 9 dimensions', raw({ x: { dtype: 'F32', shape: [1, 1, 1, 1, 1, 1, 1, 1, 1], data_offsets: [0, 4] } }, new Uint8Array(4)), /invalid shape \[1,1,1,1,1,1,1,1,…\]/],
    ['a tensor named __proto__ (used to replace the result\'s prototype)', raw('{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', new Uint8Array(4)), /tensor name "__proto__" is a reserved name/],
    ['a tensor named constructor', raw({ constructor: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor name "constructor" is a reserved name/],
    ['a metadata key toString', raw({ __metadata__: { toString: 'x' } }), /metadata key "toString" is a reserved name/],
    ['a metadata key __proto__', raw('{"__metadata__":{"__proto__":"x"}}'), /metadata key "__proto__" is a reserved name/],
  ];
  const used = heap.usedBytes, size = heap.byteLength;
  for (const [name, bytes, msg] of cases) {
    t.ok(bytes.length < 1 << 20, `${name}: ${bytes.length} bytes`);
    t.throws(() => io.load(bytes), { name: 'SimdRnnError', code: 'BAD_FILE', message: msg }, name);
    t.equal(heap.usedBytes, used, `${name}: nothing allocated`);
  }
  t.equal(heap.byteLength, size, 'the heap never grew');
});

t.test('integers outside the exact range are refused', async (t) => {
  const i64 = (v: bigint, dtype = 'I64'): Uint8Array => {
    const d = new Uint8Array(8);
    if (dtype === 'I64') new DataView(d.buffer).setBigInt64(0, v, true); else new DataView(d.buffer).setBigUint64(0, v, true);
    return raw({ x: { dtype, shape: [1], data_offsets: [0, 8] } }, d);
  };
  t.throws(() => io.readSafetensors(i64(2n ** 53n + 1n)), { code: 'BAD_FILE', message: /holds 9007199254740993, which f32 cannot represent exactly/ }, 'I64 2^53 + 1 (used to load as 2^53)');
  t.throws(() => io.readSafetensors(i64(-(2n ** 60n) - 1n)), { code: 'BAD_FILE' }, 'I64 −2^60 − 1');
  t.throws(() => io.readSafetensors(i64(2n ** 64n - 1n, 'U64')), { code: 'BAD_FILE' }, 'U64 2^64 − 1');
  t.equal(io.readSafetensors(i64(2n ** 53n)).x!.data[0], 2 ** 53, 'I64 2^53 is exact in f32 and loads');
  t.equal(io.readSafetensors(i64(-(2n ** 60n))).x!.data[0], -(2 ** 60), 'I64 −2^60 too');
  t.throws(() => io.readSafetensors(raw('{"x":{"dtype":"F32","shape":[9007199254740993],"data_offsets":[0,4]}}', new Uint8Array(4))), { code: 'BAD_FILE', message: /invalid shape/ }, 'a shape past 2^53');
  t.throws(() => io.writeSafetensors({ constructor: tensor([1], [1]) }), { code: 'INVALID_ARGUMENT', message: /reserved name/ }, 'the writer refuses what the reader would');
});

t.test('a failed load frees everything it built', async (t) => {
  await init();
  const heap = getBackend().heap;
  // Each layer's tensors are right, but the layers do not connect (Linear takes 5, the GRU gives 4).
  const bad = modelFile({ output: 'last', layers: [{ type: 'GRU', inputSize: 3, hiddenSize: 4 }, { type: 'Linear', inFeatures: 5, outFeatures: 1 }] }, {
    'layers.0.weight_ih_l0': tensor(new Float32Array(36), [12, 3]), 'layers.0.weight_hh_l0': tensor(new Float32Array(48), [12, 4]),
    'layers.0.bias_ih_l0': tensor(new Float32Array(12), [12]), 'layers.0.bias_hh_l0': tensor(new Float32Array(12), [12]),
    'layers.1.weight': tensor(new Float32Array(5), [1, 5]), 'layers.1.bias': tensor([0], [1]),
  });
  t.throws(() => io.load(bad), { code: 'BAD_FILE', message: /architecture is not a valid model: .*inFeatures is 5, expected 4/ });
  const used = heap.usedBytes;
  for (let i = 0; i < 200; i++) t.throws(() => io.load(bad), SimdRnnError);
  t.equal(heap.usedBytes, used, '200 failed loads leak nothing (each used to leak the layers it built)');
  const good = new Sequential([new GRU({ inputSize: 3, hiddenSize: 4, seed: 1 }), new Linear({ inFeatures: 4, outFeatures: 1, seed: 1 })]);
  const again = io.load(io.save(good));
  t.same(again.stateDict(), good.stateDict(), 'a valid model still loads');
  again.dispose(); good.dispose();
  t.equal(heap.usedBytes, used);
});

function sameModel(a: Sequential, b: Sequential): boolean {
  if (JSON.stringify(a.config()) !== JSON.stringify(b.config())) return false;
  const sa = a.stateDict(), sb = b.stateDict();
  return Object.keys(sa).length === Object.keys(sb).length &&
    Object.keys(sa).every((k) => sb[k] && sa[k]!.data.every((v, i) => Object.is(v, sb[k]!.data[i])));
}

/** Flips every bit of the length prefix and header; each outcome must be a clean error or exactly `same`. */
function flipHeader(bytes: Uint8Array, same: (b: Uint8Array) => boolean): { tried: number; clean: number; errors: number; identical: number; other: string[] } {
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  const r = { tried: 0, clean: 0, errors: 0, identical: 0, other: [] as string[] };
  for (let i = 0; i < 8 + n; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const b = Uint8Array.from(bytes);
      b[i]! ^= 1 << bit;
      r.tried++;
      try {
        if (same(b)) { r.identical++; r.clean++; } else r.other.push(`byte ${i} bit ${bit}: loaded something different`);
      } catch (e) {
        if (e instanceof SimdRnnError) { r.errors++; r.clean++; } else r.other.push(`byte ${i} bit ${bit}: ${String(e)}`);
      }
    }
  }
  return r;
}

t.test('every single-bit flip of a model file\'s header is a clean error', async (t) => {
  await init();
  const model = new Sequential([new LSTM({ inputSize: 2, hiddenSize: 3, seed: 1, dropout: 0.25, numLayers: 2 }), new Linear({ inFeatures: 3, outFeatures: 1, seed: 2 })]);
  const bytes = io.save(model, { note: 'flip me' });
  const r = flipHeader(bytes, (b) => { const m = io.load(b); const ok = sameModel(m, model); m.dispose(); return ok; });
  t.same(r.other, [], 'no flip loads a different model or throws anything but a SimdRnnError');
  t.equal(r.clean, r.tried, `${r.tried} flips: ${r.errors} clean errors, ${r.identical} identical loads`);
  model.dispose();
});

t.test('every single-bit flip of a checkpoint\'s header is a clean error', async (t) => {
  await init();
  const model = new Sequential([new GRU({ inputSize: 2, hiddenSize: 3, seed: 1 }), new Linear({ inFeatures: 3, outFeatures: 1, seed: 2 })]);
  model.compile({ optimizer: optim.adam({ lr: 0.01 }), loss: 'mse' });
  let ckpt: Uint8Array | null = null;
  const xs = tensor(Float32Array.from({ length: 6 * 4 * 2 }, (_, i) => Math.sin(i)), [6, 4, 2]), ys = tensor(new Float32Array(6).fill(0.3), [6, 1]);
  await model.fit(xs, ys, { epochs: 2, batchSize: 3, seed: 1, earlyStopping: { patience: 5 }, checkpoint: { save: (b) => { ckpt = b; } } });
  const want = io.readCheckpoint(ckpt!);
  const r = flipHeader(ckpt!, (b) => {
    const c = io.readCheckpoint(b);
    const m = io.load(b);
    m.dispose();
    return JSON.stringify({ ...c, order: Array.from(c.training.order) }) === JSON.stringify({ ...want, order: Array.from(want.training.order) });
  });
  t.same(r.other, [], 'no flip resumes differently (179 of 13 760 used to) or throws a TypeError (139 used to)');
  t.equal(r.clean, r.tried, `${r.tried} flips: ${r.errors} clean errors, ${r.identical} identical`);
  model.dispose();
});

t.test('checkpoints with valid CRCs but hostile metadata are refused', async (t) => {
  await init();
  const model = new Sequential([new RNN({ inputSize: 2, hiddenSize: 3, seed: 1 }), new Linear({ inFeatures: 3, outFeatures: 1, seed: 2 })]);
  model.compile({ optimizer: optim.sgd({ lr: 0.01 }), loss: 'mse' });
  let ckpt: Uint8Array | null = null;
  const xs = tensor(Float32Array.from({ length: 4 * 3 * 2 }, (_, i) => Math.cos(i)), [4, 3, 2]), ys = tensor(new Float32Array(4), [4, 1]);
  await model.fit(xs, ys, { epochs: 1, batchSize: 2, checkpoint: { save: (b) => { ckpt = b; } } });
  const { tensors, metadata } = io.readSafetensorsFile(ckpt!);
  const forge = (meta: Record<string, string>, ts: Record<string, Tensor> = tensors): Uint8Array => stampCrc(io.writeSafetensors(ts, { ...metadata, ...meta, crc32: '00000000' }));
  const tr = JSON.parse(metadata.training!);
  const cases: [string, Uint8Array, RegExp][] = [
    ['epoch −5', forge({ training: JSON.stringify({ ...tr, epoch: -5 }) }), /training metadata is not/],
    ['rngStates not numbers', forge({ training: JSON.stringify({ ...tr, rngStates: ['x'] }) }), /training metadata is not/],
    ['history.loss a string', forge({ training: JSON.stringify({ ...tr, history: { ...tr.history, loss: 'x' } }) }), /invalid history/],
    ['optimizer buffers 1e9', forge({ optimizer: JSON.stringify({ name: 'sgd', steps: 2, buffers: 1e9 }) }), /optimizer metadata is not/],
    ['optimizer not JSON', forge({ optimizer: '{' }), /optimizer metadata is not valid JSON/],
    ['order not a permutation', forge({}, { ...tensors, 'training.order': tensor([0, 0], [2]) }), /shuffle order is not a permutation/],
    ['order out of range', forge({}, { ...tensors, 'training.order': tensor([0, 7], [2]) }), /not a permutation/],
  ];
  for (const [name, bytes, msg] of cases) {
    t.throws(() => io.readCheckpoint(bytes), { code: 'BAD_FILE', message: msg }, name);
    await t.rejects(model.fit(xs, ys, { epochs: 2, batchSize: 2, resume: bytes }), { code: 'BAD_FILE' }, `${name}: fit's resume refuses it too`);
  }
  model.dispose();
});
