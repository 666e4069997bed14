// Layer norm rows and the layer-normalized cells' kernels (LN-LSTM, LN-GRU),
// on every backend, against float64 references: forward against the
// equations, backward against central finite differences of the float64
// forward (through both layer norms, so f32_layer_norm_rows, the fused
// forward and the fused backward are checked together). Odd sizes, output
// rows wider than H, masked rows, no dy; parameter gradients must accumulate.
// Tolerances: forward 4e-6 + 4e-5·|x|, backward 2e-5 + 2e-4·|x| (the norms'
// backward subtracts row means, which costs a few f32 roundings more).
import t from 'tap';
import type { Test } from 'tap';
import { forEachBackend, put, get, close } from '../helpers/backends.js';
import { rng, uniform } from '../helpers/rng.js';
import { sigmoid } from '../helpers/ref.js';
import type { Backend } from '../../src/index.js';

const EPS = 1e-5, FD = 1e-6;
const CASES: [number, number][] = [[1, 1], [2, 3], [3, 5], [1, 8], [5, 17], [2, 33], [3, 64]];

function norm64(v: ArrayLike<number>, off: number, n: number): { xh: Float64Array; rstd: number } {
  let mu = 0;
  for (let j = 0; j < n; j++) mu += v[off + j]!;
  mu /= n;
  let s = 0;
  for (let j = 0; j < n; j++) s += (v[off + j]! - mu) ** 2;
  const rstd = 1 / Math.sqrt(s / n + EPS);
  return { xh: Float64Array.from({ length: n }, (_, j) => (v[off + j]! - mu) * rstd), rstd };
}

t.test('f32_layer_norm_rows against float64', async (t) => {
  await forEachBackend(t, (t, be) => {
    for (const [rows, n] of [[1, 1], [1, 4], [3, 7], [4, 64], [2, 513]] as [number, number][]) {
      const r = rng(rows * 1000 + n);
      // An offset mean far from 0: the two-pass variance must keep its digits.
      const x = uniform(r, rows * n, 99, 101);
      const px = put(be, x), pr = be.heap.alloc(rows);
      be.k.f32_layer_norm_rows(rows, n, EPS, px, pr);
      const want = new Float64Array(rows * n), wr = new Float64Array(rows);
      for (let i = 0; i < rows; i++) { const { xh, rstd } = norm64(x, i * n, n); want.set(xh, i * n); wr[i] = rstd; }
      // μ is summed in f64 but kept in f32: x − μ carries μ's rounding (≤ ulp(100)/2 · rstd ≈ 7e-6 here).
      close(t, get(be, px, rows * n), want, 1e-5, 1e-4, `[${rows},${n}] x̂`);
      close(t, get(be, pr, rows), wr, 1e-6, 1e-4, `[${rows},${n}] rstd`);
      be.heap.free(px); be.heap.free(pr);
    }
  });
});

interface Inputs { gx: Float64Array; gh: Float64Array; ln: Float64Array; bih: Float64Array; bhh: Float64Array; hPrev: Float64Array; cPrev: Float64Array }
interface Grads { dy: Float32Array; dh: Float32Array; dc: Float32Array }

// One step of a batch from the raw projections, in float64; valid rows only (the kernels' padding rows are checked apart).
function lstmStep(B: number, H: number, p: Inputs, valid: boolean[]): { h: Float64Array; c: Float64Array; act: Float64Array } {
  const G = 4 * H, h = new Float64Array(B * H), c = new Float64Array(B * H), act = new Float64Array(B * G);
  for (let b = 0; b < B; b++) {
    if (!valid[b]) continue;
    const nx = norm64(p.gx, b * G, G).xh, nh = norm64(p.gh, b * G, G).xh;
    const a = (q: number): number => p.ln[q]! * nx[q]! + p.ln[G + q]! + p.ln[2 * G + q]! * nh[q]! + p.ln[3 * G + q]! + p.bih[q]! + p.bhh[q]!;
    for (let j = 0; j < H; j++) {
      const i = sigmoid(a(j)), f = sigmoid(a(H + j)), g = Math.tanh(a(2 * H + j)), o = sigmoid(a(3 * H + j));
      act[b * G + j] = i; act[b * G + H + j] = f; act[b * G + 2 * H + j] = g; act[b * G + 3 * H + j] = o;
      c[b * H + j] = f * p.cPrev[b * H + j]! + i * g;
    }
    const nc = norm64(c, b * H, H).xh;
    for (let j = 0; j < H; j++) h[b * H + j] = act[b * G + 3 * H + j]! * Math.tanh(p.ln[4 * G + j]! * nc[j]! + p.ln[4 * G + H + j]!);
  }
  return { h, c, act };
}

