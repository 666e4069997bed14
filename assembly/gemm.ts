// C = α·op(A)·op(B) + β·C, row-major, op ∈ {N, T} per operand.
//   op(A) is [M, K]: A is [M, lda≥K] (transA = 0) or [K, lda≥M] (transA = 1).
//   op(B) is [K, N]: B is [K, ldb≥N] (transB = 0) or [N, ldb≥K] (transB = 1).
//   C is [M, ldc≥N]. β = 0 never reads C (so garbage/NaN in C is overwritten).
// Pointers are byte offsets; no alignment is assumed; nothing outside the
// matrices is read or written.
//
// SIMD design: a 4×8 register tile (8 f32x4 accumulators + 2 for B + 1 for
// the broadcast A element = 11 of the 16 xmm registers V8 gives us). op(A)
// is packed, MC rows at a time, into 4-row tiles in which every element is
// already broadcast to 16 bytes (the 4 of one k 64 bytes together), so the
// inner loop reads A with plain loads at constant offsets from one pointer
// (39 → 42 GFLOP/s for the input projection [100,64]×[64,512]; from A in
// place, through strides, it was 34: V8 spent ~10 integer ops per k on
// addresses, and the front end, not the arithmetic, was the limit). op(B)
// is read in panels 8 columns wide: packed into contiguous K×8 scratch
// panels when transB = 1, when M ≥ 64 (the packing pays for itself), and
// for the last, partial panel (zero padded); read in place otherwise (rows
// are contiguous when transB = 0). K is blocked by KC; a packed
// tile (≤ 16 KiB) stays in L1 while the panels stream past it. Rows left
// over (M mod 4, and the whole of a batch-1 step) use 1×16 row tiles.
import { vmadd } from './vmath';
import { KC, NC, MC, pack, partial, tmp, apack } from './scratch';

// Blocking sizes and the scratch (packed panels and tiles): scratch.ts.

export function f32_gemm(transA: i32, transB: i32, M: i32, N: i32, K: i32, alpha: f32,
                         A: usize, lda: i32, B: usize, ldb: i32, beta: f32, C: usize, ldc: i32): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0) {
    scaleC(M, N, beta, C, ldc);
    return;
  }
  if (ASC_FEATURE_SIMD) {
    gemmSimd(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  } else {
    gemmScalar(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  }
}

function scaleC(M: i32, N: i32, beta: f32, C: usize, ldc: i32): void {
  for (let i = 0; i < M; i++) {
    const c = C + (<usize>i * <usize>ldc << 2);
    for (let j = 0; j < N; j++) {
      const o = <usize>j << 2;
      store<f32>(c + o, beta == 0 ? 0 : beta * load<f32>(c + o));
    }
  }
}

// ---------------------------------------------------------------- SIMD --

// @ts-ignore: decorator
@inline function storeTile(c: usize, v0: v128, v1: v128, alpha: f32, beta: f32, nr: i32, bias: usize): void {
  const va = f32x4.splat(alpha);
  let r0 = f32x4.mul(v0, va);
  let r1 = f32x4.mul(v1, va);
  if (nr == 8) {
    if (beta != 0) {
      const vb = f32x4.splat(beta);
      r0 = vmadd(v128.load(c), vb, r0);
      r1 = vmadd(v128.load(c, 16), vb, r1);
    }
    if (bias) {
      r0 = f32x4.add(r0, v128.load(bias));
      r1 = f32x4.add(r1, v128.load(bias, 16));
    }
    v128.store(c, r0);
    v128.store(c, r1, 16);
  } else {
    v128.store(tmp(), r0);
    v128.store(tmp(), r1, 16);
    for (let j = 0; j < nr; j++) {
      const o = <usize>j << 2;
      let t = load<f32>(tmp() + o);
      if (beta != 0) t += beta * load<f32>(c + o);
      if (bias) t += load<f32>(bias + o);
      store<f32>(c + o, t);
    }
  }
}

// One row against two panels (ps bytes apart) at once. 1×16 keeps 4
// accumulators: V8 hoists the B loads of an iteration, and a wider row tile
// (1×32) then spills, measured at 19 vs 29 GFLOP/s for [1,128]×[128,512].
function mk1x16(a: usize, csA: usize, b: usize, bs: usize, ps: usize, kc: i32,
                alpha: f32, beta: f32, c: usize, bias: usize): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let ka: usize = 0;
  if (ps == 32) {
    // Adjacent panels (B read in place): one pointer, constant offsets.
    for (let k = 0; k < kc; k++) {
      const av = v128.load32_splat(a + ka);
      c0 = vmadd(av, v128.load(b), c0);
      c1 = vmadd(av, v128.load(b, 16), c1);
      c2 = vmadd(av, v128.load(b, 32), c2);
      c3 = vmadd(av, v128.load(b, 48), c3);
      ka += csA;
      b += bs;
    }
  } else {
    const p1 = b + ps;
    let kb: usize = 0;
    for (let k = 0; k < kc; k++) {
      const av = v128.load32_splat(a + ka);
      c0 = vmadd(av, v128.load(b + kb), c0);
      c1 = vmadd(av, v128.load(b + kb, 16), c1);
      c2 = vmadd(av, v128.load(p1 + kb), c2);
      c3 = vmadd(av, v128.load(p1 + kb, 16), c3);
      ka += csA;
      kb += bs;
    }
  }
  storeTile(c, c0, c1, alpha, beta, 8, bias);
  storeTile(c + 32, c2, c3, alpha, beta, 8, bias ? bias + 32 : 0);
}

