// The kernel table: the one list of kernels, each with its arguments (the
// wasm export's and the JS twin's order), which arguments are pointers and
// how many f32 a call touches from each (kernel_args.ts, what the runtime
// needs), its work per call, and the cases the benchmark times. From it come:
// the check that a wasm build exports every kernel (wasm.ts), the debug
// pointer checks (checked.ts), the test that every kernel has a reference
// case (test/assembly/table.test.ts) and the kernel benchmarks
// (bench/kernels.js).
import type { Kernels } from './backend.js';
import { KERNEL_ARGS, type KernelArgs } from './kernel_args.js';

export { packedSize, packedSizeI8, KERNEL_NAMES, type Extent, type KernelArgs } from './kernel_args.js';

/** One kernel's entry in the kernel table. */
export interface KernelSpec extends KernelArgs {
  /** Floating-point operations and elements of output per call (a benchmark's rate is one of them per second). */
  work(a: number[]): {
    /** Floating-point operations. */
    flops: number;
    /** Elements of output. */
    elems: number;
  };
  /** What a benchmark of it reports: GFLOP/s (products), GOP/s (int8 products) or Melem/s (everything else). */
  readonly unit: 'GFLOP/s' | 'GOP/s' | 'Melem/s';
  /** Benchmark cases: a label and the scalar arguments by name (pointers get random data of their extent). */
  readonly bench: readonly {
    /** What the case is, e.g. 'M=K=N=256'. */
    label: string;
    /** Scalar arguments by name. */
    args: Record<string, number>;
    /** Integer (i32) buffers by name, with their upper bound. */
    ints?: Record<string, number>;
  }[];
}

const elemwise = (a: number[]): { flops: number; elems: number } => ({ flops: a[0]!, elems: a[0]! });
const cellWork = (a: number[]): { flops: number; elems: number } => ({ flops: 0, elems: a[0]! * a[1]! });
const NACT = 4096, NP = 100000, CELL = { B: 32, H: 128 };

/**
 * Every kernel: its arguments, pointer extents, work per call and benchmark
 * cases (see KernelSpec). Read-only data: it holds no heap memory.
 *
 * @example
 * import { KERNELS } from 'simd-rnn';
 * KERNELS.f32_gemm.args;                           // ['transA', 'transB', 'M', …]
 * KERNELS.f32_gemm.work([0, 0, 64, 64, 64]).flops; // 524288
 */
