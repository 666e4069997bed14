// padSequences (Keras semantics) and pre-padded batches through a model.
import t from 'tap';
import { init, padSequences, tensor, LSTM, GRU, Linear, Sequential, optim } from '../../src/index.js';

t.test('padding and truncation like Keras', async (t) => {
  const seqs = [[1, 2, 3, 4], [5], [6, 7]];
  const post = padSequences(seqs, { maxlen: 3 });
  t.same(Array.from(post.x.data), [2, 3, 4, 5, 0, 0, 6, 7, 0], "default: padding 'post', truncating 'pre'");
  t.same(Array.from(post.lengths), [3, 1, 2]);
  t.same(Array.from(post.mask.data), [1, 1, 1, 1, 0, 0, 1, 1, 0]);
  const pre = padSequences(seqs, { maxlen: 3, padding: 'pre', truncating: 'post', value: -1 });
  t.same(Array.from(pre.x.data), [1, 2, 3, -1, -1, 5, -1, 6, 7]);
  t.same(Array.from(pre.mask.data), [1, 1, 1, 0, 0, 1, 0, 1, 1]);
  const f2 = padSequences([new Float32Array([1, 2, 3, 4]), [5, 6]], { features: 2 });
  t.same(f2.x.shape, [2, 2, 2]);
  t.same(Array.from(f2.x.data), [1, 2, 3, 4, 5, 6, 0, 0]);
  t.throws(() => padSequences([[1, 2, 3]], { features: 2 }), { message: 'padSequences: sequences[0].length is 3, expected a multiple of features (2)' });
  t.throws(() => padSequences([]), { message: /sequences is \[\], expected a non-empty array/ });
  t.throws(() => padSequences([[1, NaN]]), { message: /sequences\[0\]\[1\] is NaN, expected a finite number/ });
  t.throws(() => padSequences([[1]], { padding: 'mid' as never }), { message: /options\.padding is "mid"/ });
});

t.test("pre-padded batches with a mask give the same 'last' results as post-padded with lengths", async (t) => {
  await init();
  const seqs = [[0.1, 0.5, -0.3, 0.9], [0.4], [-0.2, 0.7, 0.3]];
  const y = tensor([0.5, -0.1, 0.3], [3, 1]);
  for (const Cell of [LSTM, GRU]) {
    const model = new Sequential([new Cell({ inputSize: 1, hiddenSize: 5, seed: 3 }), new Linear({ inFeatures: 5, outFeatures: 1, seed: 4 })]);
    model.compile({ optimizer: optim.sgd({ lr: 0.1 }), loss: 'mse' });
    const post = padSequences(seqs), pre = padSequences(seqs, { padding: 'pre' });
    const a = model.predict(post.x, { lengths: post.lengths }).data;
    const b = model.predict(pre.x, { mask: pre.mask }).data;
    for (let i = 0; i < 3; i++) t.ok(Math.abs(a[i]! - b[i]!) < 1e-6, `${Cell.name} sequence ${i}: ${a[i]} vs ${b[i]}`);
    t.ok(Math.abs(model.evaluate(post.x, y, { lengths: post.lengths }).loss - model.evaluate(pre.x, y, { mask: pre.mask }).loss) < 1e-6);
    t.throws(() => model.predict(pre.x, { mask: pre.mask, lengths: post.lengths }), { message: /either lengths or mask, not both/ });
  }
});