// The 4×8 tile on a packed A tile (see packTiles): every A element is
// already broadcast to 16 bytes, so the loop is 6 plain loads at constant
// offsets from two pointers and 16 arithmetic ops. (With A broadcast from
// memory through strides, V8 spent ~10 integer ops per k on addresses, and
// even with a compact packed tile it computes each offset splat's address
// with its own lea: the front end, not the arithmetic, was the limit.)
function mk4x8(a: usize, b: usize, bs: usize, kc: i32,
                alpha: f32, beta: f32, c: usize, ldcB: usize, nr: i32, mr: i32, bias: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const end = a + (<usize>kc << 6);
  while (a < end) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let x = v128.load(a);
    c00 = vmadd(x, b0, c00); c01 = vmadd(x, b1, c01);
    x = v128.load(a, 16);
    c10 = vmadd(x, b0, c10); c11 = vmadd(x, b1, c11);
    x = v128.load(a, 32);
    c20 = vmadd(x, b0, c20); c21 = vmadd(x, b1, c21);
    x = v128.load(a, 48);
    c30 = vmadd(x, b0, c30); c31 = vmadd(x, b1, c31);
    a += 64;
    b += bs;
  }
  storeTile(c, c00, c01, alpha, beta, nr, bias);
  if (mr > 1) storeTile(c + ldcB, c10, c11, alpha, beta, nr, bias);
  if (mr > 2) storeTile(c + 2 * ldcB, c20, c21, alpha, beta, nr, bias);
  if (mr > 3) storeTile(c + 3 * ldcB, c30, c31, alpha, beta, nr, bias);
}

