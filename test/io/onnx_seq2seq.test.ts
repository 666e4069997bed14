// Seq2Seq to ONNX: onnxruntime runs the encoder graph once and the decoder
// step graph token by token; teacher forced, the sums of the log-probabilities
// equal logProb, and decoding greedily gives translate's tokens, scores and
// attention weights, on every backend, for every cell and attention.
import t from 'tap';
import { createRequire } from 'node:module';
import { init, Seq2Seq, io } from '../../src/index.js';
import type { Seq2SeqOptions } from '../../src/index.js';
import { rng } from '../helpers/rng.js';
import { availableBackends } from '../helpers/backends.js';

const require = createRequire(new URL('../../bench/peers/package.json', import.meta.url));
type OrtTensor = { data: unknown; dims: readonly number[] };
interface Session { run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensor>> }
interface Ort {
  InferenceSession: { create(bytes: Uint8Array): Promise<Session> };
  Tensor: new (type: 'float32' | 'int32' | 'int64', data: Float32Array | Int32Array | BigInt64Array, dims: number[]) => OrtTensor;
}
let ort: Ort | null = null;
try { ort = require('onnxruntime-node') as Ort; } catch { /* not installed */ }

const PAD = 0, BOS = 1, EOS = 2;
const within = (got: number, want: number): boolean => Math.abs(got - want) <= 2e-4 + 2e-3 * Math.abs(want);

/** The ONNX loop: encoder once, then the step graph, fed `feed(t, logProbs)` as the next tokens. */
async function run(o: Ort, enc: Session, dec: Session, src: Int32Array, lens: Int32Array, B: number, S: number, steps: number,
  next: (t: number, lp: Float32Array, V: number) => BigInt64Array): Promise<{ lp: Float32Array[]; att: Float32Array[] }> {
  const e = await enc.run({ src: new o.Tensor('int64', BigInt64Array.from(src, BigInt), [B, S]), src_lengths: new o.Tensor('int32', lens, [B]) });
  const state: Record<string, OrtTensor> = { h: e.h! };
  if (e.c) state.c = e.c;
  if (e.feed) Object.assign(state, { feed: e.feed, keys: e.keys!, src_mask: e.src_mask! });
  let tok = new BigInt64Array(B).fill(BigInt(BOS));
  const lp: Float32Array[] = [], att: Float32Array[] = [];
  for (let t = 0; t < steps; t++) {
    const r = await dec.run({ token: new o.Tensor('int64', tok, [B]), ...state });
    const l = r.log_probs!.data as Float32Array;
    lp.push(l);
    if (r.attention) att.push(r.attention.data as Float32Array);
    state.h = r.h_out!;
    if (r.c_out) state.c = r.c_out;
    if (r.feed_out) state.feed = r.feed_out;
    tok = next(t, l, r.log_probs!.dims[1]!);
  }
  return { lp, att };
}

const CASES: Partial<Seq2SeqOptions>[] = [
  { encoder: { cell: 'lstm', hiddenSize: 8, bidirectional: true }, decoder: { cell: 'lstm', hiddenSize: 8 }, attention: 'bahdanau', attentionSize: 5 },
  { encoder: { cell: 'gru', hiddenSize: 6, numLayers: 2 }, decoder: { cell: 'gru', hiddenSize: 7, numLayers: 2 }, attention: 'luong-general' },
  { encoder: { cell: 'lstm', hiddenSize: 4, bidirectional: true }, decoder: { cell: 'gru', hiddenSize: 8 }, attention: 'luong-dot' },
  { encoder: { cell: 'rnn', hiddenSize: 5 }, decoder: { cell: 'lstm', hiddenSize: 6, numLayers: 2 }, attention: 'none' },
  { encoder: { cell: 'gru', hiddenSize: 5, bidirectional: true, numLayers: 2 }, decoder: { cell: 'rnn', hiddenSize: 6 }, attention: 'bahdanau' },
];

