// Optimizer update kernels over a flat region, several steps, against
// float64 references written from torch.optim's update rules. Tolerance:
// 2e-6 absolute + 1e-5 relative on parameters and state after 6 steps.
import t from 'tap';
import { forEachBackend, put, get, close } from '../helpers/backends.js';
import { rng, uniform } from '../helpers/rng.js';

const SIZES = [1, 3, 4, 5, 7, 8, 17, 33, 64, 127, 257];
const STEPS = 6, ATOL = 2e-6, RTOL = 1e-5;

interface Case {
  name: string;
  nState: number;
  run(k: import('../../src/index.js').Kernels, n: number, p: number, g: number, s: number[], step: number): void;
  ref(p: Float64Array, g: Float32Array, s: Float64Array[], step: number): void;
}

const f = Math.fround;

const CASES: Case[] = [
  ...[
    { momentum: 0, dampening: 0, wd: 0, nesterov: 0 },
    { momentum: 0.9, dampening: 0, wd: 0.01, nesterov: 0 },
    { momentum: 0.9, dampening: 0.1, wd: 0, nesterov: 0 },
    { momentum: 0.8, dampening: 0, wd: 0.05, nesterov: 1 },
  ].map((o): Case => ({
    name: `sgd ${JSON.stringify(o)}`,
    nState: 1,
    run: (k, n, p, g, s, step) => k.f32_sgd_update(n, p, g, s[0]!, 0.1, o.momentum, o.dampening, o.wd, o.nesterov, step === 1 ? 1 : 0),
    ref(p, g, [buf], step) {
      for (let i = 0; i < p.length; i++) {
        let d = g[i]! + f(o.wd) * p[i]!;
        if (o.momentum) {
          buf![i] = step === 1 ? d : f(o.momentum) * buf![i]! + (1 - f(o.dampening)) * d;
          d = o.nesterov ? d + f(o.momentum) * buf![i]! : buf![i]!;
        }
        p[i] = p[i]! - f(0.1) * d;
      }
    },
  })),
  ...[0, 0.01].flatMap((wd) => ['adam', 'adamw'].map((kind): Case => ({
    name: `${kind} wd=${wd}`,
    nState: 2,
    run: (k, n, p, g, s, step) => (kind === 'adam' ? k.f32_adam_update : k.f32_adamw_update)(
      n, p, g, s[0]!, s[1]!, 0.01, 0.9, 0.999, 1e-8, wd, 1 - 0.9 ** step, 1 - 0.999 ** step),
    ref(p, g, [m, v], step) {
      const lr = f(0.01), b1 = f(0.9), b2 = f(0.999), eps = f(1e-8), w = f(wd);
      for (let i = 0; i < p.length; i++) {
        if (kind === 'adamw') p[i] = p[i]! * (1 - lr * w);
        const d = g[i]! + (kind === 'adam' ? w * p[i]! : 0);
        m![i] = b1 * m![i]! + (1 - b1) * d;
        v![i] = b2 * v![i]! + (1 - b2) * d * d;
        const denom = Math.sqrt(v![i]!) / Math.sqrt(1 - 0.999 ** step) + eps;
        p[i] = p[i]! - (lr / (1 - 0.9 ** step)) * m![i]! / denom;
      }
    },
  }))),
  ...[
    { momentum: 0, centered: 0, wd: 0 },
    { momentum: 0.9, centered: 0, wd: 0.01 },
    { momentum: 0, centered: 1, wd: 0 },
    { momentum: 0.5, centered: 1, wd: 0.02 },
  ].map((o): Case => ({
    name: `rmsprop ${JSON.stringify(o)}`,
    nState: 3,
    run: (k, n, p, g, s) => k.f32_rmsprop_update(n, p, g, s[0]!, s[1]!, s[2]!, 0.01, 0.99, 1e-8, o.wd, o.momentum, o.centered),
    ref(p, g, [sq, ga, buf]) {
      const a = f(0.99), lr = f(0.01), eps = f(1e-8);
      for (let i = 0; i < p.length; i++) {
        const d = g[i]! + f(o.wd) * p[i]!;
        sq![i] = a * sq![i]! + (1 - a) * d * d;
        let avg: number;
        if (o.centered) { ga![i] = a * ga![i]! + (1 - a) * d; avg = Math.sqrt(sq![i]! - ga![i]! * ga![i]!) + eps; }
        else avg = Math.sqrt(sq![i]!) + eps;
        if (o.momentum) { buf![i] = f(o.momentum) * buf![i]! + d / avg; p[i] = p[i]! - lr * buf![i]!; }
        else p[i] = p[i]! - lr * d / avg;
      }
    },
  })),
  ...[
    { wd: 0, lrDecay: 0 },
    { wd: 0.01, lrDecay: 0.1 },
  ].map((o): Case => ({
    name: `adagrad ${JSON.stringify(o)}`,
    nState: 1,
    run: (k, n, p, g, s, step) => k.f32_adagrad_update(n, p, g, s[0]!, 0.1, 1e-10, o.wd, o.lrDecay, step),
    ref(p, g, [sum], step) {
      const clr = f(0.1) / (1 + (step - 1) * f(o.lrDecay));
      for (let i = 0; i < p.length; i++) {
        const d = g[i]! + f(o.wd) * p[i]!;
        sum![i] = sum![i]! + d * d;
        p[i] = p[i]! - clr * d / (Math.sqrt(sum![i]!) + f(1e-10));
      }
    },
  })),
];

t.test('optimizer updates follow torch.optim', async (t) => {
  await forEachBackend(t, (t, be) => {
    for (const c of CASES) {
      for (const n of SIZES) {
        const r = rng(n * 7 + c.name.length);
        const p0 = uniform(r, n);
        const pp = put(be, p0), pg = be.heap.alloc(n);
        const ps = Array.from({ length: c.nState }, () => be.heap.zeros(n));
        const p = Float64Array.from(p0), s = Array.from({ length: c.nState }, () => new Float64Array(n));
        for (let step = 1; step <= STEPS; step++) {
          const g = uniform(r, n, -2, 2);
          be.heap.write(pg, g);
          c.run(be.k, n, pp, pg, ps, step);
          c.ref(p, g, s, step);
        }
        close(t, get(be, pp, n), p, ATOL, RTOL, `${c.name} n=${n}: parameters`);
        for (let j = 0; j < c.nState; j++) close(t, get(be, ps[j]!, n), s[j]!, ATOL, RTOL, `${c.name} n=${n}: state ${j}`);
        be.heap.free(pp); be.heap.free(pg); ps.forEach((q) => be.heap.free(q));
      }
    }
  });
});
