// What the runtime needs of the kernel table: every kernel's arguments in
// order, which are pointers and how many f32 a call touches from each (the
// debug check, checked.ts) and the list of names (the check that a wasm
// build exports every kernel, wasm.ts). The rest of the table, work per call
// and benchmark cases, is kernels.ts, which benchmarks and tests import:
// an application that loads a model never ships it.
import type { Kernels } from './backend.js';

/** Floats that f32_pack_b writes for op(B) of [K, N]. */
export function packedSize(K: number, N: number): number {
  return Math.ceil(N / 8) * 8 * K;
}

/** Bytes that i8_pack_panels writes for N weight rows of K: panels of 16 columns, K in groups of 8. */
export function packedSizeI8(N: number, K: number): number {
  return Math.ceil(N / 16) * 16 * (Math.ceil(K / 8) * 8);
}

/** A pointer argument: its index, the f32 a call touches from it (given all the arguments), and whether 0 means "none". */
export type Extent = [arg: number, elems: (a: number[]) => number, optional?: boolean];

/** A kernel's arguments and pointer extents. */
export interface KernelArgs {
  /** Argument names, in order. */
  readonly args: readonly string[];
  /** The pointer arguments and how many floats a call touches from each. */
  readonly pointers: readonly Extent[];
}

// Rows × leading dimension, the last row only as wide as it is used.
const strided = (rows: number, cols: number, ld: number): number => (rows <= 0 || cols <= 0 ? 0 : (rows - 1) * ld + cols);
const n0 = (a: number[]): number => a[0]!;
const BH = (a: number[]): number => a[0]! * a[1]!;
const RO = BH; // rows × outs
/** K rounded up to whole 8-byte groups (an int8 row's used length). */
const k8 = (K: number): number => (K + 7) & ~7;
/** Bytes as the floats that cover them. */
const bytes = (n: number): number => Math.ceil(n / 4);

