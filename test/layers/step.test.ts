// Streaming: step() one time step at a time equals forward() over the whole
// sequence (to 1e-5: the step fuses the two input GEMMs into one, so sums
// round differently), for every cell, 1–3 layers, batch 1 and 3.
import t from 'tap';
import { LSTM, GRU, RNN, Linear, Sequential, io, type Recurrent } from '../../src/index.js';
import { forEachCurrentBackend } from '../helpers/current.js';
import { close } from '../helpers/backends.js';
import { rng, uniform } from '../helpers/rng.js';

function make(cell: string, I: number, H: number, L: number): Recurrent {
  const o = { inputSize: I, hiddenSize: H, numLayers: L, seed: 11 };
  if (cell === 'LSTM' || cell === 'LN_LSTM') return new LSTM({ ...o, layerNorm: cell === 'LN_LSTM' });
  if (cell === 'GRU' || cell === 'LN_GRU') return new GRU({ ...o, layerNorm: cell === 'LN_GRU' });
  return new RNN({ ...o, nonlinearity: cell === 'RELU' ? 'relu' : 'tanh' });
}

t.test('step equals forward', async (t) => {
  await forEachCurrentBackend(t, (t) => {
    for (const cell of ['LSTM', 'GRU', 'TANH', 'RELU', 'LN_LSTM', 'LN_GRU']) {
      for (const [L, B, I, H] of [[1, 1, 5, 7], [2, 3, 4, 9], [3, 1, 6, 33]] as const) {
        const T = 6, layer = make(cell, I, H, L);
        const x = uniform(rng(L * 10 + B), T * B * I);
        const full = layer.forward({ data: x, shape: [T, B, I] });
        const state = layer.zeroState(B);
        let first: unknown = null;
        for (let s = 0; s < T; s++) {
          const y = layer.step({ data: x.slice(s * B * I, (s + 1) * B * I), shape: [B, I] }, state);
          first ??= y;
          t.equal(y, first, 'the output tensor is reused, not reallocated');
          close(t, y.data, full.output.data.subarray(s * B * H, (s + 1) * B * H), 1e-5, 1e-5, `${cell} L=${L} B=${B} step ${s}`);
        }
        close(t, state.h.data, full.h.data, 1e-5, 1e-5, `${cell} L=${L} B=${B}: final h`);
        if (cell === 'LSTM' || cell === 'LN_LSTM') close(t, state.c!.data, full.c!.data, 1e-5, 1e-5, `${cell} L=${L} B=${B}: final c`);
        else t.equal(state.c, undefined, 'no cell state');
        state.reset();
        t.ok(state.h.data.every((v) => v === 0), 'reset zeroes the state');
        // Weights loaded after the first step are picked up (packed copies are rebuilt).
        const sd = layer.stateDict();
        for (const v of Object.values(sd)) v.data.fill(0.01);
        layer.loadStateDict(sd);
        const y = layer.step({ data: new Float32Array(B * I).fill(1), shape: [B, I] }, state);
        const want = layer.forward({ data: new Float32Array(B * I).fill(1), shape: [1, B, I] }).output.data;
        close(t, y.data, want, 1e-6, 1e-5, `${cell} L=${L}: step after loadStateDict`);
        state.dispose();
        t.throws(() => layer.step({ data: new Float32Array(B * I), shape: [B, I] }, state), { message: /step: state was disposed; make a new one with zeroState\(\)/ });
        layer.dispose();
      }
    }
  });
});

