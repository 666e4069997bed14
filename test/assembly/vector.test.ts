// Level-1 and bias kernels against float64 references on every backend.
import t from 'tap';
import { forEachBackend, put, get, close } from '../helpers/backends.js';
import { rng, uniform } from '../helpers/rng.js';

const SIZES = [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 127, 257];
const U = 2 ** -24;

t.test('pointwise vector kernels', async (t) => {
  await forEachBackend(t, (t, be) => {
    const k = be.k;
    for (const n of SIZES) {
      const r = rng(n);
      const x = uniform(r, n), y = uniform(r, n), a = Math.fround(0.375 - r());
      const px = put(be, x), py = put(be, y), pz = be.heap.alloc(n);
      k.f32_add(n, px, py, pz);
      close(t, get(be, pz, n), Array.from(x, (v, i) => v + y[i]!), 0, U, `add n=${n}`);
      k.f32_mul(n, px, py, pz);
      close(t, get(be, pz, n), Array.from(x, (v, i) => v * y[i]!), 0, U, `mul n=${n}`);
      k.f32_copy(n, px, pz);
      t.same(get(be, pz, n), x, `copy n=${n}`);
      k.f32_scale(n, a, pz);
      close(t, get(be, pz, n), Array.from(x, (v) => v * a), 0, U, `scale n=${n}`);
      k.f32_fill(n, a, pz);
      t.ok(get(be, pz, n).every((v) => v === a), `fill n=${n}`);
      const ss = x.reduce((s, v) => s + v * v, 0);
      t.ok(Math.abs(k.f32_sumsq(n, px) - ss) <= 1e-12 * n, `sumsq n=${n}`);
      be.heap.free(px); be.heap.free(py); be.heap.free(pz);
    }
    // Tails: the element after n is never written.
    const p = put(be, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    k.f32_fill(5, 0, p);
    k.f32_scale(0, 3, p);
    t.same(Array.from(get(be, p, 9)), [0, 0, 0, 0, 0, 6, 7, 8, 9], 'fill stops at n');
    // Overlapping copy behaves like memmove.
    k.f32_copy(6, p + 4 * 3, p);
    t.same(Array.from(get(be, p, 9)), [0, 0, 6, 7, 8, 9, 7, 8, 9], 'overlapping copy');
  });
});

t.test('sum rows, copy2d', async (t) => {
  await forEachBackend(t, (t, be) => {
    const k = be.k;
    for (const [M, N] of [[1, 1], [3, 5], [7, 17], [16, 64], [5, 257]] as const) {
      const r = rng(M * 1000 + N);
      const ldc = N + 3;
      const C = uniform(r, M * ldc), bias = uniform(r, N);
      const pc = put(be, C), pb = put(be, bias);
      const y = uniform(r, N), py = put(be, y);
      k.f32_sum_rows(M, N, pc, ldc, py);
      const sums = Float64Array.from(y);
      const after = get(be, pc, C.length);
      const tol = new Float64Array(N);
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) { sums[j] += after[i * ldc + j]!; tol[j] += (M + 1) * U * Math.abs(after[i * ldc + j]!); }
      for (let j = 0; j < N; j++) tol[j] += (M + 1) * U * Math.abs(y[j]!);
      close(t, get(be, py, N), sums, tol, 0, `sum_rows ${M}x${N}`);
      const ld = N + 5, pd = be.heap.zeros(M * ld);
      k.f32_copy2d(M, N, pc, ldc, pd, ld);
      const d = get(be, pd, M * ld);
      let ok = true;
      for (let i = 0; i < M; i++) for (let j = 0; j < ld; j++) if (d[i * ld + j] !== (j < N ? after[i * ldc + j] : 0)) ok = false;
      t.ok(ok, `copy2d ${M}x${N}`);
      // lds = 0 broadcasts one row to every row (the layers' bias rows);
      // columns past N keep what was there.
      be.heap.write(pd, new Float32Array(M * ld).fill(7));
      k.f32_copy2d(M, N, pb, 0, pd, ld);
      const e = get(be, pd, M * ld);
      ok = true;
      for (let i = 0; i < M; i++) for (let j = 0; j < ld; j++) if (e[i * ld + j] !== (j < N ? bias[j] : 7)) ok = false;
      t.ok(ok, `copy2d ${M}x${N} broadcasting a row (lds = 0)`);
      be.heap.free(pc); be.heap.free(pb); be.heap.free(py); be.heap.free(pd);
    }
  });
});

t.test('clip by value', async (t) => {
  await forEachBackend(t, (t, be) => {
    const x = [-3, -1, -0.5, 0, 0.5, 1, 3, NaN, Infinity, -Infinity, 2];
    const p = put(be, x);
    be.k.f32_clip_value(x.length, p, -1, 1);
    t.same(Array.from(get(be, p, x.length)), [-1, -1, -0.5, 0, 0.5, 1, 1, NaN, 1, -1, 1]);
  });
});

t.test('gather rows and its backward, scatter-add', async (t) => {
  await forEachBackend(t, (t, be) => {
    for (const dim of [1, 3, 4, 7, 16]) {
      const rows = 5, table = Float32Array.from({ length: rows * dim }, (_, i) => i + 0.5);
      const idx = [3, 0, 3, 4, 1, 1, 2];
      const pt = put(be, table), pi = be.heap.alloc(idx.length), po = be.heap.alloc(idx.length * dim);
      be.heap.i32.set(idx, pi >> 2);
      be.k.f32_gather_rows(idx.length, pi, pt, dim, po);
      const want = idx.flatMap((r) => Array.from(table.subarray(r * dim, (r + 1) * dim)));
      t.same(Array.from(get(be, po, idx.length * dim)), want, `gather dim=${dim}`);
      const src = Float32Array.from({ length: idx.length * dim }, (_, i) => (i % 5) - 2);
      const ps = put(be, src);
      be.k.f32_scatter_add_rows(idx.length, pi, ps, dim, pt);
      const acc = Array.from(table);
      idx.forEach((r, i) => { for (let j = 0; j < dim; j++) acc[r * dim + j] += src[i * dim + j]!; });
      t.same(Array.from(get(be, pt, rows * dim)), acc, `scatter-add dim=${dim}`);
    }
  });
});
