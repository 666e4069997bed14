// Property-based tests (fast-check, seeded): random valid arguments never
// throw and give the JS backend's results; random invalid ones throw a
// SimdRnnError with a code, naming the argument — never a wasm trap, a
// hang, NaN output or a crash.
import t from 'tap';
import fc from 'fast-check';
import { init, tensor, LSTM, GRU, RNN, Linear, Sequential, optim, io, padSequences, SimdRnnError, type Recurrent, type BackendName } from '../../src/index.js';

const SEED = 424242;
let tried = 0;

function build(name: BackendName, cell: string, o: Record<string, unknown>): Promise<Recurrent> {
  return init({ backend: name }).then(() => {
    if (cell === 'LSTM') return new LSTM(o as never);
    if (cell === 'GRU') return new GRU(o as never);
    return new RNN({ ...(o as object), nonlinearity: cell === 'RELU' ? 'relu' : 'tanh' } as never);
  });
}

const validCase = fc.record({
  cell: fc.constantFrom('LSTM', 'GRU', 'TANH', 'RELU'),
  I: fc.integer({ min: 1, max: 9 }), H: fc.integer({ min: 1, max: 9 }), L: fc.integer({ min: 1, max: 3 }),
  bi: fc.boolean(), bias: fc.boolean(), batchFirst: fc.boolean(),
  T: fc.integer({ min: 1, max: 6 }), B: fc.integer({ min: 1, max: 5 }), seed: fc.integer({ min: 0, max: 1000 }),
  withLengths: fc.boolean(),
});

t.test('valid arguments never throw and match the JS backend', async (t) => {
  await fc.assert(fc.asyncProperty(validCase, async (c) => {
    tried++;
    const o = { inputSize: c.I, hiddenSize: c.H, numLayers: c.L, bidirectional: c.bi, bias: c.bias, batchFirst: c.batchFirst, seed: c.seed };
    const shape = c.batchFirst ? [c.B, c.T, c.I] : [c.T, c.B, c.I];
    const x = tensor(Float32Array.from({ length: c.T * c.B * c.I }, (_, i) => Math.sin(i * 1.7 + c.seed)), shape);
    const lengths = c.withLengths ? Array.from({ length: c.B }, (_, b) => (b * 7 + c.seed) % (c.T + 1)) : undefined;
    const outs: Float32Array[] = [];
    const grads: Float32Array[] = [];
    for (const name of ['js', 'wasm-simd'] as const) {
      const layer = await build(name, c.cell, o);
      const f = layer.forward(x, { lengths });
      if (!f.output.data.every(Number.isFinite)) return false;
      const b = layer.backward(tensor(new Float32Array(f.output.data.length).fill(0.5), f.output.shape));
      outs.push(f.output.data);
      grads.push(b.dx.data);
      layer.dispose();
    }
    for (let i = 0; i < outs[0]!.length; i++) if (Math.abs(outs[0]![i]! - outs[1]![i]!) > 1e-5) return false;
    for (let i = 0; i < grads[0]!.length; i++) if (Math.abs(grads[0]![i]! - grads[1]![i]!) > 1e-4 * (1 + Math.abs(grads[0]![i]!))) return false;
    return true;
  }), { seed: SEED, numRuns: 150 });
  t.pass('150 random valid layer configurations');
});

