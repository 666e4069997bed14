// Where a kernel call is cut for the pool (threads.ts): each cut keeps the
// arithmetic of every output element what it is in one call. GEMMs by 4-row
// tiles, else by pairs of 8-column panels; cells by rows of the batch;
// column sums and weight packing by columns; optimizer updates by ranges.
// Rows first for products: a recurrent step's gates for rows [b0, b1) are
// then computed by the thread whose cell step reads them (the cells split the
// batch the same way), and its next product reads the h it wrote, so each
// thread's data stays in its own core's cache (split by columns, the cell
// step ran slower on two threads than on one).
//
// Nothing here allocates per call: every wrapper owns its argument arrays
// and the cut points live in one scratch array (kernels never nest).
import { SimdRnnError } from '../errors.js';
import type { Kernels } from './backend.js';
import { KERNEL_ARGS, KERNEL_NAMES } from './kernel_args.js';
import { MAX_CLAIMED } from './worker.js';

/** What the wrappers need of a pool. */
export interface Runner {
  /** Threads in use now. */
  readonly size: number;
  /** Runs parts[0] here and parts[1 … count) on the workers. */
  run(kernel: number, fn: Fn, parts: readonly number[][], count: number): void;
}

type Fn = (...a: number[]) => unknown;
/** Runs pieces of a call that the threads claim one at a time (claimed.ts). */
export type Claimed = (kernel: number, fn: Fn, pieces: readonly (readonly number[])[], count: number) => void;

/** Work below which a call runs on the calling thread (flops for products, elements otherwise). */
const MIN_FLOPS = 1 << 18, MIN_ELEMS = 1 << 13;

/**
 * A cut along one dimension: argument `count` holds its length, cut in
 * multiples of q, at least `least` a part; pointer argument i moves by
 * step(a) floats a unit (a 0 pointer, "none", stays 0).
 */
interface Along {
  count: number;
  q: number;
  least: number;
  steps: readonly (readonly [number, (a: readonly number[]) => number])[];
  /** A further condition on the cut points. */
  ok?: (a: readonly number[], cut: Int32Array, parts: number) => boolean;
}

const cut = new Int32Array(65);

/**
 * Cuts call a into parts (whole multiples of q, the last takes the rest) into out; false if it should not be cut.
 * `at`: the cut points, in units of q (at[0] = 0, then increasing), instead of even parts.
 */
function along(al: Along, a: readonly number[], parts: number, out: number[][], share = 0, last = false, at?: readonly number[]): boolean {
  const n = a[al.count]!;
  if (n < al.least * parts) return false;
  const units = Math.floor(n / al.q);
  cut[0] = 0;
  if (at) {
    for (let p = 1; p < parts; p++) {
      cut[p] = at[p]! * al.q;
      if (cut[p]! - cut[p - 1]! < al.least || cut[p]! > n - al.least) return false;
    }
  } else if (share > 0) {
    // The calling thread's part (the first, or the last) gets `share` of the units, the others the rest evenly.
    const mine = Math.max(Math.ceil(al.least / al.q), Math.round(units * share)), rest = units - mine;
    for (let p = 1; p < parts; p++) cut[p] = (last ? Math.round((rest * p) / (parts - 1)) : mine + Math.round((rest * (p - 1)) / (parts - 1))) * al.q;
  } else {
    for (let p = 1; p < parts; p++) cut[p] = Math.round((units * p) / parts) * al.q;
  }
  cut[parts] = n;
  if (al.ok && !al.ok(a, cut, parts)) return false;
  for (let p = 0; p < parts; p++) {
    const x = out[p]!, u0 = cut[p]!;
    for (let i = 0; i < a.length; i++) x[i] = a[i]!;
    x[al.count] = cut[p + 1]! - u0;
    for (let j = 0; j < al.steps.length; j++) {
      const [i, step] = al.steps[j]!;
      if (x[i]) x[i] = x[i]! + 4 * u0 * step(a);
    }
  }
  return true;
}

const one = (): number => 1;
const H = (a: readonly number[]): number => a[1]!;
const G = (g: number) => (a: readonly number[]): number => g * a[1]!;
const arg = (i: number) => (a: readonly number[]): number => a[i]!;

/**
 * Cut points, in units, of `units` in pieces for n threads (at[0] = 0, the
 * last = units): each piece a thread's share of what is left, at least
 * `least` units, so the first are large (few pieces) and the last small (a
 * faster thread claims more of them: claimed.ts); at most `most` pieces
 * (the least piece doubles until they fit).
 */
