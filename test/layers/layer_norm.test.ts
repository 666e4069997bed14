// The layer-normalized LSTM and GRU as users meet them: options, parameter
// names and init, files (save/load, hostile files missing their norms),
// ONNX's refusal, and training with masks, dropout and both directions.
// (Their math is checked in ln_cells.test.ts, gradcheck.test.ts and
// pytorch.test.ts; step equals forward in step.test.ts.)
import t from 'tap';
import { init, tensor, LSTM, GRU, RNN, Linear, Sequential, optim, io } from '../../src/index.js';
import { forEachCurrentBackend } from '../helpers/current.js';
import { rng, uniform } from '../helpers/rng.js';
import { stampCrc } from '../../src/io/crc32.js';

t.test('options, parameter names and their init', async (t) => {
  await init();
  const lstm = new LSTM({ inputSize: 3, hiddenSize: 5, bidirectional: true, layerNorm: true, seed: 1 });
  t.equal(lstm.layerNorm, true);
  t.equal(new LSTM({ inputSize: 3, hiddenSize: 5 }).layerNorm, false, 'off by default');
  const sd = lstm.stateDict();
  for (const s of ['l0', 'l0_reverse']) {
    for (const [n, len, v] of [['ln_ih_weight', 20, 1], ['ln_ih_bias', 20, 0], ['ln_hh_weight', 20, 1], ['ln_hh_bias', 20, 0], ['ln_c_weight', 5, 1], ['ln_c_bias', 5, 0]] as const) {
      const p = sd[`${n}_${s}`];
      t.same(p?.shape, [len], `${n}_${s} has shape [${len}]`);
      t.ok(p?.data.every((x) => x === v), `${n}_${s} starts at ${v}`);
    }
    t.same(sd[`weight_ih_${s}`]?.shape, [20, 3], `PyTorch's weight_ih_${s} is there as always`);
  }
  t.equal(lstm.numParams, 2 * (20 * 3 + 20 * 5 + 40 + 4 * 20 + 10));
  t.same(lstm.config().layerNorm, true, 'saved in the config');
  const gru = new GRU({ inputSize: 3, hiddenSize: 4, layerNorm: true, bias: false });
  t.same(Object.keys(gru.stateDict()), ['weight_ih_l0', 'weight_hh_l0', 'ln_ih_weight_l0', 'ln_ih_bias_l0', 'ln_hh_weight_l0', 'ln_hh_bias_l0']);
  t.throws(() => new LSTM({ inputSize: 3, hiddenSize: 5, layerNorm: 'yes' as never }), { message: 'LSTM: layerNorm is "yes", expected true or false' });
  t.throws(() => new RNN({ inputSize: 3, hiddenSize: 5, layerNorm: true } as never), { message: /RNN: layerNorm is true, expected false \(layer-normalized cells exist for LSTM and GRU\)/ });
  t.throws(() => io.toOnnx(lstm), { code: 'INVALID_ARGUMENT', message: /layer-normalized LSTM, and ONNX has no such operator/ });
  // A plain LSTM's state dict does not fit: the norms are missing, and the message says which.
  t.throws(() => lstm.loadStateDict(new LSTM({ inputSize: 3, hiddenSize: 5, bidirectional: true }).stateDict()), { message: /missing key "ln_ih_weight_l0"/ });
  lstm.dispose(); gru.dispose();
});

t.test('a model of layer-normalized cells saves, loads and predicts the same; a file without its norms is refused', async (t) => {
  await forEachCurrentBackend(t, (t) => {
    const N = 6, T = 5, I = 3, r = rng(5);
    const model = new Sequential([
      new LSTM({ inputSize: I, hiddenSize: 6, numLayers: 2, bidirectional: true, layerNorm: true, residual: true, seed: 1 }),
      new GRU({ inputSize: 12, hiddenSize: 5, layerNorm: true, seed: 2 }),
      new Linear({ inFeatures: 5, outFeatures: 2, seed: 3 }),
    ], { output: 'last' });
    const x = tensor(uniform(r, N * T * I), [N, T, I]), lengths = [5, 2, 4, 1, 5, 3];
    const before = model.predict(x, { lengths });
    const bytes = io.save(model);
    const again = io.load(bytes);
    t.same(Array.from(again.predict(x, { lengths }).data), Array.from(before.data), 'bit-identical predictions after a round trip');
    t.same((again.config() as { layers: { layerNorm?: boolean }[] }).layers.map((l) => l.layerNorm), [true, true, undefined]);
    // The same file with one norm's tensor dropped (and a valid CRC) is refused before anything is built.
    const { tensors, metadata } = io.readSafetensorsFile(bytes);
    delete tensors['layers.1.ln_hh_bias_l0'];
    const forged = stampCrc(io.writeSafetensors(tensors, { ...metadata, crc32: '00000000' }));
    t.throws(() => io.load(forged), { code: 'BAD_FILE', message: /layer 1 needs a tensor "layers\.1\.ln_hh_bias_l0" of shape \[15\]; the file has none/ });
    model.dispose(); again.dispose();
  });
});

t.test('layer-normalized models train: masks, dropout, recurrent dropout, both directions', async (t) => {
  await init();
  // Sum of the valid steps' first feature: needs the whole (masked) sequence.
  const N = 256, T = 8, I = 2, r = rng(9);
  const x = uniform(r, N * T * I), y = new Float32Array(N), lengths: number[] = [];
  for (let n = 0; n < N; n++) {
    const len = 1 + Math.floor(r() * T);
    lengths.push(len);
    for (let s = 0; s < len; s++) y[n] += x[(n * T + s) * I]! / 2;
  }
  for (const Cell of [LSTM, GRU]) {
    const model = new Sequential([
      new Cell({ inputSize: I, hiddenSize: 16, numLayers: 2, bidirectional: true, dropout: 0.1, recurrentDropout: 0.1, layerNorm: true, seed: 4 }),
      new Linear({ inFeatures: 32, outFeatures: 1, seed: 5 }),
    ]);
    model.compile({ optimizer: optim.adam({ lr: 1e-2 }), loss: 'mse', clipNorm: 1 });
    const X = tensor(x, [N, T, I]), Y = tensor(y, [N, 1]);
    const start = model.evaluate(X, Y, { lengths }).loss;
    const h = await model.fit(X, Y, { epochs: 30, batchSize: 32, lengths, seed: 1 });
    const end = model.evaluate(X, Y, { lengths }).loss;
    t.ok(h.loss.every(Number.isFinite), `${Cell.name}: every epoch's loss is finite`);
    t.ok(end < start / 5, `${Cell.name}: MSE ${start.toFixed(4)} → ${end.toFixed(4)}`);
    model.dispose();
  }
});