/** Every kernel's arguments and pointer extents (see KernelArgs). */
export const KERNEL_ARGS: Record<keyof Kernels, KernelArgs> = {
  f32_gemm: {
    args: ['transA', 'transB', 'M', 'N', 'K', 'alpha', 'A', 'lda', 'B', 'ldb', 'beta', 'C', 'ldc'],
    pointers: [
      [6, (a) => (a[0] ? strided(a[4]!, a[2]!, a[7]!) : strided(a[2]!, a[4]!, a[7]!))],
      [8, (a) => (a[1] ? strided(a[3]!, a[4]!, a[9]!) : strided(a[4]!, a[3]!, a[9]!))],
      [11, (a) => strided(a[2]!, a[3]!, a[12]!)],
    ],
  },
  f32_pack_b: {
    args: ['transB', 'K', 'N', 'B', 'ldb', 'Bp'],
    pointers: [[3, (a) => (a[0] ? strided(a[2]!, a[1]!, a[4]!) : strided(a[1]!, a[2]!, a[4]!))], [5, (a) => packedSize(a[1]!, a[2]!)]],
  },
  f32_gemm_packed_bias: {
    args: ['transA', 'M', 'N', 'K', 'alpha', 'A', 'lda', 'Bp', 'beta', 'C', 'ldc', 'bias'],
    pointers: [
      [5, (a) => (a[0] ? strided(a[3]!, a[1]!, a[6]!) : strided(a[1]!, a[3]!, a[6]!))],
      [7, (a) => packedSize(a[3]!, a[2]!)],
      [9, (a) => strided(a[1]!, a[2]!, a[10]!)],
      [11, (a) => a[2]!, true],
    ],
  },
  f32_sum_rows: { args: ['M', 'N', 'X', 'ldx', 'y'], pointers: [[2, (a) => strided(a[0]!, a[1]!, a[3]!)], [4, (a) => a[1]!]] },
  f32_add: { args: ['n', 'x', 'y', 'z'], pointers: [[1, n0], [2, n0], [3, n0]] },
  f32_mul: { args: ['n', 'x', 'y', 'z'], pointers: [[1, n0], [2, n0], [3, n0]] },
  f32_scale: { args: ['n', 'a', 'x'], pointers: [[2, n0]] },
  f32_fill: { args: ['n', 'v', 'x'], pointers: [[2, n0]] },
  f32_copy: { args: ['n', 'x', 'y'], pointers: [[1, n0], [2, n0]] },
  f32_copy2d: {
    args: ['rows', 'cols', 'src', 'lds', 'dst', 'ldd'],
    pointers: [[2, (a) => strided(a[0]!, a[1]!, a[3]!)], [4, (a) => strided(a[0]!, a[1]!, a[5]!)]],
  },
  f32_sumsq: { args: ['n', 'x'], pointers: [[1, n0]] },
  f32_gather_rows: {
    args: ['n', 'idx', 'table', 'dim', 'out'],
    // The table's rows are whatever the indices say: only its first row is checked here.
    pointers: [[1, n0], [2, (a) => a[3]!], [4, (a) => a[0]! * a[3]!]],
  },
  f32_scatter_add_rows: { args: ['n', 'idx', 'src', 'dim', 'table'], pointers: [[1, n0], [2, (a) => a[0]! * a[3]!], [4, (a) => a[3]!]] },
  f32_sigmoid: { args: ['n', 'x', 'y'], pointers: [[1, n0], [2, n0]] },
  f32_sigmoid_bwd: { args: ['n', 'y', 'dy', 'dx'], pointers: [[1, n0], [2, n0], [3, n0]] },
  f32_tanh: { args: ['n', 'x', 'y'], pointers: [[1, n0], [2, n0]] },
  f32_tanh_bwd: { args: ['n', 'y', 'dy', 'dx'], pointers: [[1, n0], [2, n0], [3, n0]] },
  f32_relu: { args: ['n', 'x', 'y'], pointers: [[1, n0], [2, n0]] },
  f32_relu_bwd: { args: ['n', 'y', 'dy', 'dx'], pointers: [[1, n0], [2, n0], [3, n0]] },
  f32_rnn_cell_fwd: {
    args: ['B', 'H', 'act', 'g', 'hPrev', 'h', 'mask', 'y', 'ldy'],
    pointers: [[3, BH], [4, BH], [5, BH], [6, n0, true], [7, (a) => strided(a[0]!, a[1]!, a[8]!)]],
  },
  f32_rnn_cell_bwd: {
    args: ['B', 'H', 'act', 'h', 'mask', 'dy', 'ldy', 'dh', 'dG'],
    pointers: [[3, BH], [4, n0, true], [5, (a) => strided(a[0]!, a[1]!, a[6]!), true], [7, BH], [8, BH]],
  },
  f32_lstm_cell_fwd: {
    args: ['B', 'H', 'gates', 'cPrev', 'hPrev', 'c', 'h', 'mask', 'y', 'ldy'],
    pointers: [[2, (a) => 4 * BH(a)], [3, BH], [4, BH], [5, BH], [6, BH], [7, n0, true], [8, (a) => strided(a[0]!, a[1]!, a[9]!)]],
  },
  f32_lstm_cell_bwd: {
    args: ['B', 'H', 'gates', 'cPrev', 'c', 'mask', 'dy', 'ldy', 'dh', 'dc', 'dGates'],
    pointers: [[2, (a) => 4 * BH(a)], [3, BH], [4, BH], [5, n0, true], [6, (a) => strided(a[0]!, a[1]!, a[7]!), true], [8, BH], [9, BH], [10, (a) => 4 * BH(a)]],
  },
  f32_gru_cell_fwd: {
    args: ['B', 'H', 'gx', 'gh', 'hPrev', 'h', 'mask', 'y', 'ldy'],
    pointers: [[2, (a) => 3 * BH(a)], [3, (a) => 3 * BH(a)], [4, BH], [5, BH], [6, n0, true], [7, (a) => strided(a[0]!, a[1]!, a[8]!)]],
  },
  f32_gru_cell_bwd: {
    args: ['B', 'H', 'gx', 'gh', 'hPrev', 'mask', 'dy', 'ldy', 'dh', 'dGx', 'dGh'],
    pointers: [[2, (a) => 3 * BH(a)], [3, (a) => 3 * BH(a)], [4, BH], [5, n0, true], [6, (a) => strided(a[0]!, a[1]!, a[7]!), true], [8, BH], [9, (a) => 3 * BH(a)], [10, (a) => 3 * BH(a)]],
  },
  f32_layer_norm_rows: { args: ['rows', 'n', 'eps', 'x', 'rstd'], pointers: [[3, (a) => a[0]! * a[1]!], [4, n0]] },
  f32_ln_lstm_cell_fwd: {
    args: ['B', 'H', 'gx', 'gh', 'ln', 'bias', 'cPrev', 'hPrev', 'c', 'h', 'mask', 'y', 'ldy', 'sv', 'eps'],
    pointers: [[2, (a) => 4 * BH(a)], [3, (a) => 4 * BH(a)], [4, (a) => 18 * a[1]!], [5, (a) => 4 * a[1]!, true], [6, BH], [7, BH], [8, BH], [9, BH],
      [10, n0, true], [11, (a) => strided(a[0]!, a[1]!, a[12]!)], [13, (a) => a[0]! * (4 * a[1]! + 4)]],
  },
  f32_ln_lstm_cell_bwd: {
    args: ['B', 'H', 'gx', 'gh', 'ln', 'cPrev', 'c', 'mask', 'sv', 'dy', 'ldy', 'dh', 'dc', 'dgx', 'dgh', 'dln', 'dbih', 'dbhh'],
    pointers: [[2, (a) => 4 * BH(a)], [3, (a) => 4 * BH(a)], [4, (a) => 18 * a[1]!], [5, BH], [6, BH], [7, n0, true], [8, (a) => a[0]! * (4 * a[1]! + 4)],
      [9, (a) => strided(a[0]!, a[1]!, a[10]!), true], [11, BH], [12, BH], [13, (a) => 4 * BH(a)], [14, (a) => 4 * BH(a)],
      [15, (a) => 18 * a[1]!], [16, (a) => 4 * a[1]!, true], [17, (a) => 4 * a[1]!, true]],
  },
  f32_ln_gru_cell_fwd: {
    args: ['B', 'H', 'gx', 'gh', 'ln', 'bih', 'bhh', 'hPrev', 'h', 'mask', 'y', 'ldy', 'sv'],
    pointers: [[2, (a) => 3 * BH(a)], [3, (a) => 3 * BH(a)], [4, (a) => 12 * a[1]!], [5, (a) => 3 * a[1]!, true], [6, (a) => 3 * a[1]!, true],
      [7, BH], [8, BH], [9, n0, true], [10, (a) => strided(a[0]!, a[1]!, a[11]!)], [12, (a) => a[0]! * (4 * a[1]! + 2)]],
  },
  f32_ln_gru_cell_bwd: {
    args: ['B', 'H', 'gx', 'gh', 'ln', 'hPrev', 'mask', 'sv', 'dy', 'ldy', 'dh', 'dgx', 'dgh', 'dln', 'dbih', 'dbhh'],
    pointers: [[2, (a) => 3 * BH(a)], [3, (a) => 3 * BH(a)], [4, (a) => 12 * a[1]!], [5, BH], [6, n0, true], [7, (a) => a[0]! * (4 * a[1]! + 2)],
      [8, (a) => strided(a[0]!, a[1]!, a[9]!), true], [10, BH], [11, (a) => 3 * BH(a)], [12, (a) => 3 * BH(a)],
      [13, (a) => 12 * a[1]!], [14, (a) => 3 * a[1]!, true], [15, (a) => 3 * a[1]!, true]],
  },
  // Attention: R rows, S source positions, keys [S, R/group, K]; A the additive score's width.
  f32_attn_dot_fwd: {
    args: ['R', 'S', 'K', 'group', 'q', 'keys', 'mask', 'alpha', 'ctx'],
    pointers: [[4, (a) => a[0]! * a[2]!], [5, (a) => a[1]! * (a[0]! / a[3]!) * a[2]!], [6, (a) => a[1]! * (a[0]! / a[3]!)], [7, (a) => a[0]! * a[1]!], [8, (a) => a[0]! * a[2]!]],
  },
  f32_attn_dot_bwd: {
    args: ['R', 'S', 'K', 'group', 'q', 'keys', 'alpha', 'dctx', 'dq', 'dkeys', 'de'],
    pointers: [[4, (a) => a[0]! * a[2]!], [5, (a) => a[1]! * (a[0]! / a[3]!) * a[2]!], [6, (a) => a[0]! * a[1]!], [7, (a) => a[0]! * a[2]!], [8, (a) => a[0]! * a[2]!],
      [9, (a) => a[1]! * (a[0]! / a[3]!) * a[2]!], [10, (a) => a[1]!]],
  },
  f32_attn_additive_fwd: {
    args: ['R', 'S', 'A', 'K', 'group', 'u', 'P', 'v', 'keys', 'mask', 'alpha', 'ctx'],
    pointers: [[5, (a) => a[0]! * a[2]!], [6, (a) => a[1]! * (a[0]! / a[4]!) * a[2]!], [7, (a) => a[2]!], [8, (a) => a[1]! * (a[0]! / a[4]!) * a[3]!],
      [9, (a) => a[1]! * (a[0]! / a[4]!)], [10, (a) => a[0]! * a[1]!], [11, (a) => a[0]! * a[3]!]],
  },
  f32_attn_additive_bwd: {
    args: ['R', 'S', 'A', 'K', 'group', 'u', 'P', 'v', 'keys', 'alpha', 'dctx', 'du', 'dP', 'dv', 'dkeys', 'de'],
    pointers: [[5, (a) => a[0]! * a[2]!], [6, (a) => a[1]! * (a[0]! / a[4]!) * a[2]!], [7, (a) => a[2]!], [8, (a) => a[1]! * (a[0]! / a[4]!) * a[3]!],
      [9, (a) => a[0]! * a[1]!], [10, (a) => a[0]! * a[3]!], [11, (a) => a[0]! * a[2]!], [12, (a) => a[1]! * (a[0]! / a[4]!) * a[2]!], [13, (a) => a[2]!],
      [14, (a) => a[1]! * (a[0]! / a[4]!) * a[3]!], [15, (a) => a[1]!]],
  },
  f32_log_softmax_rows: { args: ['rows', 'n', 'x', 'y'], pointers: [[2, (a) => a[0]! * a[1]!], [3, (a) => a[0]! * a[1]!]] },
  f32_sgd_update: {
    args: ['n', 'p', 'g', 'buf', 'lr', 'momentum', 'dampening', 'weightDecay', 'nesterov', 'first'],
    pointers: [[1, n0], [2, n0], [3, n0]],
  },
  f32_adam_update: {
    args: ['n', 'p', 'g', 'm', 'v', 'lr', 'beta1', 'beta2', 'eps', 'weightDecay', 'bc1', 'bc2'],
    pointers: [[1, n0], [2, n0], [3, n0], [4, n0]],
  },
  f32_adamw_update: {
    args: ['n', 'p', 'g', 'm', 'v', 'lr', 'beta1', 'beta2', 'eps', 'weightDecay', 'bc1', 'bc2'],
    pointers: [[1, n0], [2, n0], [3, n0], [4, n0]],
  },
  f32_rmsprop_update: {
    args: ['n', 'p', 'g', 'sq', 'gavg', 'buf', 'lr', 'alpha', 'eps', 'weightDecay', 'momentum', 'centered'],
    pointers: [[1, n0], [2, n0], [3, n0], [4, n0], [5, n0]],
  },
  f32_adagrad_update: {
    args: ['n', 'p', 'g', 'sum', 'lr', 'eps', 'weightDecay', 'lrDecay', 'step'],
    pointers: [[1, n0], [2, n0], [3, n0]],
  },
  f32_clip_value: { args: ['n', 'x', 'lo', 'hi'], pointers: [[1, n0]] },
  f32_mse_loss: {
    args: ['rows', 'outs', 'pred', 'target', 'weight', 'scale', 'dpred'],
    pointers: [[2, RO], [3, RO], [4, n0], [6, RO, true]],
  },
  f32_mae_loss: {
    args: ['rows', 'outs', 'pred', 'target', 'weight', 'scale', 'dpred'],
    pointers: [[2, RO], [3, RO], [4, n0], [6, RO, true]],
  },
  f32_bce_logits_loss: {
    args: ['rows', 'outs', 'pred', 'target', 'weight', 'scale', 'dpred'],
    pointers: [[2, RO], [3, RO], [4, n0], [6, RO, true]],
  },
  f32_huber_loss: {
    args: ['rows', 'outs', 'pred', 'target', 'weight', 'delta', 'scale', 'dpred'],
    pointers: [[2, RO], [3, RO], [4, n0], [7, RO, true]],
  },
  f32_softmax_xent_loss: {
    args: ['rows', 'outs', 'logits', 'target', 'weight', 'ignoreIndex', 'smoothing', 'scale', 'dlogits'],
    pointers: [[2, RO], [3, n0], [4, n0], [8, RO, true]],
  },
  // int8 rows are bytes: their extents are in floats, rounded up.
  i8_quantize_rows: {
    args: ['M', 'K', 'X', 'ldx', 'Q', 'ldq', 'scales'],
    pointers: [[2, (a) => strided(a[0]!, a[1]!, a[3]!)], [4, (a) => bytes(strided(a[0]!, k8(a[1]!), a[5]!))], [6, n0]],
  },
  i8_pack_panels: {
    args: ['N', 'K', 'W', 'ldw', 'Wp'],
    pointers: [[2, (a) => bytes(strided(a[0]!, k8(a[1]!), a[3]!))], [4, (a) => bytes(packedSizeI8(a[0]!, a[1]!))]],
  },
  i8_gemm: {
    args: ['M', 'N', 'K', 'Q', 'ldq', 'sa', 'Wp', 'sw', 'accumulate', 'C', 'ldc', 'bias'],
    pointers: [
      [3, (a) => bytes(strided(a[0]!, k8(a[2]!), a[4]!))], [5, n0],
      [6, (a) => bytes(packedSizeI8(a[1]!, a[2]!))], [7, (a) => a[1]!],
      [9, (a) => strided(a[0]!, a[1]!, a[10]!)], [11, (a) => a[1]!, true],
    ],
  },
};

/** The names of all kernels, in the table's order. */
export const KERNEL_NAMES = Object.keys(KERNEL_ARGS) as readonly (keyof Kernels)[];