export function guided(units: number, n: number, most: number, least = 1): number[] {
  for (let l = Math.max(1, least); ; l *= 2) {
    const at = [0];
    while (at[at.length - 1]! < units) {
      const done = at[at.length - 1]!;
      at.push(Math.min(units, done + Math.max(l, Math.floor((units - done) / n))));
    }
    if (at.length - 1 <= most || l >= units) return at;
  }
}

/** Cuts a into `parts` even parts, or (most > parts) into up to `most` guided pieces; the parts made (0: not cut). */
type Split = (a: readonly number[], parts: number, out: number[][], most?: number) => number;
const first = (...ways: Along[]): Split => (a, parts, out, most = parts) => {
  for (let i = 0; i < ways.length; i++) {
    const w = ways[i]!;
    if (most > parts) {
      const at = guided(Math.floor(a[w.count]! / w.q), parts, most, Math.ceil(w.least / w.q)), made = at.length - 1;
      if (made > parts && along(w, a, made, out, 0, false, at)) return made;
    }
    if (along(w, a, parts, out)) return parts;
  }
  return 0;
};

// f32_gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc). Rows left over (M mod 4) stay in
// the last part, with the whole call's "M ≥ 64" packing choice, so each element is summed as in one call.
const gemm = first(
  { count: 2, q: 4, least: 8, steps: [[6, (a) => (a[0] ? 1 : a[7]!)], [11, arg(12)]],
    ok: (a, c, parts) => !(a[2]! >= 64 && a[2]! & 3 && !a[1] && a[2]! - c[parts - 1]! < 64) },
  { count: 3, q: 16, least: 32, steps: [[8, (a) => (a[1] ? a[9]! : 1)], [11, one]] },
);
// f32_gemm_packed_bias(transA, M, N, K, alpha, A, lda, Bp, beta, C, ldc, bias): Bp in 8-column panels of K rows.
const packedRows: Along = { count: 1, q: 4, least: 8, steps: [[5, (a) => (a[0] ? 1 : a[6]!)], [9, arg(10)]] };
const packed = first(packedRows, { count: 2, q: 16, least: 32, steps: [[7, arg(3)], [9, one], [11, one]] });
/** Cuts a packed product (f32_gemm_packed_bias's arguments, A not transposed) into row parts; false if it is too small. */
export const cutPackedRows = (a: readonly number[], parts: number, out: number[][], share = 0, last = false): boolean =>
  !a[0] && LARGE.f32_gemm_packed_bias!(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!) && along(packedRows, a, parts, out, share, last);
/** Cuts a packed product (A not transposed) into `parts` row pieces at 4-row tiles, each at least 8 rows; false if it has too few. */
export const cutPackedPieces = (a: readonly number[], parts: number, out: number[][]): boolean => !a[0] && along(packedRows, a, parts, out);
// i8_gemm(M, N, K, Q, ldq, sa, Wp, sw, accumulate, C, ldc, bias): Q rows are ldq bytes; Wp in panels of 16
// columns, ⌈K/8⌉·8 bytes a column. Each element is one integer sum, whatever tile computes it.
const i8gemm = first(
  { count: 0, q: 2, least: 2, steps: [[3, (a) => a[4]! / 4], [5, one], [9, arg(10)]] },
  { count: 1, q: 16, least: 32, steps: [[6, (a) => ((a[2]! + 7) & ~7) / 4], [7, one], [9, one], [11, one]] },
);
/** Cells: rows of the batch (4 at a time); mask is one float a row, y has its own stride. */
const cellRows = (steps: Along['steps']): Along => ({ count: 0, q: 4, least: 4, steps });
/** Every pointer of an elementwise kernel over n, in ranges of 16. */
const ranges = (name: keyof Kernels): Split => first({ count: 0, q: 16, least: 16, steps: KERNEL_ARGS[name].pointers.map(([i]) => [i, one] as const) });

/**
 * The kernels a recurrent step calls, cut by rows of the batch: a 4-row cut
 * at the same points for each (the count is the batch, q = 4), so a thread
 * that runs one part of every call of a step reads only rows it wrote.
 */
