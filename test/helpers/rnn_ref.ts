// A float64 reference of the recurrent layers: plain loops over PyTorch's
// equations, time-major, with masks (padding steps carry state, emit 0).
// Slow and obviously correct; the finite-difference gradients come from it.

export type Cell = 'LSTM' | 'GRU' | 'RNN_TANH' | 'RNN_RELU' | 'LN_LSTM' | 'LN_GRU';

const LN_EPS = 1e-5;

/** Layer norm of a vector: (v − μ)/√(σ² + ε) ⊙ γ + β (biased σ², PyTorch's). */
export function layerNorm(v: Float64Array, gamma: Float64Array, beta: Float64Array): Float64Array {
  let mu = 0;
  for (const x of v) mu += x;
  mu /= v.length;
  let s = 0;
  for (const x of v) s += (x - mu) * (x - mu);
  const rs = 1 / Math.sqrt(s / v.length + LN_EPS);
  return v.map((x, j) => (x - mu) * rs * gamma[j]! + beta[j]!);
}

/** The parameters of a cell beyond PyTorch's four, per layer and direction: [name, size, init]. */
export function lnParams(cell: Cell, H: number): [string, number, number][] {
  const G = gatesOf(cell) * H;
  if (cell !== 'LN_LSTM' && cell !== 'LN_GRU') return [];
  const out: [string, number, number][] = [['ln_ih_weight', G, 1], ['ln_ih_bias', G, 0], ['ln_hh_weight', G, 1], ['ln_hh_bias', G, 0]];
  if (cell === 'LN_LSTM') out.push(['ln_c_weight', H, 1], ['ln_c_bias', H, 0]);
  return out;
}

export interface RefConfig {
  cell: Cell;
  I: number;
  H: number;
  L: number;
  bidir: boolean;
  bias: boolean;
  /** Each layer after the first adds its input to its output. */
  residual?: boolean;
}

export type Params64 = Record<string, Float64Array>;

const sig = (x: number): number => 1 / (1 + Math.exp(-x));

export function gatesOf(cell: Cell): number {
  return cell === 'LSTM' || cell === 'LN_LSTM' ? 4 : cell === 'GRU' || cell === 'LN_GRU' ? 3 : 1;
}

/** x [T, B, I], h0/c0 [L·D, B, H] (or null), valid(t, b). */
export function refForward(cfg: RefConfig, P: Params64, x: Float64Array, T: number, B: number,
                           h0: Float64Array | null, c0: Float64Array | null, valid: (t: number, b: number) => boolean):
  { out: Float64Array; h: Float64Array; c: Float64Array } {
  const { cell, H, L } = cfg, D = cfg.bidir ? 2 : 1, G = gatesOf(cell) * H;
  let input = x, I = cfg.I;
  const hN = new Float64Array(L * D * B * H), cN = new Float64Array(L * D * B * H);
  let out = new Float64Array(0);
  for (let l = 0; l < L; l++) {
    out = new Float64Array(T * B * D * H);
    for (let d = 0; d < D; d++) {
      const s = `l${l}${d ? '_reverse' : ''}`;
      const Wi = P[`weight_ih_${s}`]!, Wh = P[`weight_hh_${s}`]!;
      const bi = cfg.bias ? P[`bias_ih_${s}`]! : new Float64Array(G), bh = cfg.bias ? P[`bias_hh_${s}`]! : new Float64Array(G);
      const o = (l * D + d) * B * H;
      const h = h0 ? h0.slice(o, o + B * H) : new Float64Array(B * H);
      const c = c0 ? c0.slice(o, o + B * H) : new Float64Array(B * H);
      for (let step = 0; step < T; step++) {
        const t = d ? T - 1 - step : step;
        for (let b = 0; b < B; b++) {
          if (!valid(t, b)) continue;
          let gx = new Float64Array(G), gh = new Float64Array(G);
          const ln = cell === 'LN_LSTM' || cell === 'LN_GRU';
          for (let r = 0; r < G; r++) {
            let sx = ln ? 0 : bi[r]!, sh = ln ? 0 : bh[r]!;
            for (let k = 0; k < I; k++) sx += Wi[r * I + k]! * input[(t * B + b) * I + k]!;
            for (let k = 0; k < H; k++) sh += Wh[r * H + k]! * h[b * H + k]!;
            gx[r] = sx; gh[r] = sh;
          }
          if (ln) {
            // The biases come after the norms.
            gx = layerNorm(gx, P[`ln_ih_weight_${s}`]!, P[`ln_ih_bias_${s}`]!).map((v, r) => v + bi[r]!);
            gh = layerNorm(gh, P[`ln_hh_weight_${s}`]!, P[`ln_hh_bias_${s}`]!).map((v, r) => v + bh[r]!);
          }
          let cn: Float64Array | null = null;
          if (cell === 'LN_LSTM') {
            cn = new Float64Array(H);
            for (let j = 0; j < H; j++) {
              const ig = sig(gx[j]! + gh[j]!), fg = sig(gx[H + j]! + gh[H + j]!), gg = Math.tanh(gx[2 * H + j]! + gh[2 * H + j]!);
              cn[j] = fg * c[b * H + j]! + ig * gg;
            }
            const nc = layerNorm(cn, P[`ln_c_weight_${s}`]!, P[`ln_c_bias_${s}`]!);
            for (let j = 0; j < H; j++) {
              c[b * H + j] = cn[j]!;
              cn[j] = sig(gx[3 * H + j]! + gh[3 * H + j]!) * Math.tanh(nc[j]!);
            }
          }
          const hn = new Float64Array(H);
          for (let j = 0; j < H; j++) {
            if (cn) {
              hn[j] = cn[j]!;
            } else if (cell === 'LSTM') {
              const ig = sig(gx[j]! + gh[j]!), fg = sig(gx[H + j]! + gh[H + j]!);
              const gg = Math.tanh(gx[2 * H + j]! + gh[2 * H + j]!), og = sig(gx[3 * H + j]! + gh[3 * H + j]!);
              c[b * H + j] = fg * c[b * H + j]! + ig * gg;
              hn[j] = og * Math.tanh(c[b * H + j]!);
            } else if (cell === 'GRU' || cell === 'LN_GRU') {
              const r = sig(gx[j]! + gh[j]!), z = sig(gx[H + j]! + gh[H + j]!);
              const n = Math.tanh(gx[2 * H + j]! + r * gh[2 * H + j]!);
              hn[j] = (1 - z) * n + z * h[b * H + j]!;
            } else {
              const v = gx[j]! + gh[j]!;
              hn[j] = cell === 'RNN_TANH' ? Math.tanh(v) : Math.max(0, v);
            }
          }
          for (let j = 0; j < H; j++) {
            h[b * H + j] = hn[j]!;
            out[(t * B + b) * D * H + d * H + j] = hn[j]!;
          }
        }
      }
      hN.set(h, o);
      cN.set(c, o);
    }
    if (cfg.residual && l > 0) for (let i = 0; i < out.length; i++) out[i] += input[i]!;
    input = out;
    I = D * H;
  }
  return { out, h: hN, c: cN };
}
