// Gradient checks: the layers' analytic gradients (every backend) against
// central finite differences of the float64 reference (test/helpers/rnn_ref.ts)
// for every cell, stacked, bidirectional and masked, with respect to the
// inputs, the initial states and every parameter. The forward outputs are
// checked against the reference too. Tolerance: 5e-5 absolute + 5e-4
// relative (f32 analytic vs f64 numeric, which is exact to ~1e-9 here).
import t from 'tap';
import { LSTM, GRU, RNN, type Recurrent, type Tensor } from '../../src/index.js';
import { forEachCurrentBackend } from '../helpers/current.js';
import { close } from '../helpers/backends.js';
import { rng } from '../helpers/rng.js';
import { refForward, gatesOf, lnParams, type RefConfig, type Params64, type Cell } from '../helpers/rnn_ref.js';

const ATOL = 5e-5, RTOL = 5e-4, EPS = 1e-5;

interface Case { cfg: RefConfig; T: number; B: number; lengths: number[] | null }

const CASES: Case[] = [];
for (const cell of ['LSTM', 'GRU', 'RNN_TANH', 'RNN_RELU', 'LN_LSTM', 'LN_GRU'] as Cell[]) {
  CASES.push({ cfg: { cell, I: 3, H: 4, L: 1, bidir: false, bias: true }, T: 4, B: 2, lengths: null });
  CASES.push({ cfg: { cell, I: 3, H: 5, L: 2, bidir: true, bias: true }, T: 4, B: 3, lengths: [4, 2, 0] });
  CASES.push({ cfg: { cell, I: 2, H: 3, L: 3, bidir: false, bias: false }, T: 5, B: 3, lengths: [1, 5, 3] });
  CASES.push({ cfg: { cell, I: 3, H: 4, L: 3, bidir: true, bias: true, residual: true }, T: 4, B: 3, lengths: [4, 1, 3] });
}

function build(cfg: RefConfig): Recurrent {
  const o = { inputSize: cfg.I, hiddenSize: cfg.H, numLayers: cfg.L, bidirectional: cfg.bidir, bias: cfg.bias, residual: cfg.residual ?? false, seed: 3 };
  if (cfg.cell === 'LSTM' || cfg.cell === 'LN_LSTM') return new LSTM({ ...o, layerNorm: cfg.cell === 'LN_LSTM' });
  if (cfg.cell === 'GRU' || cfg.cell === 'LN_GRU') return new GRU({ ...o, layerNorm: cfg.cell === 'LN_GRU' });
  return new RNN({ ...o, nonlinearity: cfg.cell === 'RNN_RELU' ? 'relu' : 'tanh' });
}

function f32(n: number, r: () => number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => (2 * r() - 1) * scale);
}

const hasC = (cell: Cell): boolean => cell === 'LSTM' || cell === 'LN_LSTM';

interface Numeric { out: Float64Array; h: Float64Array; c: Float64Array; grads: Record<string, Float64Array> }

function numeric(c: Case, P: Params64, x: Float64Array, h0: Float64Array, c0: Float64Array,
                 dy: Float64Array, dh: Float64Array, dc: Float64Array): Numeric {
  const { T, B, lengths } = c;
  const valid = (tt: number, b: number): boolean => !lengths || tt < lengths[b]!;
  const loss = (): number => {
    const r = refForward(c.cfg, P, x, T, B, h0, hasC(c.cfg.cell) ? c0 : null, valid);
    let s = 0;
    for (let i = 0; i < r.out.length; i++) s += r.out[i]! * dy[i]!;
    for (let i = 0; i < r.h.length; i++) s += r.h[i]! * dh[i]!;
    if (hasC(c.cfg.cell)) for (let i = 0; i < r.c.length; i++) s += r.c[i]! * dc[i]!;
    return s;
  };
  const fd = (a: Float64Array): Float64Array => {
    const g = new Float64Array(a.length);
    for (let i = 0; i < a.length; i++) {
      const v = a[i]!;
      a[i] = v + EPS; const up = loss();
      a[i] = v - EPS; const dn = loss();
      a[i] = v;
      g[i] = (up - dn) / (2 * EPS);
    }
    return g;
  };
  const r = refForward(c.cfg, P, x, T, B, h0, hasC(c.cfg.cell) ? c0 : null, valid);
  const grads: Record<string, Float64Array> = { x: fd(x), h0: fd(h0) };
  if (hasC(c.cfg.cell)) grads.c0 = fd(c0);
  for (const k of Object.keys(P)) grads[`param.${k}`] = fd(P[k]!);
  return { ...r, grads };
}

