// int8 model files: io.save of a quantized model writes its int8 matrices as
// safetensors I8 with F32 row scales (about a quarter of the f32 file);
// io.load gives a quantized model that computes what the saved one did;
// PyTorch's way back (int8 · scale) gives the weights; hostile int8 files
// are refused with BAD_FILE.
import t from 'tap';
import { init, io, quantize, tensor, GRU, LSTM, Linear, Embedding, Sequential, Seq2Seq, type Tensor } from '../../src/index.js';
import { rng, uniform } from '../helpers/rng.js';
import { stampCrc, CRC_PLACEHOLDER } from '../../src/io/crc32.js';

const errMax = (a: ArrayLike<number>, b: ArrayLike<number>): number => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!)); return m; };

t.before(async () => { await init({ backend: 'wasm-simd', threads: 1 }); });

t.test('a quantized Sequential: a quarter of the file, the same outputs after loading', async (t) => {
  const m = new Sequential([new LSTM({ inputSize: 16, hiddenSize: 64, numLayers: 2, seed: 1 }), new Linear({ inFeatures: 64, outFeatures: 5, seed: 2 })], { output: 'last' });
  const q = quantize(m);
  const f32 = io.save(m), i8 = io.save(q);
  t.ok(i8.length < 0.3 * f32.length, `int8 file ${i8.length} bytes, f32 ${f32.length}: ${(i8.length / f32.length).toFixed(3)} of it`);
  const meta = io.readSafetensorsHeader(i8);
  t.equal(meta.metadata.quantized, 'int8');
  const dtypes = Object.fromEntries(meta.entries.map((e) => [e.name, e.dtype]));
  t.equal(dtypes['layers.0.weight_ih_l0'], 'I8');
  t.equal(dtypes['layers.0.weight_ih_l0.scale'], 'F32');
  t.equal(dtypes['layers.0.bias_ih_l0'], 'F32', 'biases stay f32');
  t.equal(dtypes['layers.1.weight'], 'I8', 'the Linear too');
  const back = io.load(i8);
  t.equal((back.layers[0] as LSTM).quantized, 'int8', 'loaded quantized');
  t.equal((back.layers[1] as Linear).quantized, 'int8');
  const x = tensor(uniform(rng(4), 3 * 10 * 16), [3, 10, 16]);
  const a = q.predict(x).data, b = back.predict(x).data;
  t.equal(errMax(a, b), 0, 'outputs equal the saved model\'s (the file gives back its int8 values and scales as they are)');
  // PyTorch's way back: int8 · scale is the dequantized weight (what the loaded layer holds).
  const raw = io.readSafetensors(i8), w = raw['layers.0.weight_hh_l0']!, s = raw['layers.0.weight_hh_l0.scale']!;
  const K = w.shape[1]!, sd = back.stateDict()['layers.0.weight_hh_l0']!;
  t.ok(Array.from(sd.data).every((v, i) => v === Math.fround(w.data[i]! * s.data[Math.floor(i / K)]!)), 'the loaded f32 weights are int8 · scale, row by row');
  t.ok(errMax(sd.data, m.stateDict()['layers.0.weight_hh_l0']!.data) <= Math.max(...s.data) / 2 + 1e-7, 'within half a step of the original weights');
  t.throws(() => back.trainOnBatch(x, tensor(new Float32Array(15), [3, 5])), { message: /quantized/ });
  // Saved again, it is the same file's content: the same int8 values and scales.
  const again = io.readSafetensors(io.save(back));
  t.ok(Array.from(again['layers.0.weight_ih_l0']!.data).every((v, i) => v === raw['layers.0.weight_ih_l0']!.data[i]), 'saving the loaded model gives the same int8 values');
  t.ok(Array.from(again['layers.0.weight_ih_l0.scale']!.data).every((v, i) => v === raw['layers.0.weight_ih_l0.scale']!.data[i]), 'and the same scales');
  m.dispose(); q.dispose(); back.dispose();
});