function gruStep(B: number, H: number, p: Inputs, valid: boolean[]): { h: Float64Array; c: Float64Array; act: Float64Array } {
  const G = 3 * H, h = new Float64Array(B * H), act = new Float64Array(B * 4 * H);
  for (let b = 0; b < B; b++) {
    if (!valid[b]) continue;
    const nx = norm64(p.gx, b * G, G).xh, nh = norm64(p.gh, b * G, G).xh;
    const ax = (q: number): number => p.ln[q]! * nx[q]! + p.ln[G + q]! + p.bih[q]!;
    const ah = (q: number): number => p.ln[2 * G + q]! * nh[q]! + p.ln[3 * G + q]! + p.bhh[q]!;
    for (let j = 0; j < H; j++) {
      const r = sigmoid(ax(j) + ah(j)), z = sigmoid(ax(H + j) + ah(H + j)), n = Math.tanh(ax(2 * H + j) + r * ah(2 * H + j));
      act[b * 4 * H + j] = r; act[b * 4 * H + H + j] = z; act[b * 4 * H + 2 * H + j] = n; act[b * 4 * H + 3 * H + j] = ah(2 * H + j);
      h[b * H + j] = (1 - z) * n + z * p.hPrev[b * H + j]!;
    }
  }
  return { h, c: new Float64Array(B * H), act };
}