t.test('analytic gradients match finite differences of the float64 reference', async (t) => {
  const prepared = CASES.map((c, i) => {
    const r = rng(100 + i), { cfg, T, B } = c, D = cfg.bidir ? 2 : 1;
    // Parameters: the layer's own seeded init is replaced by these, so every backend sees the same.
    const G = gatesOf(cfg.cell) * cfg.H;
    const params: Record<string, Tensor> = {};
    for (let l = 0; l < cfg.L; l++) {
      for (let d = 0; d < D; d++) {
        const s = `l${l}${d ? '_reverse' : ''}`, I = l === 0 ? cfg.I : D * cfg.H;
        params[`weight_ih_${s}`] = { data: f32(G * I, r, 0.6), shape: [G, I] };
        params[`weight_hh_${s}`] = { data: f32(G * cfg.H, r, 0.6), shape: [G, cfg.H] };
        if (cfg.bias) {
          params[`bias_ih_${s}`] = { data: f32(G, r, 0.3), shape: [G] };
          params[`bias_hh_${s}`] = { data: f32(G, r, 0.3), shape: [G] };
        }
        // Layer-norm gains around 1 and shifts around 0, not their init (which would hide their gradients' errors).
        for (const [name, n, init] of lnParams(cfg.cell, cfg.H)) {
          params[`${name}_${s}`] = { data: f32(n, r, 0.3).map((v) => v + init), shape: [n] };
        }
      }
    }
    const sShape = [cfg.L * D, B, cfg.H];
    const x = f32(T * B * cfg.I, r), h0 = f32(cfg.L * D * B * cfg.H, r, 0.5), c0 = f32(cfg.L * D * B * cfg.H, r, 0.5);
    const dy = f32(T * B * D * cfg.H, r), dh = f32(h0.length, r), dc = f32(c0.length, r);
    const P64: Params64 = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Float64Array.from(v.data)]));
    const num = numeric(c, P64, Float64Array.from(x), Float64Array.from(h0), Float64Array.from(c0),
      Float64Array.from(dy), Float64Array.from(dh), Float64Array.from(dc));
    return { c, params, x, h0, c0, dy, dh, dc, sShape, num };
  });
  await forEachCurrentBackend(t, (t) => {
    for (const p of prepared) {
      const { cfg, T, B, lengths } = p.c, D = cfg.bidir ? 2 : 1;
      const tag = `${cfg.cell} L=${cfg.L}${cfg.bidir ? ' bi' : ''}${lengths ? ' masked' : ''}${cfg.bias ? '' : ' nobias'}${cfg.residual ? ' residual' : ''}`;
      const layer = build(cfg);
      layer.loadStateDict(p.params);
      const lstm = hasC(cfg.cell);
      const fwd = layer.forward({ data: p.x, shape: [T, B, cfg.I] }, {
        h0: { data: p.h0, shape: p.sShape }, c0: lstm ? { data: p.c0, shape: p.sShape } : undefined,
        lengths: lengths ?? undefined,
      });
      close(t, fwd.output.data, p.num.out, 1e-5, 1e-4, `${tag}: output vs reference`);
      close(t, fwd.h.data, p.num.h, 1e-5, 1e-4, `${tag}: h vs reference`);
      if (lstm) close(t, fwd.c!.data, p.num.c, 1e-5, 1e-4, `${tag}: c vs reference`);
      const bwd = layer.backward({ data: p.dy, shape: [T, B, D * cfg.H] }, {
        dh: { data: p.dh, shape: p.sShape }, dc: lstm ? { data: p.dc, shape: p.sShape } : undefined,
      });
      close(t, bwd.dx.data, p.num.grads.x!, ATOL, RTOL, `${tag}: dx`);
      close(t, bwd.dh0.data, p.num.grads.h0!, ATOL, RTOL, `${tag}: dh0`);
      if (lstm) close(t, bwd.dc0!.data, p.num.grads.c0!, ATOL, RTOL, `${tag}: dc0`);
      for (const [k, g] of Object.entries(layer.gradStateDict())) {
        close(t, g.data, p.num.grads[`param.${k}`]!, ATOL, RTOL, `${tag}: d${k}`);
      }
      // Backward accumulates: a second pass doubles every parameter gradient.
      const once = layer.gradStateDict();
      layer.backward({ data: p.dy, shape: [T, B, D * cfg.H] }, {
        dh: { data: p.dh, shape: p.sShape }, dc: lstm ? { data: p.dc, shape: p.sShape } : undefined,
      });
      const twice = layer.gradStateDict();
      for (const k of Object.keys(once)) close(t, twice[k]!.data, once[k]!.data.map((v) => 2 * v), 1e-6, 1e-5, `${tag}: ${k} accumulates`);
      layer.zeroGrad();
      t.ok(Object.values(layer.gradStateDict()).every((g) => g.data.every((v) => v === 0)), `${tag}: zeroGrad`);
      layer.dispose();
    }
  });
});