const ROWS: Partial<Record<keyof Kernels, Along>> = {
  // (A piece of a step program may be one 4-row tile: the pieces are claimed one at a time, claimed.ts.)
  f32_gemm_packed_bias: { ...packedRows, least: 4 },
  f32_rnn_cell_fwd: cellRows([[3, H], [4, H], [5, H], [6, one], [7, arg(8)]]),
  f32_lstm_cell_fwd: cellRows([[2, G(4)], [3, H], [4, H], [5, H], [6, H], [7, one], [8, arg(9)]]),
  f32_gru_cell_fwd: cellRows([[2, G(3)], [3, G(3)], [4, H], [5, H], [6, one], [7, arg(8)]]),
  f32_rnn_cell_bwd: cellRows([[3, H], [4, one], [5, arg(6)], [7, H], [8, H]]),
  f32_lstm_cell_bwd: cellRows([[2, G(4)], [3, H], [4, H], [5, one], [6, arg(7)], [8, H], [9, H], [10, G(4)]]),
  f32_gru_cell_bwd: cellRows([[2, G(3)], [3, G(3)], [4, H], [5, one], [6, arg(7)], [8, H], [9, G(3)], [10, G(3)]]),
};
/** The rows of the batch a step's call covers (see ROWS; 0 for a kernel steps do not cut). */
export function stepRowsOf(name: keyof Kernels, a: readonly number[]): number {
  const al = ROWS[name];
  return al ? a[al.count]! : 0;
}

/**
 * Cuts a step's call by rows (see ROWS) into parts, at the 4-row points `at`
 * (in 4-row units, at[0] = 0), or evenly; false if this kernel or call
 * cannot be (then no thread runs whole sequences).
 */
export function cutStepRows(name: keyof Kernels, a: readonly number[], parts: number, out: number[][], at?: readonly number[]): boolean {
  const al = ROWS[name];
  return !!al && !(name === 'f32_gemm_packed_bias' && a[0]) && along(al, a, parts, out, 0, false, at);
}

const SPLITS: Partial<Record<keyof Kernels, Split>> = {
  f32_gemm: gemm,
  f32_gemm_packed_bias: packed,
  f32_rnn_cell_fwd: first(ROWS.f32_rnn_cell_fwd!),
  f32_rnn_cell_bwd: first(ROWS.f32_rnn_cell_bwd!),
  f32_lstm_cell_fwd: first(ROWS.f32_lstm_cell_fwd!),
  f32_lstm_cell_bwd: first(ROWS.f32_lstm_cell_bwd!),
  f32_gru_cell_fwd: first(ROWS.f32_gru_cell_fwd!),
  f32_gru_cell_bwd: first(ROWS.f32_gru_cell_bwd!),
  // Column sums (bias gradients): each column's sum keeps its order over the rows.
  f32_sum_rows: first({ count: 1, q: 16, least: 32, steps: [[2, one], [4, one]] }),
  // Packing a weight matrix into 8-column panels of K rows: panel by panel.
  f32_pack_b: first({ count: 2, q: 8, least: 16, steps: [[3, (a) => (a[0] ? a[4]! : 1)], [5, arg(1)]] }),
  i8_gemm: i8gemm,
  // i8_quantize_rows(M, K, X, ldx, Q, ldq, scales): row by row (Q rows are ldq bytes).
  i8_quantize_rows: first({ count: 0, q: 1, least: 1, steps: [[2, arg(3)], [4, (a) => a[5]! / 4], [6, one]] }),
  f32_sgd_update: ranges('f32_sgd_update'),
  f32_adam_update: ranges('f32_adam_update'),
  f32_adamw_update: ranges('f32_adamw_update'),
  f32_rmsprop_update: ranges('f32_rmsprop_update'),
  f32_adagrad_update: ranges('f32_adagrad_update'),
};

