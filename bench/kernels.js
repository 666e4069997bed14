// Kernel benchmarks, generated from the kernel table (src/backend/kernels.ts):
// every kernel, every benchmark case it lists, on every backend. Pointer
// arguments get seeded random data of the extent the table gives them (index
// arguments get valid indices); the rate is GFLOP/s for products and
// elements per second for the rest, from the table's work per call.
import { KERNELS } from '../dist/index.js';
import { measure, progress, rng } from './common.js';

function setup(be, name, spec, c) {
  const args = spec.args.map((a) => c.args[a] ?? 0);
  spec.pointers.forEach(([i, elems, optional], k) => {
    const name_ = spec.args[i];
    if (optional && c.args[name_] === 0) return; // e.g. no mask
    const n = Math.max(1, elems(args)), p = be.heap.alloc(n);
    if (c.ints?.[name_] !== undefined) {
      const v = be.heap.i32, o = p >> 2, hi = c.ints[name_];
      for (let j = 0; j < n; j++) v[o + j] = j % hi;
    } else {
      const r = rng(1000 * k + i), v = be.heap.view(p, n);
      for (let j = 0; j < n; j++) v[j] = r() * 2;
    }
    args[i] = p;
  });
  if (name === 'f32_gemm_packed_bias') be.k.f32_pack_b(1, args[3], args[2], args[7], args[3], args[7]); // any packed B will do
  const f = be.k[name];
  return () => f(...args);
}

export async function runKernels(backends) {
  const rows = [];
  for (const [name, spec] of Object.entries(KERNELS)) {
    for (const c of spec.bench) {
      const work = spec.work(spec.args.map((a) => c.args[a] ?? 0));
      const per = spec.unit !== 'Melem/s' ? work.flops / 1e9 : work.elems / 1e6;
      const row = { suite: 'kernels', kernel: name, shape: c.label, unit: spec.unit, results: {} };
      for (const [n, be] of Object.entries(backends)) {
        const r = await measure(setup(be, name, spec, c));
        row.results[n] = r.error ? { error: r.error } : { rate: r.hz * per, rme: r.rme };
        progress();
      }
      const s = row.results['wasm-simd']?.rate, j = row.results.js?.rate;
      row.simdOverJs = s && j ? s / j : null;
      rows.push(row);
    }
  }
  return rows;
}
