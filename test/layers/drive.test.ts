// The driven runner (one step at a time, the caller making each input, with
// BPTT) equals the sequence runner when fed the same inputs: outputs, final
// states, every parameter's gradient, dX and the initial states' gradients,
// for every cell (layer-normalized ones too), stacked, with padding, on every
// backend. Tolerances: outputs 2e-6 + 2e-5·|x|, gradients 5e-5 + 5e-4·|x| (the
// gradient checks' bound): the driver's per-step input GEMMs sum in another
// order than the sequence runner's one GEMM over all steps, and the layer
// norms' backward (a difference of row means) magnifies that rounding.
import t from 'tap';
import { LSTM, GRU, RNN, getBackend, type Recurrent } from '../../src/index.js';
import { forEachCurrentBackend } from '../helpers/current.js';
import { close } from '../helpers/backends.js';
import { rng, uniform } from '../helpers/rng.js';

const OA = 2e-6, OR = 2e-5, GA = 5e-5, GR = 5e-4;

function make(cell: string, I: number, H: number, L: number): Recurrent {
  const o = { inputSize: I, hiddenSize: H, numLayers: L, seed: 5 };
  if (cell === 'LSTM' || cell === 'LN_LSTM') return new LSTM({ ...o, layerNorm: cell === 'LN_LSTM' });
  if (cell === 'GRU' || cell === 'LN_GRU') return new GRU({ ...o, layerNorm: cell === 'LN_GRU' });
  return new RNN({ ...o, nonlinearity: cell === 'RELU' ? 'relu' : 'tanh' });
}

t.test('driving a layer step by step equals running the sequence', async (t) => {
  await forEachCurrentBackend(t, (t) => {
    const be = getBackend(), heap = be.heap;
    for (const cell of ['LSTM', 'GRU', 'TANH', 'RELU', 'LN_LSTM', 'LN_GRU']) {
      for (const [L, B, I, H, lengths] of [[1, 1, 3, 5, null], [2, 3, 4, 7, [5, 2, 4]], [3, 2, 5, 6, [1, 5]]] as const) {
        const T = 5, r = rng(L * 100 + B), tag = `${cell} L=${L} B=${B}${lengths ? ' masked' : ''}`;
        const a = make(cell, I, H, L), b = make(cell, I, H, L);
        const x = uniform(r, T * B * I), dy = uniform(r, T * B * H), h0 = uniform(r, L * B * H), c0 = uniform(r, L * B * H);
        const dh = uniform(r, L * B * H), dc = uniform(r, L * B * H);
        const hasC = a.hasCellState, sShape = [L, B, H];
        const full = a.forward({ data: x, shape: [T, B, I] }, { h0: { data: h0, shape: sShape }, c0: hasC ? { data: c0, shape: sShape } : undefined, lengths: lengths ?? undefined });
        const back = a.backward({ data: dy, shape: [T, B, H] }, { dh: { data: dh, shape: sShape }, dc: hasC ? { data: dc, shape: sShape } : undefined });

        const d = b.driver;
        d.ensure(T, B);
        const put = (v: Float32Array): number => { const p = heap.alloc(v.length); heap.write(p, v); return p; };
        const ph0 = put(h0), pc0 = put(c0), pdh = put(dh), pdc = put(dc);
        const masks = Array.from({ length: T }, (_, s) => (lengths ? put(Float32Array.from({ length: B }, (_, i) => (s < lengths[i]! ? 1 : 0))) : 0));
        d.begin(ph0, hasC ? pc0 : 0, false);
        const out = new Float32Array(T * B * H);
        for (let s = 0; s < T; s++) {
          heap.write(d.xSlot(s), x.subarray(s * B * I, (s + 1) * B * I));
          out.set(heap.read(d.step(masks[s]!), B * H), s * B * H);
        }
        close(t, out, full.output.data, OA, OR, `${tag}: outputs`);
        const hN = new Float32Array(L * B * H), cN = new Float32Array(L * B * H);
        for (let l = 0; l < L; l++) { hN.set(heap.read(d.state(l), B * H), l * B * H); if (hasC) cN.set(heap.read(d.state(l, true), B * H), l * B * H); }
        close(t, hN, full.h.data, OA, OR, `${tag}: final h`);
        if (hasC) close(t, cN, full.c!.data, OA, OR, `${tag}: final c`);

        d.beginBackward(pdh, hasC ? pdc : 0);
        const dx = new Float32Array(T * B * I), pdy = heap.alloc(B * H);
        for (let s = T - 1; s >= 0; s--) {
          heap.write(pdy, dy.subarray(s * B * H, (s + 1) * B * H));
          dx.set(heap.read(d.backStep(s, pdy), B * I), s * B * I);
        }
        d.endBackward();
        close(t, dx, back.dx.data, GA, GR, `${tag}: dx`);
        const dh0 = new Float32Array(L * B * H), dc0 = new Float32Array(L * B * H);
        for (let l = 0; l < L; l++) { dh0.set(heap.read(d.initialGrad(l), B * H), l * B * H); if (hasC) dc0.set(heap.read(d.initialGrad(l, true), B * H), l * B * H); }
        close(t, dh0, back.dh0.data, GA, GR, `${tag}: dh0`);
        if (hasC) close(t, dc0, back.dc0!.data, GA, GR, `${tag}: dc0`);
        const ga = a.gradStateDict(), gb = b.gradStateDict();
        for (const k of Object.keys(ga)) close(t, gb[k]!.data, ga[k]!.data, GA, GR, `${tag}: d${k}`);
        for (const p of [ph0, pc0, pdh, pdc, pdy, ...masks.filter((m) => m)]) heap.free(p);
        a.dispose(); b.dispose();
      }
    }
  });
});
