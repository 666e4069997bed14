// The attention layer through its public API, on every backend: outputs
// against a float64 reference of its equations and every gradient (queries,
// keys, each parameter) against central finite differences of it, for the
// three scores, padded sources and beams sharing keys (group > 1); errors.
// Tolerances: forward 2e-6 + 2e-5·|x|, gradients 5e-5 + 5e-4·|x| (the gradient checks' bound).
import t from 'tap';
import { Attention, init, type Tensor } from '../../src/index.js';
import { forEachCurrentBackend } from '../helpers/current.js';
import { close } from '../helpers/backends.js';
import { rng, uniform } from '../helpers/rng.js';

type Score = 'dot' | 'general' | 'additive';
const FD = 1e-6;

// h̃ for every row, in float64.
function reference(score: Score, P: Record<string, Float64Array>, q: Float64Array, keys: Float64Array, B: number, S: number, Hq: number, K: number, A: number, group: number, lengths: number[]): Float64Array {
  const R = B * group, out = new Float64Array(R * Hq);
  for (let r = 0; r < R; r++) {
    const b = Math.floor(r / group), key = (j: number, i: number): number => keys[(b * S + j) * K + i]!;
    const qr = q.subarray(r * Hq, (r + 1) * Hq);
    let qs = qr;
    if (score === 'general') { qs = new Float64Array(K); for (let i = 0; i < K; i++) for (let h = 0; h < Hq; h++) qs[i] += P['linear_in.weight']![i * Hq + h]! * qr[h]!; }
    const e = new Float64Array(S);
    for (let j = 0; j < lengths[b]!; j++) {
      if (score === 'additive') {
        for (let a = 0; a < A; a++) {
          let z = P['linear_query.bias']![a]!;
          for (let h = 0; h < Hq; h++) z += P['linear_query.weight']![a * Hq + h]! * qr[h]!;
          for (let i = 0; i < K; i++) z += P['linear_context.weight']![a * K + i]! * key(j, i);
          e[j] += P.v![a]! * Math.tanh(z);
        }
      } else for (let i = 0; i < K; i++) e[j] += qs[i]! * key(j, i);
    }
    const c = new Float64Array(K);
    if (lengths[b]! > 0) {
      let m = -Infinity, z = 0;
      for (let j = 0; j < lengths[b]!; j++) m = Math.max(m, e[j]!);
      const w = new Float64Array(S);
      for (let j = 0; j < lengths[b]!; j++) { w[j] = Math.exp(e[j]! - m); z += w[j]!; }
      for (let j = 0; j < lengths[b]!; j++) for (let i = 0; i < K; i++) c[i] += (w[j]! / z) * key(j, i);
    }
    const Wo = P['linear_out.weight']!;
    for (let h = 0; h < Hq; h++) {
      let s = 0;
      for (let i = 0; i < K; i++) s += Wo[h * (K + Hq) + i]! * c[i]!;
      for (let i = 0; i < Hq; i++) s += Wo[h * (K + Hq) + K + i]! * qr[i]!;
      out[r * Hq + h] = Math.tanh(s);
    }
  }
  return out;
}

