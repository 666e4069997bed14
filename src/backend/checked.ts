// The debug check: every pointer a kernel is handed must lie, with all the
// elements the call will touch, inside one live heap block. On in tests
// (SIMD_RNN_DEBUG=1, or init({ debug: true })), off by default: it costs a
// binary search per pointer per call. A failure names the kernel, the
// argument and the range, so a stale pointer (a disposed layer's, a freed
// workspace) is caught at the call that would have corrupted memory.
import { SimdRnnError } from '../errors.js';
import { packedSize, type Kernels } from './backend.js';
import type { Heap } from './heap.js';

/** An argument index that is a pointer, and how many 4-byte elements the call touches from it. */
type Extent = [arg: number, elems: (a: number[]) => number, optional?: boolean];

// Rows × leading dimension, the last row only as wide as it is used.
const strided = (rows: number, cols: number, ld: number): number => (rows <= 0 || cols <= 0 ? 0 : (rows - 1) * ld + cols);
const n0 = (a: number[]): number => a[0]!;

/** For each kernel: its pointer arguments and their extents (see the contracts in assembly/*.ts). */
export const POINTER_ARGS: Record<keyof Kernels, Extent[]> = {
  // (transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
  f32_gemm: [
    [6, (a) => (a[0] ? strided(a[4]!, a[2]!, a[7]!) : strided(a[2]!, a[4]!, a[7]!))],
    [8, (a) => (a[1] ? strided(a[3]!, a[4]!, a[9]!) : strided(a[4]!, a[3]!, a[9]!))],
    [11, (a) => strided(a[2]!, a[3]!, a[12]!)],
  ],
  // (transB, K, N, B, ldb, Bp)
  f32_pack_b: [
    [3, (a) => (a[0] ? strided(a[2]!, a[1]!, a[4]!) : strided(a[1]!, a[2]!, a[4]!))],
    [5, (a) => packedSize(a[1]!, a[2]!)],
  ],
  // (transA, M, N, K, alpha, A, lda, Bp, beta, C, ldc, bias)
  f32_gemm_packed_bias: [
    [5, (a) => (a[0] ? strided(a[3]!, a[1]!, a[6]!) : strided(a[1]!, a[3]!, a[6]!))],
    [7, (a) => packedSize(a[3]!, a[2]!)],
    [9, (a) => strided(a[1]!, a[2]!, a[10]!)],
    [11, (a) => a[2]!, true],
  ],
  f32_sum_rows: [[2, (a) => strided(a[0]!, a[1]!, a[3]!)], [4, (a) => a[1]!]],
  f32_add: [[1, n0], [2, n0], [3, n0]],
  f32_mul: [[1, n0], [2, n0], [3, n0]],
  f32_scale: [[2, n0]],
  f32_fill: [[2, n0]],
  f32_copy: [[1, n0], [2, n0]],
  f32_copy2d: [[2, (a) => strided(a[0]!, a[1]!, a[3]!)], [4, (a) => strided(a[0]!, a[1]!, a[5]!)]],
  f32_sumsq: [[1, n0]],
  // The table's rows are whatever the indices say: only its first row is checked here.
  f32_gather_rows: [[1, n0], [2, (a) => a[3]!], [4, (a) => a[0]! * a[3]!]],
  f32_scatter_add_rows: [[1, n0], [2, (a) => a[0]! * a[3]!], [4, (a) => a[3]!]],
  f32_sigmoid: [[1, n0], [2, n0]],
  f32_sigmoid_bwd: [[1, n0], [2, n0], [3, n0]],
  f32_tanh: [[1, n0], [2, n0]],
  f32_tanh_bwd: [[1, n0], [2, n0], [3, n0]],
  f32_relu: [[1, n0], [2, n0]],
  f32_relu_bwd: [[1, n0], [2, n0], [3, n0]],
  // (B, H, act, g, hPrev, h, mask, y, ldy)
  f32_rnn_cell_fwd: [
    [3, (a) => a[0]! * a[1]!], [4, (a) => a[0]! * a[1]!], [5, (a) => a[0]! * a[1]!],
    [6, (a) => a[0]!, true], [7, (a) => strided(a[0]!, a[1]!, a[8]!)],
  ],
  // (B, H, act, h, mask, dy, ldy, dh, dG); dy 0 = none
  f32_rnn_cell_bwd: [
    [3, (a) => a[0]! * a[1]!], [4, (a) => a[0]!, true], [5, (a) => strided(a[0]!, a[1]!, a[6]!), true],
    [7, (a) => a[0]! * a[1]!], [8, (a) => a[0]! * a[1]!],
  ],
  // (B, H, gates, cPrev, hPrev, c, h, mask, y, ldy)
  f32_lstm_cell_fwd: [
    [2, (a) => 4 * a[0]! * a[1]!], [3, (a) => a[0]! * a[1]!], [4, (a) => a[0]! * a[1]!], [5, (a) => a[0]! * a[1]!],
    [6, (a) => a[0]! * a[1]!], [7, (a) => a[0]!, true], [8, (a) => strided(a[0]!, a[1]!, a[9]!)],
  ],
  // (B, H, gates, cPrev, c, mask, dy, ldy, dh, dc, dGates); dy 0 = none
  f32_lstm_cell_bwd: [
    [2, (a) => 4 * a[0]! * a[1]!], [3, (a) => a[0]! * a[1]!], [4, (a) => a[0]! * a[1]!], [5, (a) => a[0]!, true],
    [6, (a) => strided(a[0]!, a[1]!, a[7]!), true], [8, (a) => a[0]! * a[1]!], [9, (a) => a[0]! * a[1]!], [10, (a) => 4 * a[0]! * a[1]!],
  ],
  // (B, H, gx, gh, hPrev, h, mask, y, ldy)
  f32_gru_cell_fwd: [
    [2, (a) => 3 * a[0]! * a[1]!], [3, (a) => 3 * a[0]! * a[1]!], [4, (a) => a[0]! * a[1]!], [5, (a) => a[0]! * a[1]!],
    [6, (a) => a[0]!, true], [7, (a) => strided(a[0]!, a[1]!, a[8]!)],
  ],
  // (B, H, gx, gh, hPrev, mask, dy, ldy, dh, dGx, dGh); dy 0 = none
  f32_gru_cell_bwd: [
    [2, (a) => 3 * a[0]! * a[1]!], [3, (a) => 3 * a[0]! * a[1]!], [4, (a) => a[0]! * a[1]!], [5, (a) => a[0]!, true],
    [6, (a) => strided(a[0]!, a[1]!, a[7]!), true], [8, (a) => a[0]! * a[1]!], [9, (a) => 3 * a[0]! * a[1]!], [10, (a) => 3 * a[0]! * a[1]!],
  ],
  f32_sgd_update: [[1, n0], [2, n0], [3, n0]],
  f32_adam_update: [[1, n0], [2, n0], [3, n0], [4, n0]],
  f32_adamw_update: [[1, n0], [2, n0], [3, n0], [4, n0]],
  f32_rmsprop_update: [[1, n0], [2, n0], [3, n0], [4, n0], [5, n0]],
  f32_adagrad_update: [[1, n0], [2, n0], [3, n0]],
  f32_clip_value: [[1, n0]],
};

/** Kernels that check every pointer range against the heap before running. */
export function checkedKernels(k: Kernels, heap: Heap): Kernels {
  const out = {} as Record<string, unknown>;
  for (const [name, extents] of Object.entries(POINTER_ARGS) as [keyof Kernels, Extent[]][]) {
    const f = (k[name] as (...a: number[]) => number).bind(k);
    out[name] = (...args: number[]): number => {
      for (const [i, elems, optional] of extents) {
        const ptr = args[i]!, n = elems(args);
        if (n <= 0 || (optional && ptr === 0)) continue;
        if (!heap.contains(ptr, 4 * n)) {
          const who = heap.ownerAt(ptr);
          throw new SimdRnnError('INVALID_ARGUMENT',
            `${name}: argument ${i} [${ptr}, ${ptr + 4 * n}) is not inside one live heap block` +
            (who ? ` (it starts in a block of ${who.label}#${who.id})` : ' (no live block there: a stale or freed pointer)'));
        }
      }
      return f(...args);
    };
  }
  return out as unknown as Kernels;
}

/** Whether the debug check is asked for by the environment (SIMD_RNN_DEBUG=1). */
export function debugFromEnv(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.SIMD_RNN_DEBUG === '1';
}
