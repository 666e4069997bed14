// Training state stays finite and honest: an update that would make a
// parameter non-finite is undone and then thrown or skipped (and counted);
// a diverged model is never saved as if it were good; invalid numeric options
// are refused up front; a second fit on a running model is refused.
import t from 'tap';
import { init, tensor, GRU, LSTM, Linear, Sequential, optim, io, getBackend, type Tensor } from '../../src/index.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const data = (N: number): { x: Tensor; y: Tensor } => ({
  x: tensor(Float32Array.from({ length: N * 5 * 2 }, (_, i) => Math.sin(i * 0.7)), [N, 5, 2]),
  y: tensor(Float32Array.from({ length: N }, (_, i) => Math.cos(i)), [N, 1]),
});
const model = (): Sequential => new Sequential([new GRU({ inputSize: 2, hiddenSize: 4, seed: 1 }), new Linear({ inFeatures: 4, outFeatures: 1, seed: 2 })]);
const finite = (m: Sequential): boolean => Object.values(m.stateDict()).every((v) => v.data.every(Number.isFinite));

t.test('an overflowing update is undone and stops fit (lr 1e39 used to save a model io.load refused)', async (t) => {
  await init();
  const { x, y } = data(8);
  const m = model();
  m.compile({ optimizer: optim.sgd({ lr: 1e39 }), loss: 'mse' });
  const before = m.stateDict();
  await t.rejects(m.fit(x, y, { epochs: 2, batchSize: 4 }), { code: 'NON_FINITE', message: /the update at step 1 \(learning rate 1e\+39\) would make a parameter non-finite; it was undone/ });
  t.ok(finite(m), 'the parameters stay finite');
  t.same(m.stateDict(), before, 'and are exactly what they were before the bad step');
  t.equal(m.optimizer!.steps, 0, "the optimizer's step count is rolled back too");
  const again = io.load(io.save(m));
  t.same(again.stateDict(), before, 'the model saves and loads');
  again.dispose(); m.dispose();
});

t.test("onNonFinite: 'skip' skips and says how many", async (t) => {
  await init();
  const { x, y } = data(8);
  const m = model();
  // Every second update is at lr 1e43, which overflows f32. (A skipped step does not
  // advance the optimizer, so the schedule counts calls, not steps.)
  let calls = 0;
  m.compile({ optimizer: optim.adam({ lr: 0.01 }), loss: 'mse', onNonFinite: 'skip', schedule: () => (++calls % 2 === 0 ? 1e45 : 1) });
  const h = await m.fit(x, y, { epochs: 3, batchSize: 4 });
  t.equal(h.skipped, 3, 'every second update of 6 overflowed and was skipped');
  t.equal(h.steps, 3, 'the other 3 were taken');
  t.ok(finite(m), 'the parameters stay finite');
  const m2 = model();
  m2.compile({ optimizer: optim.sgd({ lr: 1e39 }), loss: 'mse', onNonFinite: 'skip' });
  const h2 = await m2.fit(x, y, { epochs: 3, batchSize: 4 });
  t.equal(h2.skipped, 6, 'all 6 steps of 3 epochs skipped, and the history says so (it used to say nothing)');
  t.equal(h2.steps, 0);
  m.dispose(); m2.dispose();
});

t.test('a model with non-finite parameters is never saved', async (t) => {
  await init();
  const lin = new Linear({ inFeatures: 4, outFeatures: 1, seed: 2 });
  const m = new Sequential([new LSTM({ inputSize: 2, hiddenSize: 4, seed: 1 }), lin]);
  getBackend().heap.f32[(lin.params.p('bias') >> 2)] = NaN; // what a diverged update would leave
  t.throws(() => io.save(m), { code: 'NON_FINITE', message: /parameter "layers\.1\.bias" holds NaN at element 0; a model with non-finite weights is not saved/ });
  m.compile({ optimizer: optim.sgd(), loss: 'mse' });
  t.throws(() => io.writeCheckpoint(m, { epoch: 1, shuffleState: 1, order: new Int32Array([0]), rngStates: [], history: { loss: [], valLoss: [], metrics: {}, valMetrics: {}, steps: 0, skipped: 0 } }), { code: 'NON_FINITE' }, 'nor checkpointed');
  t.throws(() => m.loadStateDict({ ...m.stateDict(), 'layers.1.bias': tensor([Infinity], [1]) }), { code: 'INVALID_ARGUMENT', message: /layers\.1\.bias|bias\[0\] is Infinity/ }, 'nor loaded');
  m.dispose();
});

