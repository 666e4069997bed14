// Kernel benchmarks: every kernel family on every backend, GFLOP/s (GEMM) or
// elements/s (the rest).
import { measure, progress, rng } from './common.js';

function rand(be, n, seed, scale = 1) {
  const p = be.heap.alloc(n);
  const r = rng(seed);
  const v = be.heap.view(p, n);
  for (let i = 0; i < n; i++) v[i] = r() * scale;
  return p;
}

// Each case: name, shape label, unit, work per call (flops or elements), setup(be) → fn.
const cases = [];
for (const [M, N, K] of [[64, 64, 64], [128, 128, 128], [256, 256, 256], [1, 512, 128], [32, 512, 128]]) {
  cases.push({
    kernel: 'f32_gemm NN', shape: `[${M},${K}]×[${K},${N}]`, unit: 'GFLOP/s', work: 2 * M * N * K, scale: 1e9,
    setup(be) {
      const A = rand(be, M * K, 1), B = rand(be, K * N, 2), C = be.heap.alloc(M * N);
      return () => be.k.f32_gemm(0, 0, M, N, K, 1, A, K, B, N, 0, C, N);
    },
  });
}
for (const [M, N, K] of [[1, 512, 128], [32, 512, 128], [1, 512, 192]]) {
  cases.push({
    kernel: 'f32_gemm_packed_bias', shape: `[${M},${K}]×[${K},${N}]`, unit: 'GFLOP/s', work: 2 * M * N * K, scale: 1e9,
    setup(be) {
      const A = rand(be, M * K, 1), B = rand(be, K * N, 2), C = be.heap.alloc(M * N);
      const Bp = be.heap.alloc(Math.ceil(N / 8) * 8 * K);
      be.k.f32_pack_b(0, K, N, B, N, Bp);
      return () => be.k.f32_gemm_packed_bias(0, M, N, K, 1, A, K, Bp, 0, C, N, 0);
    },
  });
}
cases.push({
  kernel: 'f32_gemm NT', shape: '[32,128]×[512,128]ᵀ', unit: 'GFLOP/s', work: 2 * 32 * 512 * 128, scale: 1e9,
  setup(be) {
    const A = rand(be, 32 * 128, 1), B = rand(be, 512 * 128, 2), C = be.heap.alloc(32 * 512);
    return () => be.k.f32_gemm(0, 1, 32, 512, 128, 1, A, 128, B, 128, 0, C, 512);
  },
});
cases.push({
  kernel: 'f32_gemm TN', shape: '[3200,512]ᵀ×[3200,64]', unit: 'GFLOP/s', work: 2 * 512 * 64 * 3200, scale: 1e9,
  setup(be) {
    const A = rand(be, 3200 * 512, 1), B = rand(be, 3200 * 64, 2), C = be.heap.alloc(512 * 64);
    return () => be.k.f32_gemm(1, 0, 512, 64, 3200, 1, A, 512, B, 64, 0, C, 64);
  },
});
const NACT = 4096;
for (const name of ['f32_sigmoid', 'f32_tanh', 'f32_relu']) {
  cases.push({
    kernel: name, shape: `n=${NACT}`, unit: 'Melem/s', work: NACT, scale: 1e6,
    setup(be) {
      const x = rand(be, NACT, 3, 4), y = be.heap.alloc(NACT);
      return () => be.k[name](NACT, x, y);
    },
  });
  cases.push({
    kernel: `${name}_bwd`, shape: `n=${NACT}`, unit: 'Melem/s', work: NACT, scale: 1e6,
    setup(be) {
      const y = rand(be, NACT, 3), dy = rand(be, NACT, 4), dx = be.heap.zeros(NACT);
      return () => be.k[`${name}_bwd`](NACT, y, dy, dx);
    },
  });
}
const B = 32, H = 128;
cases.push(
  { kernel: 'f32_lstm_cell_fwd', shape: `B=${B} H=${H}`, unit: 'Melem/s', work: B * H, scale: 1e6,
    setup(be) {
      const g = rand(be, B * 4 * H, 5, 2), cp = rand(be, B * H, 6), hp = rand(be, B * H, 7), c = be.heap.alloc(B * H), h = be.heap.alloc(B * H), y = be.heap.alloc(B * H);
      // The kernel overwrites the gates with their activations; re-running on those is as costly.
      return () => be.k.f32_lstm_cell_fwd(B, H, g, cp, hp, c, h, 0, y, H);
    } },
  { kernel: 'f32_lstm_cell_bwd', shape: `B=${B} H=${H}`, unit: 'Melem/s', work: B * H, scale: 1e6,
    setup(be) {
      const g = rand(be, B * 4 * H, 5), cp = rand(be, B * H, 6), c = rand(be, B * H, 7), dy = rand(be, B * H, 8), dh = rand(be, B * H, 9), dc = rand(be, B * H, 10), dg = be.heap.alloc(B * 4 * H);
      return () => be.k.f32_lstm_cell_bwd(B, H, g, cp, c, 0, dy, H, dh, dc, dg);
    } },
  { kernel: 'f32_gru_cell_fwd', shape: `B=${B} H=${H}`, unit: 'Melem/s', work: B * H, scale: 1e6,
    setup(be) {
      const gx = rand(be, B * 3 * H, 5, 2), gh = rand(be, B * 3 * H, 6, 2), hp = rand(be, B * H, 7), h = be.heap.alloc(B * H), y = be.heap.alloc(B * H);
      return () => be.k.f32_gru_cell_fwd(B, H, gx, gh, hp, h, 0, y, H);
    } },
  { kernel: 'f32_gru_cell_bwd', shape: `B=${B} H=${H}`, unit: 'Melem/s', work: B * H, scale: 1e6,
    setup(be) {
      const gx = rand(be, B * 3 * H, 5), gh = rand(be, B * 3 * H, 6), hp = rand(be, B * H, 7), dy = rand(be, B * H, 8), dh = rand(be, B * H, 9), dx = be.heap.alloc(B * 3 * H), dgh = be.heap.alloc(B * 3 * H);
      return () => be.k.f32_gru_cell_bwd(B, H, gx, gh, hp, 0, dy, H, dh, dx, dgh);
    } },
  { kernel: 'f32_rnn_cell_fwd tanh', shape: `B=${B} H=${H}`, unit: 'Melem/s', work: B * H, scale: 1e6,
    setup(be) {
      const g = rand(be, B * H, 5, 2), hp = rand(be, B * H, 6), h = be.heap.alloc(B * H), y = be.heap.alloc(B * H);
      return () => be.k.f32_rnn_cell_fwd(B, H, 0, g, hp, h, 0, y, H);
    } },
  { kernel: 'f32_rnn_cell_bwd tanh', shape: `B=${B} H=${H}`, unit: 'Melem/s', work: B * H, scale: 1e6,
    setup(be) {
      const h = rand(be, B * H, 5), dy = rand(be, B * H, 6), dh = rand(be, B * H, 7), dg = be.heap.alloc(B * H);
      return () => be.k.f32_rnn_cell_bwd(B, H, 0, h, 0, dy, H, dh, dg);
    } },
);
const NP = 100000;
cases.push(
  { kernel: 'f32_adam_update', shape: `n=${NP}`, unit: 'Melem/s', work: NP, scale: 1e6,
    setup(be) {
      const p = rand(be, NP, 1), g = rand(be, NP, 2), m = be.heap.zeros(NP), v = be.heap.zeros(NP);
      return () => be.k.f32_adam_update(NP, p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0, 0.1, 0.001);
    } },
  { kernel: 'f32_sgd_update momentum', shape: `n=${NP}`, unit: 'Melem/s', work: NP, scale: 1e6,
    setup(be) {
      const p = rand(be, NP, 1), g = rand(be, NP, 2), b = be.heap.zeros(NP);
      return () => be.k.f32_sgd_update(NP, p, g, b, 1e-3, 0.9, 0, 0, 0, 0);
    } },
  { kernel: 'f32_sumsq', shape: `n=${NP}`, unit: 'Melem/s', work: NP, scale: 1e6,
    setup(be) { const x = rand(be, NP, 1); return () => be.k.f32_sumsq(NP, x); } },
);

export async function runKernels(backends) {
  const rows = [];
  for (const c of cases) {
    const row = { suite: 'kernels', kernel: c.kernel, shape: c.shape, unit: c.unit, results: {} };
    for (const [n, be] of Object.entries(backends)) {
      const r = await measure(c.setup(be));
      row.results[n] = r.error ? { error: r.error } : { rate: (r.hz * c.work) / c.scale, rme: r.rme };
      progress();
    }
    const s = row.results['wasm-simd']?.rate, j = row.results.js?.rate;
    row.simdOverJs = s && j ? s / j : null;
    rows.push(row);
  }
  return rows;
}
