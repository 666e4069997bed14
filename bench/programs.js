// npm run bench:programs [-- --rounds=12]: whole sequences on every thread
// (step programs, src/backend/steps.ts) against the same pool running the
// steps one by one, and one thread, in ONE process: the three alternate
// round by round (the order of the two 2-thread variants swaps each round)
// on the same seeded models, each on its own long-lived backend, and the
// ratios are of the medians. Numbers only: the bits are tests' business
// (test/backend/threads.test.ts).
import { init, getBackend, tensor, LSTM, GRU, Linear, Sequential, optim } from '../dist/index.js';

const ROUNDS = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 12);
const seeded = (n, s) => { let x = s >>> 0; return Float32Array.from({ length: n }, () => { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; return x / 2 ** 32 - 0.5; }); };
const workloads = {
  'inference: LSTM I=64 H=128 T=100 B=32': [10, () => { const l = new LSTM({ inputSize: 64, hiddenSize: 128, batchFirst: true, seed: 1 }), x = tensor(seeded(32 * 100 * 64, 5), [32, 100, 64]); return () => l.forward(x); }],
  'inference: GRU I=64 H=128 T=100 B=32': [10, () => { const l = new GRU({ inputSize: 64, hiddenSize: 128, batchFirst: true, seed: 1 }), x = tensor(seeded(32 * 100 * 64, 5), [32, 100, 64]); return () => l.forward(x); }],
  'training step: 2-layer LSTM I=32 H=128 T=50 B=32, Adam': [2, () => {
    const m = new Sequential([new LSTM({ inputSize: 32, hiddenSize: 128, numLayers: 2, seed: 1 }), new Linear({ inFeatures: 128, outFeatures: 8, seed: 2 })], { output: 'last' });
    m.compile({ optimizer: optim.adam({ lr: 1e-3 }), loss: 'mse' });
    const x = tensor(seeded(32 * 50 * 32, 3), [32, 50, 32]), y = tensor(seeded(32 * 8, 4), [32, 8]);
    return () => m.trainOnBatch(x, y);
  }],
};
const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
console.log('| workload | 1 thread | 2 threads, step programs | 2 threads, step by step |\n|---|---|---|---|');
for (const [name, [reps, make]] of Object.entries(workloads)) {
  await init({ threads: 1 });
  const one = make();
  await init({ threads: 2 });
  const two = make(), pool = getBackend().pool, steps = pool.steps.bind(pool);
  const time = (f) => { const t0 = performance.now(); for (let i = 0; i < reps; i++) f(); return (performance.now() - t0) / reps; };
  const w0 = performance.now();
  while (performance.now() - w0 < 300) { one(); two(); }
  const t = { one: [], programs: [], steps: [] };
  for (let r = 0; r < ROUNDS; r++) {
    t.one.push(time(one));
    for (const v of r % 2 ? ['programs', 'steps'] : ['steps', 'programs']) {
      pool.steps = v === 'programs' ? steps : () => false;
      t[v].push(time(two));
    }
  }
  pool.steps = steps;
  const m1 = median(t.one);
  console.log(`| ${name} | ${m1.toFixed(2)} ms | ${median(t.programs).toFixed(2)} ms (**${(m1 / median(t.programs)).toFixed(2)}×**) | ${median(t.steps).toFixed(2)} ms (${(m1 / median(t.steps)).toFixed(2)}×) |`);
}
process.exit(0);
