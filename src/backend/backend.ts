// The Backend interface: a heap plus the kernels that run over it. Layer code
// only ever talks to this interface, so it cannot tell wasm from JS.
import type { Heap } from './heap.js';

/** The backends: wasm with relaxed SIMD (FMA), wasm SIMD, scalar wasm, and pure JS. */
export type BackendName = 'wasm-relaxed' | 'wasm-simd' | 'wasm' | 'js';

/**
 * Every kernel, with the wasm exports' names and argument order. Pointers are
 * byte offsets into the backend's heap; strides (ld*) count elements.
 * The contracts are documented once, in assembly/*.ts.
 */
export interface Kernels {
  /** C = α·op(A)·op(B) + β·C (row-major; β = 0 ignores C, NaN included). */
  f32_gemm(transA: number, transB: number, M: number, N: number, K: number, alpha: number,
           A: number, lda: number, B: number, ldb: number, beta: number, C: number, ldc: number): void;
  /** Packs op(B) [K, N] into 8-column panels for f32_gemm_packed_bias (packedSize(K, N) floats). */
  f32_pack_b(transB: number, K: number, N: number, B: number, ldb: number, Bp: number): void;
  /** C = α·op(A)·Bp + β·C (+ the bias row when bias ≠ 0), with B packed by f32_pack_b. */
  f32_gemm_packed_bias(transA: number, M: number, N: number, K: number, alpha: number, A: number, lda: number,
              Bp: number, beta: number, C: number, ldc: number, bias: number): void;
  /** y[j] += Σ_i X[i, j] (bias gradients). */
  f32_sum_rows(M: number, N: number, X: number, ldx: number, y: number): void;
  /** z = x + y, element-wise. */
  f32_add(n: number, x: number, y: number, z: number): void;
  /** z = x ⊙ y, element-wise. */
  f32_mul(n: number, x: number, y: number, z: number): void;
  /** x = a·x. */
  f32_scale(n: number, a: number, x: number): void;
  /** x = v. */
  f32_fill(n: number, v: number, x: number): void;
  /** y = x (n floats). */
  f32_copy(n: number, x: number, y: number): void;
  /** Copies a [rows, cols] block between strided matrices (lds = 0 broadcasts one row). */
  f32_copy2d(rows: number, cols: number, src: number, lds: number, dst: number, ldd: number): void;
  /** Σ x², in f64 (global gradient norms). */
  f32_sumsq(n: number, x: number): number;
  /** out[i] = table[idx[i]] (rows of dim floats; embedding lookup). */
  f32_gather_rows(n: number, idx: number, table: number, dim: number, out: number): void;
  /** table[idx[i]] += src[i] (the embedding's gradient). */
  f32_scatter_add_rows(n: number, idx: number, src: number, dim: number, table: number): void;
  /** y = σ(x). */
  f32_sigmoid(n: number, x: number, y: number): void;
  /** dx = dy ⊙ y(1 − y), from the output y. */
  f32_sigmoid_bwd(n: number, y: number, dy: number, dx: number): void;
  /** y = tanh(x). */
  f32_tanh(n: number, x: number, y: number): void;
  /** dx = dy ⊙ (1 − y²), from the output y. */
  f32_tanh_bwd(n: number, y: number, dy: number, dx: number): void;
  /** y = max(x, 0). */
  f32_relu(n: number, x: number, y: number): void;
  /** dx = dy where y > 0, else 0. */
  f32_relu_bwd(n: number, y: number, dy: number, dx: number): void;
  /** One Elman step for B rows: h = act(g + …) (act 0 tanh, 1 relu), masked rows keep hPrev and emit 0. */
  f32_rnn_cell_fwd(B: number, H: number, act: number, g: number, hPrev: number, h: number,
                   mask: number, y: number, ldy: number): void;
  /** The Elman step's backward: writes dG from dy and dh; dh is left 0 on valid rows (the caller adds dG·W_hh). */
  f32_rnn_cell_bwd(B: number, H: number, act: number, h: number, mask: number,
                   dy: number, ldy: number, dh: number, dG: number): void;
  /** One fused LSTM step (gates i, f, g, o already summed): c, h and the output row, masked. */
  f32_lstm_cell_fwd(B: number, H: number, gates: number, cPrev: number, hPrev: number,
                    c: number, h: number, mask: number, y: number, ldy: number): void;
  /** The LSTM step's backward: writes dGates from dy, dh and dc. */
  f32_lstm_cell_bwd(B: number, H: number, gates: number, cPrev: number, c: number, mask: number,
                    dy: number, ldy: number, dh: number, dc: number, dGates: number): void;
  /** One fused GRU step from the input and recurrent projections gx, gh (PyTorch's r ⊙ (W_hn h + b_hn)). */
  f32_gru_cell_fwd(B: number, H: number, gx: number, gh: number, hPrev: number, h: number,
                   mask: number, y: number, ldy: number): void;
  /** The GRU step's backward: writes dGx and dGh. */
  f32_gru_cell_bwd(B: number, H: number, gx: number, gh: number, hPrev: number, mask: number,
                   dy: number, ldy: number, dh: number, dGx: number, dGh: number): void;
  /** Normalizes each row in place to zero mean and unit variance (ε), keeping 1/σ per row. */
  f32_layer_norm_rows(rows: number, n: number, eps: number, x: number, rstd: number): void;
  /** One layer-normalized LSTM step (normalizes both projections and the cell state). */
  f32_ln_lstm_cell_fwd(B: number, H: number, gx: number, gh: number, ln: number, bias: number, cPrev: number, hPrev: number,
                       c: number, h: number, mask: number, y: number, ldy: number, sv: number, eps: number): void;
  /** The layer-normalized LSTM step's backward, with the norms' gain and shift gradients. */
  f32_ln_lstm_cell_bwd(B: number, H: number, gx: number, gh: number, ln: number, cPrev: number, c: number, mask: number, sv: number,
                       dy: number, ldy: number, dh: number, dc: number, dgx: number, dgh: number,
                       dln: number, dbih: number, dbhh: number): void;
  /** One layer-normalized GRU step. */
  f32_ln_gru_cell_fwd(B: number, H: number, gx: number, gh: number, ln: number, bih: number, bhh: number, hPrev: number,
                      h: number, mask: number, y: number, ldy: number, sv: number): void;
  /** The layer-normalized GRU step's backward, with the norms' gain and shift gradients. */
  f32_ln_gru_cell_bwd(B: number, H: number, gx: number, gh: number, ln: number, hPrev: number, mask: number, sv: number,
                      dy: number, ldy: number, dh: number, dgx: number, dgh: number,
                      dln: number, dbih: number, dbhh: number): void;
  /** Dot-product attention for R queries over S keys (masked): weights alpha and context. */
  f32_attn_dot_fwd(R: number, S: number, K: number, group: number, q: number, keys: number, mask: number, alpha: number, ctx: number): void;
  /** Dot attention's backward: dq, dkeys (added) from dctx. */
  f32_attn_dot_bwd(R: number, S: number, K: number, group: number, q: number, keys: number, alpha: number, dctx: number,
                   dq: number, dkeys: number, de: number): void;
  /** Additive (Bahdanau) attention, score vᵀ tanh(u + P): weights alpha and context. */
  f32_attn_additive_fwd(R: number, S: number, A: number, K: number, group: number, u: number, P: number, v: number,
                        keys: number, mask: number, alpha: number, ctx: number): void;
  /** Additive attention's backward: du, dP, dv and dkeys from dctx. */
  f32_attn_additive_bwd(R: number, S: number, A: number, K: number, group: number, u: number, P: number, v: number,
                        keys: number, alpha: number, dctx: number, du: number, dP: number, dv: number, dkeys: number, de: number): void;
  /** y = log softmax(x) per row (decoding's scores). */
  f32_log_softmax_rows(rows: number, n: number, x: number, y: number): void;
  /** torch.optim.SGD's step over n parameters (momentum, dampening, Nesterov, weight decay). */
  f32_sgd_update(n: number, p: number, g: number, buf: number, lr: number, momentum: number,
                 dampening: number, weightDecay: number, nesterov: number, first: number): void;
  /** torch.optim.Adam's step (bias corrections bc1, bc2 given). */
  f32_adam_update(n: number, p: number, g: number, m: number, v: number, lr: number, beta1: number,
                  beta2: number, eps: number, weightDecay: number, bc1: number, bc2: number): void;
  /** torch.optim.AdamW's step (decoupled weight decay). */
  f32_adamw_update(n: number, p: number, g: number, m: number, v: number, lr: number, beta1: number,
                   beta2: number, eps: number, weightDecay: number, bc1: number, bc2: number): void;
  /** torch.optim.RMSprop's step (centered, momentum). */
  f32_rmsprop_update(n: number, p: number, g: number, sq: number, gavg: number, buf: number, lr: number,
                     alpha: number, eps: number, weightDecay: number, momentum: number, centered: number): void;
  /** torch.optim.Adagrad's step (lr decay by step). */
  f32_adagrad_update(n: number, p: number, g: number, sum: number, lr: number, eps: number,
                     weightDecay: number, lrDecay: number, step: number): void;
  /** x = clamp(x, lo, hi). */
  f32_clip_value(n: number, x: number, lo: number, hi: number): void;
  /** Σ weight·(pred − target)² and its gradient ·scale into dpred (f64 inside); returns the sum. */
  f32_mse_loss(rows: number, outs: number, pred: number, target: number, weight: number, scale: number, dpred: number): number;
  /** Σ weight·|pred − target| and its gradient; returns the sum. */
  f32_mae_loss(rows: number, outs: number, pred: number, target: number, weight: number, scale: number, dpred: number): number;
  /** Σ weight·Huber_δ(pred − target) and its gradient; returns the sum. */
  f32_huber_loss(rows: number, outs: number, pred: number, target: number, weight: number, delta: number, scale: number, dpred: number): number;
  /** Σ weight·BCE(σ(pred), target), stable in the logits, and its gradient; returns the sum. */
  f32_bce_logits_loss(rows: number, outs: number, pred: number, target: number, weight: number, scale: number, dpred: number): number;
  /** Σ −log softmax(logits)[target] over rows not ignored (label smoothing ε), and its gradient; returns the sum. */
  f32_softmax_xent_loss(rows: number, outs: number, logits: number, target: number, weight: number, ignoreIndex: number, smoothing: number, scale: number, dlogits: number): number;
  /** Quantizes M rows of K floats to int8 rows of stride ldq ≥ ⌈K/8⌉·8 bytes (tail zeroed), symmetric, one scale (max|x| / 127) a row. */
  i8_quantize_rows(M: number, K: number, X: number, ldx: number, Q: number, ldq: number, scales: number): void;
  /** Packs N quantized weight rows [N, ldw] into panels of 4 rows for i8_gemm (packedSizeI8(N, K) bytes). */
  i8_pack_panels(N: number, K: number, W: number, ldw: number, Wp: number): void;
  /** C = f32(Q·Wᵀ in int32) · (sa[m]·sw[n]) (+ bias) (+ C when accumulate), Q [M, ldq] from i8_quantize_rows, W packed by i8_pack_panels. */
  i8_gemm(M: number, N: number, K: number, Q: number, ldq: number, sa: number, Wp: number, sw: number,
          accumulate: number, C: number, ldc: number, bias: number): void;
}

