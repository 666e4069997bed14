// The cell contract: what makes an LSTM an LSTM. A cell names its gates and
// parameters (PyTorch's) and does one time step, forward, backward and
// streaming, as kernel calls over pointers the runners hand it. Everything
// else (the input projection of all steps at once, directions, masks,
// dropout, the weight-gradient GEMMs after the loop, workspaces, the
// streaming state) is the runners' and is the same for every cell: a new cell
// is one file in cells/, its kernels with their JS twins, and tests.
import type { Kernels } from '../../backend/backend.js';
import type { ParamSpec } from '../params.js';

/** The public name of a cell ('RNN_TANH' / 'RNN_RELU' are the Elman cell's two nonlinearities). */
export type CellType = 'LSTM' | 'GRU' | 'RNN_TANH' | 'RNN_RELU';

/** One direction of one layer's weights, packed for the GEMMs (rebuilt when the parameters change). */
export interface DirWeights {
  /** Whether the layer has biases (bih, bhh are 0 and bsum zeros without). */
  readonly hasBias: boolean;
  /** Packed W_ihᵀ (K = I, N = G) and W_hhᵀ (K = H, N = G), for the forward products. */
  readonly wih: number;
  /** Packed W_hhᵀ. */
  readonly whh: number;
  /** b_ih and b_hh in the parameter region (0 without bias), and their sum. */
  readonly bih: number;
  /** b_hh (0 without bias). */
  readonly bhh: number;
  /** b_ih + b_hh. */
  readonly bsum: number;
  /** Packed [W_ih | W_hh]ᵀ (K = I + H): one product for a streaming step; built on first use. */
  wcat(): number;
  /** The cell's own parameters (extraParams, contiguous in their order) in the parameter region, and their gradient (0 without). */
  readonly ext: number;
  /** Their gradient. */
  readonly gext: number;
  /** Gradients of b_ih and b_hh (0 without bias), for cells that own their bias gradient. */
  readonly gbih: number;
  /** Gradient of b_hh. */
  readonly gbhh: number;
}

/** A parameter of the cell's own, per layer and direction: a vector, after PyTorch's four. */
export interface CellParam {
  /** Name before the `_l{k}[_reverse]` suffix, e.g. 'ln_ih_weight'. */
  name: string;
  /** Its length (a vector per layer and direction). */
  size: number;
  /** Its initial value (layer-norm gains 1, shifts 0). */
  init: number;
}

/** One step of the forward pass: pointers into the heap, rows of B sequences. */
export interface StepIO {
  /** Rows (sequences). */
  B: number;
  /** Hidden size. */
  H: number;
  /** gates·H */
  G: number;
  /** This direction's packed weights. */
  w: DirWeights;
  /** `[B, G]`: this step's input projection (W_ih·x plus the cell's inputBias); the cell may overwrite it with what its backward needs. */
  g: number;
  /** `[B, G]`: this step's slot of the recurrent-projection buffer (cells with separateRecurrent; 0 otherwise). */
  gh: number;
  /** h_{t−1} as it enters the recurrent product (with recurrent dropout applied). */
  hIn: number;
  /** [B, H] states before and after the step; c is 0 for cells without a cell state. */
  hPrev: number;
  /** `[B, H]` h after the step. */
  hNext: number;
  /** `[B, H]` c before the step (0 without a cell state). */
  cPrev: number;
  /** `[B, H]` c after the step. */
  cNext: number;
  /** [B] of 1 (valid) and 0 (padding: carry the state, emit 0), or 0 for all valid. */
  mask: number;
  /** Output rows [B, ldy] (the first H columns). */
  y: number;
  /** Row stride of y. */
  ldy: number;
  /** `[B, savedPerRow]`: this step's slot of what the cell saves for its backward (0 for cells that save nothing). */
  sv: number;
}

/** One step of the backward pass, in reverse order. */
export interface StepGrad extends StepIO {
  /** Gradient reaching this step's output [B, ldy], or 0. */
  dy: number;
  /** [B, H] in: gradient w.r.t. this step's h (and c); out: what flows to the previous step before dh += dGh·W_hh. */
  dh: number;
  /** The same for c (cells with a cell state). */
  dc: number;
  /** [B, G] written: the gradient w.r.t. g (for dW_ih, db_ih and dX). */
  dg: number;
  /** [B, G] written by cells with separateRecurrent: the gradient w.r.t. gh. */
  dgh: number;
}

