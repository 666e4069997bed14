// The Backend interface: a heap plus the kernels that run over it. Layer code
// only ever talks to this interface, so it cannot tell wasm from JS.
import type { Heap } from './heap.js';

export type BackendName = 'wasm-relaxed' | 'wasm-simd' | 'wasm' | 'js';

/**
 * Every kernel, with the wasm exports' names and argument order. Pointers are
 * byte offsets into the backend's heap; strides (ld*) count elements.
 * The contracts are documented once, in assembly/*.ts.
 */
export interface Kernels {
  f32_gemm(transA: number, transB: number, M: number, N: number, K: number, alpha: number,
           A: number, lda: number, B: number, ldb: number, beta: number, C: number, ldc: number): void;
  f32_pack_b(transB: number, K: number, N: number, B: number, ldb: number, Bp: number): void;
  f32_gemm_packed_bias(transA: number, M: number, N: number, K: number, alpha: number, A: number, lda: number,
              Bp: number, beta: number, C: number, ldc: number, bias: number): void;
  f32_sum_rows(M: number, N: number, X: number, ldx: number, y: number): void;
  f32_add(n: number, x: number, y: number, z: number): void;
  f32_mul(n: number, x: number, y: number, z: number): void;
  f32_scale(n: number, a: number, x: number): void;
  f32_fill(n: number, v: number, x: number): void;
  f32_copy(n: number, x: number, y: number): void;
  f32_copy2d(rows: number, cols: number, src: number, lds: number, dst: number, ldd: number): void;
  f32_sumsq(n: number, x: number): number;
  f32_gather_rows(n: number, idx: number, table: number, dim: number, out: number): void;
  f32_scatter_add_rows(n: number, idx: number, src: number, dim: number, table: number): void;
  f32_sigmoid(n: number, x: number, y: number): void;
  f32_sigmoid_bwd(n: number, y: number, dy: number, dx: number): void;
  f32_tanh(n: number, x: number, y: number): void;
  f32_tanh_bwd(n: number, y: number, dy: number, dx: number): void;
  f32_relu(n: number, x: number, y: number): void;
  f32_relu_bwd(n: number, y: number, dy: number, dx: number): void;
  f32_rnn_cell_fwd(B: number, H: number, act: number, g: number, hPrev: number, h: number,
                   mask: number, y: number, ldy: number): void;
  f32_rnn_cell_bwd(B: number, H: number, act: number, h: number, mask: number,
                   dy: number, ldy: number, dh: number, dG: number): void;
  f32_lstm_cell_fwd(B: number, H: number, gates: number, cPrev: number, hPrev: number,
                    c: number, h: number, mask: number, y: number, ldy: number): void;
  f32_lstm_cell_bwd(B: number, H: number, gates: number, cPrev: number, c: number, mask: number,
                    dy: number, ldy: number, dh: number, dc: number, dGates: number): void;
  f32_gru_cell_fwd(B: number, H: number, gx: number, gh: number, hPrev: number, h: number,
                   mask: number, y: number, ldy: number): void;
  f32_gru_cell_bwd(B: number, H: number, gx: number, gh: number, hPrev: number, mask: number,
                   dy: number, ldy: number, dh: number, dGx: number, dGh: number): void;
  f32_layer_norm_rows(rows: number, n: number, eps: number, x: number, rstd: number): void;
  f32_ln_lstm_cell_fwd(B: number, H: number, gx: number, gh: number, ln: number, bias: number, cPrev: number, hPrev: number,
                       c: number, h: number, mask: number, y: number, ldy: number, sv: number, eps: number): void;
  f32_ln_lstm_cell_bwd(B: number, H: number, gx: number, gh: number, ln: number, cPrev: number, c: number, mask: number, sv: number,
                       dy: number, ldy: number, dh: number, dc: number, dgx: number, dgh: number,
                       dln: number, dbih: number, dbhh: number): void;
  f32_ln_gru_cell_fwd(B: number, H: number, gx: number, gh: number, ln: number, bih: number, bhh: number, hPrev: number,
                      h: number, mask: number, y: number, ldy: number, sv: number): void;
  f32_ln_gru_cell_bwd(B: number, H: number, gx: number, gh: number, ln: number, hPrev: number, mask: number, sv: number,
                      dy: number, ldy: number, dh: number, dgx: number, dgh: number,
                      dln: number, dbih: number, dbhh: number): void;
  f32_attn_dot_fwd(R: number, S: number, K: number, group: number, q: number, keys: number, mask: number, alpha: number, ctx: number): void;
  f32_attn_dot_bwd(R: number, S: number, K: number, group: number, q: number, keys: number, alpha: number, dctx: number,
                   dq: number, dkeys: number, de: number): void;
  f32_attn_additive_fwd(R: number, S: number, A: number, K: number, group: number, u: number, P: number, v: number,
                        keys: number, mask: number, alpha: number, ctx: number): void;
  f32_attn_additive_bwd(R: number, S: number, A: number, K: number, group: number, u: number, P: number, v: number,
                        keys: number, alpha: number, dctx: number, du: number, dP: number, dv: number, dkeys: number, de: number): void;
  f32_log_softmax_rows(rows: number, n: number, x: number, y: number): void;
  f32_sgd_update(n: number, p: number, g: number, buf: number, lr: number, momentum: number,
                 dampening: number, weightDecay: number, nesterov: number, first: number): void;
  f32_adam_update(n: number, p: number, g: number, m: number, v: number, lr: number, beta1: number,
                  beta2: number, eps: number, weightDecay: number, bc1: number, bc2: number): void;
  f32_adamw_update(n: number, p: number, g: number, m: number, v: number, lr: number, beta1: number,
                   beta2: number, eps: number, weightDecay: number, bc1: number, bc2: number): void;
  f32_rmsprop_update(n: number, p: number, g: number, sq: number, gavg: number, buf: number, lr: number,
                     alpha: number, eps: number, weightDecay: number, momentum: number, centered: number): void;
  f32_adagrad_update(n: number, p: number, g: number, sum: number, lr: number, eps: number,
                     weightDecay: number, lrDecay: number, step: number): void;
  f32_clip_value(n: number, x: number, lo: number, hi: number): void;
  f32_mse_loss(rows: number, outs: number, pred: number, target: number, weight: number, scale: number, dpred: number): number;
  f32_mae_loss(rows: number, outs: number, pred: number, target: number, weight: number, scale: number, dpred: number): number;
  f32_huber_loss(rows: number, outs: number, pred: number, target: number, weight: number, delta: number, scale: number, dpred: number): number;
  f32_bce_logits_loss(rows: number, outs: number, pred: number, target: number, weight: number, scale: number, dpred: number): number;
  f32_softmax_xent_loss(rows: number, outs: number, logits: number, target: number, weight: number, ignoreIndex: number, smoothing: number, scale: number, dlogits: number): number;
}

export interface Backend {
  readonly name: BackendName;
  readonly heap: Heap;
  readonly k: Kernels;
}
