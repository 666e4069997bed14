// `npm start`: one LSTM layer's forward pass (I = 64, H = 128, T = 100),
// run straight on the kernels, on wasm SIMD and on the pure-JS backend, with
// the measured speed-up. (The layers, training and CLI replace this demo as
// they land.)
import { createBackend, type Backend, type BackendName } from './backend/index.js';

const I = 64, H = 128, T = 100;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

interface Lstm { be: Backend; wih: number; whh: number; bias: number; x: number; g: number; c: number; h: number; y: number; B: number }

function build(be: Backend, B: number): Lstm {
  const r = lcg(1), k = 1 / Math.sqrt(H);
  const fill = (n: number, scale: number): number => {
    const p = be.heap.alloc(n);
    const v = be.heap.view(p, n);
    for (let i = 0; i < n; i++) v[i] = r() * scale;
    return p;
  };
  const wih = fill(I * 4 * H, k), whh = fill(H * 4 * H, k), bias = fill(4 * H, k), x = fill(T * B * I, 1);
  const g = be.heap.alloc(T * B * 4 * H), c = be.heap.zeros((T + 1) * B * H), h = be.heap.zeros((T + 1) * B * H);
  const y = be.heap.alloc(T * B * H);
  return { be, wih, whh, bias, x, g, c, h, y, B };
}

/** One sequence batch through the layer: one big input GEMM, then per step one recurrent GEMM and one fused cell. */
function forward(m: Lstm): void {
  const { k } = m.be, B = m.B, G = 4 * H;
  k.f32_gemm(0, 0, T * B, G, I, 1, m.x, I, m.wih, G, 0, m.g, G);
  k.f32_bias_rows(T * B, G, m.bias, m.g, G);
  for (let t = 0; t < T; t++) {
    const gt = m.g + t * B * G * 4, hp = m.h + t * B * H * 4, cp = m.c + t * B * H * 4;
    k.f32_gemm(0, 0, B, G, H, 1, hp, H, m.whh, G, 1, gt, G);
    k.f32_lstm_cell_fwd(B, H, gt, cp, hp, cp + B * H * 4, hp + B * H * 4, 0, m.y + t * B * H * 4, H);
  }
}

function seqPerSecond(m: Lstm, budgetMs: number): number {
  forward(m);
  let n = 0;
  const t0 = performance.now();
  do { forward(m); n++; } while (performance.now() - t0 < budgetMs);
  return (n * m.B * 1000) / (performance.now() - t0);
}

async function main(): Promise<void> {
  console.log(`simd-rnn demo: LSTM layer forward, I=${I} H=${H} T=${T} (kernels only)\n`);
  const names: BackendName[] = ['wasm-simd', 'js'];
  const bes = await Promise.all(names.map((n) => createBackend(n)));
  for (const B of [1, 32]) {
    const rates = bes.map((be) => seqPerSecond(build(be, B), 1500));
    // Same weights and inputs on both backends: the outputs must agree.
    const ms = bes.map((be) => build(be, B));
    ms.forEach(forward);
    const y0 = ms[0]!.be.heap.read(ms[0]!.y, T * B * H), y1 = ms[1]!.be.heap.read(ms[1]!.y, T * B * H);
    let maxDiff = 0;
    for (let i = 0; i < y0.length; i++) maxDiff = Math.max(maxDiff, Math.abs(y0[i]! - y1[i]!));
    console.log(`batch ${String(B).padStart(2)}: wasm-simd ${rates[0]!.toFixed(0).padStart(6)} seq/s | js ${rates[1]!.toFixed(0).padStart(5)} seq/s | ` +
      `speed-up ${(rates[0]! / rates[1]!).toFixed(1)}× | max |Δy| ${maxDiff.toExponential(1)}`);
  }
  console.log('\nnpm test runs the kernel tests; npm run bench times every kernel.');
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
