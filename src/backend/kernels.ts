// The kernel table: the one list of kernels, each with its arguments (the
// wasm export's and the JS twin's order), which arguments are pointers and
// how many f32 a call touches from each, its work per call, and the cases the
// benchmark times. From it come: the check that a wasm build exports every
// kernel (wasm.ts), the debug pointer checks (checked.ts), the test that every
// kernel has a reference case (test/assembly/table.test.ts) and the kernel
// benchmarks (bench/kernels.js).
import type { Kernels } from './backend.js';

/** Floats that f32_pack_b writes for op(B) of [K, N]. */
export function packedSize(K: number, N: number): number {
  return Math.ceil(N / 8) * 8 * K;
}

/** A pointer argument: its index, the f32 a call touches from it (given all the arguments), and whether 0 means "none". */
export type Extent = [arg: number, elems: (a: number[]) => number, optional?: boolean];

/** One kernel's entry in the kernel table. */
export interface KernelSpec {
  /** Argument names, in order. */
  readonly args: readonly string[];
  /** The pointer arguments and how many floats a call touches from each. */
  readonly pointers: readonly Extent[];
  /** Floating-point operations and elements of output per call (a benchmark's rate is one of them per second). */
  work(a: number[]): {
    /** Floating-point operations. */
    flops: number;
    /** Elements of output. */
    elems: number;
  };
  /** What a benchmark of it reports: GFLOP/s (products) or Melem/s (everything else). */
  readonly unit: 'GFLOP/s' | 'Melem/s';
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

// Rows × leading dimension, the last row only as wide as it is used.
const strided = (rows: number, cols: number, ld: number): number => (rows <= 0 || cols <= 0 ? 0 : (rows - 1) * ld + cols);
const n0 = (a: number[]): number => a[0]!;
const BH = (a: number[]): number => a[0]! * a[1]!;
const RO = BH; // rows × outs
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
export const KERNELS: Record<keyof Kernels, KernelSpec> = {
  f32_gemm: {
    args: ['transA', 'transB', 'M', 'N', 'K', 'alpha', 'A', 'lda', 'B', 'ldb', 'beta', 'C', 'ldc'],
    pointers: [
      [6, (a) => (a[0] ? strided(a[4]!, a[2]!, a[7]!) : strided(a[2]!, a[4]!, a[7]!))],
      [8, (a) => (a[1] ? strided(a[3]!, a[4]!, a[9]!) : strided(a[4]!, a[3]!, a[9]!))],
      [11, (a) => strided(a[2]!, a[3]!, a[12]!)],
    ],
    work: (a) => ({ flops: 2 * a[2]! * a[3]! * a[4]!, elems: a[2]! * a[3]! }),
    unit: 'GFLOP/s',
    bench: [
      ...[[64, 64, 64], [128, 128, 128], [256, 256, 256], [1, 512, 128], [32, 512, 128]].map(([M, N, K]) => (
        { label: `NN [${M},${K}]×[${K},${N}]`, args: { transA: 0, transB: 0, M: M!, N: N!, K: K!, alpha: 1, lda: K!, ldb: N!, beta: 0, ldc: N! } })),
      { label: 'NT [32,128]×[512,128]ᵀ', args: { transA: 0, transB: 1, M: 32, N: 512, K: 128, alpha: 1, lda: 128, ldb: 128, beta: 0, ldc: 512 } },
      { label: 'TN [3200,512]ᵀ×[3200,64]', args: { transA: 1, transB: 0, M: 512, N: 64, K: 3200, alpha: 1, lda: 512, ldb: 64, beta: 0, ldc: 64 } },
    ],
  },
  f32_pack_b: {
    args: ['transB', 'K', 'N', 'B', 'ldb', 'Bp'],
    pointers: [[3, (a) => (a[0] ? strided(a[2]!, a[1]!, a[4]!) : strided(a[1]!, a[2]!, a[4]!))], [5, (a) => packedSize(a[1]!, a[2]!)]],
    work: (a) => ({ flops: 0, elems: a[1]! * a[2]! }),
    unit: 'Melem/s',
    bench: [{ label: '[128,512]', args: { transB: 1, K: 128, N: 512, ldb: 128 } }],
  },
  f32_gemm_packed_bias: {
    args: ['transA', 'M', 'N', 'K', 'alpha', 'A', 'lda', 'Bp', 'beta', 'C', 'ldc', 'bias'],
    pointers: [
      [5, (a) => (a[0] ? strided(a[3]!, a[1]!, a[6]!) : strided(a[1]!, a[3]!, a[6]!))],
      [7, (a) => packedSize(a[3]!, a[2]!)],
      [9, (a) => strided(a[1]!, a[2]!, a[10]!)],
      [11, (a) => a[2]!, true],
    ],
    work: (a) => ({ flops: 2 * a[1]! * a[2]! * a[3]!, elems: a[1]! * a[2]! }),
    unit: 'GFLOP/s',
    bench: [[1, 512, 128], [32, 512, 128], [1, 512, 192]].map(([M, N, K]) => (
      { label: `[${M},${K}]×[${K},${N}] + bias`, args: { transA: 0, M: M!, N: N!, K: K!, alpha: 1, lda: K!, beta: 0, ldc: N! } })),
  },
  f32_sum_rows: {
    args: ['M', 'N', 'X', 'ldx', 'y'],
    pointers: [[2, (a) => strided(a[0]!, a[1]!, a[3]!)], [4, (a) => a[1]!]],
    work: (a) => ({ flops: a[0]! * a[1]!, elems: a[0]! * a[1]! }),
    unit: 'Melem/s',
    bench: [{ label: '[3200,512]', args: { M: 3200, N: 512, ldx: 512 } }],
  },
  f32_add: { args: ['n', 'x', 'y', 'z'], pointers: [[1, n0], [2, n0], [3, n0]], work: elemwise, unit: 'Melem/s', bench: [{ label: `n=${NP}`, args: { n: NP } }] },
  f32_mul: { args: ['n', 'x', 'y', 'z'], pointers: [[1, n0], [2, n0], [3, n0]], work: elemwise, unit: 'Melem/s', bench: [{ label: `n=${NP}`, args: { n: NP } }] },
  f32_scale: { args: ['n', 'a', 'x'], pointers: [[2, n0]], work: elemwise, unit: 'Melem/s', bench: [{ label: `n=${NP}`, args: { n: NP, a: 0.5 } }] },
  f32_fill: { args: ['n', 'v', 'x'], pointers: [[2, n0]], work: elemwise, unit: 'Melem/s', bench: [{ label: `n=${NP}`, args: { n: NP, v: 0 } }] },
  f32_copy: { args: ['n', 'x', 'y'], pointers: [[1, n0], [2, n0]], work: elemwise, unit: 'Melem/s', bench: [{ label: `n=${NP}`, args: { n: NP } }] },
  f32_copy2d: {
    args: ['rows', 'cols', 'src', 'lds', 'dst', 'ldd'],
    pointers: [[2, (a) => strided(a[0]!, a[1]!, a[3]!)], [4, (a) => strided(a[0]!, a[1]!, a[5]!)]],
    work: (a) => ({ flops: 0, elems: a[0]! * a[1]! }),
    unit: 'Melem/s',
    bench: [{ label: '[32,128] into rows of 192', args: { rows: 32, cols: 128, lds: 128, ldd: 192 } }],
  },
  f32_sumsq: { args: ['n', 'x'], pointers: [[1, n0]], work: (a) => ({ flops: 2 * a[0]!, elems: a[0]! }), unit: 'Melem/s', bench: [{ label: `n=${NP}`, args: { n: NP } }] },
  f32_gather_rows: {
    args: ['n', 'idx', 'table', 'dim', 'out'],
    // The table's rows are whatever the indices say: only its first row is checked here.
    pointers: [[1, n0], [2, (a) => a[3]!], [4, (a) => a[0]! * a[3]!]],
    work: (a) => ({ flops: 0, elems: a[0]! * a[3]! }),
    unit: 'Melem/s',
    bench: [{ label: '2048 rows of 64', args: { n: 2048, dim: 64 }, ints: { idx: 1 } }],
  },
  f32_scatter_add_rows: {
    args: ['n', 'idx', 'src', 'dim', 'table'],
    pointers: [[1, n0], [2, (a) => a[0]! * a[3]!], [4, (a) => a[3]!]],
    work: (a) => ({ flops: a[0]! * a[3]!, elems: a[0]! * a[3]! }),
    unit: 'Melem/s',
    bench: [{ label: '2048 rows of 64', args: { n: 2048, dim: 64 }, ints: { idx: 1 } }],
  },
  f32_sigmoid: { args: ['n', 'x', 'y'], pointers: [[1, n0], [2, n0]], work: elemwise, unit: 'Melem/s', bench: [{ label: `n=${NACT}`, args: { n: NACT } }] },
  f32_sigmoid_bwd: { args: ['n', 'y', 'dy', 'dx'], pointers: [[1, n0], [2, n0], [3, n0]], work: elemwise, unit: 'Melem/s', bench: [{ label: `n=${NACT}`, args: { n: NACT } }] },
  f32_tanh: { args: ['n', 'x', 'y'], pointers: [[1, n0], [2, n0]], work: elemwise, unit: 'Melem/s', bench: [{ label: `n=${NACT}`, args: { n: NACT } }] },
  f32_tanh_bwd: { args: ['n', 'y', 'dy', 'dx'], pointers: [[1, n0], [2, n0], [3, n0]], work: elemwise, unit: 'Melem/s', bench: [{ label: `n=${NACT}`, args: { n: NACT } }] },
  f32_relu: { args: ['n', 'x', 'y'], pointers: [[1, n0], [2, n0]], work: elemwise, unit: 'Melem/s', bench: [{ label: `n=${NACT}`, args: { n: NACT } }] },
  f32_relu_bwd: { args: ['n', 'y', 'dy', 'dx'], pointers: [[1, n0], [2, n0], [3, n0]], work: elemwise, unit: 'Melem/s', bench: [{ label: `n=${NACT}`, args: { n: NACT } }] },
  f32_rnn_cell_fwd: {
    args: ['B', 'H', 'act', 'g', 'hPrev', 'h', 'mask', 'y', 'ldy'],
    pointers: [[3, BH], [4, BH], [5, BH], [6, n0, true], [7, (a) => strided(a[0]!, a[1]!, a[8]!)]],
    work: cellWork, unit: 'Melem/s',
    bench: [{ label: `tanh B=${CELL.B} H=${CELL.H}`, args: { ...CELL, act: 0, mask: 0, ldy: CELL.H } }],
  },
  f32_rnn_cell_bwd: {
    args: ['B', 'H', 'act', 'h', 'mask', 'dy', 'ldy', 'dh', 'dG'],
    pointers: [[3, BH], [4, n0, true], [5, (a) => strided(a[0]!, a[1]!, a[6]!), true], [7, BH], [8, BH]],
    work: cellWork, unit: 'Melem/s',
    bench: [{ label: `tanh B=${CELL.B} H=${CELL.H}`, args: { ...CELL, act: 0, mask: 0, ldy: CELL.H } }],
  },
  f32_lstm_cell_fwd: {
    args: ['B', 'H', 'gates', 'cPrev', 'hPrev', 'c', 'h', 'mask', 'y', 'ldy'],
    pointers: [[2, (a) => 4 * BH(a)], [3, BH], [4, BH], [5, BH], [6, BH], [7, n0, true], [8, (a) => strided(a[0]!, a[1]!, a[9]!)]],
    work: cellWork, unit: 'Melem/s',
    bench: [{ label: `B=${CELL.B} H=${CELL.H}`, args: { ...CELL, mask: 0, ldy: CELL.H } }],
  },
  f32_lstm_cell_bwd: {
    args: ['B', 'H', 'gates', 'cPrev', 'c', 'mask', 'dy', 'ldy', 'dh', 'dc', 'dGates'],
    pointers: [[2, (a) => 4 * BH(a)], [3, BH], [4, BH], [5, n0, true], [6, (a) => strided(a[0]!, a[1]!, a[7]!), true], [8, BH], [9, BH], [10, (a) => 4 * BH(a)]],
    work: cellWork, unit: 'Melem/s',
    bench: [{ label: `B=${CELL.B} H=${CELL.H}`, args: { ...CELL, mask: 0, ldy: CELL.H } }],
  },
  f32_gru_cell_fwd: {
    args: ['B', 'H', 'gx', 'gh', 'hPrev', 'h', 'mask', 'y', 'ldy'],
    pointers: [[2, (a) => 3 * BH(a)], [3, (a) => 3 * BH(a)], [4, BH], [5, BH], [6, n0, true], [7, (a) => strided(a[0]!, a[1]!, a[8]!)]],
    work: cellWork, unit: 'Melem/s',
    bench: [{ label: `B=${CELL.B} H=${CELL.H}`, args: { ...CELL, mask: 0, ldy: CELL.H } }],
  },
  f32_gru_cell_bwd: {
    args: ['B', 'H', 'gx', 'gh', 'hPrev', 'mask', 'dy', 'ldy', 'dh', 'dGx', 'dGh'],
    pointers: [[2, (a) => 3 * BH(a)], [3, (a) => 3 * BH(a)], [4, BH], [5, n0, true], [6, (a) => strided(a[0]!, a[1]!, a[7]!), true], [8, BH], [9, (a) => 3 * BH(a)], [10, (a) => 3 * BH(a)]],
    work: cellWork, unit: 'Melem/s',
    bench: [{ label: `B=${CELL.B} H=${CELL.H}`, args: { ...CELL, mask: 0, ldy: CELL.H } }],
  },
  f32_layer_norm_rows: {
    args: ['rows', 'n', 'eps', 'x', 'rstd'],
    pointers: [[3, (a) => a[0]! * a[1]!], [4, n0]],
    work: (a) => ({ flops: 0, elems: a[0]! * a[1]! }), unit: 'Melem/s',
    bench: [{ label: `[${CELL.B},${4 * CELL.H}]`, args: { rows: CELL.B, n: 4 * CELL.H, eps: 1e-5 } }],
  },
  f32_ln_lstm_cell_fwd: {
    args: ['B', 'H', 'gx', 'gh', 'ln', 'bias', 'cPrev', 'hPrev', 'c', 'h', 'mask', 'y', 'ldy', 'sv', 'eps'],
    pointers: [[2, (a) => 4 * BH(a)], [3, (a) => 4 * BH(a)], [4, (a) => 18 * a[1]!], [5, (a) => 4 * a[1]!, true], [6, BH], [7, BH], [8, BH], [9, BH],
      [10, n0, true], [11, (a) => strided(a[0]!, a[1]!, a[12]!)], [13, (a) => a[0]! * (4 * a[1]! + 4)]],
    work: cellWork, unit: 'Melem/s',
    bench: [{ label: `B=${CELL.B} H=${CELL.H}`, args: { ...CELL, mask: 0, ldy: CELL.H, eps: 1e-5 } }],
  },
  f32_ln_lstm_cell_bwd: {
    args: ['B', 'H', 'gx', 'gh', 'ln', 'cPrev', 'c', 'mask', 'sv', 'dy', 'ldy', 'dh', 'dc', 'dgx', 'dgh', 'dln', 'dbih', 'dbhh'],
    pointers: [[2, (a) => 4 * BH(a)], [3, (a) => 4 * BH(a)], [4, (a) => 18 * a[1]!], [5, BH], [6, BH], [7, n0, true], [8, (a) => a[0]! * (4 * a[1]! + 4)],
      [9, (a) => strided(a[0]!, a[1]!, a[10]!), true], [11, BH], [12, BH], [13, (a) => 4 * BH(a)], [14, (a) => 4 * BH(a)],
      [15, (a) => 18 * a[1]!], [16, (a) => 4 * a[1]!, true], [17, (a) => 4 * a[1]!, true]],
    work: cellWork, unit: 'Melem/s',
    bench: [{ label: `B=${CELL.B} H=${CELL.H}`, args: { ...CELL, mask: 0, ldy: CELL.H } }],
  },
  f32_ln_gru_cell_fwd: {
    args: ['B', 'H', 'gx', 'gh', 'ln', 'bih', 'bhh', 'hPrev', 'h', 'mask', 'y', 'ldy', 'sv'],
    pointers: [[2, (a) => 3 * BH(a)], [3, (a) => 3 * BH(a)], [4, (a) => 12 * a[1]!], [5, (a) => 3 * a[1]!, true], [6, (a) => 3 * a[1]!, true],
      [7, BH], [8, BH], [9, n0, true], [10, (a) => strided(a[0]!, a[1]!, a[11]!)], [12, (a) => a[0]! * (4 * a[1]! + 2)]],
    work: cellWork, unit: 'Melem/s',
    bench: [{ label: `B=${CELL.B} H=${CELL.H}`, args: { ...CELL, mask: 0, ldy: CELL.H } }],
  },
  f32_ln_gru_cell_bwd: {
    args: ['B', 'H', 'gx', 'gh', 'ln', 'hPrev', 'mask', 'sv', 'dy', 'ldy', 'dh', 'dgx', 'dgh', 'dln', 'dbih', 'dbhh'],
    pointers: [[2, (a) => 3 * BH(a)], [3, (a) => 3 * BH(a)], [4, (a) => 12 * a[1]!], [5, BH], [6, n0, true], [7, (a) => a[0]! * (4 * a[1]! + 2)],
      [8, (a) => strided(a[0]!, a[1]!, a[9]!), true], [10, BH], [11, (a) => 3 * BH(a)], [12, (a) => 3 * BH(a)],
      [13, (a) => 12 * a[1]!], [14, (a) => 3 * a[1]!, true], [15, (a) => 3 * a[1]!, true]],
    work: cellWork, unit: 'Melem/s',
    bench: [{ label: `B=${CELL.B} H=${CELL.H}`, args: { ...CELL, mask: 0, ldy: CELL.H } }],
  },
  // Attention: R rows, S source positions, keys [S, R/group, K]; A the additive score's width.
  f32_attn_dot_fwd: {
    args: ['R', 'S', 'K', 'group', 'q', 'keys', 'mask', 'alpha', 'ctx'],
    pointers: [[4, (a) => a[0]! * a[2]!], [5, (a) => a[1]! * (a[0]! / a[3]!) * a[2]!], [6, (a) => a[1]! * (a[0]! / a[3]!)], [7, (a) => a[0]! * a[1]!], [8, (a) => a[0]! * a[2]!]],
    work: (a) => ({ flops: 4 * a[0]! * a[1]! * a[2]!, elems: a[0]! * a[1]! }), unit: 'GFLOP/s',
    bench: [{ label: 'R=64 S=16 K=256', args: { R: 64, S: 16, K: 256, group: 1 } }],
  },
  f32_attn_dot_bwd: {
    args: ['R', 'S', 'K', 'group', 'q', 'keys', 'alpha', 'dctx', 'dq', 'dkeys', 'de'],
    pointers: [[4, (a) => a[0]! * a[2]!], [5, (a) => a[1]! * (a[0]! / a[3]!) * a[2]!], [6, (a) => a[0]! * a[1]!], [7, (a) => a[0]! * a[2]!], [8, (a) => a[0]! * a[2]!],
      [9, (a) => a[1]! * (a[0]! / a[3]!) * a[2]!], [10, (a) => a[1]!]],
    work: (a) => ({ flops: 8 * a[0]! * a[1]! * a[2]!, elems: a[0]! * a[1]! }), unit: 'GFLOP/s',
    bench: [{ label: 'R=64 S=16 K=256', args: { R: 64, S: 16, K: 256, group: 1 } }],
  },
  f32_attn_additive_fwd: {
    args: ['R', 'S', 'A', 'K', 'group', 'u', 'P', 'v', 'keys', 'mask', 'alpha', 'ctx'],
    pointers: [[5, (a) => a[0]! * a[2]!], [6, (a) => a[1]! * (a[0]! / a[4]!) * a[2]!], [7, (a) => a[2]!], [8, (a) => a[1]! * (a[0]! / a[4]!) * a[3]!],
      [9, (a) => a[1]! * (a[0]! / a[4]!)], [10, (a) => a[0]! * a[1]!], [11, (a) => a[0]! * a[3]!]],
    work: (a) => ({ flops: 3 * a[0]! * a[1]! * a[2]! + 2 * a[0]! * a[1]! * a[3]!, elems: a[0]! * a[1]! }), unit: 'GFLOP/s',
    bench: [{ label: 'R=64 S=16 A=256 K=256', args: { R: 64, S: 16, A: 256, K: 256, group: 1 } }],
  },
  f32_attn_additive_bwd: {
    args: ['R', 'S', 'A', 'K', 'group', 'u', 'P', 'v', 'keys', 'alpha', 'dctx', 'du', 'dP', 'dv', 'dkeys', 'de'],
    pointers: [[5, (a) => a[0]! * a[2]!], [6, (a) => a[1]! * (a[0]! / a[4]!) * a[2]!], [7, (a) => a[2]!], [8, (a) => a[1]! * (a[0]! / a[4]!) * a[3]!],
      [9, (a) => a[0]! * a[1]!], [10, (a) => a[0]! * a[3]!], [11, (a) => a[0]! * a[2]!], [12, (a) => a[1]! * (a[0]! / a[4]!) * a[2]!], [13, (a) => a[2]!],
      [14, (a) => a[1]! * (a[0]! / a[4]!) * a[3]!], [15, (a) => a[1]!]],
    work: (a) => ({ flops: 6 * a[0]! * a[1]! * a[2]! + 4 * a[0]! * a[1]! * a[3]!, elems: a[0]! * a[1]! }), unit: 'GFLOP/s',
    bench: [{ label: 'R=64 S=16 A=256 K=256', args: { R: 64, S: 16, A: 256, K: 256, group: 1 } }],
  },
  f32_log_softmax_rows: {
    args: ['rows', 'n', 'x', 'y'],
    pointers: [[2, (a) => a[0]! * a[1]!], [3, (a) => a[0]! * a[1]!]],
    work: (a) => ({ flops: 0, elems: a[0]! * a[1]! }), unit: 'Melem/s',
    bench: [{ label: 'rows=320 n=64', args: { rows: 320, n: 64 } }],
  },
  f32_sgd_update: {
    args: ['n', 'p', 'g', 'buf', 'lr', 'momentum', 'dampening', 'weightDecay', 'nesterov', 'first'],
    pointers: [[1, n0], [2, n0], [3, n0]], work: elemwise, unit: 'Melem/s',
    bench: [{ label: `momentum n=${NP}`, args: { n: NP, lr: 1e-3, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: 0, first: 0 } }],
  },
  f32_adam_update: {
    args: ['n', 'p', 'g', 'm', 'v', 'lr', 'beta1', 'beta2', 'eps', 'weightDecay', 'bc1', 'bc2'],
    pointers: [[1, n0], [2, n0], [3, n0], [4, n0]], work: elemwise, unit: 'Melem/s',
    bench: [{ label: `n=${NP}`, args: { n: NP, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, bc1: 0.1, bc2: 0.001 } }],
  },
  f32_adamw_update: {
    args: ['n', 'p', 'g', 'm', 'v', 'lr', 'beta1', 'beta2', 'eps', 'weightDecay', 'bc1', 'bc2'],
    pointers: [[1, n0], [2, n0], [3, n0], [4, n0]], work: elemwise, unit: 'Melem/s',
    bench: [{ label: `n=${NP}`, args: { n: NP, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, bc1: 0.1, bc2: 0.001 } }],
  },
  f32_rmsprop_update: {
    args: ['n', 'p', 'g', 'sq', 'gavg', 'buf', 'lr', 'alpha', 'eps', 'weightDecay', 'momentum', 'centered'],
    pointers: [[1, n0], [2, n0], [3, n0], [4, n0], [5, n0]], work: elemwise, unit: 'Melem/s',
    bench: [{ label: `centered, momentum n=${NP}`, args: { n: NP, lr: 1e-3, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0.9, centered: 1 } }],
  },
  f32_adagrad_update: {
    args: ['n', 'p', 'g', 'sum', 'lr', 'eps', 'weightDecay', 'lrDecay', 'step'],
    pointers: [[1, n0], [2, n0], [3, n0]], work: elemwise, unit: 'Melem/s',
    bench: [{ label: `n=${NP}`, args: { n: NP, lr: 1e-2, eps: 1e-10, weightDecay: 0, lrDecay: 0, step: 10 } }],
  },
  f32_clip_value: { args: ['n', 'x', 'lo', 'hi'], pointers: [[1, n0]], work: elemwise, unit: 'Melem/s', bench: [{ label: `n=${NP}`, args: { n: NP, lo: -0.5, hi: 0.5 } }] },
  f32_mse_loss: {
    args: ['rows', 'outs', 'pred', 'target', 'weight', 'scale', 'dpred'],
    pointers: [[2, RO], [3, RO], [4, n0], [6, RO, true]],
    work: (a) => ({ flops: 0, elems: a[0]! * a[1]! }), unit: 'Melem/s',
    bench: [{ label: 'rows=2048 outs=8', args: { rows: 2048, outs: 8, scale: 1 / 2048 } }],
  },
  f32_mae_loss: {
    args: ['rows', 'outs', 'pred', 'target', 'weight', 'scale', 'dpred'],
    pointers: [[2, RO], [3, RO], [4, n0], [6, RO, true]],
    work: (a) => ({ flops: 0, elems: a[0]! * a[1]! }), unit: 'Melem/s',
    bench: [{ label: 'rows=2048 outs=8', args: { rows: 2048, outs: 8, scale: 1 / 2048 } }],
  },
  f32_bce_logits_loss: {
    args: ['rows', 'outs', 'pred', 'target', 'weight', 'scale', 'dpred'],
    pointers: [[2, RO], [3, RO], [4, n0], [6, RO, true]],
    work: (a) => ({ flops: 0, elems: a[0]! * a[1]! }), unit: 'Melem/s',
    bench: [{ label: 'rows=2048 outs=8', args: { rows: 2048, outs: 8, scale: 1 / 2048 } }],
  },
  f32_huber_loss: {
    args: ['rows', 'outs', 'pred', 'target', 'weight', 'delta', 'scale', 'dpred'],
    pointers: [[2, RO], [3, RO], [4, n0], [7, RO, true]],
    work: (a) => ({ flops: 0, elems: a[0]! * a[1]! }), unit: 'Melem/s',
    bench: [{ label: 'rows=2048 outs=8', args: { rows: 2048, outs: 8, delta: 1, scale: 1 / 2048 } }],
  },
  f32_softmax_xent_loss: {
    args: ['rows', 'outs', 'logits', 'target', 'weight', 'ignoreIndex', 'smoothing', 'scale', 'dlogits'],
    pointers: [[2, RO], [3, n0], [4, n0], [8, RO, true]],
    work: (a) => ({ flops: 0, elems: a[0]! * a[1]! }), unit: 'Melem/s',
    bench: [{ label: 'rows=2048 outs=64', args: { rows: 2048, outs: 64, ignoreIndex: -100, smoothing: 0, scale: 1 / 2048 }, ints: { target: 64 } }],
  },
};

/** The names of all kernels, in the table's order. */
export const KERNEL_NAMES = Object.keys(KERNELS) as readonly (keyof Kernels)[];
