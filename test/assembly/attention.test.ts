// Attention kernels (dot and additive scores, masked softmax, context) and
// the log-softmax, on every backend, against float64 references: forward
// against the equations, backward against central finite differences of the
// float64 forward. Odd sizes, padded sources, a sentence with no real
// position, and beams sharing their sentence's keys (group > 1).
// Tolerances: forward 2e-6 + 2e-5·|x|, backward 2e-5 + 2e-4·|x|.
import t from 'tap';
import type { Test } from 'tap';
import { forEachBackend, put, get, close } from '../helpers/backends.js';
import { rng, uniform } from '../helpers/rng.js';
import type { Backend } from '../../src/index.js';

const FD = 1e-6;

interface Case { R: number; S: number; K: number; A: number; group: number; lengths: number[] }
const CASES: Case[] = [
  { R: 1, S: 1, K: 1, A: 1, group: 1, lengths: [1] },
  { R: 3, S: 5, K: 7, A: 6, group: 1, lengths: [5, 2, 4] },
  { R: 6, S: 4, K: 9, A: 5, group: 3, lengths: [4, 1] },
  { R: 4, S: 6, K: 16, A: 12, group: 2, lengths: [0, 6] },
  { R: 2, S: 9, K: 33, A: 17, group: 1, lengths: [9, 7] },
];

// Softmax over the real positions of scores e, then the context; alpha 0 and ctx 0 without a real position.
function attend(S: number, K: number, e: Float64Array, key: (j: number, i: number) => number, valid: (j: number) => boolean): { alpha: Float64Array; ctx: Float64Array } {
  const alpha = new Float64Array(S), ctx = new Float64Array(K);
  let m = -Infinity;
  for (let j = 0; j < S; j++) if (valid(j)) m = Math.max(m, e[j]!);
  if (m === -Infinity) return { alpha, ctx };
  let z = 0;
  for (let j = 0; j < S; j++) if (valid(j)) { alpha[j] = Math.exp(e[j]! - m); z += alpha[j]!; }
  for (let j = 0; j < S; j++) { alpha[j] = alpha[j]! / z; for (let i = 0; i < K; i++) ctx[i] += alpha[j]! * key(j, i); }
  return { alpha, ctx };
}

