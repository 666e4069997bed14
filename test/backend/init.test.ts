// Backend detection, selection and loading.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import * as lib from '../../src/index.js';
import { wasmUrl } from '../../src/backend/wasm.js';

t.test('backend() before init() is a clear error', async (t) => {
  const fresh = await import('../../src/backend/index.js?fresh=1' as string) as typeof lib;
  t.throws(() => fresh.backend(), { code: 'NOT_INITIALIZED', message: /call `await init\(\)`/ });
});

t.test('init() picks wasm SIMD on Node 20, then reports it', async (t) => {
  const f = lib.detectFeatures();
  t.ok(f.wasm && f.simd, 'Node 20 validates the SIMD probe');
  t.equal(await lib.init(), 'wasm-simd');
  t.equal(lib.backend(), 'wasm-simd');
  t.equal(lib.getBackend().name, 'wasm-simd');
  t.equal(lib.bestBackend(), 'wasm-simd');
});

t.test('relaxed SIMD only when asked and validated', async (t) => {
  const f = lib.detectFeatures();
  t.equal(await lib.init({ relaxed: true }), f.relaxedSimd ? 'wasm-relaxed' : 'wasm-simd');
  t.equal(lib.bestBackend(true), f.relaxedSimd ? 'wasm-relaxed' : 'wasm-simd');
});

t.test('every backend can be forced', async (t) => {
  for (const name of ['js', 'wasm', 'wasm-simd'] as const) {
    t.equal(await lib.init({ backend: name }), name);
    t.equal(lib.backend(), name);
  }
});

t.test('bad options name the argument and the expected value', async (t) => {
  await t.rejects(lib.init({ backend: 'gpu' as never }), { code: 'INVALID_ARGUMENT', message: /init: options\.backend is "gpu", expected one of 'wasm-relaxed', 'wasm-simd', 'wasm', 'js'/ });
  await t.rejects(lib.init({ maxMemory: 5 }), { message: /options\.maxMemory is 5, expected a number of bytes/ });
  await t.rejects(lib.init(null as never), { message: /options is null, expected an object/ });
});

t.test('a compiled Module or bytes can be handed over (edge runtimes)', async (t) => {
  const bytes = await readFile(wasmUrl('wasm-simd'));
  const module = await WebAssembly.compile(bytes);
  t.equal(lib.initSync({ module }), 'wasm-simd', 'initSync with a Module');
  t.equal(lib.initSync({ module: await WebAssembly.compile(await readFile(wasmUrl('wasm'))), backend: 'wasm' }), 'wasm');
  t.equal(await lib.init({ module, backend: 'wasm-simd' }), 'wasm-simd', 'init with a Module');
  t.equal(await lib.init({ module: new Uint8Array(bytes) }), 'wasm-simd', 'init with bytes');
  t.equal(await lib.init({ module: wasmUrl('wasm-simd') }), 'wasm-simd', 'init with a URL');
  t.throws(() => lib.initSync({ module: bytes as never }), { message: /initSync: options\.module is a Buffer, expected a compiled WebAssembly\.Module/ });
  t.throws(() => lib.initSync({ module, backend: 'js' }), { message: /expected a wasm backend/ });
  // Something that is not a simd-rnn build is refused by name.
  const other = await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
  t.throws(() => lib.initSync({ module: other }), { code: 'BACKEND_UNAVAILABLE', message: /does not export kernel f32_gemm/ });
  await t.rejects(lib.init({ module: other }), { code: 'BACKEND_UNAVAILABLE' });
});

t.test('kernels run through the chosen backend', async (t) => {
  for (const name of ['js', 'wasm', 'wasm-simd'] as const) {
    await lib.init({ backend: name });
    const be = lib.getBackend();
    const p = be.heap.alloc(4);
    be.heap.write(p, [1, 2, 3, 4]);
    t.equal(be.k.f32_sumsq(4, p), 30, `${name}: sumsq`);
    be.heap.free(p);
  }
});

t.test('tensor()', async (t) => {
  const x = lib.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  t.ok(x.data instanceof Float32Array);
  t.same(x.shape, [2, 3]);
  t.equal(lib.numel([2, 3, 4]), 24);
  t.throws(() => lib.tensor([1, 2, 3], [2, 2]), { message: /tensor: data\.length is 3, expected 4 \(the product of shape \[2,2\]\)/ });
  t.throws(() => lib.tensor([1], [-1]), { message: /shape is \[-1\], expected an array of integers ≥ 0/ });
});
