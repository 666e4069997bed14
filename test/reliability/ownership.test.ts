// Ownership and disposal: a disposed object refuses every call; disposing
// twice does nothing; nothing a stale handle does can touch another object's
// memory; a layer and an optimizer belong to one model; objects dropped
// without dispose() are freed by the collector. Every case checks that a
// bystander model's outputs stay bit-identical.
import t from 'tap';
import type { Test } from 'tap';
import {
  init, initSync, tensor, LSTM, GRU, RNN, Linear, Dropout, Embedding, Sequential, optim, getBackend, createBackend,
  SimdRnnError, type Tensor,
} from '../../src/index.js';
import { forEachCurrentBackend } from '../helpers/current.js';
import { rng } from '../helpers/rng.js';

const x = (N: number, T: number, F: number, s = 1): Tensor => tensor(Float32Array.from({ length: N * T * F }, (_, i) => Math.sin(i * 0.37 + s)), [N, T, F]);

function bystander(): { model: Sequential; same: (t: Test, what: string) => void } {
  const model = new Sequential([new LSTM({ inputSize: 3, hiddenSize: 5, seed: 7 }), new Linear({ inFeatures: 5, outFeatures: 2, seed: 8 })]);
  const input = x(4, 6, 3, 9);
  const before = model.predict(input).data;
  const weights = model.stateDict();
  return {
    model,
    same(t, what) {
      t.same(Array.from(model.predict(input).data), Array.from(before), `bystander's predictions unchanged ${what}`);
      const now = model.stateDict();
      for (const k of Object.keys(weights)) {
        if (!now[k]!.data.every((v, i) => Object.is(v, weights[k]!.data[i]))) { t.fail(`bystander's ${k} changed ${what}`); return; }
      }
    },
  };
}

const DISPOSED = { name: 'SimdRnnError', code: 'DISPOSED' };

t.test('a disposed layer refuses every call, on every backend, and touches nobody', async (t) => {
  await forEachCurrentBackend(t, (t) => {
    const b = bystander();
    const xt = x(2, 3, 3);
    const layers = [
      new LSTM({ inputSize: 3, hiddenSize: 4, seed: 1 }), new GRU({ inputSize: 3, hiddenSize: 4, seed: 1 }),
      new RNN({ inputSize: 3, hiddenSize: 4, seed: 1 }),
    ];
    for (const l of layers) {
      const sd = l.stateDict();
      l.forward(xt);
      const st = l.zeroState(1);
      l.dispose();
      t.equal(l.disposed, true);
      t.throws(() => l.forward(xt), DISPOSED, `${l.constructor.name}.forward`);
      t.throws(() => l.backward(tensor(new Float32Array(24), [3, 2, 4])), DISPOSED, 'backward');
      t.throws(() => l.zeroGrad(), DISPOSED, 'zeroGrad (used to fill wasm memory from address 0)');
      t.throws(() => l.loadStateDict(sd), DISPOSED, 'loadStateDict (used to write into another model)');
      t.throws(() => l.stateDict(), DISPOSED, 'stateDict (used to return garbage)');
      t.throws(() => l.gradStateDict(), DISPOSED, 'gradStateDict');
      t.throws(() => l.zeroState(1), DISPOSED, 'zeroState');
      t.throws(() => l.step(new Float32Array(3), st), DISPOSED, 'step');
      t.throws(() => st.h, DISPOSED, "a disposed layer's state");
      t.throws(() => st.reset(), DISPOSED, 'state.reset');
      t.throws(() => l.config(), DISPOSED, 'config');
      t.throws(() => l.numParams, DISPOSED, 'numParams');
      l.dispose();
      st.dispose();
      t.pass('dispose() twice, and the state after its layer, are no-ops');
    }
    const lin = new Linear({ inFeatures: 3, outFeatures: 2, seed: 1 });
    const ls = lin.stateDict();
    lin.dispose();
    for (const [name, f] of [['forward', () => lin.forward(tensor(new Float32Array(3), [1, 3]))], ['backward', () => lin.backward(tensor(new Float32Array(2), [1, 2]))],
      ['zeroGrad', () => lin.zeroGrad()], ['loadStateDict', () => lin.loadStateDict(ls)], ['stateDict', () => lin.stateDict()],
      ['gradStateDict', () => lin.gradStateDict()], ['config', () => lin.config()], ['numParams', () => lin.numParams]] as const) {
      t.throws(f, DISPOSED, `Linear.${name}`);
    }
    const emb = new Embedding({ numEmbeddings: 5, embeddingDim: 3, seed: 1 });
    const es = emb.stateDict();
    emb.dispose();
    for (const [name, f] of [['forward', () => emb.forward(new Int32Array([1]))], ['zeroGrad', () => emb.zeroGrad()], ['loadStateDict', () => emb.loadStateDict(es)],
      ['stateDict', () => emb.stateDict()], ['gradStateDict', () => emb.gradStateDict()], ['config', () => emb.config()], ['numParams', () => emb.numParams]] as const) {
      t.throws(f, DISPOSED, `Embedding.${name}`);
    }
    const drop = new Dropout({ p: 0.5, seed: 1 });
    drop.dispose();
    t.throws(() => drop.config(), DISPOSED, 'Dropout.config');
    t.throws(() => new Sequential([layers[0]!, new Linear({ inFeatures: 4, outFeatures: 1 })]), DISPOSED, 'a disposed layer cannot join a model');
    emb.dispose(); lin.dispose(); drop.dispose();
    b.same(t, 'after every call on disposed layers');
    b.model.dispose();
  });
});