// One row (contiguous A, csA = 4) against two packed panels (ps bytes
// apart), two k per iteration: pointers advance (every load is pointer +
// constant), and the two products of a column pair are added before they
// meet the accumulator, so each of the 4 accumulators sees one dependent add
// per two k instead of two (that add chain bound the batch-1 step at
// 31 GFLOP/s; now 33–35, where instruction issue is the limit: 10 loads,
// 16 arithmetic ops and ~6 of pointers, loop and V8's stack check per 64
// flops). Four k per iteration would amortize more, but V8 hoists an
// iteration's loads and 16 of them spill (measured 26 GFLOP/s).
// The loop sits in an outer one (which runs once: kc ≤ KC) so that V8
// compiles it alike for both builds: alone, V8 unrolled it 3 times over a
// module's own memory but twice over a shared one (its loads count for more
// nodes there), and the threaded build's batch-1 step ran 4–8 % slower;
// nested, neither is unrolled, and both run at the speed of the 3 copies
// (a [1,128]×[128,512] step in 4.8–4.9 µs in both, 5.1–5.3 for the twice
// unrolled one, interleaved in one process).
function mk1x16c(a: usize, b: usize, ps: usize, kc: i32,
                 alpha: f32, beta: f32, c: usize, bias: usize): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let q = b + ps;
  const end = a + (<usize>(kc & ~1) << 2);
  while (a < end) {
    const stop = min(end, a + (<usize>KC << 2));
    while (a < stop) {
      const av = v128.load32_splat(a);
      const aw = v128.load32_splat(a, 4);
      c0 = f32x4.add(c0, vmadd(aw, v128.load(b, 32), f32x4.mul(av, v128.load(b))));
      c1 = f32x4.add(c1, vmadd(aw, v128.load(b, 48), f32x4.mul(av, v128.load(b, 16))));
      c2 = f32x4.add(c2, vmadd(aw, v128.load(q, 32), f32x4.mul(av, v128.load(q))));
      c3 = f32x4.add(c3, vmadd(aw, v128.load(q, 48), f32x4.mul(av, v128.load(q, 16))));
      a += 8;
      b += 64;
      q += 64;
    }
  }
  if (kc & 1) {
    const av = v128.load32_splat(a);
    c0 = vmadd(av, v128.load(b), c0);
    c1 = vmadd(av, v128.load(b, 16), c1);
    c2 = vmadd(av, v128.load(q), c2);
    c3 = vmadd(av, v128.load(q, 16), c3);
  }
  storeTile(c, c0, c1, alpha, beta, 8, bias);
  storeTile(c + 32, c2, c3, alpha, beta, 8, bias ? bias + 32 : 0);
}

function mk1x8(a: usize, csA: usize, b: usize, bs: usize, kc: i32,
               alpha: f32, beta: f32, c: usize, nr: i32, bias: usize): void {
  // Two k per iteration into separate accumulators to halve the add chain.
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), d0 = f32x4.splat(0), d1 = f32x4.splat(0);
  let ka: usize = 0;
  let k = 0;
  for (; k + 2 <= kc; k += 2) {
    const av = v128.load32_splat(a + ka);
    const aw = v128.load32_splat(a + ka + csA);
    c0 = vmadd(av, v128.load(b), c0);
    c1 = vmadd(av, v128.load(b, 16), c1);
    d0 = vmadd(aw, v128.load(b + bs), d0);
    d1 = vmadd(aw, v128.load(b + bs, 16), d1);
    ka += csA << 1;
    b += bs << 1;
  }
  if (k < kc) {
    const av = v128.load32_splat(a + ka);
    c0 = vmadd(av, v128.load(b), c0);
    c1 = vmadd(av, v128.load(b, 16), c1);
  }
  storeTile(c, f32x4.add(c0, d0), f32x4.add(c1, d1), alpha, beta, nr, bias);
}

// op(B)[pc.., j0..j0+8·np) with transB = 0 into np contiguous kc×8 panels.
function packPanelsN(B: usize, ldb: i32, pc: i32, j0: i32, kc: i32, np: i32, dst: usize): void {
  for (let k = 0; k < kc; k++) {
    const src = B + ((<usize>(pc + k) * <usize>ldb + <usize>j0) << 2);
    let d = dst + (<usize>k << 5);
    const ps = <usize>kc << 5;
    for (let p = 0; p < np; p++) {
      const o = <usize>p << 5;
      v128.store(d, v128.load(src + o));
      v128.store(d, v128.load(src + o, 16), 16);
      d += ps;
    }
  }
}

