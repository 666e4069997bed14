// npm run bench:int8: quantize() against f32 on the int8 issue's workloads, in ONE run, one thread:
// sequences per second (LSTM and GRU, I = 64, T = 100, H = 128 and 256, batch 1 and 32), the streaming
// LSTM step at H = 128, the bytes of the weights the products read (f32 panels vs int8 panels), and the
// heap bytes each layer holds (its parameters; then everything, after a batch-1 forward of T = 100), and
// the products themselves (i8_gemm against the f32 product on the same shapes) against this machine's
// arithmetic ceilings (bench/ceiling/ceiling.ts, compiled here with asc).
// Rounds alternate between the f32 and the int8 layer; the ratio is of the medians.
//   node bench/int8.js [--rounds=9] [--json]
import os from 'node:os';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { init, tensor, getBackend, LSTM, GRU, quantize } from '../dist/index.js';

const arg = (k, d) => Number(process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d);
const ROUNDS = arg('rounds', 9), JSON_OUT = process.argv.includes('--json');
const seeded = (n, s) => { let x = s >>> 0; return Float32Array.from({ length: n }, () => { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; return x / 2 ** 32 - 0.5; }); };
const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
const name = await init({ threads: 1 });

const rows = [];
for (const [C, H, B] of [[LSTM, 128, 1], [GRU, 128, 1], [LSTM, 256, 1], [GRU, 256, 1], [LSTM, 128, 32], [GRU, 128, 32]]) {
  const f = new C({ inputSize: 64, hiddenSize: H, batchFirst: true, seed: 1 }), q = quantize(f);
  const x = tensor(seeded(B * 100 * 64, 5), [B, 100, 64]);
  const reps = B === 1 ? 20 : 3, t = { f: [], q: [] };
  for (let i = 0; i < 5; i++) { f.forward(x); q.forward(x); }
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, l] of [['f', f], ['q', q]]) {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) l.forward(x);
      t[k].push((performance.now() - t0) / reps);
    }
  }
  const G = (C === LSTM ? 4 : 3) * H, f32Bytes = 4 * G * (64 + H), i8Bytes = G * (64 + H) + 2 * 4 * G; // panels (+ the row scales)
  rows.push({ workload: `${C.name} I=64 H=${H} T=100 B=${B}`, f32: B / median(t.f) * 1000, int8: B / median(t.q) * 1000, ratio: median(t.f) / median(t.q), f32Bytes, i8Bytes });
  f.dispose(); q.dispose();
}
// The streaming LSTM step at H = 128, batch 1.
const f = new LSTM({ inputSize: 64, hiddenSize: 128, seed: 1 }), q = quantize(f), xt = seeded(64, 9);
const sf = f.zeroState(1), sq = q.zeroState(1), steps = { f: [], q: [] };
for (let i = 0; i < 2000; i++) { f.step(xt, sf); q.step(xt, sq); }
for (let r = 0; r < ROUNDS; r++) {
  for (const [k, l, s] of [['f', f, sf], ['q', q, sq]]) {
    const t0 = performance.now();
    for (let i = 0; i < 2000; i++) l.step(xt, s);
    steps[k].push((performance.now() - t0) / 2000 * 1000);
  }
}
const step = { f32: median(steps.f), int8: median(steps.q) };

// Memory: the heap bytes a layer holds, measured as the heap's used bytes before and after.
const heap = getBackend().heap;
const held = (make) => { const before = heap.usedBytes, value = make(); return { value, bytes: heap.usedBytes - before }; };
const memory = [];
for (const [C, H] of [[LSTM, 128], [GRU, 128], [LSTM, 256], [GRU, 256]]) {
  const f = held(() => new C({ inputSize: 64, hiddenSize: H, batchFirst: true, seed: 1 })), q = held(() => quantize(f.value));
  const x = tensor(seeded(100 * 64, 5), [1, 100, 64]);
  const fr = held(() => f.value.forward(x)), qr = held(() => q.value.forward(x));
  memory.push({ workload: `${C.name} I=64 H=${H}`, params: f.value.numParams, f32Params: 4 * f.value.numParams, f32Held: f.bytes, i8Held: q.bytes, f32Run: f.bytes + fr.bytes, i8Run: q.bytes + qr.bytes });
  f.value.dispose(); q.value.dispose();
}
// The products, one thread, on the backend's own kernels: GOP/s (2 ops a multiply–add) of the f32 product
// (weights packed by f32_pack_b) and of the int8 one alone and with its per-call quantization of A.
const k = getBackend().k;
const put = (n, seed) => { const p = heap.alloc(n); heap.write(p, seeded(n, seed)); return p; };