t.test('a disposed model, its layers, states and optimizer refuse every call', async (t) => {
  await forEachCurrentBackend(t, async (t) => {
    const b = bystander();
    const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, seed: 1 });
    const m = new Sequential([lstm, new Linear({ inFeatures: 4, outFeatures: 1, seed: 2 })]);
    const opt = optim.adam({ lr: 0.01 });
    m.compile({ optimizer: opt, loss: 'mse' });
    const xs = x(4, 5, 3), ys = tensor(new Float32Array(4).fill(0.5), [4, 1]);
    m.trainOnBatch(xs, ys);
    const st = m.zeroState(1);
    const sd = m.stateDict();
    m.dispose();
    t.equal(m.disposed, true);
    t.equal(lstm.disposed, true, 'its layers are disposed with it');
    t.equal(opt.disposed, true, 'its optimizer is disposed with it');
    t.equal(st.disposed, true, 'its streaming states are disposed with it');
    const calls: [string, () => unknown][] = [
      ['predict', () => m.predict(xs)], ['trainOnBatch', () => m.trainOnBatch(xs, ys)], ['evaluate', () => m.evaluate(xs, ys)],
      ['compile', () => m.compile({ optimizer: optim.sgd(), loss: 'mse' })], ['zeroGrad', () => m.zeroGrad()], ['stateDict', () => m.stateDict()],
      ['gradStateDict', () => m.gradStateDict()], ['loadStateDict', () => m.loadStateDict(sd)], ['config', () => m.config()],
      ['zeroState', () => m.zeroState(1)], ['step', () => m.step(new Float32Array(3), st)], ['optimizer', () => m.optimizer],
      ['state.reset', () => st.reset()], ['lstm.forward', () => lstm.forward(x(1, 2, 3))],
      ['opt.getState', () => opt.getState()], ['opt.update', () => opt.update(64, 64, 0.1)],
    ];
    for (const [name, f] of calls) t.throws(f, DISPOSED, `Sequential ${name}`);
    await t.rejects(m.fit(xs, ys), DISPOSED, 'fit');
    t.throws(() => new Sequential([new GRU({ inputSize: 3, hiddenSize: 2 }), new Linear({ inFeatures: 2, outFeatures: 1 })]).compile({ optimizer: opt, loss: 'mse' }), DISPOSED, 'its optimizer cannot be compiled into another model');
    m.dispose(); st.dispose(); opt.dispose();
    b.same(t, 'after every call on a disposed model');
    b.model.dispose();
  });
});

t.test('double dispose of a model frees nobody else (it used to free a later model\'s weights)', async (t) => {
  await init();
  const heap = getBackend().heap;
  const a = new Sequential([new GRU({ inputSize: 3, hiddenSize: 8, seed: 1 }), new Linear({ inFeatures: 8, outFeatures: 2, seed: 1 })]);
  a.dispose();
  const b = bystander();
  a.dispose();
  const used = heap.usedBytes;
  const c = new Sequential([new GRU({ inputSize: 3, hiddenSize: 8, seed: 3 }), new Linear({ inFeatures: 8, outFeatures: 2, seed: 3 })]);
  c.predict(x(2, 3, 3));
  b.same(t, 'after a double dispose and a third model');
  c.dispose();
  t.equal(heap.usedBytes, used, 'the heap is back where it was');
  b.model.dispose();
});

t.test('a layer disposed inside a live model stops the model cleanly', async (t) => {
  await init();
  const rec = new LSTM({ inputSize: 3, hiddenSize: 4, seed: 1 }), head = new Linear({ inFeatures: 4, outFeatures: 1, seed: 1 });
  const m = new Sequential([rec, head]);
  head.dispose();
  t.throws(() => m.predict(x(2, 3, 3)), { code: 'DISPOSED', message: /layer 1 of this model was disposed/ });
  m.dispose();
  t.pass('the model disposes cleanly after its layer');
});