function attnCase(t: Test, be: Backend, c: Case, additive: boolean, seed: number): void {
  const { R, S, K, A, group, lengths } = c, Bk = R / group, r = rng(seed);
  const tag = `${additive ? 'additive' : 'dot'} R=${R} S=${S} K=${K}${additive ? ` A=${A}` : ''} group=${group} lengths=${lengths.join(',')}`;
  const q = uniform(r, R * K), keys = uniform(r, S * Bk * K), u = uniform(r, R * A), P = uniform(r, S * Bk * A), v = uniform(r, A);
  const mask = Float32Array.from({ length: S * Bk }, (_, i) => (Math.floor(i / Bk) < lengths[i % Bk]! ? 1 : 0));
  const dctx = uniform(r, R * K);
  const f64 = { q: Float64Array.from(q), keys: Float64Array.from(keys), u: Float64Array.from(u), P: Float64Array.from(P), v: Float64Array.from(v) };
  const forward = (): { alpha: Float64Array; ctx: Float64Array } => {
    const alpha = new Float64Array(R * S), ctx = new Float64Array(R * K);
    for (let row = 0; row < R; row++) {
      const b = Math.floor(row / group), key = (j: number, i: number): number => f64.keys[(j * Bk + b) * K + i]!;
      const e = new Float64Array(S);
      for (let j = 0; j < S; j++) {
        let s = 0;
        if (additive) for (let a = 0; a < A; a++) s += f64.v[a]! * Math.tanh(f64.u[row * A + a]! + f64.P[(j * Bk + b) * A + a]!);
        else for (let i = 0; i < K; i++) s += f64.q[row * K + i]! * key(j, i);
        e[j] = s;
      }
      const o = attend(S, K, e, key, (j) => mask[j * Bk + b] !== 0);
      alpha.set(o.alpha, row * S);
      ctx.set(o.ctx, row * K);
    }
    return { alpha, ctx };
  };
  const ref = forward();
  const pq = put(be, q), pk = put(be, keys), pu = put(be, u), pP = put(be, P), pv = put(be, v), pm = put(be, mask);
  const pa = be.heap.alloc(R * S), pc = be.heap.alloc(R * K);
  be.heap.write(pa, new Float32Array(R * S).fill(NaN)); // every weight must be written
  if (additive) be.k.f32_attn_additive_fwd(R, S, A, K, group, pu, pP, pv, pk, pm, pa, pc);
  else be.k.f32_attn_dot_fwd(R, S, K, group, pq, pk, pm, pa, pc);
  close(t, get(be, pa, R * S), ref.alpha, 2e-6, 2e-5, `${tag}: alpha (0 at padding)`);
  close(t, get(be, pc, R * K), ref.ctx, 2e-6, 2e-5, `${tag}: context`);

  const loss = (): number => { const o = forward(); let s = 0; for (let i = 0; i < R * K; i++) s += o.ctx[i]! * dctx[i]!; return s; };
  const fd = (a: Float64Array): Float64Array => a.map((x, i) => { a[i] = x + FD; const up = loss(); a[i] = x - FD; const dn = loss(); a[i] = x; return (up - dn) / (2 * FD); });
  const pdc = put(be, dctx), pde = be.heap.alloc(S);
  const dk0 = uniform(r, S * Bk * K), pdk = put(be, dk0); // accumulates
  const AT = 2e-5, RT = 2e-4;
  if (additive) {
    const dP0 = uniform(r, S * Bk * A), dv0 = uniform(r, A);
    const pdu = be.heap.alloc(R * A), pdP = put(be, dP0), pdv = put(be, dv0);
    be.k.f32_attn_additive_bwd(R, S, A, K, group, pu, pP, pv, pk, pa, pdc, pdu, pdP, pdv, pdk, pde);
    close(t, get(be, pdu, R * A), fd(f64.u), AT, RT, `${tag}: du`);
    close(t, get(be, pdP, S * Bk * A), fd(f64.P).map((x, i) => x + dP0[i]!), AT, RT, `${tag}: dP accumulates`);
    close(t, get(be, pdv, A), fd(f64.v).map((x, i) => x + dv0[i]!), AT, RT, `${tag}: dv accumulates`);
    // Only the context path reaches the keys here (the score path goes through dP).
    const ctxOnly = new Float64Array(S * Bk * K);
    for (let row = 0; row < R; row++) {
      const b = Math.floor(row / group);
      for (let j = 0; j < S; j++) for (let i = 0; i < K; i++) ctxOnly[(j * Bk + b) * K + i] += ref.alpha[row * S + j]! * dctx[row * K + i]!;
    }
    close(t, get(be, pdk, S * Bk * K), ctxOnly.map((x, i) => x + dk0[i]!), AT, RT, `${tag}: dkeys (context path) accumulates`);
  } else {
    const pdq = be.heap.alloc(R * K);
    be.k.f32_attn_dot_bwd(R, S, K, group, pq, pk, pa, pdc, pdq, pdk, pde);
    close(t, get(be, pdq, R * K), fd(f64.q), AT, RT, `${tag}: dq`);
    close(t, get(be, pdk, S * Bk * K), fd(f64.keys).map((x, i) => x + dk0[i]!), AT, RT, `${tag}: dkeys accumulates`);
  }
}

t.test('attention kernels against float64 references and finite differences', async (t) => {
  await forEachBackend(t, (t, be) => {
    let seed = 1;
    for (const c of CASES) {
      const mark = be.heap.alloc(0);
      attnCase(t, be, c, false, seed++);
      attnCase(t, be, c, true, seed++);
      be.heap.free(mark);
    }
  });
});

t.test('f32_log_softmax_rows against float64', async (t) => {
  await forEachBackend(t, (t, be) => {
    for (const [rows, n] of [[1, 1], [3, 5], [4, 45], [2, 1000]] as [number, number][]) {
      const x = uniform(rng(rows + n), rows * n, -20, 20), px = put(be, x), py = be.heap.alloc(rows * n);
      be.k.f32_log_softmax_rows(rows, n, px, py);
      const want = new Float64Array(rows * n);
      for (let r = 0; r < rows; r++) {
        let m = -Infinity, z = 0;
        for (let c = 0; c < n; c++) m = Math.max(m, x[r * n + c]!);
        for (let c = 0; c < n; c++) z += Math.exp(x[r * n + c]! - m);
        for (let c = 0; c < n; c++) want[r * n + c] = x[r * n + c]! - m - Math.log(z);
      }
      close(t, get(be, py, rows * n), want, 1e-6, 1e-6, `[${rows},${n}]`);
      be.k.f32_log_softmax_rows(rows, n, px, px);
      close(t, get(be, px, rows * n), want, 1e-6, 1e-6, `[${rows},${n}] in place`);
      be.heap.free(px); be.heap.free(py);
    }
  });
});
