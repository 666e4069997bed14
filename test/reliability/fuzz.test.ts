// Hostile model files: thousands of seeded random mutations of valid
// safetensors and model files. Every one must end in a clean SimdRnnError
// or a correct load — never a crash, a hang, a wasm trap or NaN weights.
import t from 'tap';
import { init, tensor, LSTM, GRU, Linear, Sequential, io, SimdRnnError } from '../../src/index.js';
import { rng } from '../helpers/rng.js';

const CASES = 3000;

t.test('mutated files: clean errors or correct loads', async (t) => {
  await init();
  const model = new Sequential([new GRU({ inputSize: 3, hiddenSize: 4, seed: 1 }), new Linear({ inFeatures: 4, outFeatures: 2, seed: 2 })]);
  const files = [
    io.save(model),
    io.writeSafetensors(new LSTM({ inputSize: 2, hiddenSize: 3, seed: 1 }).stateDict(), { format: 'pt' }),
  ];
  const r = rng(2026);
  const counts = { errors: 0, loads: 0, other: 0 };
  const otherErrors: string[] = [];
  for (let c = 0; c < CASES; c++) {
    const src = files[c % files.length]!;
    const b = Uint8Array.from(src);
    const kind = Math.floor(r() * 5);
    let bytes: Uint8Array = b;
    if (kind === 0) { // flip a few bits anywhere
      for (let k = 0; k < 1 + Math.floor(r() * 4); k++) b[Math.floor(r() * b.length)]! ^= 1 << Math.floor(r() * 8);
    } else if (kind === 1) { // flip bits in the header only
      const hl = new DataView(b.buffer).getUint32(0, true);
      for (let k = 0; k < 1 + Math.floor(r() * 3); k++) b[8 + Math.floor(r() * hl)]! ^= 1 << Math.floor(r() * 7);
    } else if (kind === 2) { // truncate
      bytes = b.subarray(0, Math.floor(r() * b.length));
    } else if (kind === 3) { // corrupt the header length
      new DataView(b.buffer).setUint32(0, Math.floor(r() * 2 ** 32), true);
      if (r() < 0.5) new DataView(b.buffer).setUint32(4, Math.floor(r() * 4), true);
    } else { // replace a digit in the JSON header (offsets, shapes)
      const hl = new DataView(b.buffer).getUint32(0, true);
      const digits: number[] = [];
      for (let i = 8; i < 8 + hl; i++) if (b[i]! >= 48 && b[i]! <= 57) digits.push(i);
      if (digits.length) b[digits[Math.floor(r() * digits.length)]!] = 48 + Math.floor(r() * 10);
    }
    for (const reader of [(x: Uint8Array) => io.readSafetensors(x), (x: Uint8Array) => io.load(x)]) {
      try {
        const out = reader(bytes);
        if (out instanceof Sequential) {
          const y = out.predict(tensor(new Float32Array(2 * 3 * 3).fill(0.5), [2, 3, 3])).data;
          if (!y.every(Number.isFinite)) throw new Error('a loaded model predicts non-finite values');
          out.dispose();
        }
        counts.loads++;
      } catch (e) {
        if (e instanceof SimdRnnError) counts.errors++;
        else { counts.other++; if (otherErrors.length < 5) otherErrors.push(String(e)); }
      }
    }
  }
  t.equal(counts.other, 0, `no unexpected errors (${otherErrors.join(' | ')})`);
  t.ok(counts.errors > CASES, `${counts.errors} clean errors, ${counts.loads} loads of ${2 * CASES} attempts`);
});