// op(B)[pc.., j0..j0+8·np) with transB = 1 into np contiguous kc×8 panels.
function packPanelsT(B: usize, ldb: i32, pc: i32, j0: i32, kc: i32, np: i32, dst: usize): void {
  for (let p = 0; p < np; p++) {
    const panel = dst + (<usize>p * <usize>kc << 5);
    for (let jj = 0; jj < 8; jj++) {
      const src = B + ((<usize>(j0 + p * 8 + jj) * <usize>ldb + <usize>pc) << 2);
      const d = panel + (<usize>jj << 2);
      for (let k = 0; k < kc; k++) {
        store<f32>(d + (<usize>k << 5), load<f32>(src + (<usize>k << 2)));
      }
    }
  }
}

// The last nr (< 8) columns of op(B), zero padded to a kc×8 panel.
function packPartial(transB: i32, B: usize, ldb: i32, pc: i32, j0: i32, kc: i32, nr: i32, dst: usize): void {
  for (let k = 0; k < kc; k++) {
    const d = dst + (<usize>k << 5);
    v128.store(d, f32x4.splat(0));
    v128.store(d, f32x4.splat(0), 16);
    for (let jj = 0; jj < nr; jj++) {
      const e = transB
        ? B + ((<usize>(j0 + jj) * <usize>ldb + <usize>(pc + k)) << 2)
        : B + ((<usize>(pc + k) * <usize>ldb + <usize>(j0 + jj)) << 2);
      store<f32>(d + (<usize>jj << 2), load<f32>(e));
    }
  }
}

function gemmSimd(transA: i32, transB: i32, M: i32, N: i32, K: i32, alpha: f32,
                  A: usize, lda: i32, B: usize, ldb: i32, beta: f32, C: usize, ldc: i32): void {
  const rsA: usize = transA ? 4 : <usize>lda << 2;
  const csA: usize = transA ? <usize>lda << 2 : 4;
  const ldcB: usize = <usize>ldc << 2;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    const np = nc >> 3;
    const nrem = nc & 7;
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      let bBase: usize, bs: usize, ps: usize;
      if (transB) {
        packPanelsT(B, ldb, pc, jc, kc, np, pack());
        bBase = pack();
        bs = 32;
        ps = <usize>kc << 5;
      } else if (M >= 64) {
        // Rows of B in place are a cache line per k for a 32-byte read, and
        // every 4-row tile of A reads them again: pack them (256³: 35 → 42 GFLOP/s;
        // below 64 rows the packing does not pay: [32,128]×[128,512] 35 → 29).
        packPanelsN(B, ldb, pc, jc, kc, np, pack());
        bBase = pack();
        bs = 32;
        ps = <usize>kc << 5;
      } else {
        bBase = B + ((<usize>pc * <usize>ldb + <usize>jc) << 2);
        bs = <usize>ldb << 2;
        ps = 32;
      }
      if (nrem) packPartial(transB, B, ldb, pc, jc + (np << 3), kc, nrem, partial());
      gemmBlock(A + <usize>pc * csA, rsA, csA, M, bBase, bs, ps, np, nrem, partial(), kc,
                alpha, pc == 0 ? beta : 1, C + (<usize>jc << 2), ldcB, 0);
    }
  }
}

// op(A) rows [0, mc) (mc a multiple of 4), k in [0, kc), into 4-row tiles
// tileB bytes apart, each element broadcast to 16 bytes, the tile's 4
// elements of one k 64 bytes together.
function packTiles(A: usize, rsA: usize, csA: usize, mc: i32, kc: i32, tileB: usize): void {
  const nt = mc >> 2;
  if (rsA == 4) {
    // Transposed A (the weight-gradient GEMMs, dGᵀ·X): a tile's 4 elements
    // of one k are together but successive k are a row apart; k outer
    // reads each source row segment once, sequentially.
    for (let k = 0; k < kc; k++) {
      const src = A + <usize>k * csA;
      let d = apack() + (<usize>k << 6);
      for (let t = 0; t < nt; t++) {
        const s = src + (<usize>t << 4);
        v128.store(d, v128.load32_splat(s));
        v128.store(d, v128.load32_splat(s, 4), 16);
        v128.store(d, v128.load32_splat(s, 8), 32);
        v128.store(d, v128.load32_splat(s, 12), 48);
        d += tileB;
      }
    }
    return;
  }
  for (let t = 0; t < nt; t++) {
    const r0 = A + <usize>(t << 2) * rsA, r1 = r0 + rsA, r2 = r1 + rsA, r3 = r2 + rsA;
    let d = apack() + <usize>t * tileB;
    let o: usize = 0;
    for (let k = 0; k < kc; k++) {
      v128.store(d, v128.load32_splat(r0 + o));
      v128.store(d, v128.load32_splat(r1 + o), 16);
      v128.store(d, v128.load32_splat(r2 + o), 32);
      v128.store(d, v128.load32_splat(r3 + o), 48);
      d += 64;
      o += csA;
    }
  }
}

