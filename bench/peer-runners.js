// The runners of bench/peers.js: simd-rnn (each backend, one or two threads,
// int8) and its peers, each a function that prepares a workload and returns
// { fn, async?, out?, per, note?, dispose? } or { skip: why }. A runner is
// made again in every round (simd-rnn's init() and tfjs's setBackend() are
// global), so each job frees what it made (dispose).
import { dirname, join } from 'node:path';
import { init, tensor, quantize, LSTM, GRU, Linear, Sequential, optim } from '../dist/index.js';

/** [T, B, F] time-major → [B, T, F]. */
export const toBatchFirst = (x, T, B, F) => {
  const out = new Float32Array(x.length);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) out.set(x.subarray((t * B + b) * F, (t * B + b + 1) * F), (b * T + t) * F);
  return out;
};

/** [B, T, F] → [T, B, F] time-major. */
const toTimeMajor = (y, T, B, F) => {
  const out = new Float32Array(y.length);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out.set(y.subarray((b * T + t) * F, (b * T + t + 1) * F), (t * B + b) * F);
  return out;
};

/**
 * The runners, [name, make] in report order; make() resolves a function of
 * a workload. `data[w.id]` holds { sd, x, onnx }; `require` resolves the
 * peers (bench/peers/node_modules).
 */
