// Fused losses (forward and backward in one kernel) on every backend against
// the float64 reference (computeLoss, PyTorch's reductions): odd sizes, rows of
// weight 0 (padding), ignored classes. Tolerance: the loss sum within 1e-12
// relative (f64 all the way; exp and log may differ in the last bit between
// the wasm builds' own math and the JS engine's), the gradient within one f32
// rounding of the reference.
import t from 'tap';
import { forEachBackend, put, get, close } from '../helpers/backends.js';
import { rng, uniform } from '../helpers/rng.js';
import { computeLoss, type LossName } from '../../src/index.js';

const U = 2 ** -24;

t.test('fused losses match the float64 reference', async (t) => {
  await forEachBackend(t, (t, be) => {
    for (const [rows, outs] of [[1, 1], [3, 5], [17, 3], [64, 1], [5, 33]] as const) {
      const r = rng(rows * 100 + outs);
      const pred = uniform(r, rows * outs, -3, 3), weight = Float32Array.from({ length: rows }, (_, i) => (i % 4 === 3 ? 0 : 1));
      const valid = weight.reduce((a, w) => a + w, 0);
      const pp = put(be, pred), pw = put(be, weight), pd = be.heap.alloc(rows * outs);
      for (const name of ['mse', 'mae', 'huber', 'bceWithLogits'] as LossName[]) {
        const target = name === 'bceWithLogits' ? Float32Array.from({ length: rows * outs }, () => (r() < 0.5 ? 0 : 1)) : uniform(r, rows * outs, -3, 3);
        const pt = put(be, target);
        const grad = new Float32Array(rows * outs);
        const ref = computeLoss(name, { pred, target, weight, rows, outs, grad }, { delta: 0.7 });
        const scale = 1 / (valid * outs);
        be.heap.write(pd, new Float32Array(rows * outs).fill(NaN)); // every element must be written
        const sum = name === 'mse' ? be.k.f32_mse_loss(rows, outs, pp, pt, pw, scale, pd)
          : name === 'mae' ? be.k.f32_mae_loss(rows, outs, pp, pt, pw, scale, pd)
            : name === 'huber' ? be.k.f32_huber_loss(rows, outs, pp, pt, pw, 0.7, scale, pd)
              : be.k.f32_bce_logits_loss(rows, outs, pp, pt, pw, scale, pd);
        t.ok(Math.abs(sum * scale - ref.loss) <= 1e-12 * Math.abs(ref.loss) + 1e-15, `${name} ${rows}×${outs}: loss ${sum * scale} vs ${ref.loss}`);
        close(t, get(be, pd, rows * outs), grad, 1e-30, 2 * U, `${name} ${rows}×${outs}: gradient`);
        t.equal(name === 'mse' ? be.k.f32_mse_loss(rows, outs, pp, pt, pw, scale, 0) : sum, sum, `${name}: dpred 0 computes only the loss`);
        be.heap.free(pt);
      }
      if (outs > 1) {
        const cls = Int32Array.from({ length: rows }, (_, i) => (i % 5 === 2 ? -100 : Math.floor(r() * outs) % outs));
        const pt = be.heap.alloc(rows);
        be.heap.i32.set(cls, pt >> 2);
        for (const eps of [0, 0.1]) {
          const grad = new Float32Array(rows * outs), tag = `crossEntropy ${rows}×${outs}${eps ? ' label smoothing 0.1' : ''}`;
          const ref = computeLoss('crossEntropy', { pred, target: cls, weight, rows, outs, grad }, { ignoreIndex: -100, labelSmoothing: eps });
          be.heap.write(pd, new Float32Array(rows * outs).fill(NaN));
          const sum = be.k.f32_softmax_xent_loss(rows, outs, pp, pt, pw, -100, eps, ref.count ? 1 / ref.count : 0, pd);
          t.ok(Math.abs((ref.count ? sum / ref.count : 0) - ref.loss) <= 1e-12 * Math.abs(ref.loss) + 1e-15, `${tag}: loss`);
          close(t, get(be, pd, rows * outs), grad, 1e-30, 2 * U, `${tag}: gradient (0 on ignored and padding rows)`);
        }
        be.heap.free(pt);
      }
      be.heap.free(pp); be.heap.free(pw); be.heap.free(pd);
    }
  });
});