// One K block of C (+)= A·B over np full panels (p-th at bBase + p·ps, rows bs
// bytes apart) and an optional partial panel (nrem columns, rows 32 bytes apart).
function gemmBlock(A: usize, rsA: usize, csA: usize, M: i32, bBase: usize, bs: usize, ps: usize,
                   np: i32, nrem: i32, partial: usize, kc: i32, alpha: f32, bet: f32, cBase: usize, ldcB: usize,
                   bias: usize): void {
  const M4 = M & ~3;
  // Blocks of MC rows packed into 4-row tiles; tile outer, panels inner.
  const tileB = (<usize>kc << 6) + 64;
  for (let ic = 0; ic < M4; ic += MC) {
    const mc = min(MC, M4 - ic);
    packTiles(A + <usize>ic * rsA, rsA, csA, mc, kc, tileB);
    const cRows = cBase + <usize>ic * ldcB;
    for (let t = 0; t < mc >> 2; t++) {
      const a = apack() + <usize>t * tileB, c = cRows + (<usize>(t << 2)) * ldcB;
      for (let p = 0; p < np; p++) {
        mk4x8(a, bBase + <usize>p * ps, bs, kc, alpha, bet, c + (<usize>p << 5), ldcB, 8, 4, bias ? bias + (<usize>p << 5) : 0);
      }
      if (nrem) mk4x8(a, partial, 32, kc, alpha, bet, c + (<usize>np << 5), ldcB, nrem, 4, bias ? bias + (<usize>np << 5) : 0);
    }
  }
  for (let i = M4; i < M; i++) {
    const a = A + <usize>i * rsA;
    const c = cBase + <usize>i * ldcB;
    let p = 0;
    if (bs == 32 && ps != 32 && csA == 4) {
      for (; p + 2 <= np; p += 2) {
        mk1x16c(a, bBase + <usize>p * ps, ps, kc, alpha, bet, c + (<usize>p << 5), bias ? bias + (<usize>p << 5) : 0);
      }
    }
    for (; p + 2 <= np; p += 2) {
      mk1x16(a, csA, bBase + <usize>p * ps, bs, ps, kc, alpha, bet, c + (<usize>p << 5), bias ? bias + (<usize>p << 5) : 0);
    }
    for (; p < np; p++) {
      mk1x8(a, csA, bBase + <usize>p * ps, bs, kc, alpha, bet, c + (<usize>p << 5), 8, bias ? bias + (<usize>p << 5) : 0);
    }
    if (nrem) mk1x8(a, csA, partial, 32, kc, alpha, bet, c + (<usize>np << 5), nrem, bias ? bias + (<usize>np << 5) : 0);
  }
}


// ------------------------------------------------------- pre-packed B --
// Layers pack their weights once (XNNPACK's way): op(B) [K, N] becomes
// ⌈N/8⌉ panels of K×8 floats, zero padded, each contiguous, so every
// k-row of a panel is one 32-byte read and a panel streams linearly
// (measured 28 vs 24 GFLOP/s for the batch-1 recurrent step, whose
// row-major weights are read with a 2 KiB stride otherwise).