t.test('step refuses what it cannot do', async (t) => {
  await forEachCurrentBackend(t, (t) => {
    const bi = new LSTM({ inputSize: 2, hiddenSize: 3, bidirectional: true, seed: 1 });
    t.throws(() => bi.zeroState(1), { message: /LSTM\.zeroState: this\.bidirectional is true, expected false/ });
    const a = new GRU({ inputSize: 2, hiddenSize: 3, seed: 1 }), b = new GRU({ inputSize: 2, hiddenSize: 3, seed: 1 });
    const s = a.zeroState(2);
    t.throws(() => b.step({ data: new Float32Array(4), shape: [2, 2] }, s), { message: /GRU\.step: state is an object, expected a state from this layer's zeroState\(\)/ });
    t.throws(() => a.step({ data: new Float32Array(2), shape: [1, 2] }, s), { code: 'SHAPE_MISMATCH', message: /GRU\.step: xt has shape \[1,2\], expected \[2,2\]/ });
    t.throws(() => a.step({ data: new Float32Array([1, NaN, 0, 0]), shape: [2, 2] }, s), { message: /GRU\.step: xt\[0,1\] is NaN, expected a finite number/ });
    t.throws(() => a.zeroState(0), { message: /GRU\.zeroState: batch is 0, expected an integer ≥ 1/ });
  });
});

t.test('residual connections: step equals forward, save and load keep them, misuse is refused', async (t) => {
  await forEachCurrentBackend(t, (t) => {
    for (const cell of ['LSTM', 'GRU', 'TANH']) {
      for (const [L, B] of [[2, 1], [3, 3]] as const) {
        const I = 5, H = 6, T = 5;
        const o = { inputSize: I, hiddenSize: H, numLayers: L, residual: true, seed: 4 };
        const layer = cell === 'LSTM' ? new LSTM(o) : cell === 'GRU' ? new GRU(o) : new RNN(o);
        const plain = cell === 'LSTM' ? new LSTM({ ...o, residual: false }) : cell === 'GRU' ? new GRU({ ...o, residual: false }) : new RNN({ ...o, residual: false });
        const x = uniform(rng(L * 7 + B), T * B * I);
        const full = layer.forward({ data: x, shape: [T, B, I] });
        const without = plain.forward({ data: x, shape: [T, B, I] });
        t.ok(full.output.data.some((v, i) => Math.abs(v - without.output.data[i]!) > 1e-3), `${cell} L=${L}: the skip path changes the output`);
        // Layers 0 and 1 see the same inputs with or without it (the skip joins outputs only), so their states agree.
        close(t, full.h.data.subarray(0, 2 * B * H), without.h.data.subarray(0, 2 * B * H), 0, 0, `${cell} L=${L}: the first two layers' states are unchanged`);
        const state = layer.zeroState(B);
        for (let s = 0; s < T; s++) {
          const y = layer.step({ data: x.slice(s * B * I, (s + 1) * B * I), shape: [B, I] }, state);
          close(t, y.data, full.output.data.subarray(s * B * H, (s + 1) * B * H), 1e-5, 1e-5, `${cell} L=${L} B=${B} residual step ${s}`);
        }
        t.equal(layer.config().residual, true, 'config keeps residual');
        state.dispose(); layer.dispose(); plain.dispose();
      }
    }
    const m = new Sequential([new GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2, residual: true, seed: 1 }), new Linear({ inFeatures: 4, outFeatures: 1, seed: 1 })]);
    const again = io.load(io.save(m)), xs = { data: uniform(rng(5), 2 * 3 * 3), shape: [2, 3, 3] };
    t.equal(again.config().layers[0]!.residual, true, 'a saved model keeps its residual connections');
    t.same(Array.from(again.predict(xs).data), Array.from(m.predict(xs).data), 'and predicts the same');
    m.dispose(); again.dispose();
    t.throws(() => new LSTM({ inputSize: 4, hiddenSize: 4, residual: true }), { code: 'INVALID_ARGUMENT', message: /LSTM: residual is true, expected false for numLayers 1 \(residual connections join stacked layers: numLayers ≥ 2\)/ });
    t.throws(() => new GRU({ inputSize: 4, hiddenSize: 4, numLayers: 2, residual: 'yes' as never }), { message: /residual is "yes", expected true or false/ });
  });
});