/** A heap and the kernels that run over it (getBackend() gives the current one). */
export interface Backend {
  /** Which backend. */
  readonly name: BackendName;
  /** Its memory: allocation with owners, typed views, reads and writes. */
  readonly heap: Heap;
  /** Its kernels. */
  readonly k: Kernels;
  /** @internal The threads that share its kernels' work (threaded wasm SIMD only). */
  readonly pool?: Pool;
}

/** A layer's sequence in lanes: the projection of every step and a step's calls, in the lanes' layout. */
export interface LaneRun {
  /** f32_gemm_packed_bias's arguments for all G columns of every step's projection. */
  proj: readonly number[];
  /** A step's calls at step 0 and their increments a step (traced with the lanes' weights: steps.ts's StepCall; lanes.ts). */
  calls: readonly { name: keyof Kernels; a: readonly number[]; d: readonly number[] }[];
  /** Steps. */
  T: number;
  /** Where the units are cut: 0, …, H (a lane a thread). */
  cuts: readonly number[];
  /** Gate blocks a unit (G = gates·H). */
  gates: number;
}

/** @internal What a backend's thread pool offers the rest of the library (threads.ts has it). */
export interface Pool {
  /** Threads in use (the calling one included). */
  readonly size: number;
  /** Stops the workers; calls then run on one thread. Resolves once they have exited. */
  stop(): Promise<void>;
  /**
   * Starts `k`'s f32_gemm_packed_bias(a) cut by rows over the threads and
   * returns the rows this thread computed before returning ([r0, r1): the
   * first part, or the last when `last`); the rest runs on the workers
   * until settle(). Null when not started (the call is yours to make).
   */
  startRows(k: Kernels, a: readonly number[], last: boolean): readonly [number, number] | null;
  /**
   * Makes rows [lo, hi) of the product startRows() started done, and
   * returns the next row bound to ask at (rows past it may not be done), or
   * −1 once every row is.
   */
  need(lo: number, hi: number): number;
  /** Waits for the rows startRows() left to the workers (any split call does this first). */
  settle(): void;
  /**
   * Runs T recurrent steps on every thread, each its rows of the batch: the
   * calls of one step (`k`'s kernels) with their arguments at step 0 and
   * their increments a step. False: not run (the steps are yours to run).
   */
  steps(k: Kernels, calls: readonly { name: keyof Kernels; a: readonly number[]; d: readonly number[] }[], T: number): boolean;
  /**
   * Runs a batch-1 sequence on every thread, each its lane of the hidden
   * units (lanes.ts: the weights in the lanes' layout). False: not run.
   */
  lanes(k: Kernels, run: LaneRun): boolean;
}
