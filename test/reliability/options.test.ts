// Options objects hold only options: every public entry that takes one
// refuses an unknown key (a typo JavaScript would otherwise ignore) with the
// nearest valid name, and accepts every documented key.
import t from 'tap';
import { init, tensor, LSTM, GRU, RNN, Linear, Embedding, Dropout, Attention, Sequential, Seq2Seq, optim, padSequences, type Tensor } from '../../src/index.js';
import { nearestName } from '../../src/util/keys.js';

t.test('nearestName: typos, case and transpositions; nothing for far names', async (t) => {
  const names = ['dropout', 'hiddenSize', 'numLayers', 'bidirectional', 'lr', 'epochs', 'batchSize'];
  t.equal(nearestName('dropuot', names), 'dropout', 'transposition');
  t.equal(nearestName('hiddensize', names), 'hiddenSize', 'case');
  t.equal(nearestName('numLayer', names), 'numLayers', 'one letter missing');
  t.equal(nearestName('bidirectonal', names), 'bidirectional');
  t.equal(nearestName('epoch', names), 'epochs');
  t.equal(nearestName('Lr', names), 'lr');
  t.equal(nearestName('momentum', names), null, 'far from every name');
  t.equal(nearestName('x', names), null);
});

t.test('every entry refuses an unknown key, naming the nearest valid one', async (t) => {
  await init();
  const typo = (fn: () => unknown, where: string, name: string, near: string | null): void => {
    const rx = new RegExp(`^${where.replace(/[.]/g, '\\.')}: ${name.replace(/[.]/g, '\\.')} is not an option${near ? `; did you mean ${near.replace(/[.]/g, '\\.')}\\?` : ''} \\(the options are `);
    t.throws(fn, { name: 'SimdRnnError', code: 'INVALID_ARGUMENT', message: rx }, `${where}: ${name}`);
  };
  typo(() => new LSTM({ inputSize: 2, hiddenSize: 3, dropuot: 0.1 } as never), 'LSTM', 'options.dropuot', 'options.dropout');
  typo(() => new GRU({ inputSize: 2, hiddenSize: 3, layernorm: true } as never), 'GRU', 'options.layernorm', 'options.layerNorm');
  typo(() => new RNN({ inputSize: 2, hiddenSize: 3, nonlinearty: 'relu' } as never), 'RNN', 'options.nonlinearty', 'options.nonlinearity');
  t.throws(() => new LSTM({ inputSize: 2, hiddenSize: 3, nonlinearity: 'relu' } as never), { message: /LSTM: nonlinearity is "relu", expected undefined \(LSTM has fixed nonlinearities\)/ });
  typo(() => new Linear({ inFeatures: 2, outFeatures: 1, activaton: 'tanh' } as never), 'Linear', 'options.activaton', 'options.activation');
  typo(() => new Embedding({ numEmbeddings: 4, embeddingDim: 2, paddingIndex: 0 } as never), 'Embedding', 'options.paddingIndex', 'options.paddingIdx');
  typo(() => new Dropout({ p: 0.1, sed: 1 } as never), 'Dropout', 'options.sed', 'options.seed');
  typo(() => new Attention({ score: 'dot', queryDim: 2, keyDim: 2, sed: 1 } as never), 'Attention', 'options.sed', 'options.seed');
  typo(() => optim.adam({ lr: 1e-3, beta: [0.9, 0.99] } as never), 'optim.adam', 'options.beta', 'options.betas');
  typo(() => optim.sgd({ momentun: 0.9 } as never), 'optim.sgd', 'options.momentun', 'options.momentum');
  typo(() => optim.rmsprop({ centred: true } as never), 'optim.rmsprop', 'options.centred', 'options.centered');
  typo(() => optim.adagrad({ lrdecay: 0.1 } as never), 'optim.adagrad', 'options.lrdecay', 'options.lrDecay');
  t.throws(() => optim.adam(null as never), { message: /optim\.adam: options is null, expected an object/ });
  t.throws(() => optim.rmsprop({ centered: 1 } as never), { message: /optim\.rmsprop: centered is 1, expected true or false/ });
  typo(() => padSequences([[1, 2]], { maxLen: 3 } as never), 'padSequences', 'options.maxLen', 'options.maxlen');
  await t.rejects(init({ backnd: 'js' } as never), { message: /^init: options\.backnd is not an option; did you mean options\.backend\?/ });
  await t.rejects(init({ relaxed: 'yes' } as never), { message: /init: options\.relaxed is "yes", expected true or false/ });

  const lstm = new LSTM({ inputSize: 2, hiddenSize: 3, seed: 1 });
  const x = tensor(new Float32Array(2 * 4 * 2).fill(0.5), [4, 2, 2]);
  typo(() => lstm.forward(x, { length: [4, 2] } as never), 'LSTM.forward', 'options.length', 'options.lengths');
  lstm.forward(x);
  typo(() => lstm.backward(tensor(new Float32Array(4 * 2 * 3), [4, 2, 3]), { dH: null } as never), 'LSTM.backward', 'options.dH', 'options.dh');
  lstm.dispose();

  typo(() => new Sequential([new Linear({ inFeatures: 2, outFeatures: 1 })], { outptu: 'all' } as never), 'Sequential', 'options.outptu', 'options.output');
  const m = new Sequential([new LSTM({ inputSize: 2, hiddenSize: 3, seed: 1 }), new Linear({ inFeatures: 3, outFeatures: 1, seed: 2 })]);
  const X: Tensor = tensor(new Float32Array(4 * 3 * 2).fill(0.1), [4, 3, 2]), Y: Tensor = tensor(new Float32Array(4), [4, 1]);
  typo(() => m.compile({ optimizer: optim.sgd(), loss: 'mse', clipnorm: 1 } as never), 'Sequential.compile', 'options.clipnorm', 'options.clipNorm');
  typo(() => m.compile({ optimizer: optim.sgd(), loss: 'huber', lossOptions: { delt: 1 } } as never), 'Sequential.compile', 'lossOptions.delt', 'lossOptions.delta');
  m.compile({ optimizer: optim.sgd({ lr: 0.1, momentum: 0.5, dampening: 0, nesterov: false, weightDecay: 0 }), loss: 'mse', lossOptions: {}, clipNorm: 1, clipValue: 1, metrics: ['mae'], onNonFinite: 'throw', schedule: () => 1 });
  await t.rejects(m.fit(X, Y, { epochz: 2 } as never), { message: /^Sequential\.fit: options\.epochz is not an option; did you mean options\.epochs\?/ });
  await t.rejects(m.fit(X, Y, { earlyStopping: { patience: 1, mindelta: 0 } } as never), { message: /options\.earlyStopping\.mindelta is not an option; did you mean options\.earlyStopping\.minDelta\?/ });
  await t.rejects(m.fit(X, Y, { checkpoint: { evry: 1 } } as never), { message: /options\.checkpoint\.evry is not an option; did you mean options\.checkpoint\.every\?/ });
  await t.rejects(m.fit(X, Y, { callbacks: { onEpochend: () => {} } } as never), { message: /options\.callbacks\.onEpochend is not an option; did you mean options\.callbacks\.onEpochEnd\?/ });
  await t.rejects(m.fit(X, Y, { validationData: { x: X, y: Y, lenghts: [1, 1, 1, 1] } } as never), { message: /options\.validationData\.lenghts is not an option; did you mean options\.validationData\.lengths\?/ });
  typo(() => m.trainOnBatch(X, Y, { tbtt: 2 } as never), 'Sequential.trainOnBatch', 'options.tbtt', 'options.tbptt');
  typo(() => m.evaluate(X, Y, { batchsize: 2 } as never), 'Sequential.evaluate', 'options.batchsize', 'options.batchSize');
  typo(() => m.predict(X, { mask: undefined, lenghts: [1, 2, 3, 3] } as never), 'Sequential.predict', 'options.lenghts', 'options.lengths');
  // Every documented key is accepted.
  const h = await m.fit(X, Y, { epochs: 1, batchSize: 2, shuffle: true, seed: 1, lengths: [3, 2, 1, 3], tbptt: 0, validationData: { x: X, y: Y, lengths: [3, 3, 3, 3] },
    callbacks: { onBatchEnd: () => {}, onEpochEnd: () => {} }, earlyStopping: { monitor: 'valLoss', patience: 2, minDelta: 0 }, checkpoint: { every: 1, save: () => {} } });
  t.equal(h.loss.length, 1, 'fit with every documented key runs');
  t.equal(m.predict(X, { lengths: [3, 2, 1, 3], batchSize: 2 }).shape[0], 4);
  m.dispose();

  const config = { srcVocab: 6, tgtVocab: 7, embeddingDim: 4, encoder: { hiddenSize: 4 }, decoder: { hiddenSize: 4 }, tokens: { pad: 0, bos: 1, eos: 2 }, seed: 1 };
  typo(() => new Seq2Seq({ ...config, atention: 'none' } as never), 'Seq2Seq', 'options.atention', 'options.attention');
  typo(() => new Seq2Seq({ ...config, tokens: { pad: 0, bos: 1, eos: 2, unk: 3 } } as never), 'Seq2Seq', 'tokens.unk', null);
  const s2s = new Seq2Seq(config);
  const src = { data: new Int32Array([3, 4, 5, 0]), shape: [2, 2] }, tgt = { data: new Int32Array([3, 2, 4, 2]), shape: [2, 2] };
  typo(() => s2s.compile({ optimizer: optim.adam(), labelSmothing: 0.1 } as never), 'Seq2Seq.compile', 'options.labelSmothing', 'options.labelSmoothing');
  s2s.compile({ optimizer: optim.adam() });
  await t.rejects(s2s.fit(src, tgt, { teacherForcng: 0.5 } as never), { message: /^Seq2Seq\.fit: options\.teacherForcng is not an option; did you mean options\.teacherForcing\?/ });
  await t.rejects(s2s.fit(src, tgt, { validationData: { src, tgt, srclengths: [2, 1] } } as never), { message: /options\.validationData\.srclengths is not an option; did you mean options\.validationData\.srcLengths\?/ });
  typo(() => s2s.evaluate(src, tgt, { srcLength: [2, 1] } as never), 'Seq2Seq.evaluate', 'options.srcLength', 'options.srcLengths');
  typo(() => s2s.trainOnBatch(src, tgt, { tgtLength: [2, 2] } as never), 'Seq2Seq.trainOnBatch', 'options.tgtLength', 'options.tgtLengths');
  typo(() => s2s.logProb(src, tgt, { batch: 2 } as never), 'Seq2Seq.logProb', 'options.batch', null);
  typo(() => s2s.translate(src, { beams: 2 } as never), 'Seq2Seq.translate', 'options.beams', 'options.beam');
  typo(() => s2s.translate(src, { sample: { temprature: 1 } } as never), 'Seq2Seq.translate', 'options.sample.temprature', 'options.sample.temperature');
  t.equal(s2s.translate(src, { srcLengths: [2, 1], beam: 2, nBest: 2, maxLength: 3, lengthPenalty: 0.6, returnAttention: true, batchSize: 2 }).tokens.length, 4, 'translate with every documented key runs');
  t.equal(s2s.translate(src, { sample: { temperature: 1, topK: 2, seed: 1 }, maxLength: 3 }).tokens.length, 2);
  s2s.dispose();
});
