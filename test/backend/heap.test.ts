// The heap and its allocator, on every backend's memory.
import t from 'tap';
import { forEachBackend } from '../helpers/backends.js';
import { Heap, SimdRnnError } from '../../src/index.js';
import { arrayBufferMemory } from '../../src/backend/heap.js';

t.test('alloc is 64-byte aligned, never 0, and free blocks are reused', async (t) => {
  await forEachBackend(t, (t, be) => {
    const h = be.heap;
    const a = h.alloc(1), b = h.alloc(100), c = h.alloc(3);
    for (const p of [a, b, c]) t.ok(p > 0 && p % 64 === 0, `pointer ${p} aligned and non-zero`);
    t.ok(b >= a + 64 && c >= b + 400, 'blocks do not overlap');
    h.free(b);
    const d = h.alloc(50);
    t.equal(d, b, 'a freed block is reused first-fit');
    h.free(a); h.free(d); h.free(c);
    t.equal(h.usedBytes, 0, 'all returned');
    const e = h.alloc(200);
    t.equal(e, a, 'freed neighbours coalesce back into one block');
    h.free(e);
    t.throws(() => h.free(12345), { name: 'SimdRnnError', message: /not an allocated block/ });
    t.throws(() => h.alloc(-1), { message: /Heap\.alloc: n is -1, expected an integer ≥ 0/ });
    t.throws(() => h.alloc(1.5), SimdRnnError);
    h.free(0);
    t.pass('free(0) is a no-op');
  });
});

t.test('growing the memory keeps data and refreshes views', async (t) => {
  await forEachBackend(t, (t, be) => {
    const h = be.heap;
    const p = h.alloc(4);
    h.write(p, [1, 2, 3, 4]);
    const before = h.byteLength;
    const big = h.alloc(8 << 20); // 32 MiB: forces growth
    t.ok(h.byteLength > before, 'memory grew');
    t.equal(h.f32.buffer.byteLength, h.byteLength, 'view covers the grown memory');
    t.same(Array.from(h.read(p, 4)), [1, 2, 3, 4], 'old data survives growth');
    // Kernels see the same memory the views do.
    be.k.f32_fill(8 << 20, 2, big);
    t.equal(h.f32[(big >> 2) + (8 << 20) - 1], 2, 'kernel wrote the far end of the new memory');
    t.equal(h.view(p, 4).length, 4, 'views');
    h.free(big); h.free(p);
  });
});

t.test('the memory cap is a clear error, not a crash', async (t) => {
  const h = new Heap(arrayBufferMemory(1 << 16), 0, 1 << 20);
  t.throws(() => h.alloc(1 << 20), { name: 'SimdRnnError', code: 'OUT_OF_MEMORY', message: /memory cap of 1048576 bytes/ });
  const p = h.alloc(1000);
  t.ok(p > 0, 'smaller allocations still work after a refusal');
  const z = h.zeros(10);
  t.same(Array.from(h.read(z, 10)), new Array(10).fill(0), 'zeros');
});

t.test('a wasm memory cap set by the user is a clear error, not a crash', async (t) => {
  const { init, LSTM, createBackend } = await import('../../src/index.js');
  const be = await createBackend('wasm-simd', { maxMemory: 4 << 20 });
  t.throws(() => be.heap.alloc(2 << 20), { code: 'OUT_OF_MEMORY', message: /over the memory cap of 4194304 bytes/ });
  t.ok(be.heap.alloc(1000) > 0, 'smaller allocations still work');
  await init({ backend: 'wasm-simd', maxMemory: 4 << 20 });
  t.throws(() => new LSTM({ inputSize: 512, hiddenSize: 1024, seed: 1 }), { code: 'OUT_OF_MEMORY' });
  const small = new LSTM({ inputSize: 4, hiddenSize: 8, seed: 1 });
  t.equal(small.numParams, 4 * 8 * (4 + 8 + 2), 'the backend keeps working under its cap');
});
