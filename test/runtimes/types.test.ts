// The published types: a consumer's strict TypeScript (skipLibCheck off)
// checks cleanly against dist/*.d.ts, and @internal members are stripped
// from them (they do not show up in a user's autocomplete).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = join(root, 'dist');

t.test('a strict consumer type-checks against the published declarations', { skip: existsSync(join(dist, 'index.d.ts')) ? false : 'dist/ is not built (npm run build)' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'simd-rnn-types-'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  writeFileSync(join(dir, 'main.ts'), `
import { init, tensor, LSTM, GRU, Linear, Embedding, Sequential, Seq2Seq, optim, io, padSequences, type Tensor, type History, type Translation } from ${JSON.stringify(join(dist, 'index.js'))};
await init({ backend: 'js' });
const m = new Sequential([new Embedding({ numEmbeddings: 5, embeddingDim: 3 }), new GRU({ inputSize: 3, hiddenSize: 4 }), new Linear({ inFeatures: 4, outFeatures: 2 })], { output: 'all' });
m.compile({ optimizer: optim.adamw({ lr: 1e-3 }), loss: 'crossEntropy', lossOptions: { ignoreIndex: -1 } });
const x: Tensor = tensor(new Float32Array(6), [2, 3, 1]);
const h: Promise<History> = m.fit(x, new Int32Array(6), { epochs: 1, lengths: [3, 2], earlyStopping: { patience: 1 } });
const y: Tensor = m.predict(x, { lengths: [3, 2] });
const s = new Seq2Seq({ srcVocab: 5, tgtVocab: 6, embeddingDim: 4, encoder: { hiddenSize: 4 }, decoder: { hiddenSize: 4 }, tokens: { pad: 0, bos: 1, eos: 2 } });
const tr: Translation = s.translate({ data: new Int32Array([3, 4]), shape: [1, 2] }, { beam: 2 });
const p = padSequences([[1, 2], [3]]);
const l = new LSTM({ inputSize: 2, hiddenSize: 3 });
const f = l.forward(tensor(new Float32Array(12), [2, 3, 2]));
console.log(h, y.shape, tr.tokens, p.lengths, f.output.shape, io.save(m).length);
// @ts-expect-error runForward is internal: not in the published types
l.runForward;
// @ts-expect-error an option that does not exist is a type error too
new LSTM({ inputSize: 2, hiddenSize: 3, dropuot: 0.1 });
// config() is typed precisely: a layer's config narrows by its type.
const first = m.config().layers[0]!;
const V: number = first.type === 'Embedding' ? first.numEmbeddings : 0;
const mode: 'last' | 'mean' | 'all' = m.config().output;
const hs: number = l.config().hiddenSize;
// @ts-expect-error a Linear's config has no hiddenSize
new Linear({ inFeatures: 2, outFeatures: 1 }).config().hiddenSize;
const onnx: Uint8Array = io.toOnnx(m, { lengths: false });
console.log(V, mode, hs, onnx.length);
`);
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, lib: ['ES2022', 'DOM', 'ESNext.Disposable'], types: [] },
    files: ['main.ts'],
  }));
  const r = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' });
  t.equal(r.status, 0, `tsc: ${r.stdout}${r.stderr}`);
});

t.test('@internal members are stripped from the declarations', { skip: existsSync(join(dist, 'index.d.ts')) ? false : 'dist/ is not built' }, async (t) => {
  const layer = readFileSync(join(dist, 'layers', 'recurrent', 'layer.d.ts'), 'utf8');
  for (const name of ['runForward', 'runBackward', 'prepare', 'finalStatePtr', 'driver']) t.notMatch(layer, new RegExp(`\\b${name}\\b`), `Recurrent.${name} is not published`);
  t.match(layer, /\bforward\(x: Tensor/, 'the public forward is');
  const stream = readFileSync(join(dist, 'model', 'stream.d.ts'), 'utf8');
  for (const name of ['idx', 'headX', 'headY', 'embIn']) t.notMatch(stream, new RegExp(`readonly ${name}\\b`), `ModelState.${name} is not published`);
});