t.test('a layer belongs to one model; an optimizer to one model', async (t) => {
  await init();
  const heap = getBackend().heap;
  const b = bystander();
  const rec = new LSTM({ inputSize: 3, hiddenSize: 4, seed: 1 });
  const m1 = new Sequential([rec, new Linear({ inFeatures: 4, outFeatures: 1, seed: 1 })]);
  t.throws(() => new Sequential([rec, new Linear({ inFeatures: 4, outFeatures: 1 })]), { code: 'INVALID_ARGUMENT', message: /layers\[0\] is .*expected a layer that belongs to no other model/ });
  const twice = new Linear({ inFeatures: 4, outFeatures: 4, seed: 1 });
  t.throws(() => new Sequential([new GRU({ inputSize: 3, hiddenSize: 4 }), twice, twice]), { message: /layers\[2\] is .*expected a layer not already in this model/ });
  const shared = optim.adam({ lr: 1 });
  m1.compile({ optimizer: shared, loss: 'mse' });
  const m2 = new Sequential([new GRU({ inputSize: 3, hiddenSize: 6, seed: 2 }), new Linear({ inFeatures: 6, outFeatures: 1, seed: 2 })]);
  t.throws(() => m2.compile({ optimizer: shared, loss: 'mse' }), { code: 'INVALID_ARGUMENT', message: /already compiled into another model/ });
  // Training the first writes only its own parameters (it used to write past them into a bystander).
  m1.trainOnBatch(x(4, 5, 3), tensor(new Float32Array(4).fill(1), [4, 1]));
  b.same(t, 'after training a model whose optimizer another model tried to share');
  // A second compile frees the first optimizer's state.
  const used = heap.usedBytes;
  const second = optim.adam({ lr: 0.1 });
  m1.compile({ optimizer: second, loss: 'mse' });
  m1.trainOnBatch(x(4, 5, 3), tensor(new Float32Array(4).fill(1), [4, 1]));
  t.equal(shared.disposed, true, 'the replaced optimizer is disposed');
  t.equal(heap.usedBytes, used, "the new optimizer reuses the old one's memory: nothing leaks");
  m1.compile({ optimizer: second, loss: 'mae' });
  t.equal(second.disposed, false, 'compiling again with the same optimizer keeps it');
  t.throws(() => shared.getState(), DISPOSED);
  m1.dispose(); m2.dispose(); b.model.dispose();
});

t.test('maxMemory above what int32 byte offsets address is refused at init', async (t) => {
  for (const maxMemory of [2 ** 31 + 65536, 2 ** 32, 4 * 2 ** 30, Infinity]) {
    await t.rejects(init({ maxMemory }), { code: 'INVALID_ARGUMENT', message: /options\.maxMemory is .*expected a number of bytes in \[1048576, 2147483648\]/ }, `maxMemory ${maxMemory}`);
    await t.rejects(createBackend('js', { maxMemory }), { code: 'INVALID_ARGUMENT' });
  }
  await t.resolves(init({ maxMemory: 2 ** 31 }), 'exactly 2 GiB is allowed');
  const { readFile } = await import('node:fs/promises');
  const mod = new WebAssembly.Module(await readFile(new URL('../../wasm/simd-rnn.simd.wasm', import.meta.url)));
  t.throws(() => initSync({ module: mod, maxMemory: 2 ** 33 }), { code: 'INVALID_ARGUMENT' }, 'initSync too');
});