/** Whether a call is large enough to cut (x times the least work), from its first five arguments (no array filled). */
type Large = (a0: number, a1: number, a2: number, a3: number, a4: number, x?: number) => boolean;
const cellLarge = (g: number): Large => (B, Hh, _c, _d, _e, x = 1) => B >= 8 && g * B * Hh >= MIN_ELEMS * x;
const rangeLarge: Large = (n, _b, _c, _d, _e, x = 1) => n >= MIN_ELEMS * x;
const LARGE: Partial<Record<keyof Kernels, Large>> = {
  f32_gemm: (_t, _u, M, N, K, x = 1) => 2 * M * N * K >= MIN_FLOPS * x,
  f32_gemm_packed_bias: (_t, M, N, K, _e, x = 1) => 2 * M * N * K >= MIN_FLOPS * x,
  f32_sum_rows: (M, N, _c, _d, _e, x = 1) => M * N >= MIN_ELEMS * x,
  i8_gemm: (M, N, K, _d, _e, x = 1) => 2 * M * N * K >= MIN_FLOPS * x,
  i8_quantize_rows: (M, K, _c, _d, _e, x = 1) => M * K >= MIN_ELEMS * x,
  f32_pack_b: (_t, K, N, _d, _e, x = 1) => K * N >= MIN_ELEMS * x,
  f32_rnn_cell_fwd: cellLarge(1), f32_rnn_cell_bwd: cellLarge(1),
  f32_lstm_cell_fwd: cellLarge(4), f32_lstm_cell_bwd: cellLarge(4),
  f32_gru_cell_fwd: cellLarge(3), f32_gru_cell_bwd: cellLarge(3),
  f32_sgd_update: rangeLarge, f32_adam_update: rangeLarge, f32_adamw_update: rangeLarge, f32_rmsprop_update: rangeLarge, f32_adagrad_update: rangeLarge,
};
/**
 * Claimed pieces only for calls this many times the least work cut (about
 * 130 µs for a product): a batch-1 step product (H = 256: ~15 µs) ran 6–9 %
 * slower in six pieces than in two halves, where a piece is a few µs.
 */
const PIECE_WORK = 16;

/**
 * One kernel, cut when large: explicit parameters (no rest array, no spread:
 * a wasm call is ~30 ns, and a wrapper that allocates costs more than that),
 * its own argument and part arrays for up to n threads. With `claimed`, a
 * call of PIECE_WORK times that work is cut into up to `pieces` pieces per
 * thread that the threads claim one at a time.
 */
function wrap(fn: Fn, split: Split, index: number, pool: Runner, large: Large, n: number, claimed?: Claimed, pieces = 1): Fn {
  // 18 slots: the widest kernel's arguments (a wasm export ignores those past its own).
  const a = new Array<number>(18).fill(0);
  const parts = Array.from({ length: claimed ? Math.min(MAX_CLAIMED, pieces * n) : n }, () => new Array<number>(18).fill(0));
  return (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17) => {
    const size = pool.size;
    if (size > 1 && large(a0!, a1!, a2!, a3!, a4!)) {
      a[0] = a0!; a[1] = a1!; a[2] = a2!; a[3] = a3!; a[4] = a4!; a[5] = a5 ?? 0; a[6] = a6 ?? 0; a[7] = a7 ?? 0; a[8] = a8 ?? 0;
      a[9] = a9 ?? 0; a[10] = a10 ?? 0; a[11] = a11 ?? 0; a[12] = a12 ?? 0; a[13] = a13 ?? 0; a[14] = a14 ?? 0; a[15] = a15 ?? 0; a[16] = a16 ?? 0; a[17] = a17 ?? 0;
      const made = split(a, size, parts, claimed && large(a0!, a1!, a2!, a3!, a4!, PIECE_WORK) ? Math.min(parts.length, pieces * size) : size);
      if (made > size) { claimed!(index, fn, parts, made); return undefined; }
      if (made) { pool.run(index, fn, parts, size); return undefined; }
    }
    return fn(a0!, a1!, a2!, a3!, a4!, a5!, a6!, a7!, a8!, a9!, a10!, a11!, a12!, a13!, a14!, a15!, a16!, a17!);
  };
}

/**
 * Pieces a thread of a call the threads claim one at a time: two where each
 * piece packs B again (f32_gemm, whose B is not pre-packed; the int8
 * product), four elsewhere.
 */
const PIECES: Partial<Record<keyof Kernels, number>> = { f32_gemm: 2, i8_gemm: 2 };

/**
 * The kernels with their large calls cut across the pool's threads (at most
 * n): with `claimed`, in guided pieces the threads claim one at a time.
 */
export function parallelKernels(k: Kernels, pool: Runner, n: number, claimed?: Claimed): Kernels {
  const out = { ...k } as Record<keyof Kernels, Fn>;
  for (const [name, split] of Object.entries(SPLITS) as [keyof Kernels, Split][]) {
    const fn = (k as unknown as Record<string, Fn>)[name]!, arity = KERNEL_ARGS[name].args.length;
    if (arity > 18) throw new SimdRnnError('INVALID_ARGUMENT', `threads: ${name} takes ${arity} arguments, more than a wrapper passes`);
    out[name] = wrap(fn, split, KERNEL_NAMES.indexOf(name), pool, LARGE[name]!, n, claimed, PIECES[name] ?? 4);
  }
  return out as unknown as Kernels;
}
