// Fused cell kernels (LSTM, GRU, Elman tanh/relu), forward and backward, on
// every backend against float64 references of PyTorch's equations, with odd
// sizes, output rows wider than H (ldy), masked (padding) rows, and the
// no-dy case. Tolerance: 4e-6 absolute + 4e-5 relative (a few f32 roundings
// on top of the activations' 3e-7).
import t from 'tap';
import type { Test } from 'tap';
import { forEachBackend, put, get, close } from '../helpers/backends.js';
import { rng, uniform } from '../helpers/rng.js';
import { sigmoid, relu } from '../helpers/ref.js';
import type { Backend } from '../../src/index.js';

const ATOL = 4e-6, RTOL = 4e-5;
const CASES: [number, number][] = [[1, 1], [1, 4], [2, 3], [3, 5], [1, 7], [4, 8], [5, 17], [2, 33], [3, 64], [1, 128]];

function masks(B: number, r: () => number): (Float32Array | null)[] {
  const m = Float32Array.from({ length: B }, () => (r() < 0.4 ? 0 : 1));
  if (B > 1) { m[0] = 1; m[1] = 0; }
  return [null, m];
}

function lstmCase(t: Test, be: Backend, B: number, H: number, mask: Float32Array | null, withDy: boolean, seed: number): void {
  const r = rng(seed), ldy = H + 3;
  const gates = uniform(r, B * 4 * H, -3, 3), cPrev = uniform(r, B * H, -2, 2), hPrev = uniform(r, B * H);
  const y0 = uniform(r, B * ldy), dy = uniform(r, B * ldy), dh0 = uniform(r, B * H), dc0 = uniform(r, B * H);
  const pg = put(be, gates), pcp = put(be, cPrev), php = put(be, hPrev), pc = be.heap.alloc(B * H), ph = be.heap.alloc(B * H);
  const pm = mask ? put(be, mask) : 0, py = put(be, y0);
  be.k.f32_lstm_cell_fwd(B, H, pg, pcp, php, pc, ph, pm, py, ldy);
  // float64 reference
  const act = new Float64Array(B * 4 * H), c = new Float64Array(B * H), h = new Float64Array(B * H), y = Float64Array.from(y0);
  const dG = new Float64Array(B * 4 * H), dh = Float64Array.from(dh0), dc = Float64Array.from(dc0);
  for (let b = 0; b < B; b++) {
    const valid = !mask || mask[b] !== 0;
    for (let j = 0; j < H; j++) {
      const o = b * 4 * H + j, s = b * H + j;
      if (!valid) { c[s] = cPrev[s]!; h[s] = hPrev[s]!; y[b * ldy + j] = 0; continue; }
      const i = sigmoid(gates[o]!), f = sigmoid(gates[o + H]!), g = Math.tanh(gates[o + 2 * H]!), og = sigmoid(gates[o + 3 * H]!);
      act[o] = i; act[o + H] = f; act[o + 2 * H] = g; act[o + 3 * H] = og;
      c[s] = f * cPrev[s]! + i * g;
      h[s] = og * Math.tanh(c[s]!);
      y[b * ldy + j] = h[s]!;
      const d = dh0[s]! + (withDy ? dy[b * ldy + j]! : 0);
      const tc = Math.tanh(c[s]!);
      const dct = d * og * (1 - tc * tc) + dc0[s]!;
      dG[o] = dct * g * i * (1 - i); dG[o + H] = dct * cPrev[s]! * f * (1 - f);
      dG[o + 2 * H] = dct * i * (1 - g * g); dG[o + 3 * H] = d * tc * og * (1 - og);
      dc[s] = dct * f; dh[s] = 0;
    }
  }
  const tag = `B=${B} H=${H}${mask ? ' masked' : ''}${withDy ? '' : ' no dy'}`;
  const gotG = get(be, pg, B * 4 * H);
  for (let b = 0; b < B; b++) {
    if (mask && mask[b] === 0) continue; // gates of padding rows are unspecified
    close(t, gotG.subarray(b * 4 * H, (b + 1) * 4 * H), act.subarray(b * 4 * H, (b + 1) * 4 * H), ATOL, RTOL, `lstm fwd gates ${tag} row ${b}`);
  }
  close(t, get(be, pc, B * H), c, ATOL, RTOL, `lstm fwd c ${tag}`);
  close(t, get(be, ph, B * H), h, ATOL, RTOL, `lstm fwd h ${tag}`);
  close(t, get(be, py, B * ldy), y, ATOL, RTOL, `lstm fwd y ${tag}`);
  const pdy = withDy ? put(be, dy) : 0, pdh = put(be, dh0), pdc = put(be, dc0), pdg = be.heap.alloc(B * 4 * H);
  be.k.f32_lstm_cell_bwd(B, H, pg, pcp, pc, pm, pdy, ldy, pdh, pdc, pdg);
  close(t, get(be, pdg, B * 4 * H), dG, ATOL, RTOL, `lstm bwd dGates ${tag}`);
  close(t, get(be, pdh, B * H), dh, ATOL, RTOL, `lstm bwd dh ${tag}`);
  close(t, get(be, pdc, B * H), dc, ATOL, RTOL, `lstm bwd dc ${tag}`);
}

