// A training step allocates nothing on the heap after the first batch, and a
// streaming step creates no JavaScript objects.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { init, tensor, LSTM, GRU, RNN, Linear, Dropout, Embedding, Sequential, optim, getBackend, type Tensor } from '../../src/index.js';

const x = (N: number, T: number, F: number): Tensor => tensor(Float32Array.from({ length: N * T * F }, (_, i) => Math.sin(i * 0.37)), [N, T, F]);

t.test('trainOnBatch leaves the heap unchanged after the first batch', async (t) => {
  await init();
  const heap = getBackend().heap;
  const cases: [string, () => Sequential, Tensor | Int32Array, { lengths?: number[]; tbptt?: number }][] = [
    ['LSTM, last', () => new Sequential([new LSTM({ inputSize: 3, hiddenSize: 8, numLayers: 2, dropout: 0.2, seed: 1 }), new Linear({ inFeatures: 8, outFeatures: 2, seed: 1 })]), tensor(new Float32Array(12), [6, 2]), { lengths: [5, 3, 1, 5, 2, 4] }],
    ['bidirectional GRU, mean', () => new Sequential([new GRU({ inputSize: 3, hiddenSize: 5, bidirectional: true, recurrentDropout: 0.1, seed: 1 }), new Dropout({ p: 0.3, seed: 2 }), new Linear({ inFeatures: 10, outFeatures: 2, seed: 1 })], { output: 'mean' }), tensor(new Float32Array(12), [6, 2]), {}],
    ['RNN, all, TBPTT', () => new Sequential([new RNN({ inputSize: 3, hiddenSize: 4, seed: 1 }), new Linear({ inFeatures: 4, outFeatures: 1, seed: 1, activation: 'tanh' })], { output: 'all' }), tensor(new Float32Array(30), [6, 5, 1]), { tbptt: 2 }],
  ];
  for (const [name, build, y, o] of cases) {
    const m = build();
    m.compile({ optimizer: optim.adam({ lr: 0.01 }), loss: 'mse', clipNorm: 1 });
    const xs = x(6, 5, 3);
    m.trainOnBatch(xs, y, o);
    const bytes = heap.usedBytes, blocks = heap.usedBlocks;
    for (let i = 0; i < 20; i++) m.trainOnBatch(xs, y, o);
    t.equal(heap.usedBytes, bytes, `${name}: used bytes unchanged over 20 more steps`);
    t.equal(heap.usedBlocks, blocks, `${name}: block count unchanged`);
    m.dispose();
  }
  const emb = new Sequential([new Embedding({ numEmbeddings: 7, embeddingDim: 3, seed: 1 }), new LSTM({ inputSize: 3, hiddenSize: 4, seed: 1 }), new Linear({ inFeatures: 4, outFeatures: 7, seed: 1 })], { output: 'all' });
  emb.compile({ optimizer: optim.sgd({ lr: 0.1 }), loss: 'crossEntropy' });
  const ids = tensor(Float32Array.from({ length: 20 }, (_, i) => i % 7), [4, 5]), cls = Int32Array.from({ length: 20 }, (_, i) => (i + 1) % 7);
  emb.trainOnBatch(ids, cls);
  const bytes = heap.usedBytes, blocks = heap.usedBlocks;
  for (let i = 0; i < 20; i++) emb.trainOnBatch(ids, cls);
  t.equal(heap.usedBytes, bytes, 'Embedding + crossEntropy: used bytes unchanged');
  t.equal(heap.usedBlocks, blocks, 'block count unchanged');
  emb.dispose();
});

