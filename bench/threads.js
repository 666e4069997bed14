// npm run bench:threads: 2 threads ÷ 1 thread on the workloads of the
// threads issue, in ONE run: rounds alternate between a 1-thread and an
// n-thread backend (init({ threads })) with the same seeded models, and the
// ratio is of the medians. Every workload also checks that the outputs (and
// the trained weights) are bit-identical across thread counts.
//   node bench/threads.js [--threads=2] [--rounds=7] [--json]
import os from 'node:os';
import { init, threads, getBackend, tensor, LSTM, GRU, Linear, Sequential, optim, KERNEL_NAMES } from '../dist/index.js';

const arg = (k, d) => Number(process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d);
const N = arg('threads', 2), ROUNDS = arg('rounds', 7), JSON_OUT = process.argv.includes('--json');
const seeded = (n, s) => { let x = s >>> 0; return Float32Array.from({ length: n }, () => { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; return x / 2 ** 32 - 0.5; }); };

const workloads = [
  {
    name: 'training step: 2-layer LSTM I=32 H=128 T=50 B=32, Adam',
    make() {
      const m = new Sequential([new LSTM({ inputSize: 32, hiddenSize: 128, numLayers: 2, seed: 1 }), new Linear({ inFeatures: 128, outFeatures: 8, seed: 2 })], { output: 'last' });
      m.compile({ optimizer: optim.adam({ lr: 1e-3 }), loss: 'mse' });
      const x = tensor(seeded(32 * 50 * 32, 3), [32, 50, 32]), y = tensor(seeded(32 * 8, 4), [32, 8]);
      return { run: () => m.trainOnBatch(x, y), result: () => m.stateDict()['layers.0.weight_hh_l0'].data, reps: 3 };
    },
  },
  ...['LSTM', 'GRU'].map((cell) => ({
    name: `inference: ${cell} I=64 H=128 T=100 B=32`,
    make() {
      const C = cell === 'LSTM' ? LSTM : GRU, l = new C({ inputSize: 64, hiddenSize: 128, batchFirst: true, seed: 1 });
      const x = tensor(seeded(32 * 100 * 64, 5), [32, 100, 64]);
      let y;
      return { run: () => { y = l.forward(x).output; }, result: () => y.data, reps: 3 };
    },
  })),
  ...[128, 256].map((H) => ({
    name: `batch 1: LSTM I=64 H=${H} T=100${H === 256 ? ' (the step product is split: 2·256·1024 flops)' : ' (nothing per step is split)'}`,
    make() {
      const l = new LSTM({ inputSize: 64, hiddenSize: H, batchFirst: true, seed: 1 });
      const x = tensor(seeded(100 * 64, 6), [1, 100, 64]);
      let y;
      return { run: () => { y = l.forward(x).output; }, result: () => y.data, reps: 60 };
    },
  })),
];

const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
const rows = [];
for (const w of workloads) {
  const times = { 1: [], [N]: [] }, results = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const n of [1, N]) {
      await init({ threads: n });
      if (threads() !== n) throw new Error(`bench/threads.js: asked for ${n} threads, got ${threads()}`);
      const job = w.make();
      for (let i = 0; i < 3; i++) job.run(); // warm-up (JIT, workspaces)
      const t0 = performance.now();
      for (let i = 0; i < job.reps; i++) job.run();
      times[n].push((performance.now() - t0) / job.reps);
      results[n] ??= job.result().slice();
    }
  }
  const a = results[1], b = results[N], same = a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
  rows.push({ workload: w.name, ms1: median(times[1]), msN: median(times[N]), speedup: median(times[1]) / median(times[N]), identical: same });
}
// The machine's ceiling: two independent products [32,128]×[128,512] at once, one per thread, against one alone.
await init({ threads: N });
const be = getBackend(), h = be.heap, pool = be.pool;
const mk = (n, s) => { const p = h.alloc(n); h.write(p, seeded(n, s)); return p; };
const job = (s) => [0, 0, 32, 512, 128, 1, mk(32 * 128, s), 128, mk(128 * 512, s + 1), 512, 0, h.alloc(32 * 512), 512];
let raw = null;
const spy = pool.run.bind(pool);
pool.run = (i, fn, parts, count) => { raw = fn; return spy(i, fn, parts, count); };
be.k.f32_gemm(...job(7));
pool.run = spy;
const jobs = Array.from({ length: N }, (_, i) => job(10 + 2 * i)), idx = KERNEL_NAMES.indexOf('f32_gemm');
const timeIt = (f) => { const ts = []; for (let r = 0; r < 15; r++) { const t0 = performance.now(); for (let i = 0; i < 40; i++) f(); ts.push((performance.now() - t0) / 40); } return median(ts); };
const alone = timeIt(() => raw(...jobs[0])), together = timeIt(() => pool.run(idx, raw, jobs, N));
const ceiling = (N * alone) / together;

const meta = { node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length, threads: N, rounds: ROUNDS };
if (JSON_OUT) console.log(JSON.stringify({ meta, rows, ceiling }, null, 2));
else {
  console.log(`simd-rnn threads — Node ${meta.node}, ${meta.cpu}, ${meta.cores} cores; wasm SIMD, median of ${ROUNDS} alternating rounds\n`);
  console.log(`| workload | 1 thread | ${N} threads | speed-up | bit-identical |\n|---|---|---|---|---|`);
  for (const r of rows) console.log(`| ${r.workload} | ${r.ms1.toFixed(2)} ms | ${r.msN.toFixed(2)} ms | **${r.speedup.toFixed(2)}×** | ${r.identical ? 'yes' : 'NO'} |`);
  console.log(`\nThe machine's ceiling in this run: ${N} independent products [32,128]×[128,512], one per thread at once, do ${ceiling.toFixed(2)}× the work of one alone (${(alone * 1000).toFixed(0)} µs alone, ${(together * 1000).toFixed(0)} µs for ${N} together).`);
}
if (rows.some((r) => !r.identical)) process.exitCode = 1;