function gruCase(t: Test, be: Backend, B: number, H: number, mask: Float32Array | null, withDy: boolean, seed: number): void {
  const r = rng(seed), ldy = 2 * H + 1;
  const gx = uniform(r, B * 3 * H, -3, 3), gh = uniform(r, B * 3 * H, -3, 3), hPrev = uniform(r, B * H);
  const y0 = uniform(r, B * ldy), dy = uniform(r, B * ldy), dh0 = uniform(r, B * H);
  const pgx = put(be, gx), pgh = put(be, gh), php = put(be, hPrev), ph = be.heap.alloc(B * H);
  const pm = mask ? put(be, mask) : 0, py = put(be, y0);
  be.k.f32_gru_cell_fwd(B, H, pgx, pgh, php, ph, pm, py, ldy);
  const act = new Float64Array(B * 3 * H), h = new Float64Array(B * H), y = Float64Array.from(y0);
  const dGx = new Float64Array(B * 3 * H), dGh = new Float64Array(B * 3 * H), dh = Float64Array.from(dh0);
  for (let b = 0; b < B; b++) {
    const valid = !mask || mask[b] !== 0;
    for (let j = 0; j < H; j++) {
      const o = b * 3 * H + j, s = b * H + j;
      if (!valid) { h[s] = hPrev[s]!; y[b * ldy + j] = 0; continue; }
      const rr = sigmoid(gx[o]! + gh[o]!), z = sigmoid(gx[o + H]! + gh[o + H]!);
      const n = Math.tanh(gx[o + 2 * H]! + rr * gh[o + 2 * H]!);
      act[o] = rr; act[o + H] = z; act[o + 2 * H] = n;
      h[s] = (1 - z) * n + z * hPrev[s]!;
      y[b * ldy + j] = h[s]!;
      const d = dh0[s]! + (withDy ? dy[b * ldy + j]! : 0);
      const dn = d * (1 - z) * (1 - n * n), dz = d * (hPrev[s]! - n) * z * (1 - z);
      const dr = dn * gh[o + 2 * H]! * rr * (1 - rr);
      dGx[o] = dr; dGx[o + H] = dz; dGx[o + 2 * H] = dn;
      dGh[o] = dr; dGh[o + H] = dz; dGh[o + 2 * H] = dn * rr;
      dh[s] = d * z;
    }
  }
  const tag = `B=${B} H=${H}${mask ? ' masked' : ''}${withDy ? '' : ' no dy'}`;
  const gotG = get(be, pgx, B * 3 * H);
  for (let b = 0; b < B; b++) {
    if (mask && mask[b] === 0) continue;
    close(t, gotG.subarray(b * 3 * H, (b + 1) * 3 * H), act.subarray(b * 3 * H, (b + 1) * 3 * H), ATOL, RTOL, `gru fwd gates ${tag} row ${b}`);
  }
  t.same(get(be, pgh, B * 3 * H), gh, `gru fwd keeps gh ${tag}`);
  close(t, get(be, ph, B * H), h, ATOL, RTOL, `gru fwd h ${tag}`);
  close(t, get(be, py, B * ldy), y, ATOL, RTOL, `gru fwd y ${tag}`);
  const pdy = withDy ? put(be, dy) : 0, pdh = put(be, dh0), pdx = be.heap.alloc(B * 3 * H), pdhh = be.heap.alloc(B * 3 * H);
  be.k.f32_gru_cell_bwd(B, H, pgx, pgh, php, pm, pdy, ldy, pdh, pdx, pdhh);
  close(t, get(be, pdx, B * 3 * H), dGx, ATOL, RTOL, `gru bwd dGx ${tag}`);
  close(t, get(be, pdhh, B * 3 * H), dGh, ATOL, RTOL, `gru bwd dGh ${tag}`);
  close(t, get(be, pdh, B * H), dh, ATOL, RTOL, `gru bwd dh ${tag}`);
}