function lnCase(t: Test, be: Backend, lstm: boolean, B: number, H: number, mask: Float32Array | null, withDy: boolean, bias: boolean, seed: number): void {
  const r = rng(seed), G = (lstm ? 4 : 3) * H, ldy = H + 2, LN = lstm ? 18 * H : 12 * H, SV = 4 * H + 4;
  const valid = Array.from({ length: B }, (_, b) => !mask || mask[b] !== 0);
  const gx = uniform(r, B * G, -2, 2), gh = uniform(r, B * G, -2, 2);
  const ln = uniform(r, LN, -0.4, 0.4);
  for (let q = 0; q < LN; q++) {
    const gamma = q < G || (q >= 2 * G && q < 3 * G) || (lstm && q >= 4 * G && q < 4 * G + H);
    if (gamma) ln[q] = ln[q]! + 1;
  }
  const bih = bias ? uniform(r, G, -0.5, 0.5) : new Float32Array(G), bhh = bias ? uniform(r, G, -0.5, 0.5) : new Float32Array(G);
  const hPrev = uniform(r, B * H), cPrev = uniform(r, B * H, -2, 2), y0 = uniform(r, B * ldy);
  const g: Grads = { dy: uniform(r, B * ldy), dh: uniform(r, B * H), dc: uniform(r, B * H) };
  const dln0 = uniform(r, LN), dbih0 = uniform(r, G), dbhh0 = uniform(r, G);
  const p64: Inputs = { gx: Float64Array.from(gx), gh: Float64Array.from(gh), ln: Float64Array.from(ln), bih: Float64Array.from(bih), bhh: Float64Array.from(bhh), hPrev: Float64Array.from(hPrev), cPrev: Float64Array.from(cPrev) };
  const step = lstm ? lstmStep : gruStep;
  const ref = step(B, H, p64, valid);
  const tag = `${lstm ? 'ln-lstm' : 'ln-gru'} B=${B} H=${H}${mask ? ' masked' : ''}${withDy ? '' : ' no dy'}${bias ? '' : ' no bias'}`;

  // The kernels, as the cells call them.
  const pgx = put(be, gx), pgh = put(be, gh), pln = put(be, ln), pm = mask ? put(be, mask) : 0;
  const psum = put(be, bih.map((v, i) => v + bhh[i]!)), pbih = put(be, bih), pbhh = put(be, bhh);
  const php = put(be, hPrev), pcp = put(be, cPrev), ph = be.heap.alloc(B * H), pc = be.heap.alloc(B * H), py = put(be, y0);
  const psv = be.heap.alloc(B * SV), rx = psv + 4 * B * 4 * H;
  be.k.f32_layer_norm_rows(B, G, EPS, pgx, rx);
  be.k.f32_layer_norm_rows(B, G, EPS, pgh, rx + 4 * B);
  if (lstm) be.k.f32_ln_lstm_cell_fwd(B, H, pgx, pgh, pln, bias ? psum : 0, pcp, php, pc, ph, pm, py, ldy, psv, EPS);
  else be.k.f32_ln_gru_cell_fwd(B, H, pgx, pgh, pln, bias ? pbih : 0, bias ? pbhh : 0, php, ph, pm, py, ldy, psv);
  const wantH = Float64Array.from(ref.h), wantY = Float64Array.from(y0);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      if (!valid[b]) wantH[b * H + j] = hPrev[b * H + j]!;
      wantY[b * ldy + j] = valid[b] ? ref.h[b * H + j]! : 0;
    }
  }
  close(t, get(be, ph, B * H), wantH, 4e-6, 4e-5, `${tag}: fwd h`);
  close(t, get(be, py, B * ldy), wantY, 4e-6, 4e-5, `${tag}: fwd y`);
  if (lstm) {
    const wantC = Float64Array.from(ref.c);
    for (let b = 0; b < B; b++) if (!valid[b]) wantC.set(cPrev.subarray(b * H, (b + 1) * H), b * H);
    close(t, get(be, pc, B * H), wantC, 4e-6, 4e-5, `${tag}: fwd c`);
  }
  const sv = get(be, psv, B * 4 * H);
  for (let b = 0; b < B; b++) {
    if (valid[b]) close(t, sv.subarray(b * 4 * H, (b + 1) * 4 * H), ref.act.subarray(b * 4 * H, (b + 1) * 4 * H), 4e-6, 4e-5, `${tag}: saved activations row ${b}`);
  }

  // Backward against finite differences of loss = Σ (dy + dh)·h + Σ dc·c over valid rows.
  const loss = (): number => {
    const o = step(B, H, p64, valid);
    let s = 0;
    for (let b = 0; b < B; b++) {
      if (!valid[b]) continue;
      for (let j = 0; j < H; j++) {
        s += ((withDy ? g.dy[b * ldy + j]! : 0) + g.dh[b * H + j]!) * o.h[b * H + j]!;
        if (lstm) s += g.dc[b * H + j]! * o.c[b * H + j]!;
      }
    }
    return s;
  };
  const fd = (a: Float64Array): Float64Array => a.map((v, i) => {
    a[i] = v + FD; const up = loss();
    a[i] = v - FD; const dn = loss();
    a[i] = v;
    return (up - dn) / (2 * FD);
  });
  const dgx = fd(p64.gx), dgh = fd(p64.gh), dln = fd(p64.ln), dbih = fd(p64.bih), dbhh = fd(p64.bhh);
  const dPrev = lstm ? fd(p64.cPrev) : fd(p64.hPrev);
  const pdy = withDy ? put(be, g.dy) : 0, pdh = put(be, g.dh), pdc = put(be, g.dc);
  const pdgx = be.heap.alloc(B * G), pdgh = be.heap.alloc(B * G), pdln = put(be, dln0), pdbih = put(be, dbih0), pdbhh = put(be, dbhh0);
  if (lstm) be.k.f32_ln_lstm_cell_bwd(B, H, pgx, pgh, pln, pcp, pc, pm, psv, pdy, ldy, pdh, pdc, pdgx, pdgh, pdln, bias ? pdbih : 0, bias ? pdbhh : 0);
  else be.k.f32_ln_gru_cell_bwd(B, H, pgx, pgh, pln, php, pm, psv, pdy, ldy, pdh, pdgx, pdgh, pdln, bias ? pdbih : 0, bias ? pdbhh : 0);
  const AT = 2e-5, RT = 2e-4;
  close(t, get(be, pdgx, B * G), dgx, AT, RT, `${tag}: bwd dgx (through the input norm)`);
  close(t, get(be, pdgh, B * G), dgh, AT, RT, `${tag}: bwd dgh (through the recurrent norm)`);
  close(t, get(be, pdln, LN), dln.map((v, i) => v + dln0[i]!), AT, RT, `${tag}: bwd dln accumulates`);
  close(t, get(be, pdbih, G), bias ? dbih.map((v, i) => v + dbih0[i]!) : dbih0, AT, RT, `${tag}: bwd dbih`);
  close(t, get(be, pdbhh, G), bias ? dbhh.map((v, i) => v + dbhh0[i]!) : dbhh0, AT, RT, `${tag}: bwd dbhh`);
  // dh: 0 (LSTM; GRU: the direct path z ⊙ dh_total) on valid rows, passed through on padding rows; dc = dc_{t−1}.
  const wantDh = new Float64Array(B * H), wantDc = new Float64Array(B * H);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const s = b * H + j;
      if (!valid[b]) { wantDh[s] = g.dh[s]!; wantDc[s] = g.dc[s]!; continue; }
      if (lstm) { wantDc[s] = dPrev[s]!; wantDh[s] = 0; } else { wantDh[s] = dPrev[s]!; }
    }
  }
  close(t, get(be, pdh, B * H), wantDh, AT, RT, `${tag}: bwd dh`);
  if (lstm) close(t, get(be, pdc, B * H), wantDc, AT, RT, `${tag}: bwd dc`);
}

t.test('layer-normalized cell kernels against float64 references and finite differences', async (t) => {
  await forEachBackend(t, (t, be) => {
    let seed = 1;
    for (const [B, H] of CASES) {
      const m = Float32Array.from({ length: B }, (_, b) => (b % 3 === 1 ? 0 : 1));
      for (const mask of B > 1 ? [null, m] : [null]) {
        for (const [withDy, bias] of [[true, true], [false, true], [true, false]]) {
          const mark = be.heap.alloc(0);
          lnCase(t, be, true, B, H, mask, withDy!, bias!, seed++);
          lnCase(t, be, false, B, H, mask, withDy!, bias!, seed++);
          be.heap.free(mark);
        }
      }
    }
  });
});