t.test('the debug check stops a kernel from touching memory it does not own', async (t) => {
  for (const name of ['js', 'wasm-simd'] as const) {
    const be = await createBackend(name, { debug: true });
    const p = be.heap.alloc(16);
    be.k.f32_fill(16, 1, p);
    t.throws(() => be.k.f32_fill(17, 1, p), { code: 'INVALID_ARGUMENT', message: /f32_fill: argument 2 .* is not inside one live heap block/ }, `${name}: past the end`);
    be.heap.free(p);
    t.throws(() => be.k.f32_fill(16, 1, p), { message: /no live block there: a stale or freed pointer/ }, `${name}: a freed block`);
    t.throws(() => be.k.f32_fill(4, 1, 0), { message: /f32_fill/ }, `${name}: address 0`);
    const a = be.heap.alloc(8), c = be.heap.alloc(8);
    t.throws(() => be.k.f32_copy(32, a, c), { message: /f32_copy/ }, `${name}: a range spanning two blocks`);
    t.throws(() => be.heap.free(a, be.heap.owner('someone else')), { message: /belongs to anonymous#\d+, not to someone else#\d+/ }, 'free with the wrong owner');
  }
});

t.test('random create / dispose / use across models never changes a live model', async (t) => {
  await init();
  const heap = getBackend().heap;
  const r = rng(77);
  const base = heap.usedBytes;
  type Live = { m: Sequential; input: Tensor; out: Float32Array };
  const live: Live[] = [];
  const dead: Sequential[] = [];
  let ops = 0, refused = 0;
  for (let i = 0; i < 400; i++) {
    const op = r();
    if (op < 0.3 || live.length === 0) {
      const H = 1 + Math.floor(r() * 9), cell = Math.floor(r() * 3);
      const rec = cell === 0 ? new LSTM({ inputSize: 2, hiddenSize: H, seed: i }) : cell === 1 ? new GRU({ inputSize: 2, hiddenSize: H, seed: i }) : new RNN({ inputSize: 2, hiddenSize: H, seed: i });
      const m = new Sequential([rec, new Linear({ inFeatures: H, outFeatures: 1, seed: i })]);
      const input = x(1 + Math.floor(r() * 3), 1 + Math.floor(r() * 4), 2, i);
      live.push({ m, input, out: m.predict(input).data });
    } else if (op < 0.5) {
      const [v] = live.splice(Math.floor(r() * live.length), 1);
      v!.m.dispose();
      dead.push(v!.m);
    } else if (op < 0.8 && dead.length) {
      // Misuse a disposed model in a random way: every call must be refused.
      const m = dead[Math.floor(r() * dead.length)]!;
      const calls = [() => m.zeroGrad(), () => m.dispose(), () => m.loadStateDict({}), () => m.predict(x(1, 1, 2)), () => m.trainOnBatch(x(1, 1, 2), tensor([0], [1, 1])),
        () => (m.layers[0] as LSTM).zeroGrad(), () => (m.layers[0] as LSTM).loadStateDict({}), () => (m.layers[1] as Linear).forward(tensor([1], [1, 1]))];
      try { calls[Math.floor(r() * calls.length)]!(); } catch (e) { if (!(e instanceof SimdRnnError)) throw e; refused++; }
    } else {
      const v = live[Math.floor(r() * live.length)]!;
      v.m.compile({ optimizer: optim.sgd({ lr: 0.01 }), loss: 'mse' });
      v.m.trainOnBatch(v.input, tensor(new Float32Array(v.input.shape[0]!).fill(0.1), [v.input.shape[0]!, 1]));
      v.out = v.m.predict(v.input).data;
    }
    ops++;
    for (const v of live) {
      const now = v.m.predict(v.input).data;
      if (!now.every((a, j) => Object.is(a, v.out[j]))) { t.fail(`op ${i}: a live model's predictions changed`); return; }
    }
  }
  t.pass(`${ops} random operations, ${refused} refused calls on disposed models; no live model changed`);
  for (const v of live) v.m.dispose();
  t.equal(heap.usedBytes, base, 'everything freed');
});

t.test('models dropped without dispose() are freed by the collector', { skip: typeof globalThis.gc !== 'function' && 'needs --expose-gc' }, async (t) => {
  await init();
  const heap = getBackend().heap;
  const gc = globalThis.gc as () => void;
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 10; i++) { gc(); await new Promise((r) => setTimeout(r, 5)); }
  };
  await settle();
  const base = heap.usedBytes;
  (() => {
    for (let i = 0; i < 50; i++) {
      const m = new Sequential([new GRU({ inputSize: 4, hiddenSize: 32, seed: i }), new Linear({ inFeatures: 32, outFeatures: 2, seed: i })]);
      m.compile({ optimizer: optim.adam(), loss: 'mse' });
      m.trainOnBatch(x(8, 5, 4), tensor(new Float32Array(16), [8, 2]));
      m.zeroState(2);
      new LSTM({ inputSize: 3, hiddenSize: 16 }).zeroState(1);
    }
  })();
  t.ok(heap.usedBytes > base, 'the dropped models held memory');
  let tries = 0;
  while (heap.usedBytes > base && tries++ < 20) await settle();
  t.equal(heap.usedBytes, base, 'all of it came back without dispose()');
});

t.test('`using` disposes at the end of the scope', async (t) => {
  await init();
  const heap = getBackend().heap;
  const base = heap.usedBytes;
  let seen: Sequential | null = null, layer: GRU | null = null;
  {
    using m = new Sequential([new GRU({ inputSize: 2, hiddenSize: 3, seed: 1 }), new Linear({ inFeatures: 3, outFeatures: 1, seed: 1 })]);
    using l = new GRU({ inputSize: 2, hiddenSize: 3, seed: 1 });
    using st = l.zeroState(1);
    m.predict(x(1, 2, 2));
    seen = m; layer = l;
    t.equal(st.batch, 1);
  }
  t.equal(seen!.disposed, true, 'the model');
  t.equal(layer!.disposed, true, 'the layer');
  t.equal(heap.usedBytes, base, 'their memory');
});