export function runners({ data, T, I, require }) {
  async function simdRnn(backendName, threads = 1, int8 = false) {
    await init({ backend: backendName, threads });
    return (w) => {
      const d = data[w.id], Cell = w.cell === 'LSTM' ? LSTM : GRU;
      if (int8 && w.kind === 'train') return { skip: 'int8 is for inference' };
      const mk = () => {
        const l = new Cell({ inputSize: I, hiddenSize: w.H, numLayers: w.layers, bidirectional: w.bidirectional, seed: 9 });
        l.loadStateDict(d.sd);
        if (!int8) return l;
        const q = quantize(l);
        l.dispose();
        return q;
      };
      if (w.kind === 'infer') {
        const l = mk(), x = tensor(d.x, [T, w.B, I]);
        return { fn: () => l.forward(x), out: () => l.forward(x).output.data, per: w.B, dispose: () => l.dispose() };
      }
      if (w.kind === 'step') {
        const l = mk(), st = l.zeroState(1), xt = d.x.subarray(0, I);
        return { fn: () => l.step(xt, st), per: 1, dispose: () => l.dispose() };
      }
      const l = mk();
      const model = new Sequential([l, new Linear({ inFeatures: w.H, outFeatures: 1, seed: 3 })]);
      model.compile({ optimizer: optim.adam({ lr: 1e-3 }), loss: 'mse' });
      const x = tensor(toBatchFirst(d.x, T, w.B, I), [w.B, T, I]), y = tensor(new Float32Array(w.B), [w.B, 1]);
      return { fn: () => model.trainOnBatch(x, y), per: w.B, dispose: () => model.dispose() };
    };
  }

  async function tfjs(backendName) {
    const tf = require('@tensorflow/tfjs');
    if (backendName === 'wasm') {
      const wasm = require('@tensorflow/tfjs-backend-wasm');
      wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/'));
    }
    await tf.setBackend(backendName);
    await tf.ready();
    return (w) => {
      if (w.layers > 1 || w.bidirectional) return { skip: 'not built (tfjs bidirectional stack omitted)' };
      const d = data[w.id], G = w.cell === 'LSTM' ? 4 : 3, Hh = w.H;
      const transpose = (a, rows, cols) => { const o = new Float32Array(a.length); for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) o[c * rows + r] = a[r * cols + c]; return o; };
      const model = tf.sequential();
      const layerOpts = { units: Hh, returnSequences: true, inputShape: [w.kind === 'step' ? 1 : T, I], recurrentActivation: 'sigmoid', kernelInitializer: 'zeros', recurrentInitializer: 'zeros' };
      // tfjs's GRU has no reset_after: it applies r before the recurrent product, unlike PyTorch (and us).
      model.add(w.cell === 'LSTM' ? tf.layers.lstm({ ...layerOpts, unitForgetBias: false }) : tf.layers.gru(layerOpts));
      if (w.kind === 'train') { model.add(tf.layers.globalAveragePooling1d()); model.add(tf.layers.dense({ units: 1 })); }
      // Weights: kernel [I, G·H] = W_ihᵀ, recurrent [H, G·H] = W_hhᵀ (gate order i,f,g,o = Keras i,f,c,o).
      let wih = d.sd.weight_ih_l0.data, whh = d.sd.weight_hh_l0.data;
      let bias = Float32Array.from(d.sd.bias_ih_l0.data, (v, i) => v + d.sd.bias_hh_l0.data[i]);
      if (w.cell === 'GRU') {
        // Keras order z, r, h; with resetAfter the bias is [input bias; recurrent bias].
        const re = (m, K) => { const o = new Float32Array(m.length); [1, 0, 2].forEach((g, j) => o.set(m.subarray(g * Hh * K, (g + 1) * Hh * K), j * Hh * K)); return o; };
        wih = re(wih, I); whh = re(whh, Hh);
        bias = re(bias, 1);
      }
      model.layers[0].setWeights([tf.tensor(transpose(wih, G * Hh, I), [I, G * Hh]), tf.tensor(transpose(whh, G * Hh, Hh), [Hh, G * Hh]), tf.tensor(bias, [G * Hh])]);
      const Tx = w.kind === 'step' ? 1 : T;
      const x = tf.tensor(toBatchFirst(d.x, T, w.B, I).subarray(0, w.B * Tx * I), [w.B, Tx, I]);
      const dispose = () => { model.dispose(); x.dispose(); };
      const predict = () => tf.tidy(() => model.predict(x).dataSync());
      if (w.kind === 'infer') return { fn: predict, out: () => toTimeMajor(predict(), T, w.B, Hh), per: w.B, dispose };
      if (w.kind === 'step') return { fn: predict, per: 1, note: 'one predict of one step (stateless)', dispose };
      model.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
      const y = tf.zeros([w.B, 1]);
      return { fn: () => model.trainOnBatch(x, y), async: true, per: w.B, note: 'head: mean over time + dense', dispose: () => { dispose(); y.dispose(); } };
    };
  }

  async function onnx(kind, threads = 1) {
    const ort = kind === 'web' ? require('onnxruntime-web') : require('onnxruntime-node');
    if (kind === 'web') { ort.env.wasm.numThreads = threads; ort.env.wasm.simd = true; }
    return async (w) => {
      if (w.kind !== 'infer') return { skip: 'inference only' };
      const d = data[w.id];
      const session = await ort.InferenceSession.create(d.onnx, kind === 'web'
        ? { executionProviders: ['wasm'] }
        : { intraOpNumThreads: threads, interOpNumThreads: 1, executionProviders: ['cpu'] });
      const feeds = { x: new ort.Tensor('float32', d.x, [T, w.B, I]) };
      return { fn: () => session.run(feeds), async: true, out: async () => (await session.run(feeds)).y.data, per: w.B, dispose: () => session.release() };
    };
  }

  function brain() {
    const b = require('brain.js');
    return (w) => {
      if (w.B !== 1 && w.kind === 'infer') return { skip: 'no batches' };
      if (w.layers > 1) return { skip: 'no bidirectional layers' };
      const Net = w.cell === 'LSTM' ? b.recurrent.LSTMTimeStep : b.recurrent.GRUTimeStep;
      const net = new Net({ inputSize: I, hiddenLayers: [w.H], outputSize: I });
      const d = data[w.id];
      const seq = Array.from({ length: T }, (_, t) => Array.from(d.x.subarray(t * w.B * I, t * w.B * I + I)));
      net.train([seq], { iterations: 1 }); // builds the network
      if (w.kind === 'infer') return { fn: () => net.run(seq), per: 1, note: w.cell === 'LSTM' ? 'its own math (no cell state in LSTMTimeStep); per sequence' : 'its own math (GRUTimeStep); per sequence' };
      if (w.kind === 'step') return { fn: () => net.run([seq[0]]), per: 1, note: 'one run of a one-step sequence' };
      return { fn: () => net.train([seq], { iterations: 1, log: false }), per: 1, note: 'one sequence per step (no batches)' };
    };
  }

  return [
    ['simd-rnn wasm-simd', () => simdRnn('wasm-simd')],
    ['simd-rnn wasm', () => simdRnn('wasm')],
    ['simd-rnn js', () => simdRnn('js')],
    // quantize(): int8 weights, the same layers (its outputs differ from f32 by the int8 rounding, shown).
    ['simd-rnn int8', () => simdRnn('wasm-simd', 1, true)],
    ['tfjs wasm', () => tfjs('wasm')],
    ['tfjs cpu', () => tfjs('cpu')],
    ['onnxruntime-web wasm', () => onnx('web')],
    ['onnxruntime-node', () => onnx('node')],
    ['brain.js', () => brain()],
    // Two threads each (init({ threads: 2 }); numThreads; intraOpNumThreads; torch.set_num_threads): "ours ×" of these rows is simd-rnn ×2 ÷ the peer ×2.
    ['simd-rnn wasm-simd ×2', () => simdRnn('wasm-simd', 2)],
    ['simd-rnn int8 ×2', () => simdRnn('wasm-simd', 2, true)],
    // The relaxed-SIMD build (fused multiply-add; Node 20 needs --experimental-wasm-relaxed-simd, which npm run bench:peers passes) and its threaded twin.
    ['simd-rnn wasm-relaxed', () => simdRnn('wasm-relaxed')],
    ['simd-rnn wasm-relaxed ×2', () => simdRnn('wasm-relaxed', 2)],
    ['onnxruntime-web wasm ×2', () => onnx('web', 2)],
    ['onnxruntime-node ×2', () => onnx('node', 2)],
  ];
}
