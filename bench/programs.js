// npm run bench:programs [-- --rounds=12] [-- --busy-core]: whole sequences
// on every thread (step programs, src/backend/steps.ts) in pieces the
// threads claim one at a time, against the same programs cut into one piece
// a thread, the same pool running the steps one by one, and one thread, in
// ONE process: the variants alternate round by round (the order of the
// 2-thread ones rotates each round) on the same seeded models, each on its
// own long-lived backend, and the ratios are of the medians. Numbers only:
// the bits are tests' business (test/backend/threads.test.ts).
// --busy-core (Linux, taskset): the main thread on CPU 0, the pool's worker
// on CPU 1 with a busy loop of another process there (a core shared with
// another program, or a slower one: what pieces are for).
import { execSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { init, getBackend, tensor, LSTM, GRU, Linear, Sequential, optim } from '../dist/index.js';

const ROUNDS = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 12);
const BUSY = process.argv.includes('--busy-core');
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

// The busiest thread but the main one is the pool's worker (after warm-up): CPU 1, with a busy loop there.
function busyCore() {
  try { execSync(`taskset -p ${process.pid}`, { stdio: 'ignore' }); } catch { console.error('--busy-core: needs Linux and taskset (util-linux)'); process.exit(2); }
  const cpu = (t) => { const f = readFileSync(`/proc/${process.pid}/task/${t}/stat`, 'utf8').split(') ')[1].split(' '); return Number(f[11]) + Number(f[12]); };
  const others = readdirSync(`/proc/${process.pid}/task`).filter((t) => Number(t) !== process.pid);
  const worker = others.reduce((a, b) => (cpu(b) > cpu(a) ? b : a));
  execSync(`taskset -p -c 0 ${process.pid} && taskset -p -c 1 ${worker}`, { stdio: 'ignore' });
  const hog = spawn('taskset', ['-c', '1', 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' });
  return () => hog.kill('SIGKILL');
}

const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
const VARIANTS = ['pieces', 'even', 'steps'];
console.log(`${BUSY ? 'The worker\'s core shared with a busy loop (--busy-core).\n\n' : ''}| workload | 1 thread | 2 threads, programs in claimed pieces | 2 threads, one piece a thread | 2 threads, step by step |\n|---|---|---|---|---|`);
for (const [name, [reps, make]] of Object.entries(workloads)) {
  await init({ threads: 1 });
  const one = make();
  await init({ threads: 2 });
  const two = make(), pool = getBackend().pool, steps = pool.steps.bind(pool);
  const time = (f) => { const t0 = performance.now(); for (let i = 0; i < reps; i++) f(); return (performance.now() - t0) / reps; };
  const w0 = performance.now();
  while (performance.now() - w0 < 300) { one(); two(); }
  const stop = BUSY ? busyCore() : () => {};
  const t = { one: [], pieces: [], even: [], steps: [] };
  for (let r = 0; r < ROUNDS; r++) {
    t.one.push(time(one));
    for (let i = 0; i < VARIANTS.length; i++) {
      const v = VARIANTS[(i + r) % VARIANTS.length];
      pool.steps = v === 'steps' ? () => false : steps;
      pool.evenPieces = v === 'even';
      t[v].push(time(two));
    }
  }
  stop();
  pool.steps = steps;
  pool.evenPieces = false;
  const m1 = median(t.one), cell = (v, bold) => `${median(t[v]).toFixed(2)} ms (${bold ? '**' : ''}${(m1 / median(t[v])).toFixed(2)}×${bold ? '**' : ''})`;
  console.log(`| ${name} | ${m1.toFixed(2)} ms | ${cell('pieces', true)} | ${cell('even')} | ${cell('steps')} |`);
}
process.exit(0);
