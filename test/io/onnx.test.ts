// ONNX export: onnxruntime (native, from npm) runs the exported model and
// gives our outputs, for LSTM and GRU, stacked, bidirectional, without bias.
import t from 'tap';
import { createRequire } from 'node:module';
import { init, tensor, LSTM, GRU, RNN, io } from '../../src/index.js';

// onnxruntime-node is one of the peers (bench/peers, installed on demand by
// npm run setup:peers; CI installs it before npm test).
const require = createRequire(new URL('../../bench/peers/package.json', import.meta.url));
interface Ort {
  InferenceSession: { create(bytes: Uint8Array): Promise<{ run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown }>> }> };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => unknown;
}
let ort: Ort | null = null;
try { ort = require('onnxruntime-node') as Ort; } catch { /* not installed */ }

t.test('onnxruntime runs the export and matches', { skip: ort ? false : 'onnxruntime-node is not installed (npm run setup:peers)' }, async (t) => {
  if (!ort) return;
  await init();
  const cases = [
    [LSTM, { numLayers: 1 }], [GRU, { numLayers: 1 }],
    [LSTM, { numLayers: 2, bidirectional: true }], [GRU, { numLayers: 3, bidirectional: true, bias: false }],
  ] as const;
  for (const [Cell, opts] of cases) {
    const T = 7, B = 3, I = 5, H = 6;
    const layer = new Cell({ inputSize: I, hiddenSize: H, seed: 1, ...opts });
    const x = Float32Array.from({ length: T * B * I }, (_, i) => Math.sin(i));
    const ours = layer.forward(tensor(x, [T, B, I])).output.data;
    const s = await ort.InferenceSession.create(io.toOnnx(layer));
    const r = await s.run({ x: new ort.Tensor('float32', x, [T, B, I]) });
    const y = r.y!.data as Float32Array;
    t.equal(y.length, ours.length);
    let m = 0;
    for (let i = 0; i < y.length; i++) m = Math.max(m, Math.abs(y[i]! - ours[i]!));
    t.ok(m < 1e-5, `${Cell.name} ${JSON.stringify(opts)}: max |Δ| ${m.toExponential(2)}`);
  }
});

t.test('io.toOnnx refuses what ONNX has no operator for', async (t) => {
  await init();
  t.throws(() => io.toOnnx(new RNN({ inputSize: 2, hiddenSize: 2 })), { message: /io\.toOnnx: layer is a RNN_TANH layer, expected an LSTM or a GRU/ });
});

t.test('a layer with residual connections is refused, with the reason', async (t) => {
  const { init, LSTM, io } = await import('../../src/index.js');
  await init();
  t.throws(() => io.toOnnx(new LSTM({ inputSize: 3, hiddenSize: 3, numLayers: 2, residual: true, seed: 1 })), { code: 'INVALID_ARGUMENT', message: /residual connections, which ONNX's LSTM and GRU operators have no attribute for/ });
});

t.test('a layer-normalized layer is refused, with the reason', async (t) => {
  const { init, LSTM, GRU, io } = await import('../../src/index.js');
  await init();
  t.throws(() => io.toOnnx(new GRU({ inputSize: 3, hiddenSize: 3, layerNorm: true, seed: 1 })), { code: 'INVALID_ARGUMENT', message: /layer-normalized GRU, and ONNX has no such operator/ });
  t.throws(() => io.toOnnx(new LSTM({ inputSize: 3, hiddenSize: 3, layerNorm: true, seed: 1 })), { code: 'INVALID_ARGUMENT', message: /layer-normalized LSTM/ });
});
