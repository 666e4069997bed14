// Checkpoints: training stopped and resumed ends bit-identical to training
// that never stopped; files are written atomically; corruption is detected.
import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { init, tensor, LSTM, GRU, Linear, Dropout, Sequential, optim, io } from '../../src/index.js';
import { forEachCurrentBackend } from '../helpers/current.js';
import { rng, uniform } from '../helpers/rng.js';

const N = 40, T = 6, F = 3;
const r = rng(4);
const x = tensor(uniform(r, N * T * F), [N, T, F]), y = tensor(uniform(r, N), [N, 1]);

function build(): Sequential {
  const m = new Sequential([
    new LSTM({ inputSize: F, hiddenSize: 8, numLayers: 2, dropout: 0.25, seed: 1 }),
    new Dropout({ p: 0.1, seed: 2 }),
    new Linear({ inFeatures: 8, outFeatures: 1, seed: 3 }),
  ]);
  m.compile({ optimizer: optim.adam({ lr: 0.01 }), loss: 'mse', schedule: optim.schedules.exponential({ gamma: 0.99 }) });
  return m;
}

t.test('resume from a checkpoint is bit-identical to an uninterrupted run', async (t) => {
  await forEachCurrentBackend(t, async (t) => {
    const straight = build();
    const hs = await straight.fit(x, y, { epochs: 4, batchSize: 8, seed: 7 });
    const first = build();
    let saved: Uint8Array | null = null;
    const ctl = new AbortController();
    await first.fit(x, y, {
      epochs: 4, batchSize: 8, seed: 7, signal: ctl.signal,
      checkpoint: { every: 1, save: (bytes, epoch) => { saved = bytes; if (epoch === 1) ctl.abort(); } },
    });
    t.ok(saved, 'a checkpoint was written');
    const second = build(); // a fresh process would build the same model the same way
    const hr = await second.fit(x, y, { epochs: 4, batchSize: 8, seed: 7, resume: saved! });
    t.same(second.stateDict(), straight.stateDict(), 'same weights, bit for bit');
    t.same(hr.loss, hs.loss, 'same loss history');
    t.equal(hr.steps, hs.steps, 'same optimizer steps');
  });
});

t.test('checkpoint files: atomic, checked, refused when corrupted', async (t) => {
  await init();
  const dir = mkdtempSync(join(tmpdir(), 'simd-rnn-ck-'));
  const path = join(dir, 'model.ckpt');
  const m = build();
  await m.fit(x, y, { epochs: 2, batchSize: 8, seed: 1, checkpoint: { path } });
  t.same(readdirSync(dir), ['model.ckpt'], 'no temporary files left behind');
  const bytes = readFileSync(path);
  const ck = io.readCheckpoint(bytes);
  t.equal(ck.training.epoch, 2);
  t.equal(ck.optimizer.name, 'adam');
  const loaded = io.load(bytes);
  t.same(loaded.predict(x).data, m.predict(x).data, 'io.load takes a checkpoint\'s model');
  const flipped = Uint8Array.from(bytes);
  flipped[flipped.length - 5] ^= 0x40;
  t.throws(() => io.readCheckpoint(flipped), { code: 'BAD_FILE', message: /checksum mismatch: the file is corrupted/ });
  writeFileSync(path + '.bad', flipped);
  const again = build();
  await t.rejects(again.fit(x, y, { epochs: 3, batchSize: 8, resume: path + '.bad' }), { code: 'BAD_FILE' });
  await t.rejects(again.fit(x, y, { epochs: 3, batchSize: 8, resume: bytes.subarray(0, 100) }), { code: 'BAD_FILE' });
  const other = new Sequential([new GRU({ inputSize: F, hiddenSize: 8, seed: 1 }), new Linear({ inFeatures: 8, outFeatures: 1, seed: 1 })]);
  other.compile({ optimizer: optim.adam(), loss: 'mse' });
  await t.rejects(other.fit(x, y, { resume: bytes }), { message: /the checkpoint is of another architecture/ });
  const sgd = build();
  sgd.compile({ optimizer: optim.sgd(), loss: 'mse' });
  await t.rejects(sgd.fit(x, y, { resume: bytes }), { message: /the checkpoint's optimizer is adam, this model is compiled with sgd/ });
  // Model files carry a checksum too.
  const mb = io.save(m);
  const mf = Uint8Array.from(mb); mf[mf.length - 1] ^= 1;
  t.throws(() => io.load(mf), { message: /io\.load: checksum mismatch/ });
  await io.saveFile(m, join(dir, 'm.safetensors'));
  t.same((await io.loadFile(join(dir, 'm.safetensors'))).predict(x).data, m.predict(x).data, 'saveFile/loadFile');
});