// Run on the built package in a plain Node process: the test runner's
// TypeScript loader and coverage allocate on their own. One model per
// process: a call site that has seen several kinds of model may run
// unoptimized, where V8 boxes every float it touches.
t.test('a streaming step creates no JS objects (no garbage collection over 300 000 steps)', async (t) => {
  const dist = pathToFileURL(fileURLToPath(new URL('../../dist/index.js', import.meta.url))).href;
  const script = (which: string): string => [
    "import { PerformanceObserver } from 'node:perf_hooks';",
    `import { init, LSTM, GRU, Linear, Sequential } from ${JSON.stringify(dist)};`,
    'await init({ debug: false });', // the debug pointer checks allocate an argument array per kernel call
    which === 'layer'
      ? 'const m = new LSTM({ inputSize: 4, hiddenSize: 16, numLayers: 2, seed: 1 });'
      : 'const m = new Sequential([new GRU({ inputSize: 4, hiddenSize: 16, seed: 1 }), new Linear({ inFeatures: 16, outFeatures: 3, seed: 1 })]);',
    'const st = m.zeroState(1), xt = new Float32Array(4).fill(0.25);',
    'for (let i = 0; i < 20000; i++) m.step(xt, st);',
    'globalThis.gc();',
    'await new Promise((r) => setTimeout(r, 20));',
    'let gcs = 0;',
    'const obs = new PerformanceObserver((list) => { gcs += list.getEntries().length; });',
    "obs.observe({ entryTypes: ['gc'] });",
    'const before = process.memoryUsage().heapUsed;',
    'for (let i = 0; i < 300000; i++) m.step(xt, st);',
    'const grew = process.memoryUsage().heapUsed - before;',
    'await new Promise((r) => setTimeout(r, 20));',
    'obs.disconnect();',
    'console.log(JSON.stringify({ gcs, grew }));',
  ].join('\n');
  for (const [which, name] of [['layer', 'LSTM layer (2 stacked)'], ['model', 'GRU model with a Linear head']] as const) {
    // An empty environment (env -i): the test runner hooks every child process it sees spawned
    // (NODE_OPTIONS) to collect coverage, which keeps V8 from optimizing the step, so every float
    // it touches is boxed.
    const r = spawnSync('env', ['-i', process.execPath, '--expose-gc', '--input-type=module', '-e', script(which)], { encoding: 'utf8' });
    t.equal(r.status, 0, r.stderr);
    const { gcs, grew } = JSON.parse(r.stdout) as { gcs: number; grew: number };
    t.equal(gcs, 0, `${name}: no garbage collection ran during 300 000 steps`);
    t.ok(grew < 1 << 20, `${name}: the JS heap grew ${grew} bytes over 300 000 steps (under 4 bytes a step)`);
  }
});

t.test("a model's activations live in one arena, which a layer used on its own leaves without harm", async (t) => {
  await init();
  const heap = getBackend().heap;
  const build = (): Sequential => new Sequential([
    new LSTM({ inputSize: 3, hiddenSize: 6, numLayers: 2, dropout: 0.2, seed: 1 }),
    new GRU({ inputSize: 6, hiddenSize: 5, bidirectional: true, seed: 2 }),
    new Dropout({ p: 0.1, seed: 3 }),
    new Linear({ inFeatures: 10, outFeatures: 4, activation: 'tanh', seed: 4 }),
    new Linear({ inFeatures: 4, outFeatures: 2, seed: 5 }),
  ], { output: 'all' });
  const a = build(), b = build();
  for (const m of [a, b]) m.compile({ optimizer: optim.adam({ lr: 0.01 }), loss: 'mse' });
  const xs = x(4, 6, 3), ys = x(4, 6, 2), lengths = [6, 2, 5, 1];
  a.trainOnBatch(xs, ys, { lengths });
  b.trainOnBatch(xs, ys, { lengths });
  // Every layer's buffers sit inside the engine's one block.
  const e = (a as unknown as { engine: { buf: { ptr: number; floats: number } } }).engine.buf;
  const inside = (p: number): boolean => p >= e.ptr && p < e.ptr + 4 * e.floats;
  const [l0, l1] = a.layers as [LSTM, GRU];
  t.ok(inside(l0.prepare(6, 4).x0) && inside(l0.outputPtr()) && inside(l1.outputPtr()), 'the recurrent layers\' inputs and outputs are in the arena');
  t.ok(inside(l1.prepareBackward().dy) && inside(l0.prepareBackward().dy), 'and their output gradients');
  t.equal(heap.ownerAt(l0.outputPtr()), heap.ownerAt(e.ptr), 'one owner: the model');
  // A layer of the model used on its own (another batch size) moves to a block of its own; the model carves again and trains exactly as its twin.
  l1.forward(tensor(new Float32Array(3 * 7 * 6).fill(0.5), [3, 7, 6]));
  (a.layers[3] as Linear).forward(tensor(new Float32Array(10).fill(1), [1, 10]));
  t.notOk(inside(l1.outputPtr()), 'the layer used on its own left the arena');
  for (let i = 0; i < 3; i++) {
    const la = a.trainOnBatch(xs, ys, { lengths }).loss, lb = b.trainOnBatch(xs, ys, { lengths }).loss;
    t.equal(la, lb, `step ${i + 2}: the same loss as the twin model (${la})`);
  }
  t.ok(inside(l1.outputPtr()), 'and it is back in the arena');
  t.same(Array.from(a.predict(x(2, 9, 3)).data), Array.from(b.predict(x(2, 9, 3)).data), 'a longer, smaller batch predicts the same');
  a.dispose(); b.dispose();
});