/** A streaming step: x and h side by side in xh (row stride ld = I + H), the state updated in place. */
export interface StreamIO {
  /** Rows (sequences). */
  B: number;
  /** Input size. */
  I: number;
  /** Hidden size. */
  H: number;
  /** gates·H. */
  G: number;
  /** This layer's packed weights. */
  w: DirWeights;
  /** `[B, ld]`: x in the first I columns, h in the next H. */
  xh: number;
  /** Row stride of xh. */
  ld: number;
  /** `[B, H]` the state h, updated in place. */
  h: number;
  /** `[B, H]` the state c (0 without a cell state). */
  c: number;
  /** [B, G] scratch; gh too for cells with separateRecurrent. */
  g: number;
  /** `[B, G]` scratch of the recurrent product (cells with separateRecurrent). */
  gh: number;
  /** [B, savedPerRow] scratch (0 for cells that save nothing). */
  sv: number;
}

/**
 * The cell contract: what a recurrent cell tells the runners (gates,
 * parameters) and the time step it does, as kernel calls. cells/*.ts
 * implement it.
 */
export interface Cell {
  /** The cell's public name. */
  readonly type: CellType;
  /** Gate blocks per hidden unit (G = gates·H). */
  readonly gates: number;
  /** Carries a cell state c beside h. */
  readonly hasCell: boolean;
  /** Keeps the recurrent product in its own buffer (and its gradient in dgh) instead of adding it into g. */
  readonly separateRecurrent: boolean;
  /** The bias the input projection adds as it stores (0: none). */
  inputBias(w: DirWeights): number;
  /** Recurrent product and pointwise step: writes hNext (cNext) and y. */
  forward(k: Kernels, s: StepIO): void;
  /**
   * forward and backward do nothing but kernel calls whose arguments follow
   * from s alone (and backward's answer too) (default false). Then, with
   * threads, each thread may run its rows of a whole sequence from a record
   * of those calls, where every one can be cut by rows of the batch.
   */
  readonly callsOnly?: boolean;
  /** Pointwise backward: writes dg (dgh); returns the pointer whose product with W_hh the runner adds to dh. */
  backward(k: Kernels, s: StepGrad): number;
  /** One streaming step: writes h (c) in place and h into the next layer's slot at xh + I. */
  stream(k: Kernels, s: StreamIO): void;
  /** Extra entries of the layer's config (e.g. nonlinearity). */
  config(): Record<string, unknown>;
  /** Parameters of the cell's own beyond PyTorch's four, per layer and direction (default none). */
  extraParams?(H: number): readonly CellParam[];
  /** Floats per row (sequence) per step that forward saves for backward, beyond g, gh and the states (default 0). */
  savedPerRow?(H: number): number;
  /**
   * The cell accumulates the gradients of b_ih and b_hh itself (into w.gbih,
   * w.gbhh), because its biases enter after something the runner does not see
   * (a normalization): the runner's Σ dg then is not the bias gradient.
   */
  readonly ownsBiasGrad?: boolean;
}

/**
 * The parameter names and shapes of a recurrent layer of `cell` with D
 * directions, in state-dict order: PyTorch's four per layer and direction
 * (G = gates·H rows), then the cell's own. Pure: the file loader checks a
 * model file's tensors against it before building anything.
 */
export function recurrentParamSpecs(cell: Pick<Cell, 'gates' | 'extraParams'>, I: number, H: number, L: number, D: number, bias: boolean): ParamSpec[] {
  const G = cell.gates * H, out: ParamSpec[] = [], extra = cell.extraParams?.(H) ?? [];
  for (let l = 0; l < L; l++) {
    for (let d = 0; d < D; d++) {
      const s = `l${l}${d ? '_reverse' : ''}`;
      out.push({ name: `weight_ih_${s}`, shape: [G, l === 0 ? I : D * H] }, { name: `weight_hh_${s}`, shape: [G, H] });
      if (bias) out.push({ name: `bias_ih_${s}`, shape: [G] }, { name: `bias_hh_${s}`, shape: [G] });
      for (const p of extra) out.push({ name: `${p.name}_${s}`, shape: [p.size], init: p.init });
    }
  }
  return out;
}
