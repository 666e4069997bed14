// Bad input gets an error naming the argument, the expected and the actual value.
import t from 'tap';
import { LSTM, GRU, RNN, init, tensor, SimdRnnError } from '../../src/index.js';

t.test('layers before init()', async (t) => {
  t.throws(() => new LSTM({ inputSize: 2, hiddenSize: 3 }), { code: 'NOT_INITIALIZED' });
});

t.test('constructor options', async (t) => {
  await init({ backend: 'js' });
  t.throws(() => new LSTM({ inputSize: 0, hiddenSize: 3 }), { message: 'LSTM: inputSize is 0, expected an integer ≥ 1' });
  t.throws(() => new GRU({ inputSize: 2, hiddenSize: 1.5 }), { message: 'GRU: hiddenSize is 1.5, expected an integer ≥ 1' });
  t.throws(() => new LSTM({ inputSize: 2, hiddenSize: 3, numLayers: 0 }), { message: /numLayers is 0/ });
  t.throws(() => new LSTM({ inputSize: 2, hiddenSize: 3, dropout: 1 }), { message: 'LSTM: dropout is 1, expected a number in [0, 1)' });
  t.throws(() => new LSTM({ inputSize: 2, hiddenSize: 3, bidirectional: 'yes' as never }), { message: 'LSTM: bidirectional is "yes", expected true or false' });
  t.throws(() => new RNN({ inputSize: 2, hiddenSize: 3, nonlinearity: 'sigmoid' as never }), { message: `RNN: nonlinearity is "sigmoid", expected 'tanh' or 'relu'` });
  t.throws(() => new LSTM(null as never), { message: 'LSTM: options is null, expected an object' });
  t.throws(() => new LSTM({ inputSize: 2, hiddenSize: 3, seed: -1 }), { message: /seed is -1/ });
});

t.test('forward arguments', async (t) => {
  await init({ backend: 'wasm-simd' });
  const lstm = new LSTM({ inputSize: 8, hiddenSize: 4, numLayers: 2, batchFirst: true, seed: 1 });
  const x = tensor(new Float32Array(4 * 10 * 8), [4, 10, 8]);
  t.throws(() => lstm.forward(tensor(new Float32Array(4 * 10 * 7), [4, 10, 7])),
    { name: 'SimdRnnError', code: 'SHAPE_MISMATCH', message: 'LSTM.forward: x has shape [4,10,7], expected [*,*,8] ([B, T, inputSize], inputSize = 8)' });
  t.throws(() => lstm.forward({ data: new Float32Array(3), shape: [1, 1, 8] }), { message: 'LSTM.forward: x.data has 3 elements, expected 8 for shape [1,1,8]' });
  t.throws(() => lstm.forward({ data: [1, 2] as never, shape: [1, 1, 2] }), { message: 'LSTM.forward: x.data is [1,2], expected a Float32Array' });
  t.throws(() => lstm.forward(undefined as never), { message: /LSTM\.forward: x is undefined, expected a tensor/ });
  t.throws(() => lstm.forward(tensor(new Float32Array(0), [4, 0, 8])), { message: /expected at least one step and one sequence/ });
  const bad = new Float32Array(4 * 10 * 8); bad[8 * 13 + 2] = Infinity;
  t.throws(() => lstm.forward(tensor(bad, [4, 10, 8])), { message: 'LSTM.forward: x[1,3,2] is Infinity, expected a finite number' });
  t.throws(() => lstm.forward(x, { h0: tensor(new Float32Array(8 * 4), [2, 4, 4]).data ? tensor(new Float32Array(2 * 3 * 4), [2, 3, 4]) : undefined }),
    { message: 'LSTM.forward: h0 has shape [2,3,4], expected [2,4,4] ([numLayers·D, B, hiddenSize])' });
  t.throws(() => lstm.forward(x, { lengths: [10, 3, 2] }), { message: 'LSTM.forward: options.lengths.length is 3, expected 4 (the batch size)' });
  t.throws(() => lstm.forward(x, { lengths: [10, 3, 11, 1] }), { message: 'LSTM.forward: options.lengths[2] is 11, expected an integer in [0, 10] (T)' });
  t.throws(() => lstm.forward(x, { lengths: [10, 3, 2.5, 1] }), { message: /options\.lengths\[2\] is 2\.5/ });
  t.throws(() => lstm.forward(x, { lengths: 'abc' as never }), { message: /options\.lengths is "abc"/ });
  t.throws(() => lstm.forward(x, { lengths: [1, 1, 1, 1], mask: tensor(new Float32Array(40), [4, 10]) }), { message: /either lengths or mask, not both/ });
  t.throws(() => lstm.forward(x, { mask: tensor(new Float32Array(40).fill(0.5), [4, 10]) }), { message: 'LSTM.forward: mask[0,0] is 0.5, expected 0 or 1' });
  t.throws(() => lstm.forward(x, { mask: tensor(new Float32Array(40), [10, 4]) }), { message: /mask has shape \[10,4\], expected \[4,10\]/ });
  t.throws(() => lstm.forward(x, { train: 1 as never }), { message: 'LSTM.forward: options.train is 1, expected true or false' });
  const gru = new GRU({ inputSize: 8, hiddenSize: 4, batchFirst: true, seed: 1 });
  t.throws(() => gru.forward(x, { c0: tensor(new Float32Array(16), [1, 4, 4]) }), { message: /GRU\.forward: options\.c0 is a tensor of shape \[1,4,4\], expected undefined \(GRU has no cell state\)/ });
  // A mask equals the same lengths.
  const m = new Float32Array(40);
  const lengths = [10, 3, 0, 7];
  lengths.forEach((n, b) => { for (let s = 0; s < n; s++) m[b * 10 + s] = 1; });
  const xs = tensor(Float32Array.from({ length: 320 }, (_, i) => Math.sin(i)), [4, 10, 8]);
  t.same(lstm.forward(xs, { mask: tensor(m, [4, 10]) }).output.data, lstm.forward(xs, { lengths }).output.data, 'mask ≡ lengths');
});