t.test('onnxruntime decodes the exported Seq2Seq as translate does', { skip: ort ? false : 'onnxruntime-node is not installed (npm run setup:peers)' }, async (t) => {
  const o = ort!;
  for (const name of availableBackends()) {
    await init({ backend: name });
    for (const [ci, extra] of CASES.entries()) {
      const srcVocab = 11, tgtVocab = 9, N = 5, S = 7, T = 6;
      const model = new Seq2Seq({ srcVocab, tgtVocab, embeddingDim: 6, tokens: { pad: PAD, bos: BOS, eos: EOS }, seed: 7 + ci, ...extra } as Seq2SeqOptions);
      const r = rng(100 + ci);
      const srcLengths = Int32Array.from({ length: N }, (_, i) => (i === 0 ? S : 1 + Math.floor(r() * S)));
      const tgtLengths = Int32Array.from({ length: N }, (_, i) => (i === 1 ? T : 1 + Math.floor(r() * T)));
      const src = new Int32Array(N * S), tgt = new Int32Array(N * T);
      for (let n = 0; n < N; n++) {
        for (let j = 0; j < srcLengths[n]!; j++) src[n * S + j] = 3 + Math.floor(r() * (srcVocab - 3));
        for (let j = 0; j < tgtLengths[n]! - 1; j++) tgt[n * T + j] = 3 + Math.floor(r() * (tgtVocab - 3));
        tgt[n * T + tgtLengths[n]! - 1] = EOS;
      }
      const label = `${name} ${extra.encoder!.cell}${extra.encoder!.bidirectional ? ' bi' : ''} → ${extra.decoder!.cell}, ${extra.attention}`;
      const { encoder, decoder } = io.toOnnx(model);
      const enc = await o.InferenceSession.create(encoder), dec = await o.InferenceSession.create(decoder);

      // Teacher forced: Σ log p of the target tokens = logProb.
      const want = model.logProb({ data: src, shape: [N, S] }, { data: tgt, shape: [N, T] }, { srcLengths, tgtLengths });
      const tf = await run(o, enc, dec, src, srcLengths, N, S, T, (s) => BigInt64Array.from({ length: N }, (_, n) => BigInt(tgt[n * T + s]!)));
      const got = new Float64Array(N);
      for (let n = 0; n < N; n++) for (let s = 0; s < tgtLengths[n]!; s++) got[n] = got[n]! + tf.lp[s]![n * tgtVocab + tgt[n * T + s]!]!;
      let bad = 0;
      for (let n = 0; n < N; n++) if (!within(got[n]!, want[n]!)) bad++;
      t.equal(bad, 0, `${label}: teacher-forced Σ log p ${Array.from(got, (v) => v.toFixed(5))} vs logProb ${Array.from(want, (v) => v.toFixed(5))}`);

      // Greedy: the same tokens, scores and attention rows as translate.
      const maxLength = 8;
      const tr = model.translate({ data: src, shape: [N, S] }, { srcLengths, beam: 1, maxLength, returnAttention: extra.attention !== 'none' });
      const picked: number[][] = Array.from({ length: N }, () => []);
      const done = new Array<boolean>(N).fill(false), score = new Float64Array(N);
      const g = await run(o, enc, dec, src, srcLengths, N, S, maxLength, (s, lp, V) => BigInt64Array.from({ length: N }, (_, n) => {
        let best = EOS; // pad and bos are never generated
        for (let v = 0; v < V; v++) if (v !== PAD && v !== BOS && lp[n * V + v]! > lp[n * V + best]!) best = v;
        if (!done[n]) { score[n] = score[n]! + lp[n * V + best]!; if (best === EOS) done[n] = true; else picked[n]!.push(best); }
        return BigInt(best);
      }));
      t.same(picked, tr.tokens, `${label}: greedy tokens`);
      let badScore = 0, attErr = 0;
      for (let n = 0; n < N; n++) {
        if (!within(score[n]!, tr.scores[n]!)) badScore++;
        if (!tr.attention) continue;
        const a = tr.attention[n]!, steps = a.shape[0]!, width = a.shape[1]!;
        for (let s = 0; s < steps; s++) {
          for (let j = 0; j < S; j++) {
            const mine = j < width ? a.data[s * width + j]! : 0, theirs = g.att[s]![n * S + j]!;
            attErr = Math.max(attErr, Math.abs(mine - theirs) - (2e-4 + 2e-3 * Math.abs(mine)));
          }
        }
      }
      t.equal(badScore, 0, `${label}: greedy scores ${Array.from(score, (v) => v.toFixed(5))} vs ${tr.scores.map((v) => v.toFixed(5))}`);
      t.ok(attErr <= 0, `${label}: attention weights within 2e-4 + 2e-3·|a| (worst excess ${attErr.toExponential(2)})`);
      model.dispose();
    }
  }
});

t.test('io.toOnnx on a Seq2Seq: what it refuses', async (t) => {
  await init();
  const base = { srcVocab: 5, tgtVocab: 5, embeddingDim: 3, tokens: { pad: 0, bos: 1, eos: 2 }, seed: 1 };
  const ln = new Seq2Seq({ ...base, encoder: { cell: 'lstm', hiddenSize: 3, layerNorm: true }, decoder: { cell: 'lstm', hiddenSize: 3 } });
  t.throws(() => io.toOnnx(ln), { code: 'INVALID_ARGUMENT', message: /io\.toOnnx \(encoder\): layer is a layer-normalized LSTM, and ONNX has no such operator/ });
  ln.dispose();
  const m = new Seq2Seq({ ...base, encoder: { cell: 'gru', hiddenSize: 3 }, decoder: { cell: 'gru', hiddenSize: 3, layerNorm: true } });
  t.throws(() => io.toOnnx(m), { message: /io\.toOnnx \(decoder\): layer is a layer-normalized GRU/ });
  t.throws(() => (io.toOnnx as (m: unknown, o: unknown) => unknown)(m, { lengths: false }), { code: 'INVALID_ARGUMENT', message: /options\.lengths is false, expected no value for a Seq2Seq/ });
  m.dispose();
  t.throws(() => io.toOnnx(m), { code: 'DISPOSED', message: /io\.toOnnx/ });
});
