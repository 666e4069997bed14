// PyTorch parity: fixtures made by test/fixtures/make_pytorch_fixtures.py with
// real PyTorch (committed, so CI needs no PyTorch). Every cell type, 1–3
// layers, both directions, odd sizes, padded batches (pack_padded_sequence),
// with and without bias, and the layer-normalized LSTM and GRU (against the
// reference module LayerNormRNN in the fixture script). Outputs, final states and every gradient must match
// within 2e-4 absolute + 2e-3 relative on every backend.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { LSTM, GRU, RNN, io, type Recurrent, type Tensor } from '../../src/index.js';
import { forEachCurrentBackend } from '../helpers/current.js';
import { close } from '../helpers/backends.js';

const ATOL = 2e-4, RTOL = 2e-3;
const DIR = new URL('../fixtures/pytorch/', import.meta.url);
const files = readdirSync(DIR).filter((f) => f.endsWith('.safetensors')).sort();

interface Config {
  cell: 'LSTM' | 'GRU' | 'RNN_TANH' | 'RNN_RELU' | 'LN_LSTM' | 'LN_GRU';
  inputSize: number; hiddenSize: number; numLayers: number; bidirectional: boolean; bias: boolean;
  batchFirst: boolean; T: number; B: number; lengths: number[] | null;
}

export function build(cfg: Config): Recurrent {
  const o = { inputSize: cfg.inputSize, hiddenSize: cfg.hiddenSize, numLayers: cfg.numLayers,
    bidirectional: cfg.bidirectional, bias: cfg.bias, batchFirst: cfg.batchFirst, seed: 7 };
  if (cfg.cell === 'LSTM' || cfg.cell === 'LN_LSTM') return new LSTM({ ...o, layerNorm: cfg.cell === 'LN_LSTM' });
  if (cfg.cell === 'GRU' || cfg.cell === 'LN_GRU') return new GRU({ ...o, layerNorm: cfg.cell === 'LN_GRU' });
  return new RNN({ ...o, nonlinearity: cfg.cell === 'RNN_RELU' ? 'relu' : 'tanh' });
}

t.ok(files.length >= 20, `${files.length} fixture files`);
t.ok(files.filter((f) => f.startsWith('ln_')).length >= 6, 'layer-normalized cells (reference modules in the fixture script) are among them');

t.test('layers match PyTorch', async (t) => {
  await forEachCurrentBackend(t, (t) => {
    for (const file of files) {
      const { tensors, metadata } = io.readSafetensorsFile(readFileSync(new URL(file, DIR)));
      const cfg = JSON.parse(metadata.config!) as Config;
      const pick = (prefix: string): Record<string, Tensor> => Object.fromEntries(
        Object.entries(tensors).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
      const layer = build(cfg);
      layer.loadStateDict(pick('param.'));
      const tag = file.replace('.safetensors', '');
      const fwd = layer.forward(tensors['input.x']!, {
        h0: tensors['input.h0'], c0: tensors['input.c0'], lengths: cfg.lengths ?? undefined,
      });
      close(t, fwd.output.data, tensors['expect.output']!.data, ATOL, RTOL, `${tag}: output`);
      t.same(fwd.output.shape, tensors['expect.output']!.shape, `${tag}: output shape`);
      close(t, fwd.h.data, tensors['expect.h']!.data, ATOL, RTOL, `${tag}: h`);
      const hasC = cfg.cell === 'LSTM' || cfg.cell === 'LN_LSTM';
      if (hasC) close(t, fwd.c!.data, tensors['expect.c']!.data, ATOL, RTOL, `${tag}: c`);
      const bwd = layer.backward(tensors['input.dy']!, { dh: tensors['input.dh'], dc: tensors['input.dc'] });
      close(t, bwd.dx.data, tensors['expect.dx']!.data, ATOL, RTOL, `${tag}: dx`);
      close(t, bwd.dh0.data, tensors['expect.dh0']!.data, ATOL, RTOL, `${tag}: dh0`);
      if (hasC) close(t, bwd.dc0!.data, tensors['expect.dc0']!.data, ATOL, RTOL, `${tag}: dc0`);
      const grads = layer.gradStateDict(), want = pick('grad.');
      t.same(Object.keys(grads).sort(), Object.keys(want).sort(), `${tag}: gradient names`);
      for (const [k, g] of Object.entries(grads)) close(t, g.data, want[k]!.data, ATOL, RTOL, `${tag}: grad ${k}`);
      layer.dispose();
    }
  });
});