export const KERNELS: Record<keyof Kernels, KernelSpec> = /* @__PURE__ */ (() => ({
  f32_gemm: { ...KERNEL_ARGS.f32_gemm, work: (a) => ({ flops: 2 * a[2]! * a[3]! * a[4]!, elems: a[2]! * a[3]! }), unit: 'GFLOP/s', bench: [
      ...[[64, 64, 64], [128, 128, 128], [256, 256, 256], [1, 512, 128], [32, 512, 128]].map(([M, N, K]) => (
        { label: `NN [${M},${K}]×[${K},${N}]`, args: { transA: 0, transB: 0, M: M!, N: N!, K: K!, alpha: 1, lda: K!, ldb: N!, beta: 0, ldc: N! } })),
      { label: 'NT [32,128]×[512,128]ᵀ', args: { transA: 0, transB: 1, M: 32, N: 512, K: 128, alpha: 1, lda: 128, ldb: 128, beta: 0, ldc: 512 } },
      { label: 'TN [3200,512]ᵀ×[3200,64]', args: { transA: 1, transB: 0, M: 512, N: 64, K: 3200, alpha: 1, lda: 512, ldb: 64, beta: 0, ldc: 64 } },
    ] },
  f32_pack_b: { ...KERNEL_ARGS.f32_pack_b, work: (a) => ({ flops: 0, elems: a[1]! * a[2]! }), unit: 'Melem/s', bench: [{ label: '[128,512]', args: { transB: 1, K: 128, N: 512, ldb: 128 } }] },
  f32_gemm_packed_bias: { ...KERNEL_ARGS.f32_gemm_packed_bias, work: (a) => ({ flops: 2 * a[1]! * a[2]! * a[3]!, elems: a[1]! * a[2]! }), unit: 'GFLOP/s', bench: [[1, 512, 128], [32, 512, 128], [1, 512, 192]].map(([M, N, K]) => (
      { label: `[${M},${K}]×[${K},${N}] + bias`, args: { transA: 0, M: M!, N: N!, K: K!, alpha: 1, lda: K!, beta: 0, ldc: N! } })) },
  f32_sum_rows: { ...KERNEL_ARGS.f32_sum_rows, work: (a) => ({ flops: a[0]! * a[1]!, elems: a[0]! * a[1]! }), unit: 'Melem/s', bench: [{ label: '[3200,512]', args: { M: 3200, N: 512, ldx: 512 } }] },
  f32_add: { ...KERNEL_ARGS.f32_add, work: elemwise, unit: 'Melem/s', bench: [{ label: `n=${NP}`, args: { n: NP } }] },
  f32_mul: { ...KERNEL_ARGS.f32_mul, work: elemwise, unit: 'Melem/s', bench: [{ label: `n=${NP}`, args: { n: NP } }] },
  f32_scale: { ...KERNEL_ARGS.f32_scale, work: elemwise, unit: 'Melem/s', bench: [{ label: `n=${NP}`, args: { n: NP, a: 0.5 } }] },
  f32_fill: { ...KERNEL_ARGS.f32_fill, work: elemwise, unit: 'Melem/s', bench: [{ label: `n=${NP}`, args: { n: NP, v: 0 } }] },
  f32_copy: { ...KERNEL_ARGS.f32_copy, work: elemwise, unit: 'Melem/s', bench: [{ label: `n=${NP}`, args: { n: NP } }] },
  f32_copy2d: { ...KERNEL_ARGS.f32_copy2d, work: (a) => ({ flops: 0, elems: a[0]! * a[1]! }), unit: 'Melem/s', bench: [{ label: '[32,128] into rows of 192', args: { rows: 32, cols: 128, lds: 128, ldd: 192 } }] },
  f32_sumsq: { ...KERNEL_ARGS.f32_sumsq, work: (a) => ({ flops: 2 * a[0]!, elems: a[0]! }), unit: 'Melem/s', bench: [{ label: `n=${NP}`, args: { n: NP } }] },
  f32_gather_rows: { ...KERNEL_ARGS.f32_gather_rows, work: (a) => ({ flops: 0, elems: a[0]! * a[3]! }), unit: 'Melem/s', bench: [{ label: '2048 rows of 64', args: { n: 2048, dim: 64 }, ints: { idx: 1 } }] },
  f32_scatter_add_rows: { ...KERNEL_ARGS.f32_scatter_add_rows, work: (a) => ({ flops: a[0]! * a[3]!, elems: a[0]! * a[3]! }), unit: 'Melem/s', bench: [{ label: '2048 rows of 64', args: { n: 2048, dim: 64 }, ints: { idx: 1 } }] },
  f32_sigmoid: { ...KERNEL_ARGS.f32_sigmoid, work: elemwise, unit: 'Melem/s', bench: [{ label: `n=${NACT}`, args: { n: NACT } }] },
  f32_sigmoid_bwd: { ...KERNEL_ARGS.f32_sigmoid_bwd, work: elemwise, unit: 'Melem/s', bench: [{ label: `n=${NACT}`, args: { n: NACT } }] },
  f32_tanh: { ...KERNEL_ARGS.f32_tanh, work: elemwise, unit: 'Melem/s', bench: [{ label: `n=${NACT}`, args: { n: NACT } }] },
  f32_tanh_bwd: { ...KERNEL_ARGS.f32_tanh_bwd, work: elemwise, unit: 'Melem/s', bench: [{ label: `n=${NACT}`, args: { n: NACT } }] },
  f32_relu: { ...KERNEL_ARGS.f32_relu, work: elemwise, unit: 'Melem/s', bench: [{ label: `n=${NACT}`, args: { n: NACT } }] },
  f32_relu_bwd: { ...KERNEL_ARGS.f32_relu_bwd, work: elemwise, unit: 'Melem/s', bench: [{ label: `n=${NACT}`, args: { n: NACT } }] },
  f32_rnn_cell_fwd: { ...KERNEL_ARGS.f32_rnn_cell_fwd, work: cellWork, unit: 'Melem/s', bench: [{ label: `tanh B=${CELL.B} H=${CELL.H}`, args: { ...CELL, act: 0, mask: 0, ldy: CELL.H } }] },
  f32_rnn_cell_bwd: { ...KERNEL_ARGS.f32_rnn_cell_bwd, work: cellWork, unit: 'Melem/s', bench: [{ label: `tanh B=${CELL.B} H=${CELL.H}`, args: { ...CELL, act: 0, mask: 0, ldy: CELL.H } }] },
  f32_lstm_cell_fwd: { ...KERNEL_ARGS.f32_lstm_cell_fwd, work: cellWork, unit: 'Melem/s', bench: [{ label: `B=${CELL.B} H=${CELL.H}`, args: { ...CELL, mask: 0, ldy: CELL.H } }] },
  f32_lstm_cell_bwd: { ...KERNEL_ARGS.f32_lstm_cell_bwd, work: cellWork, unit: 'Melem/s', bench: [{ label: `B=${CELL.B} H=${CELL.H}`, args: { ...CELL, mask: 0, ldy: CELL.H } }] },
  f32_gru_cell_fwd: { ...KERNEL_ARGS.f32_gru_cell_fwd, work: cellWork, unit: 'Melem/s', bench: [{ label: `B=${CELL.B} H=${CELL.H}`, args: { ...CELL, mask: 0, ldy: CELL.H } }] },
  f32_gru_cell_bwd: { ...KERNEL_ARGS.f32_gru_cell_bwd, work: cellWork, unit: 'Melem/s', bench: [{ label: `B=${CELL.B} H=${CELL.H}`, args: { ...CELL, mask: 0, ldy: CELL.H } }] },
  f32_layer_norm_rows: { ...KERNEL_ARGS.f32_layer_norm_rows, work: (a) => ({ flops: 0, elems: a[0]! * a[1]! }), unit: 'Melem/s', bench: [{ label: `[${CELL.B},${4 * CELL.H}]`, args: { rows: CELL.B, n: 4 * CELL.H, eps: 1e-5 } }] },
  f32_ln_lstm_cell_fwd: { ...KERNEL_ARGS.f32_ln_lstm_cell_fwd, work: cellWork, unit: 'Melem/s', bench: [{ label: `B=${CELL.B} H=${CELL.H}`, args: { ...CELL, mask: 0, ldy: CELL.H, eps: 1e-5 } }] },
  f32_ln_lstm_cell_bwd: { ...KERNEL_ARGS.f32_ln_lstm_cell_bwd, work: cellWork, unit: 'Melem/s', bench: [{ label: `B=${CELL.B} H=${CELL.H}`, args: { ...CELL, mask: 0, ldy: CELL.H } }] },
  f32_ln_gru_cell_fwd: { ...KERNEL_ARGS.f32_ln_gru_cell_fwd, work: cellWork, unit: 'Melem/s', bench: [{ label: `B=${CELL.B} H=${CELL.H}`, args: { ...CELL, mask: 0, ldy: CELL.H } }] },
  f32_ln_gru_cell_bwd: { ...KERNEL_ARGS.f32_ln_gru_cell_bwd, work: cellWork, unit: 'Melem/s', bench: [{ label: `B=${CELL.B} H=${CELL.H}`, args: { ...CELL, mask: 0, ldy: CELL.H } }] },
  f32_attn_dot_fwd: { ...KERNEL_ARGS.f32_attn_dot_fwd, work: (a) => ({ flops: 4 * a[0]! * a[1]! * a[2]!, elems: a[0]! * a[1]! }), unit: 'GFLOP/s', bench: [{ label: 'R=64 S=16 K=256', args: { R: 64, S: 16, K: 256, group: 1 } }] },
  f32_attn_dot_bwd: { ...KERNEL_ARGS.f32_attn_dot_bwd, work: (a) => ({ flops: 8 * a[0]! * a[1]! * a[2]!, elems: a[0]! * a[1]! }), unit: 'GFLOP/s', bench: [{ label: 'R=64 S=16 K=256', args: { R: 64, S: 16, K: 256, group: 1 } }] },
  f32_attn_additive_fwd: { ...KERNEL_ARGS.f32_attn_additive_fwd, work: (a) => ({ flops: 3 * a[0]! * a[1]! * a[2]! + 2 * a[0]! * a[1]! * a[3]!, elems: a[0]! * a[1]! }), unit: 'GFLOP/s', bench: [{ label: 'R=64 S=16 A=256 K=256', args: { R: 64, S: 16, A: 256, K: 256, group: 1 } }] },
  f32_attn_additive_bwd: { ...KERNEL_ARGS.f32_attn_additive_bwd, work: (a) => ({ flops: 6 * a[0]! * a[1]! * a[2]! + 4 * a[0]! * a[1]! * a[3]!, elems: a[0]! * a[1]! }), unit: 'GFLOP/s', bench: [{ label: 'R=64 S=16 A=256 K=256', args: { R: 64, S: 16, A: 256, K: 256, group: 1 } }] },
  f32_log_softmax_rows: { ...KERNEL_ARGS.f32_log_softmax_rows, work: (a) => ({ flops: 0, elems: a[0]! * a[1]! }), unit: 'Melem/s', bench: [{ label: 'rows=320 n=64', args: { rows: 320, n: 64 } }] },
  f32_sgd_update: { ...KERNEL_ARGS.f32_sgd_update, work: elemwise, unit: 'Melem/s', bench: [{ label: `momentum n=${NP}`, args: { n: NP, lr: 1e-3, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: 0, first: 0 } }] },
  f32_adam_update: { ...KERNEL_ARGS.f32_adam_update, work: elemwise, unit: 'Melem/s', bench: [{ label: `n=${NP}`, args: { n: NP, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, bc1: 0.1, bc2: 0.001 } }] },
  f32_adamw_update: { ...KERNEL_ARGS.f32_adamw_update, work: elemwise, unit: 'Melem/s', bench: [{ label: `n=${NP}`, args: { n: NP, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, bc1: 0.1, bc2: 0.001 } }] },
  f32_rmsprop_update: { ...KERNEL_ARGS.f32_rmsprop_update, work: elemwise, unit: 'Melem/s', bench: [{ label: `centered, momentum n=${NP}`, args: { n: NP, lr: 1e-3, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0.9, centered: 1 } }] },
  f32_adagrad_update: { ...KERNEL_ARGS.f32_adagrad_update, work: elemwise, unit: 'Melem/s', bench: [{ label: `n=${NP}`, args: { n: NP, lr: 1e-2, eps: 1e-10, weightDecay: 0, lrDecay: 0, step: 10 } }] },
  f32_clip_value: { ...KERNEL_ARGS.f32_clip_value, work: elemwise, unit: 'Melem/s', bench: [{ label: `n=${NP}`, args: { n: NP, lo: -0.5, hi: 0.5 } }] },
  f32_mse_loss: { ...KERNEL_ARGS.f32_mse_loss, work: (a) => ({ flops: 0, elems: a[0]! * a[1]! }), unit: 'Melem/s', bench: [{ label: 'rows=2048 outs=8', args: { rows: 2048, outs: 8, scale: 1 / 2048 } }] },
  f32_mae_loss: { ...KERNEL_ARGS.f32_mae_loss, work: (a) => ({ flops: 0, elems: a[0]! * a[1]! }), unit: 'Melem/s', bench: [{ label: 'rows=2048 outs=8', args: { rows: 2048, outs: 8, scale: 1 / 2048 } }] },
  f32_bce_logits_loss: { ...KERNEL_ARGS.f32_bce_logits_loss, work: (a) => ({ flops: 0, elems: a[0]! * a[1]! }), unit: 'Melem/s', bench: [{ label: 'rows=2048 outs=8', args: { rows: 2048, outs: 8, scale: 1 / 2048 } }] },
  f32_huber_loss: { ...KERNEL_ARGS.f32_huber_loss, work: (a) => ({ flops: 0, elems: a[0]! * a[1]! }), unit: 'Melem/s', bench: [{ label: 'rows=2048 outs=8', args: { rows: 2048, outs: 8, delta: 1, scale: 1 / 2048 } }] },
  f32_softmax_xent_loss: { ...KERNEL_ARGS.f32_softmax_xent_loss, work: (a) => ({ flops: 0, elems: a[0]! * a[1]! }), unit: 'Melem/s', bench: [{ label: 'rows=2048 outs=64', args: { rows: 2048, outs: 64, ignoreIndex: -100, smoothing: 0, scale: 1 / 2048 }, ints: { target: 64 } }] },
  i8_quantize_rows: { ...KERNEL_ARGS.i8_quantize_rows, work: (a) => ({ flops: 0, elems: a[0]! * a[1]! }), unit: 'Melem/s', bench: [
      { label: '[1,128] (a batch-1 step)', args: { M: 1, K: 128, ldx: 128, ldq: 128 } }, { label: '[32,128]', args: { M: 32, K: 128, ldx: 128, ldq: 128 } }] },
  // int8 multiply–adds, 2 ops each (compare f32_gemm_packed_bias's GFLOP/s on the same shapes).
  i8_pack_panels: { ...KERNEL_ARGS.i8_pack_panels, work: (a) => ({ flops: 0, elems: a[0]! * a[1]! }), unit: 'Melem/s', bench: [{ label: '[512,128]', args: { N: 512, K: 128, ldw: 128 } }] },
  i8_gemm: { ...KERNEL_ARGS.i8_gemm, work: (a) => ({ flops: 2 * a[0]! * a[1]! * a[2]!, elems: a[0]! * a[1]! }), unit: 'GOP/s', bench: [[1, 512, 128], [32, 512, 128], [1, 1024, 256]].map(([M, N, K]) => (
      { label: `[${M},${K}]×[${K},${N}] + bias`, args: { M: M!, N: N!, K: K!, ldq: K!, accumulate: 0, ldc: N! } })) },
}))();