// Invalid arguments: each generator yields (what to call, which argument name must appear in the message).
const badNumber = fc.oneof(fc.constant(0), fc.constant(-3), fc.constant(2.5), fc.constant(NaN), fc.constant(Infinity), fc.constant('8'), fc.constant(null), fc.constant([4]));
const invalid = fc.oneof(
  fc.record({ arg: fc.constantFrom('inputSize', 'hiddenSize', 'numLayers'), v: badNumber }).map(({ arg, v }) => ({
    name: arg, run: () => new LSTM({ inputSize: 3, hiddenSize: 4, [arg]: v } as never),
  })),
  fc.record({ v: fc.oneof(fc.constant(-0.1), fc.constant(1), fc.constant(NaN), fc.constant('0.5')) }).map(({ v }) => ({
    name: 'dropout', run: () => new GRU({ inputSize: 3, hiddenSize: 4, dropout: v } as never),
  })),
  fc.record({ dims: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 0, maxLength: 4 }) })
    .filter(({ dims }) => !(dims.length === 3 && dims[2] === 3 && dims[0]! > 0 && dims[1]! > 0))
    .map(({ dims }) => ({
      name: 'x', run: () => new LSTM({ inputSize: 3, hiddenSize: 2, seed: 1 }).forward({ data: new Float32Array(dims.reduce((a, b) => a * b, 1)), shape: dims }),
    })),
  fc.record({ pos: fc.nat(23), v: fc.constantFrom(NaN, Infinity, -Infinity) }).map(({ pos, v }) => ({
    name: 'x[', run: () => { const d = new Float32Array(24); d[pos] = v; return new GRU({ inputSize: 3, hiddenSize: 2, seed: 1 }).forward(tensor(d, [4, 2, 3])); },
  })),
  fc.record({ lens: fc.array(fc.oneof(fc.integer({ min: -3, max: 9 }), fc.constant(1.5)), { minLength: 0, maxLength: 4 }) })
    .filter(({ lens }) => !(lens.length === 2 && lens.every((l) => Number.isInteger(l) && l >= 0 && l <= 4)))
    .map(({ lens }) => ({
      name: 'lengths', run: () => new RNN({ inputSize: 3, hiddenSize: 2, seed: 1 }).forward(tensor(new Float32Array(24), [4, 2, 3]), { lengths: lens }),
    })),
  fc.record({ key: fc.constantFrom('weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0'), mode: fc.constantFrom('drop', 'shape', 'extra', 'data') }).map(({ key, mode }) => ({
    name: mode === 'extra' ? 'unexpected key' : key,
    run: () => {
      const l = new LSTM({ inputSize: 3, hiddenSize: 2, seed: 1 });
      const sd: Record<string, unknown> = l.stateDict();
      if (mode === 'drop') delete sd[key];
      else if (mode === 'shape') sd[key] = tensor(new Float32Array(7), [7]);
      else if (mode === 'extra') sd.surprise = tensor([1], [1]);
      else sd[key] = { data: Array.from((sd[key] as { data: Float32Array }).data), shape: (sd[key] as { shape: number[] }).shape };
      l.loadStateDict(sd as never);
    },
  })),
);

// The model, optimizers, files and padding too.
const invalidModel = fc.oneof(
  fc.record({ k: fc.constantFrom('epochs', 'batchSize', 'tbptt', 'seed'), v: badNumber })
    .filter(({ k, v }) => !((k === 'tbptt' || k === 'seed') && v === 0)) // 0 is valid for these two
    .map(({ k, v }) => ({
    name: `options.${k}`,
    run: () => {
      const m = new Sequential([new GRU({ inputSize: 2, hiddenSize: 3, seed: 1 }), new Linear({ inFeatures: 3, outFeatures: 1, seed: 1 })]);
      m.compile({ optimizer: optim.sgd(), loss: 'mse' });
      // fit validates synchronously before its first await: surface the rejection as a throw.
      let err: unknown = null;
      m.fit(tensor(new Float32Array(12), [2, 3, 2]), tensor(new Float32Array(2), [2, 1]), { [k]: v } as never).catch((e) => { err = e; });
      return new Promise((_, reject) => setImmediate(() => reject(err ?? new Error('no error'))));
    },
  })),
  fc.record({ f: fc.constantFrom('sgd', 'adam', 'adamw', 'rmsprop', 'adagrad'), v: fc.oneof(fc.constant(-1), fc.constant(0), fc.constant(NaN), fc.constant('fast')) }).map(({ f, v }) => ({
    name: 'lr', run: () => (optim as unknown as Record<string, (o: object) => unknown>)[f]!({ lr: v }),
  })),
  fc.uint8Array({ minLength: 0, maxLength: 64 }).map((b) => ({ name: 'readSafetensors', run: () => io.readSafetensors(b) })),
  fc.record({ v: fc.oneof(fc.constant(NaN), fc.constant('x'), fc.constant(null)) }).map(({ v }) => ({
    name: 'sequences[0]', run: () => padSequences([[1, v as number]]),
  })),
);

t.test('invalid model, optimizer, file and padding arguments: SimdRnnError naming the argument', async (t) => {
  await init();
  await fc.assert(fc.asyncProperty(invalidModel, async (c) => {
    tried++;
    try {
      await c.run();
      return false;
    } catch (e) {
      return e instanceof SimdRnnError && e.message.includes(c.name);
    }
  }), { seed: SEED, numRuns: 300 });
  t.pass('300 random invalid calls');
});

t.test('invalid arguments throw a SimdRnnError naming the argument', async (t) => {
  for (const name of ['js', 'wasm-simd'] as const) {
    await init({ backend: name });
    fc.assert(fc.property(invalid, (c) => {
      tried++;
      try {
        c.run();
        return false;
      } catch (e) {
        return e instanceof SimdRnnError && typeof e.code === 'string' && e.message.includes(c.name);
      }
    }), { seed: SEED, numRuns: 400 });
  }
  t.pass('800 random invalid calls');
});

t.test('totals', async (t) => {
  t.ok(tried >= 1250, `${tried} property cases tried, 0 failures`);
});