t.test('backward arguments', async (t) => {
  await init({ backend: 'js' });
  const rnn = new RNN({ inputSize: 3, hiddenSize: 2, seed: 1 });
  t.throws(() => rnn.backward(tensor(new Float32Array(4), [2, 1, 2])), { message: 'RNN.backward: no forward pass to backpropagate through; call forward first' });
  rnn.forward(tensor(new Float32Array(6), [2, 1, 3]));
  t.throws(() => rnn.backward(tensor(new Float32Array(6), [3, 1, 2])), { message: 'RNN.backward: dOutput has shape [3,1,2], expected [2,1,2] (the shape of the last forward output)' });
  t.throws(() => rnn.backward(tensor(new Float32Array(4), [2, 1, 2]), { dc: tensor(new Float32Array(2), [1, 1, 2]) }), { message: /options\.dc is a tensor of shape \[1,1,2\], expected undefined/ });
  t.throws(() => rnn.backward(tensor(new Float32Array(4), [2, 1, 2]), { dh: tensor(new Float32Array(4), [2, 1, 2]) }), { message: /dh has shape \[2,1,2\], expected \[1,1,2\]/ });
});

t.test('loadStateDict is strict and writes nothing unless all is valid', async (t) => {
  await init({ backend: 'wasm' });
  const lstm = new LSTM({ inputSize: 3, hiddenSize: 2, numLayers: 2, seed: 1 });
  const good = lstm.stateDict();
  t.same(Object.keys(good), ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0', 'weight_ih_l1', 'weight_hh_l1', 'bias_ih_l1', 'bias_hh_l1'], 'PyTorch names, in order');
  t.same(good.weight_ih_l1!.shape, [8, 2]);
  const missing = { ...good }; delete missing.bias_hh_l1;
  t.throws(() => lstm.loadStateDict(missing), { message: 'LSTM.loadStateDict: missing key "bias_hh_l1" (shape [8])' });
  t.throws(() => lstm.loadStateDict({ ...good, extra: tensor([1], [1]) }), { message: /LSTM\.loadStateDict: unexpected key "extra" \(expected weight_ih_l0, / });
  const wrong = { ...good, weight_hh_l0: tensor(new Float32Array(8 * 3), [8, 3]) };
  t.throws(() => lstm.loadStateDict(wrong), { message: 'LSTM.loadStateDict: weight_hh_l0 has shape [8,3], expected [8,2]' });
  t.same(lstm.stateDict(), good, 'a refused load changed nothing');
  t.throws(() => lstm.loadStateDict(null as never), SimdRnnError);
  t.equal(lstm.numParams, 4 * 2 * (3 + 2 + 2) + 4 * 2 * (2 + 2 + 2));
});

t.test('default init is U(-1/sqrt(H), 1/sqrt(H)) and seeded', async (t) => {
  await init({ backend: 'js' });
  const a = new GRU({ inputSize: 5, hiddenSize: 16, seed: 42 }).stateDict();
  const b = new GRU({ inputSize: 5, hiddenSize: 16, seed: 42 }).stateDict();
  const c = new GRU({ inputSize: 5, hiddenSize: 16, seed: 43 }).stateDict();
  t.same(a, b, 'same seed, same weights');
  t.notSame(a.weight_ih_l0!.data, c.weight_ih_l0!.data, 'another seed, other weights');
  const all = Object.values(a).flatMap((v) => Array.from(v.data));
  t.ok(all.every((v) => Math.abs(v) <= 0.25), 'within ±1/√16');
  t.ok(Math.max(...all) > 0.24 && Math.min(...all) < -0.24, 'fills the range');
});
