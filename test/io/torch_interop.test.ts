// Whole models across simd-rnn and PyTorch (tools/simd_rnn_torch.py): files
// the helper built in PyTorch load with io.load, and files io.save wrote load
// in PyTorch; either way predict equals PyTorch's outputs on every backend
// within 2e-4 + 2e-3·|y| (fixtures: test/fixtures/make_interop_fixtures.py).
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { io, Sequential } from '../../src/index.js';
import { forEachCurrentBackend } from '../helpers/current.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'interop');
const models = readdirSync(dir).filter((f) => f.endsWith('.safetensors') && !f.endsWith('.io.safetensors')).sort();

t.test('the fixtures are there: six architectures each way', async (t) => {
  t.equal(models.filter((f) => f.startsWith('torch_')).length, 6);
  t.equal(models.filter((f) => f.startsWith('js_')).length, 6);
});

t.test('PyTorch and simd-rnn give the same outputs for the same model file', async (t) => {
  await forEachCurrentBackend(t, async (t) => {
    for (const f of models) {
      const model = io.load(new Uint8Array(readFileSync(join(dir, f))));
      t.ok(model instanceof Sequential, `${f}: a Sequential`);
      const d = io.readSafetensors(new Uint8Array(readFileSync(join(dir, f.replace('.safetensors', '.io.safetensors')))));
      const lengths = Array.from(d.lengths!.data);
      const y = model.predict(d.x!, { lengths });
      t.same(y.shape, d.y!.shape, `${f}: shape ${JSON.stringify(d.y!.shape)}`);
      let worst = 0;
      for (let i = 0; i < y.data.length; i++) worst = Math.max(worst, Math.abs(y.data[i]! - d.y!.data[i]!) / (2e-4 + 2e-3 * Math.abs(d.y!.data[i]!)));
      t.ok(worst <= 1, `${f}: within 2e-4 + 2e-3·|y| (worst ${worst.toFixed(3)} of the bound)`);
      model.dispose();
    }
  });
});

t.test("the helper's files carry simd-rnn's format, version and a CRC io.load checks", async (t) => {
  const bytes = new Uint8Array(readFileSync(join(dir, 'torch_lstm2_bi_last.safetensors')));
  const h = io.readSafetensorsHeader(bytes);
  t.equal(h.metadata.format, 'simd-rnn/sequential');
  t.equal(h.metadata.formatVersion, '2');
  t.match(h.metadata.crc32, /^[0-9a-f]{8}$/);
  const flipped = bytes.slice();
  flipped[flipped.length - 3]! ^= 4;
  t.throws(() => io.load(flipped), { code: 'BAD_FILE', message: /checksum mismatch/ });
});

t.test('io.load on a bare PyTorch state dict says how to load it', async (t) => {
  const { init, tensor } = await import('../../src/index.js');
  await init();
  const bare = io.writeSafetensors({ weight_ih_l0: tensor(new Float32Array(8), [4, 2]), weight_hh_l0: tensor(new Float32Array(4), [4, 1]) });
  t.throws(() => io.load(bare), { code: 'BAD_FILE', message: /format is undefined, expected "simd-rnn\/sequential" or "simd-rnn\/seq2seq": not a simd-rnn model file but a bare state dict \(PyTorch's names, no architecture\)\. To load one, build the model in PyTorch with tools\/simd_rnn_torch\.py/ });
  const other = io.writeSafetensors({ something: tensor(new Float32Array(2), [2]) });
  t.throws(() => io.load(other), { message: /not a simd-rnn model file\. To load one/ });
});
