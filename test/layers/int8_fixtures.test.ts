// The int8 fixtures (test/fixtures/make_int8_fixtures.py: PyTorch's
// quantize_dynamic, qint8, of LSTM, GRU and Linear on the same weights and
// inputs as the f32 modules). Until layers can be quantized, this checks what
// can be checked now: the fixtures hold what they say (PyTorch's int8 error
// in the metadata is the error of the tensors stored), our f32 layers give
// PyTorch's f32 outputs on them, and on the Linear case the int8 kernels
// (per-row symmetric activations, per-row weights) err no more than
// PyTorch's int8 does (max and mean), on every backend.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { LSTM, GRU, io, createBackend, type Tensor } from '../../src/index.js';
import { packedSizeI8 } from '../../src/backend/kernels.js';
import { availableBackends, close, put } from '../helpers/backends.js';
import { forEachCurrentBackend } from '../helpers/current.js';

const DIR = new URL('../fixtures/int8/', import.meta.url);
const files = readdirSync(DIR).filter((f) => f.endsWith('.safetensors')).sort();

interface Config { kind: 'LSTM' | 'GRU' | 'Linear'; inputSize: number; hiddenSize: number; numLayers: number; bidirectional: boolean; T: number; B: number; lengths: number[] | null }

const load = (file: string): { tensors: Record<string, Tensor>; cfg: Config; meta: Record<string, string> } => {
  const { tensors, metadata } = io.readSafetensorsFile(readFileSync(new URL(file, DIR)));
  return { tensors, cfg: JSON.parse(metadata.config!) as Config, meta: metadata };
};
const params = (tensors: Record<string, Tensor>): Record<string, Tensor> => Object.fromEntries(
  Object.entries(tensors).filter(([k]) => k.startsWith('param.')).map(([k, v]) => [k.slice(6), v]));
const errors = (a: ArrayLike<number>, b: ArrayLike<number>): { max: number; mean: number } => {
  let max = 0, sum = 0;
  for (let i = 0; i < a.length; i++) { const e = Math.abs(a[i]! - b[i]!); max = Math.max(max, e); sum += e; }
  return { max, mean: sum / a.length };
};

t.ok(files.length >= 7, `${files.length} fixture files`);

t.test('the fixtures: PyTorch int8 error as stated; our f32 layers give PyTorch f32', async (t) => {
  await forEachCurrentBackend(t, (t) => {
    for (const file of files) {
      const { tensors, cfg, meta } = load(file), tag = file.replace('.safetensors', '');
      const e = errors(tensors['expect.output_int8']!.data, tensors['expect.output']!.data);
      t.ok(Math.abs(e.max - Number(meta.torch_int8_max_abs_err)) <= 1e-6 * (1 + e.max), `${tag}: PyTorch's int8 max |Δ| ${e.max.toExponential(3)} as stated`);
      t.ok(e.max > 0, `${tag}: the int8 module was really quantized`);
      if (cfg.kind === 'Linear') continue;
      const C = cfg.kind === 'LSTM' ? LSTM : GRU;
      const layer = new C({ inputSize: cfg.inputSize, hiddenSize: cfg.hiddenSize, numLayers: cfg.numLayers, bidirectional: cfg.bidirectional, batchFirst: true });
      layer.loadStateDict(params(tensors));
      const y = layer.forward(tensors['input.x']!, { h0: tensors['input.h0'], c0: tensors['input.c0'], lengths: cfg.lengths ?? undefined }).output;
      close(t, y.data, tensors['expect.output']!.data, 2e-4, 2e-3, `${tag}: our f32 output is PyTorch's`);
      layer.dispose();
    }
  });
});

t.test('Linear through the int8 kernels errs no more than PyTorch\'s int8 (max and mean)', async (t) => {
  const { tensors, cfg } = load('linear_128_10.safetensors');
  const B = cfg.B, I = cfg.inputSize, O = cfg.hiddenSize, K8 = (I + 7) & ~7;
  const torchErr = errors(tensors['expect.output_int8']!.data, tensors['expect.output']!.data);
  for (const name of availableBackends()) {
    const be = await createBackend(name), h = be.heap;
    const X = put(be, tensors['input.x']!.data), W = put(be, tensors['param.weight']!.data), bias = put(be, tensors['param.bias']!.data);
    const Q = h.alloc(B * K8 / 4), SA = h.alloc(B), WQ = h.alloc(O * K8 / 4), SW = h.alloc(O), Wp = h.alloc(packedSizeI8(O, I) / 4), Y = h.alloc(B * O);
    be.k.i8_quantize_rows(O, I, W, I, WQ, K8, SW);
    be.k.i8_pack_panels(O, I, WQ, K8, Wp);
    be.k.i8_quantize_rows(B, I, X, I, Q, K8, SA);
    be.k.i8_gemm(B, O, I, Q, K8, SA, Wp, SW, 0, Y, O, bias);
    const ours = errors(h.read(Y, B * O), tensors['expect.output']!.data);
    t.ok(ours.max <= torchErr.max, `${name}: max |Δ| ${ours.max.toExponential(3)} ≤ PyTorch's ${torchErr.max.toExponential(3)}`);
    t.ok(ours.mean <= torchErr.mean, `${name}: mean |Δ| ${ours.mean.toExponential(3)} ≤ PyTorch's ${torchErr.mean.toExponential(3)}`);
  }
});