t.test('attention layers: outputs and every gradient against float64', async (t) => {
  await forEachCurrentBackend(t, (t) => {
    const cases: [Score, number, number, number, number, number, number, number[]][] = [
      // score, B, S, Hq, K, A, group, lengths
      ['dot', 2, 4, 5, 5, 5, 1, [4, 2]],
      ['dot', 2, 3, 6, 6, 6, 3, [1, 3]],
      ['general', 3, 5, 4, 7, 4, 1, [5, 1, 3]],
      ['general', 1, 6, 9, 3, 9, 2, [6]],
      ['additive', 2, 4, 5, 6, 7, 1, [3, 4]],
      ['additive', 2, 5, 3, 8, 4, 2, [2, 5]],
    ];
    let seed = 1;
    for (const [score, B, S, Hq, K, A, group, lengths] of cases) {
      const r = rng(seed++), R = B * group, tag = `${score} B=${B} S=${S} Hq=${Hq} K=${K} group=${group}`;
      const att = new Attention({ score, queryDim: Hq, keyDim: K, attentionDim: A, seed: 3 });
      const sd = att.stateDict();
      for (const v of Object.values(sd)) v.data.set(uniform(r, v.data.length, -0.7, 0.7));
      att.loadStateDict(sd);
      const q = uniform(r, R * Hq), keys = uniform(r, B * S * K);
      // Padding positions hold garbage: they must get no weight.
      for (let b = 0; b < B; b++) for (let j = lengths[b]!; j < S; j++) for (let i = 0; i < K; i++) keys[(b * S + j) * K + i] = 9;
      const dOut = uniform(r, R * Hq);
      const P64: Record<string, Float64Array> = Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, Float64Array.from(v.data)]));
      const q64 = Float64Array.from(q), k64 = Float64Array.from(keys);
      const ref = reference(score, P64, q64, k64, B, S, Hq, K, A, group, lengths);
      const fwd = att.forward({ data: q, shape: [R, Hq] }, { data: keys, shape: [B, S, K] }, { lengths, group });
      close(t, fwd.output.data, ref, 2e-6, 2e-5, `${tag}: output`);
      const w = fwd.weights.data;
      t.ok(lengths.every((len, b) => { for (let g = 0; g < group; g++) for (let j = len; j < S; j++) if (w[(b * group + g) * S + j] !== 0) return false; return true; }), `${tag}: padding gets weight 0`);
      const loss = (): number => { const o = reference(score, P64, q64, k64, B, S, Hq, K, A, group, lengths); let s = 0; for (let i = 0; i < o.length; i++) s += o[i]! * dOut[i]!; return s; };
      const fd = (a: Float64Array): Float64Array => a.map((x, i) => { a[i] = x + FD; const up = loss(); a[i] = x - FD; const dn = loss(); a[i] = x; return (up - dn) / (2 * FD); });
      const bwd = att.backward({ data: dOut, shape: [R, Hq] });
      close(t, bwd.dQuery.data, fd(q64), 5e-5, 5e-4, `${tag}: dQuery`);
      close(t, bwd.dKeys.data, fd(k64), 5e-5, 5e-4, `${tag}: dKeys`);
      const g = att.gradStateDict();
      for (const k of Object.keys(P64)) close(t, g[k]!.data, fd(P64[k]!), 5e-5, 5e-4, `${tag}: d${k}`);
      // Backward accumulates into the parameter gradients.
      att.backward({ data: dOut, shape: [R, Hq] });
      const g2 = att.gradStateDict();
      for (const k of Object.keys(g)) close(t, g2[k]!.data, g[k]!.data.map((v) => 2 * v), 1e-6, 1e-5, `${tag}: d${k} accumulates`);
      att.dispose();
    }
  });
});

t.test('attention options and arguments are checked', async (t) => {
  await init();
  t.throws(() => new Attention({ score: 'dot', queryDim: 4, keyDim: 6 }), { message: /Attention: keyDim is 6, expected 4 \(the 'dot' score needs keys as wide as queries/ });
  t.throws(() => new Attention({ score: 'concat' as never, queryDim: 4, keyDim: 6 }), { message: /score is "concat", expected 'dot' \| 'general' \| 'additive'/ });
  const att = new Attention({ score: 'general', queryDim: 4, keyDim: 6, seed: 1 });
  const keys: Tensor = { data: new Float32Array(2 * 3 * 6), shape: [2, 3, 6] };
  t.throws(() => att.forward({ data: new Float32Array(12), shape: [3, 4] }, keys), { message: /query has shape \[3,4\], expected \[2,4\]/ });
  t.throws(() => att.forward({ data: new Float32Array(8), shape: [2, 4] }, keys, { lengths: [3, 4] }), { message: /lengths\[1\] is 4, expected an integer in \[0, 3\]/ });
  t.throws(() => att.backward({ data: new Float32Array(8), shape: [2, 4] }), { message: /no forward pass/ });
  att.dispose();
  t.throws(() => att.forward({ data: new Float32Array(8), shape: [2, 4] }, keys), { code: 'DISPOSED' });
});