/** Packs op(B) ([K, N]; transB as in f32_gemm) into Bp: ⌈N/8⌉·8·K floats. */
export function f32_pack_b(transB: i32, K: i32, N: i32, B: usize, ldb: i32, Bp: usize): void {
  const np = (N + 7) >> 3;
  for (let p = 0; p < np; p++) {
    const panel = Bp + (<usize>p * <usize>K << 5);
    const j0 = p << 3;
    const w = min(8, N - j0);
    for (let k = 0; k < K; k++) {
      const d = panel + (<usize>k << 5);
      for (let jj = 0; jj < 8; jj++) {
        let v: f32 = 0;
        if (jj < w) {
          v = transB
            ? load<f32>(B + ((<usize>(j0 + jj) * <usize>ldb + <usize>k) << 2))
            : load<f32>(B + ((<usize>k * <usize>ldb + <usize>(j0 + jj)) << 2));
        }
        store<f32>(d + (<usize>jj << 2), v);
      }
    }
  }
}

/** C = α·op(A)·B + β·C (+ bias[j] on every row, when bias ≠ 0) with B
 * pre-packed by f32_pack_b(·, K, N, ·, ·, Bp). The bias is added in the
 * tile stores, so the layers need no pass over C to broadcast or add it. */
export function f32_gemm_packed_bias(transA: i32, M: i32, N: i32, K: i32, alpha: f32, A: usize, lda: i32,
                            Bp: usize, beta: f32, C: usize, ldc: i32, bias: usize): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0) {
    scaleC(M, N, beta, C, ldc);
    if (bias) {
      for (let i = 0; i < M; i++) {
        const c = C + (<usize>i * <usize>ldc << 2);
        for (let j = 0; j < N; j++) store<f32>(c + (<usize>j << 2), load<f32>(c + (<usize>j << 2)) + load<f32>(bias + (<usize>j << 2)));
      }
    }
    return;
  }
  const rsA: usize = transA ? 4 : <usize>lda << 2;
  const csA: usize = transA ? <usize>lda << 2 : 4;
  const ldcB: usize = <usize>ldc << 2;
  const ps = <usize>K << 5;
  if (ASC_FEATURE_SIMD) {
    const np = N >> 3, nrem = N & 7;
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      const bBase = Bp + (<usize>pc << 5);
      gemmBlock(A + <usize>pc * csA, rsA, csA, M, bBase, 32, ps, np, nrem, bBase + <usize>np * ps, kc,
                alpha, pc == 0 ? beta : 1, C, ldcB, pc == 0 ? bias : 0);
    }
  } else {
    // Scalar build: one row against one 8-wide panel, 8 accumulators.
    const TMPS = tmp();
    for (let i = 0; i < M; i++) {
      const a = A + <usize>i * rsA;
      const c = C + <usize>i * ldcB;
      for (let p = 0; p < (N + 7) >> 3; p++) {
        let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0, s4: f32 = 0, s5: f32 = 0, s6: f32 = 0, s7: f32 = 0;
        let q = Bp + <usize>p * ps;
        let ka: usize = 0;
        for (let k = 0; k < K; k++) {
          const x = load<f32>(a + ka);
          s0 += x * load<f32>(q); s1 += x * load<f32>(q, 4); s2 += x * load<f32>(q, 8); s3 += x * load<f32>(q, 12);
          s4 += x * load<f32>(q, 16); s5 += x * load<f32>(q, 20); s6 += x * load<f32>(q, 24); s7 += x * load<f32>(q, 28);
          q += 32;
          ka += csA;
        }
        store<f32>(TMPS, s0); store<f32>(TMPS, s1, 4); store<f32>(TMPS, s2, 8); store<f32>(TMPS, s3, 12);
        store<f32>(TMPS, s4, 16); store<f32>(TMPS, s5, 20); store<f32>(TMPS, s6, 24); store<f32>(TMPS, s7, 28);
        const w = min(8, N - (p << 3));
        for (let jj = 0; jj < w; jj++) {
          const j = <usize>((p << 3) + jj) << 2;
          store1(c + j, load<f32>(TMPS + (<usize>jj << 2)), alpha, beta);
          if (bias) store<f32>(c + j, load<f32>(c + j) + load<f32>(bias + j));
        }
      }
    }
  }
}

