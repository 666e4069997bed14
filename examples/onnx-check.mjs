// The trained model exported to ONNX (io.toOnnx) and run by onnxruntime-node
// on the example's test inputs: its outputs must be predict's, within
// 2e-4 + 2e-3·|y| each. onnxruntime-node is one of the benchmark peers
// (npm run setup:peers); without it the check says so and passes.
import { createRequire } from 'node:module';
import { io } from '../dist/index.js';

/** onnxruntime-node from the peers, or null (said once) where it is not installed. */
function onnxRuntime() {
  try {
    return createRequire(new URL('../bench/peers/package.json', import.meta.url))('onnxruntime-node');
  } catch {
    console.log('ONNX check skipped: onnxruntime-node is not installed (npm run setup:peers)');
    return null;
  }
}

export async function onnxCheck(model, x, lengths) {
  const ort = onnxRuntime();
  if (!ort) return;
  const ours = model.predict(x, lengths ? { lengths } : {}).data;
  const bytes = io.toOnnx(model, { lengths: lengths !== undefined });
  const session = await ort.InferenceSession.create(bytes);
  const feeds = { x: x.shape.length === 2 ? new ort.Tensor('int64', BigInt64Array.from(x.data, (v) => BigInt(v)), x.shape) : new ort.Tensor('float32', x.data, x.shape) };
  if (lengths) feeds.lengths = new ort.Tensor('int32', Int32Array.from(lengths), [lengths.length]);
  const y = (await session.run(feeds)).y.data;
  let worst = 0, maxAbs = 0;
  for (let i = 0; i < ours.length; i++) {
    const d = Math.abs(y[i] - ours[i]);
    maxAbs = Math.max(maxAbs, d);
    worst = Math.max(worst, d / (2e-4 + 2e-3 * Math.abs(ours[i])));
  }
  const ok = y.length === ours.length && worst <= 1;
  console.log(`ONNX (${(bytes.length / 1024).toFixed(0)} kB) in onnxruntime-node on the ${x.shape[0]} test inputs: max |Δ| ${maxAbs.toExponential(2)} from predict (${ok ? 'within' : 'BEYOND'} 2e-4 + 2e-3·|y|)`);
  if (!ok) process.exitCode = 1;
}

/**
 * A trained Seq2Seq exported to ONNX (the encoder graph and the decoder step
 * graph) and decoded greedily by onnxruntime-node, 256 sources at a time:
 * its tokens must be translate's (`greedy`, from beam 1 with the same
 * maxLength) and its scores within 2e-4 + 2e-3·|score|.
 */
export async function onnxSeq2SeqCheck(model, src, greedy, maxLength) {
  const ort = onnxRuntime();
  if (!ort) return;
  const { pad, bos, eos } = model.config().tokens, [N, S] = src.shape;
  const { encoder, decoder } = io.toOnnx(model);
  const enc = await ort.InferenceSession.create(encoder), dec = await ort.InferenceSession.create(decoder);
  let sameTokens = 0, worstScore = 0;
  const t0 = performance.now();
  for (let at = 0; at < N; at += 256) {
    const B = Math.min(256, N - at), ids = BigInt64Array.from(src.data.subarray(at * S, (at + B) * S), BigInt);
    const lens = Int32Array.from({ length: B }, (_, b) => { let n = 0; while (n < S && src.data[(at + b) * S + n] !== pad) n++; return n; });
    const e = await enc.run({ src: new ort.Tensor('int64', ids, [B, S]), src_lengths: new ort.Tensor('int32', lens, [B]) });
    const state = { h: e.h, ...(e.c ? { c: e.c } : {}), ...(e.feed ? { feed: e.feed, keys: e.keys, src_mask: e.src_mask } : {}) };
    const tokens = Array.from({ length: B }, () => []), scores = new Float64Array(B), done = new Array(B).fill(false);
    let tok = new BigInt64Array(B).fill(BigInt(bos));
    for (let t = 0; t < maxLength && done.includes(false); t++) {
      const r = await dec.run({ token: new ort.Tensor('int64', tok, [B]), ...state });
      const lp = r.log_probs.data, V = r.log_probs.dims[1];
      state.h = r.h_out;
      if (r.c_out) state.c = r.c_out;
      if (r.feed_out) state.feed = r.feed_out;
      tok = BigInt64Array.from({ length: B }, (_, b) => {
        let best = eos; // pad and bos are never generated
        for (let v = 0; v < V; v++) if (v !== pad && v !== bos && lp[b * V + v] > lp[b * V + best]) best = v;
        if (!done[b]) { scores[b] += lp[b * V + best]; if (best === eos) done[b] = true; else tokens[b].push(best); }
        return BigInt(best);
      });
    }
    for (let b = 0; b < B; b++) {
      const want = greedy.tokens[at + b];
      if (want.length === tokens[b].length && want.every((v, j) => v === tokens[b][j])) sameTokens++;
      worstScore = Math.max(worstScore, Math.abs(scores[b] - greedy.scores[at + b]) / (2e-4 + 2e-3 * Math.abs(greedy.scores[at + b])));
    }
  }
  const ok = sameTokens === N && worstScore <= 1;
  console.log(`ONNX (encoder ${(encoder.length / 1024).toFixed(0)} kB, decoder step ${(decoder.length / 1024).toFixed(0)} kB) greedy in onnxruntime-node: ${sameTokens} of ${N} outputs equal translate's, scores ${ok ? 'within' : 'BEYOND'} 2e-4 + 2e-3·|score| (worst ${worstScore.toFixed(3)} of it), ${Math.round(N / ((performance.now() - t0) / 1000))} words/s`);
  if (!ok) process.exitCode = 1;
}