t.test('invalid numeric options are refused at compile and fit', async (t) => {
  await init();
  const { x, y } = data(8);
  const m = model();
  for (const [opt, msg] of [
    [{ clipNorm: NaN }, /clipNorm is NaN/], [{ clipNorm: Infinity }, /clipNorm is Infinity/], [{ clipValue: -1 }, /clipValue is -1/],
    [{ lossOptions: { delta: NaN } }, /lossOptions\.delta is NaN/], [{ lossOptions: { ignoreIndex: 1.5 } }, /lossOptions\.ignoreIndex is 1\.5/],
  ] as const) {
    t.throws(() => m.compile({ optimizer: optim.sgd(), loss: 'huber', ...opt } as never), { code: 'INVALID_ARGUMENT', message: msg });
  }
  for (const o of [{ lr: NaN }, { lr: -1 }, { lr: Infinity }, { momentum: NaN }]) t.throws(() => optim.sgd(o), { code: 'INVALID_ARGUMENT' }, JSON.stringify(o));
  m.compile({ optimizer: optim.sgd(), loss: 'mse' });
  for (const [fo, msg] of [
    [{ earlyStopping: { patience: 2, minDelta: NaN } }, /earlyStopping\.minDelta is NaN, expected a finite number ≥ 0/],
    [{ earlyStopping: { patience: 2, minDelta: -1 } }, /minDelta is -1/],
    [{ earlyStopping: { patience: 0 } }, /patience is 0/],
    [{ earlyStopping: { patience: 1, monitor: 'acc' } }, /monitor is "acc"/],
    [{ earlyStopping: { patience: 1, monitor: 'valLoss' } }, /no validation data to monitor/],
    [{ epochs: NaN }, /epochs is NaN/], [{ batchSize: Infinity }, /batchSize is Infinity/], [{ validationSplit: NaN }, /validationSplit is NaN/],
    [{ callbacks: { onEpochEnd: 3 } }, /onEpochEnd is 3, expected a function/], [{ shuffle: 'yes' }, /shuffle is "yes"/],
  ] as const) {
    await t.rejects(m.fit(x, y, fo as never), { code: 'INVALID_ARGUMENT', message: msg }, JSON.stringify(fo));
  }
  m.compile({ optimizer: optim.sgd(), loss: 'mse', schedule: () => NaN });
  await t.rejects(m.fit(x, y), { code: 'INVALID_ARGUMENT', message: /schedule\(1\) is NaN, expected a finite factor ≥ 0/ }, 'a schedule returning NaN');
  t.ok(finite(m));
  m.dispose();
});

t.test('a second fit while one runs is refused; so are trainOnBatch, compile and loadStateDict', async (t) => {
  await init();
  const { x, y } = data(16);
  const m = model();
  m.compile({ optimizer: optim.adam({ lr: 0.01 }), loss: 'mse' });
  const sd = m.stateDict();
  const first = m.fit(x, y, { epochs: 3, batchSize: 4, seed: 1 });
  await t.rejects(m.fit(x, y, { epochs: 1 }), { code: 'BUSY', message: /Sequential\.fit: a fit\(\) is running on this model/ }, 'a second fit (used to interleave)');
  t.throws(() => m.trainOnBatch(x, y), { code: 'BUSY' });
  t.throws(() => m.compile({ optimizer: optim.sgd(), loss: 'mse' }), { code: 'BUSY' });
  t.throws(() => m.loadStateDict(sd), { code: 'BUSY' });
  t.equal(m.predict(x).shape[0], 16, 'predict still works while it trains');
  const h = await first;
  t.equal(h.loss.length, 3);
  // The same run alone gives the same model: the refused calls changed nothing.
  const solo = model();
  solo.compile({ optimizer: optim.adam({ lr: 0.01 }), loss: 'mse' });
  await solo.fit(x, y, { epochs: 3, batchSize: 4, seed: 1 });
  t.same(m.stateDict(), solo.stateDict(), 'bit-identical to an undisturbed run');
  await t.resolves(m.fit(x, y, { epochs: 1 }), 'after it ends, fit works again');
  const failing = m.fit(x, y, { epochs: 1, callbacks: { onBatchEnd: () => { throw new Error('boom'); } } });
  await t.rejects(failing, /boom/);
  await t.resolves(m.fit(x, y, { epochs: 1 }), 'a fit that threw releases the model');
  m.dispose(); solo.dispose();
});

t.test('disposing a model from a callback stops fit cleanly', async (t) => {
  await init();
  const { x, y } = data(16);
  const m = model();
  m.compile({ optimizer: optim.adam(), loss: 'mse' });
  await t.rejects(m.fit(x, y, { epochs: 2, batchSize: 4, callbacks: { onBatchEnd: (b) => { if (b === 1) m.dispose(); } } }), { code: 'DISPOSED' });
});

t.test('the CLI: train --lr 1e39 exits non-zero and writes no model', async (t) => {
  const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'simd-rnn-nonfinite-'));
  const rows = ['a,b'];
  for (let i = 0; i < 60; i++) rows.push(`${Math.sin(i)},${Math.cos(i)}`);
  writeFileSync(join(dir, 's.csv'), rows.join('\n'));
  const r = spawnSync(process.execPath, [cli, 'train', '--csv', 's.csv', '--window', '4', '--epochs', '2', '--hidden', '4', '--lr', '1e39', '--optimizer', 'sgd', '--out', 'm.safetensors'], { cwd: dir, encoding: 'utf8' });
  t.equal(r.status, 1, r.stderr);
  t.match(r.stderr, /would make a parameter non-finite/);
  t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  t.notOk(existsSync(join(dir, 'm.safetensors')), 'no model file (it used to exit 0 with a file io.load refused)');
});