// -------------------------------------------------------------- scalar --
// 4×4 register tile of scalar accumulators; element strides cover every transpose.

function gemmScalar(transA: i32, transB: i32, M: i32, N: i32, K: i32, alpha: f32,
                    A: usize, lda: i32, B: usize, ldb: i32, beta: f32, C: usize, ldc: i32): void {
  const rsA: usize = transA ? 4 : <usize>lda << 2;
  const csA: usize = transA ? <usize>lda << 2 : 4;
  const rsB: usize = transB ? 4 : <usize>ldb << 2;
  const csB: usize = transB ? <usize>ldb << 2 : 4;
  const ldcB: usize = <usize>ldc << 2;
  const M4 = M & ~3, N4 = N & ~3;
  for (let i = 0; i < M4; i += 4) {
    const a0 = A + <usize>i * rsA, a1 = a0 + rsA, a2 = a1 + rsA, a3 = a2 + rsA;
    for (let j = 0; j < N4; j += 4) {
      const b0 = B + <usize>j * csB, b1 = b0 + csB, b2 = b1 + csB, b3 = b2 + csB;
      let s00: f32 = 0, s01: f32 = 0, s02: f32 = 0, s03: f32 = 0;
      let s10: f32 = 0, s11: f32 = 0, s12: f32 = 0, s13: f32 = 0;
      let s20: f32 = 0, s21: f32 = 0, s22: f32 = 0, s23: f32 = 0;
      let s30: f32 = 0, s31: f32 = 0, s32: f32 = 0, s33: f32 = 0;
      let ka: usize = 0, kb: usize = 0;
      for (let k = 0; k < K; k++) {
        const x0 = load<f32>(a0 + ka), x1 = load<f32>(a1 + ka), x2 = load<f32>(a2 + ka), x3 = load<f32>(a3 + ka);
        const y0 = load<f32>(b0 + kb), y1 = load<f32>(b1 + kb), y2 = load<f32>(b2 + kb), y3 = load<f32>(b3 + kb);
        s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
        s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
        s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3;
        s30 += x3 * y0; s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3;
        ka += csA;
        kb += rsB;
      }
      const c0 = C + <usize>i * ldcB + (<usize>j << 2);
      store4(c0, s00, s01, s02, s03, alpha, beta);
      store4(c0 + ldcB, s10, s11, s12, s13, alpha, beta);
      store4(c0 + 2 * ldcB, s20, s21, s22, s23, alpha, beta);
      store4(c0 + 3 * ldcB, s30, s31, s32, s33, alpha, beta);
    }
  }
  // Edges: rows ≥ M4 (all columns) and columns ≥ N4 (rows < M4).
  for (let i = 0; i < M; i++) {
    const j0 = i < M4 ? N4 : 0;
    const a = A + <usize>i * rsA;
    for (let j = j0; j < N; j++) {
      const b = B + <usize>j * csB;
      let s: f32 = 0;
      let ka: usize = 0, kb: usize = 0;
      for (let k = 0; k < K; k++) {
        s += load<f32>(a + ka) * load<f32>(b + kb);
        ka += csA;
        kb += rsB;
      }
      const c = C + <usize>i * ldcB + (<usize>j << 2);
      store<f32>(c, beta == 0 ? alpha * s : alpha * s + beta * load<f32>(c));
    }
  }
}

// @ts-ignore: decorator
@inline function store1(c: usize, s: f32, alpha: f32, beta: f32): void {
  store<f32>(c, beta == 0 ? alpha * s : alpha * s + beta * load<f32>(c));
}

// @ts-ignore: decorator
@inline function store4(c: usize, s0: f32, s1: f32, s2: f32, s3: f32, alpha: f32, beta: f32): void {
  store1(c, s0, alpha, beta);
  store1(c + 4, s1, alpha, beta);
  store1(c + 8, s2, alpha, beta);
  store1(c + 12, s3, alpha, beta);
}