function rnnCase(t: Test, be: Backend, B: number, H: number, actId: number, mask: Float32Array | null, withDy: boolean, seed: number): void {
  const r = rng(seed), ldy = H;
  const g = uniform(r, B * H, -3, 3), hPrev = uniform(r, B * H), y0 = uniform(r, B * ldy), dy = uniform(r, B * ldy), dh0 = uniform(r, B * H);
  const pg = put(be, g), php = put(be, hPrev), ph = be.heap.alloc(B * H), pm = mask ? put(be, mask) : 0, py = put(be, y0);
  be.k.f32_rnn_cell_fwd(B, H, actId, pg, php, ph, pm, py, ldy);
  const f = actId ? relu : Math.tanh;
  const h = new Float64Array(B * H), y = Float64Array.from(y0), dG = new Float64Array(B * H), dh = Float64Array.from(dh0);
  for (let b = 0; b < B; b++) {
    const valid = !mask || mask[b] !== 0;
    for (let j = 0; j < H; j++) {
      const s = b * H + j;
      if (!valid) { h[s] = hPrev[s]!; y[b * ldy + j] = 0; continue; }
      h[s] = f(g[s]!);
      y[b * ldy + j] = h[s]!;
      const d = dh0[s]! + (withDy ? dy[b * ldy + j]! : 0);
      dG[s] = actId ? (h[s]! > 0 ? d : 0) : d * (1 - h[s]! * h[s]!);
      dh[s] = 0;
    }
  }
  const tag = `${actId ? 'relu' : 'tanh'} B=${B} H=${H}${mask ? ' masked' : ''}${withDy ? '' : ' no dy'}`;
  close(t, get(be, ph, B * H), h, ATOL, RTOL, `rnn fwd h ${tag}`);
  close(t, get(be, py, B * ldy), y, ATOL, RTOL, `rnn fwd y ${tag}`);
  t.same(get(be, pg, B * H), g, `rnn fwd keeps g ${tag}`);
  const pdy = withDy ? put(be, dy) : 0, pdh = put(be, dh0), pdg = be.heap.alloc(B * H);
  be.k.f32_rnn_cell_bwd(B, H, actId, ph, pm, pdy, ldy, pdh, pdg);
  close(t, get(be, pdg, B * H), dG, ATOL, RTOL, `rnn bwd dG ${tag}`);
  close(t, get(be, pdh, B * H), dh, ATOL, RTOL, `rnn bwd dh ${tag}`);
}

t.test('cell kernels against float64 references', async (t) => {
  await forEachBackend(t, (t, be) => {
    let seed = 1;
    for (const [B, H] of CASES) {
      for (const mask of masks(B, rng(B * 31 + H))) {
        for (const withDy of [true, false]) {
          const mark = be.heap.alloc(0);
          lstmCase(t, be, B, H, mask, withDy, seed++);
          gruCase(t, be, B, H, mask, withDy, seed++);
          rnnCase(t, be, B, H, 0, mask, withDy, seed++);
          rnnCase(t, be, B, H, 1, mask, withDy, seed++);
          be.heap.free(mark);
        }
      }
    }
  });
});
