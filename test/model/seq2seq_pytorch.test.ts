// Seq2Seq parity with a PyTorch reference of the same model (the fixture
// script test/fixtures/make_seq2seq_fixtures.py: encoder over packed sources,
// bridge, decoder stepped with input feeding, dot / general / additive
// attention or none, generator, label-smoothed loss, and greedy and beam
// decoding by the same algorithm), on every backend: per-pair log-probabilities,
// the loss, every parameter's gradient, and the decoded tokens and scores.
// Tolerance 2e-4 + 2e-3·|x|.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { Seq2Seq, optim, io, type Tensor, type Seq2SeqOptions } from '../../src/index.js';
import { forEachCurrentBackend } from '../helpers/current.js';
import { close } from '../helpers/backends.js';

const ATOL = 2e-4, RTOL = 2e-3;
const DIR = new URL('../fixtures/seq2seq/', import.meta.url);
const files = readdirSync(DIR).filter((f) => f.endsWith('.safetensors')).sort();

t.ok(files.length >= 4, `${files.length} fixture files`);

function rows(t: Tensor): number[][] {
  const [N, L] = t.shape as [number, number], out: number[][] = [];
  for (let n = 0; n < N; n++) { const r: number[] = []; for (let i = 0; i < L && t.data[n * L + i]! >= 0; i++) r.push(t.data[n * L + i]!); out.push(r); }
  return out;
}

t.test('Seq2Seq matches PyTorch: log-probabilities, loss, gradients, greedy and beam decoding', async (t) => {
  await forEachCurrentBackend(t, (t) => {
    for (const file of files) {
      const { tensors, metadata } = io.readSafetensorsFile(readFileSync(new URL(file, DIR)));
      const cfg = JSON.parse(metadata.config!) as Seq2SeqOptions, tag = file.replace('.safetensors', '');
      const srcLengths = JSON.parse(metadata.srcLengths!) as number[], tgtLengths = JSON.parse(metadata.tgtLengths!) as number[];
      const pick = (prefix: string): Record<string, Tensor> => Object.fromEntries(
        Object.entries(tensors).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
      const m = new Seq2Seq({ ...cfg, seed: 3 });
      m.loadStateDict(pick('param.'));
      const toInt = (x: Tensor): { data: Int32Array; shape: number[] } => ({ data: Int32Array.from(x.data), shape: x.shape });
      const src = toInt(tensors['data.src']!), tgt = toInt(tensors['data.tgt']!);
      const lp = m.logProb(src, tgt, { srcLengths, tgtLengths });
      close(t, lp, tensors['expect.logprob']!.data, ATOL, RTOL, `${tag}: logProb`);
      // A learning rate of 0 (by the schedule): the step leaves the weights, the gradients stay to be read.
      m.compile({ optimizer: optim.sgd({ lr: 1 }), schedule: () => 0, labelSmoothing: Number(metadata.labelSmoothing) });
      const loss = m.trainOnBatch(src, tgt, { srcLengths, tgtLengths });
      close(t, [loss], tensors['expect.loss']!.data, ATOL, RTOL, `${tag}: loss (label smoothing ${metadata.labelSmoothing})`);
      const grads = m.gradStateDict(), want = pick('grad.');
      t.same(Object.keys(grads).sort(), Object.keys(want).sort(), `${tag}: gradient names`);
      for (const [k, g] of Object.entries(grads)) close(t, g.data, want[k]!.data, ATOL, RTOL, `${tag}: grad ${k}`);
      const dec = JSON.parse(metadata.decoding!) as { greedy: number[]; beam: number[]; maxLength: number };
      for (const name of ['greedy', 'beam'] as const) {
        const [beam, lengthPenalty, nBest] = dec[name] as [number, number, number];
        const r = m.translate(src, { srcLengths, beam, lengthPenalty, nBest, maxLength: dec.maxLength });
        t.same(r.tokens, rows(tensors[`expect.${name}_tokens`]!), `${tag}: ${name} tokens`);
        close(t, r.scores, tensors[`expect.${name}_scores`]!.data, ATOL, RTOL, `${tag}: ${name} scores`);
      }
      m.dispose();
    }
  });
});
