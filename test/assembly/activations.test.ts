// sigmoid, tanh, relu forward and backward on every backend against float64.
// Stated bound (assembly/vmath.ts): sigmoid and tanh within 3e-7 absolute on
// every backend; ±Inf saturates to the limits; NaN propagates.
import t from 'tap';
import { forEachBackend, put, get, close } from '../helpers/backends.js';
import { rng, uniform } from '../helpers/rng.js';
import { sigmoid, relu } from '../helpers/ref.js';

const ACT_TOL = 3e-7;
const SIZES = [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 127, 257];

function inputs(): Float32Array {
  const xs: number[] = [0, -0, 1e-30, -1e-30, 1e-8, -1e-8, 0.2499, 0.25, 0.2501, -0.25, 8.9, 9, 9.1, 15, -15,
    20, -20, 44, -44, 87, -87, 88, -88, 89, -89, 100, -100, 1e30, -1e30, 3.4e38, -3.4e38, 1.4e-45];
  // A dense sweep of [-20, 20] and a log sweep out to 1e4.
  for (let i = -40000; i <= 40000; i++) xs.push(i / 2000);
  for (let e = -8; e <= 4; e += 0.01) xs.push(10 ** e, -(10 ** e));
  return Float32Array.from(xs);
}

t.test('forward within the stated error, everywhere', async (t) => {
  const x = inputs();
  const n = x.length;
  await forEachBackend(t, (t, be) => {
    const px = put(be, x), py = be.heap.alloc(n);
    be.k.f32_sigmoid(n, px, py);
    close(t, get(be, py, n), Array.from(x, sigmoid), ACT_TOL, 0, 'sigmoid');
    be.k.f32_tanh(n, px, py);
    close(t, get(be, py, n), Array.from(x, Math.tanh), ACT_TOL, 0, 'tanh');
    be.k.f32_relu(n, px, py);
    t.same(get(be, py, n), Float32Array.from(x, relu), 'relu');
    // In place (y aliases x).
    const pz = put(be, x);
    be.k.f32_tanh(n, pz, pz);
    close(t, get(be, pz, n), Array.from(x, Math.tanh), ACT_TOL, 0, 'tanh in place');
  });
});

t.test('tanh keeps relative accuracy near 0 and is odd', async (t) => {
  await forEachBackend(t, (t, be) => {
    const x = Float32Array.from({ length: 1000 }, (_, i) => (i + 1) * 2.4e-4 * (i % 2 ? -1 : 1));
    const px = put(be, x), py = be.heap.alloc(x.length);
    be.k.f32_tanh(x.length, px, py);
    const y = get(be, py, x.length);
    close(t, y, Array.from(x, Math.tanh), 0, 1e-6, 'relative error < 1e-6 for |x| < 0.25');
  });
});

t.test('special values: saturation and NaN', async (t) => {
  await forEachBackend(t, (t, be) => {
    const x = [Infinity, -Infinity, NaN, -NaN, 0, 1000, -1000, 1, 2, 3];
    const px = put(be, x), py = be.heap.alloc(x.length);
    be.k.f32_sigmoid(x.length, px, py);
    const s = get(be, py, x.length);
    t.same([s[0], s[1], s[4], s[5], s[6]], [1, 0, 0.5, 1, 0], 'sigmoid saturates');
    t.ok(Number.isNaN(s[2]) && Number.isNaN(s[3]), 'sigmoid propagates NaN');
    be.k.f32_tanh(x.length, px, py);
    const h = get(be, py, x.length);
    t.same([h[0], h[1], h[4], h[5], h[6]], [1, -1, 0, 1, -1], 'tanh saturates');
    t.ok(Number.isNaN(h[2]) && Number.isNaN(h[3]), 'tanh propagates NaN');
    be.k.f32_relu(x.length, px, py);
    const r = get(be, py, x.length);
    t.same([r[0], r[1], r[4], r[5], r[6]], [Infinity, 0, 0, 1000, 0], 'relu');
    t.ok(Number.isNaN(r[2]), 'relu propagates NaN');
  });
});

t.test('backward writes dx = dy·f′(y), over whatever dx held', async (t) => {
  await forEachBackend(t, (t, be) => {
    for (const n of SIZES) {
      const r = rng(n + 99);
      const x = uniform(r, n, -4, 4), dy = uniform(r, n), dx0 = uniform(r, n);
      const px = put(be, x), py = be.heap.alloc(n), pdy = put(be, dy), pdx = put(be, dx0);
      for (const [name, fwd, bwd, d] of [
        ['sigmoid', be.k.f32_sigmoid, be.k.f32_sigmoid_bwd, (y: number) => y * (1 - y)],
        ['tanh', be.k.f32_tanh, be.k.f32_tanh_bwd, (y: number) => 1 - y * y],
        ['relu', be.k.f32_relu, be.k.f32_relu_bwd, (y: number) => (y > 0 ? 1 : 0)],
      ] as const) {
        fwd(n, px, py);
        const y = get(be, py, n);
        be.heap.write(pdx, dx0);
        bwd(n, py, pdy, pdx);
        const want = Array.from(dx0, (_, i) => dy[i]! * d(y[i]!)); // written, not added: dx0 is overwritten
        close(t, get(be, pdx, n), want, 4 * 2 ** -24, 4 * 2 ** -24, `${name}_bwd n=${n}`);
      }
      be.heap.free(px); be.heap.free(py); be.heap.free(pdy); be.heap.free(pdx);
    }
  });
});