t.test('a quantized Seq2Seq round-trips', async (t) => {
  const m = new Seq2Seq({ srcVocab: 12, tgtVocab: 11, embeddingDim: 8, encoder: { cell: 'lstm', hiddenSize: 16, bidirectional: true }, decoder: { cell: 'gru', hiddenSize: 32 }, attention: 'bahdanau', tokens: { pad: 0, bos: 1, eos: 2 }, seed: 3 });
  const q = quantize(m), bytes = io.save(q), full = io.readSafetensorsHeader(io.save(m));
  // Every encoder, decoder, bridge and generator matrix as 1 byte a weight + 4 a row; the rest as f32.
  let want = 0;
  for (const e of full.entries) {
    const n = e.shape.reduce((x, y) => x * y, 1);
    want += /^(encoder|decoder|bridge|generator)\..*weight(_ih_l\d+|_hh_l\d+)?(_reverse)?$/.test(e.name) && e.shape.length === 2 ? n + 4 * e.shape[0]! : 4 * n;
  }
  const got = io.readSafetensorsHeader(bytes).entries.reduce((x, e) => x + e.end - e.begin, 0);
  t.equal(got, want, `the tensors take ${got} bytes: int8 matrices, f32 embeddings, attention and biases`);
  const back = io.load<Seq2Seq>(bytes);
  t.equal(back.quantized, 'int8');
  const src = { data: Int32Array.from({ length: 5 * 6 }, (_, i) => 3 + (i * 7) % 9), shape: [5, 6] };
  const a = q.translate(src, { beam: 2, maxLength: 6 }), b = back.translate(src, { beam: 2, maxLength: 6 });
  t.same(b.tokens, a.tokens, 'the same outputs');
  t.ok(errMax(a.scores, b.scores) <= 1e-5, 'and scores');
  m.dispose(); q.dispose(); back.dispose();
});

/** Rewrites a file's tensors and metadata (the CRC is stamped by io.save only: these files fail it unless re-stamped). */
function forge(tensors: Record<string, Tensor | { data: Int8Array; shape: number[] }>, metadata: Record<string, string>): Uint8Array {
  return io.writeSafetensors(tensors as Record<string, Tensor>, metadata);
}

t.test('hostile int8 files: BAD_FILE, never a wrong model', async (t) => {
  const m = new Sequential([new Embedding({ numEmbeddings: 10, embeddingDim: 4, seed: 1 }), new GRU({ inputSize: 4, hiddenSize: 8, seed: 2 })], { output: 'last' });
  const good = io.save(quantize(m)), hdr = io.readSafetensorsHeader(good);
  const meta = { ...hdr.metadata };
  const raw: Record<string, Tensor | { data: Int8Array; shape: number[] }> = {};
  const f32 = io.readSafetensors(good);
  for (const e of hdr.entries) raw[e.name] = e.dtype === 'I8' ? { data: Int8Array.from(f32[e.name]!.data), shape: e.shape } : f32[e.name]!;
  // The CRC covers the file: forged files are stamped the way io.save stamps them.
  const stamped = (tensors: typeof raw, md = meta): Uint8Array => stampCrc(forge(tensors, { ...md, crc32: CRC_PLACEHOLDER }));
  t.ok(io.load(stamped(raw)).layers.length === 2, 'the forged copy of a good file loads (the forgery works)');
  const without = { ...raw }; delete without['layers.1.weight_hh_l0.scale'];
  t.throws(() => io.load(stamped(without)), { code: 'BAD_FILE', message: /int8 tensor "layers\.1\.weight_hh_l0" has no scales/ });
  const short = { ...raw, 'layers.1.weight_hh_l0.scale': { data: new Float32Array(3), shape: [3] } };
  t.throws(() => io.load(stamped(short)), { code: 'BAD_FILE', message: /weight_hh_l0\.scale" is F32 \[3\], expected F32 \[24\]/ });
  const nan = { ...raw, 'layers.1.weight_hh_l0.scale': { data: new Float32Array(24).fill(NaN), shape: [24] } };
  t.throws(() => io.load(stamped(nan)), { code: 'BAD_FILE', message: /scales must be finite and not negative/ });
  const neg = { ...raw, 'layers.1.weight_hh_l0.scale': { data: new Float32Array(24).fill(-1), shape: [24] } };
  t.throws(() => io.load(stamped(neg)), { code: 'BAD_FILE', message: /scales must be finite and not negative/ });
  const emb = { ...raw, 'layers.0.weight': { data: new Int8Array(40), shape: [10, 4] }, 'layers.0.weight.scale': { data: new Float32Array(10), shape: [10] } };
  t.throws(() => io.load(stamped(emb)), { code: 'BAD_FILE', message: /tensor "layers\.0\.weight" is int8, but only the weight matrices of recurrent and Linear layers may be/ });
  const stray = { ...raw, 'layers.1.bias_ih_l0.scale': { data: new Float32Array(24), shape: [24] } };
  t.throws(() => io.load(stamped(stray)), { code: 'BAD_FILE', message: /tensor "layers\.1\.bias_ih_l0\.scale" scales no int8 matrix/ });
  const notQuantized = { ...meta }; delete notQuantized.quantized;
  t.throws(() => io.load(stamped(raw, notQuantized)), { code: 'BAD_FILE', message: /is int8 in a file that is not quantized/ });
  t.throws(() => io.load(stamped(raw, { ...meta, quantized: 'int4' })), { code: 'BAD_FILE', message: /quantized is "int4", expected "int8"/ });
  m.dispose();
});