const rate = (fn, flops) => { for (let i = 0; i < 50; i++) fn(); const ts = []; for (let r = 0; r < ROUNDS; r++) { let n = 0; const t0 = performance.now(); let t; do { fn(); n++; t = performance.now(); } while (t - t0 < 20); ts.push((t - t0) / n); } return flops / median(ts) / 1e6; };
const products = [];
for (const [M, N, K] of [[1, 512, 128], [1, 1024, 256], [100, 512, 64], [32, 512, 128]]) {
  const K8 = (K + 7) & ~7, A = put(M * K, 11), W = put(N * K, 12), C = heap.alloc(M * N), bias = put(N, 13);
  const Bp = heap.alloc(Math.ceil(N / 8) * 8 * K), Q = heap.alloc(Math.ceil(M * K8 / 4)), sa = heap.alloc(M), Wq = heap.alloc(Math.ceil(N * K8 / 4)), sw = heap.alloc(N), Wp = heap.alloc(Math.ceil(N / 16) * 4 * K8);
  k.f32_pack_b(1, K, N, W, K, Bp);
  k.i8_quantize_rows(N, K, W, K, Wq, K8, sw); k.i8_pack_panels(N, K, Wq, K8, Wp); k.i8_quantize_rows(M, K, A, K, Q, K8, sa);
  const ops = 2 * M * N * K;
  products.push({ shape: `[${M},${K}]×[${K},${N}]`,
    f32: rate(() => k.f32_gemm_packed_bias(0, M, N, K, 1, A, K, Bp, 0, C, N, bias), ops),
    int8: rate(() => k.i8_gemm(M, N, K, Q, K8, sa, Wp, sw, 0, C, N, bias), ops),
    int8q: rate(() => { k.i8_quantize_rows(M, K, A, K, Q, K8, sa); k.i8_gemm(M, N, K, Q, K8, sa, Wp, sw, 0, C, N, bias); }, ops) });
}
// The ceilings: registers only, 8 independent accumulators (bench/ceiling/ceiling.ts).
const here = fileURLToPath(new URL('./ceiling/', import.meta.url)), wasmFile = `${here}ceiling.wasm`;
if (!existsSync(wasmFile) || statSync(wasmFile).mtimeMs < statSync(`${here}ceiling.ts`).mtimeMs) execFileSync(process.execPath, [fileURLToPath(new URL('../node_modules/assemblyscript/bin/asc.js', import.meta.url)), `${here}ceiling.ts`, '--enable', 'simd', '--runtime', 'stub', '-O3', '-o', wasmFile]);
const cx = (await WebAssembly.instantiate(readFileSync(wasmFile), { env: { abort() {} } })).instance.exports;
const ceilRate = (fn, perIter) => { fn(1e6); const ts = []; for (let r = 0; r < ROUNDS; r++) { const t0 = performance.now(); fn(2e6); ts.push(performance.now() - t0); } return 2e6 * perIter / Math.min(...ts) / 1e6; }; // a ceiling: the best round
const ceiling = { int8: ceilRate((n) => cx.dot_ceiling(n, 3), 8 * 16), f32: ceilRate((n) => cx.f32_ceiling(n, 1.5), 8 * 8) };

const meta = { node: process.version, cpu: os.cpus()[0]?.model, backend: name, rounds: ROUNDS };
if (JSON_OUT) console.log(JSON.stringify({ meta, rows, step, memory, products, ceiling }, null, 2));
else {
  console.log(`simd-rnn int8 — Node ${meta.node}, ${meta.cpu}; ${name}, one thread, median of ${ROUNDS} alternating rounds\n`);
  console.log('| workload | f32 seq/s | int8 seq/s | int8 ÷ f32 | weights read, f32 → int8 |\n|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.workload} | ${r.f32.toFixed(0)} | ${r.int8.toFixed(0)} | **${r.ratio.toFixed(2)}×** | ${(r.f32Bytes / 1024).toFixed(0)} → ${(r.i8Bytes / 1024).toFixed(0)} KiB |`);
  console.log(`\nStreaming LSTM step, I=64 H=128, batch 1: f32 ${step.f32.toFixed(2)} µs, int8 ${step.int8.toFixed(2)} µs (${(step.f32 / step.int8).toFixed(2)}×).`);
  const kib = (b) => `${(b / 1024).toFixed(0)} KiB`;
  console.log(`\nThe products, one thread, GOP/s (2 ops a multiply–add); this machine's ceilings on registers alone: int8 (dot_i16x8_s + add) ${ceiling.int8.toFixed(1)}, f32 (mul + add) ${ceiling.f32.toFixed(1)}\n`);
  console.log('| product | f32 | int8 | int8 with the quantization of A | int8 ÷ f32 | f32 of its ceiling | int8 of its ceiling |\n|---|---|---|---|---|---|---|');
  for (const r of products) console.log(`| ${r.shape} | ${r.f32.toFixed(1)} | ${r.int8.toFixed(1)} | ${r.int8q.toFixed(1)} | **${(r.int8q / r.f32).toFixed(2)}×** | ${(100 * r.f32 / ceiling.f32).toFixed(0)} % | ${(100 * r.int8 / ceiling.int8).toFixed(0)} % |`);
  console.log('\nMemory (heap bytes a layer holds): its parameters (f32: the parameters and their gradients; int8: int8 matrices, row scales, f32 biases), then all of it after a batch-1 forward of 100 steps (packed weights and the workspace too)\n');
  console.log('| layer | parameters | f32 weights (4 B each) | f32 layer | int8 layer | int8 ÷ f32 weights | f32 after a forward | int8 after a forward |\n|---|---|---|---|---|---|---|---|');
  for (const r of memory) console.log(`| ${r.workload} | ${r.params} | ${kib(r.f32Params)} | ${kib(r.f32Held)} | ${kib(r.i8Held)} | **${(r.i8Held / r.f32Params).toFixed(3)}** | ${kib(r.f32Run)} | ${kib(r.i8Run)} |`);
}
