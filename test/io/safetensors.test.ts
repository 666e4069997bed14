// safetensors: round trips, other dtypes, and a clean error for every kind of bad file.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { io, tensor } from '../../src/index.js';

function file(header: unknown, data: Uint8Array = new Uint8Array(0), lenOverride?: number): Uint8Array {
  const h = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setUint32(0, lenOverride ?? h.length, true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

t.test('round trip with metadata', async (t) => {
  const dict = { a: tensor([1, -2.5, 3e-8, Infinity], [2, 2]), 'b.c': tensor([], [0, 3]), s: tensor([7], []) };
  const bytes = io.writeSafetensors(dict, { format: 'pt', note: 'é✓' });
  t.equal((8 + new DataView(bytes.buffer).getUint32(0, true)) % 8, 0, 'data starts 8-byte aligned');
  const back = io.readSafetensorsFile(bytes);
  t.same(back.metadata, { format: 'pt', note: 'é✓' });
  t.same(back.tensors.a, dict.a);
  t.same(back.tensors['b.c'], dict['b.c']);
  t.same(back.tensors.s, { data: new Float32Array([7]), shape: [] });
  t.same(io.readSafetensors(io.writeSafetensors({})), {}, 'empty file');
});

t.test('reads files written by the fixture script (PyTorch tensors)', async (t) => {
  const dir = new URL('../fixtures/pytorch/', import.meta.url);
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.safetensors'))) {
    const { tensors, metadata } = io.readSafetensorsFile(readFileSync(new URL(f, dir)));
    t.ok('param.weight_ih_l0' in tensors && typeof metadata.config === 'string', f);
  }
});

t.test('other dtypes convert to f32', async (t) => {
  const f64 = new Float64Array([1.5, -2]), i32 = new Int32Array([3, -4]), f16 = new Uint16Array([0x3c00, 0xc000, 0x7c00, 0x0001]);
  const bf16 = new Uint16Array([0x3f80, 0xc040]), u8 = new Uint8Array([0, 255]), i64 = new BigInt64Array([5n, -6n]);
  const parts = [f64, i32, f16, bf16, u8, i64].map((a) => new Uint8Array(a.buffer));
  let off = 0;
  const spec = (dtype: string, n: number, i: number): unknown => { const o = [off, off + parts[i]!.length]; off += parts[i]!.length; return { dtype, shape: [n], data_offsets: o }; };
  const header = { a: spec('F64', 2, 0), b: spec('I32', 2, 1), c: spec('F16', 4, 2), d: spec('BF16', 2, 3), e: spec('U8', 2, 4), f: spec('I64', 2, 5) };
  const data = new Uint8Array(off);
  let at = 0;
  for (const p of parts) { data.set(p, at); at += p.length; }
  const r = io.readSafetensors(file(header, data));
  t.same(Array.from(r.a!.data), [1.5, -2]);
  t.same(Array.from(r.b!.data), [3, -4]);
  t.same(Array.from(r.c!.data), [1, -2, Infinity, 2 ** -24]);
  t.same(Array.from(r.d!.data), [1, -3]);
  t.same(Array.from(r.e!.data), [0, 255]);
  t.same(Array.from(r.f!.data), [5, -6]);
  const big = new BigInt64Array([2n ** 40n + 1n]);
  t.throws(() => io.readSafetensors(file({ x: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(big.buffer))),
    { code: 'BAD_FILE', message: /holds 1099511627777, which f32 cannot represent exactly/ });
});

t.test('bad files get clear errors', async (t) => {
  const ok = { x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const d8 = new Uint8Array(8);
  const cases: [string, Uint8Array, RegExp][] = [
    ['too short', new Uint8Array(5), /file is 5 bytes, shorter than the 8-byte header length/],
    ['header past end', file(ok, d8, 1000), /header length 1000 runs past the end/],
    ['huge header', file(ok, d8, 0xffffffff), /over the limit of 100000000 bytes/],
    ['not JSON', file('{nope', d8), /header is not valid UTF-8 JSON/],
    ['JSON array', file('[1,2]', d8), /header is not a JSON object/],
    ['unknown dtype', file({ x: { dtype: 'F8', shape: [2], data_offsets: [0, 8] } }, d8), /tensor "x" has unknown dtype "F8"/],
    ['bad shape', file({ x: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, d8), /tensor "x" has an invalid shape \[-2\]/],
    ['bad offsets', file({ x: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, d8), /invalid data_offsets \[8,0\]/],
    ['offsets past end', file({ x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, d8), /data_offsets \[0, 16\] run past the 8 data bytes/],
    ['size mismatch', file({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, d8), /tensor "x" has 8 bytes, expected 12 for F32 \[3\]/],
    ['overflow', file({ x: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } }, d8), /element count overflows/],
    ['overlap', file({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, y: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, d8), /tensors "x" and "y" overlap/],
    ['metadata not strings', file({ __metadata__: { a: 1 } }, d8), /metadata "a" is not a string/],
    ['entry not object', file({ x: 3 }, d8), /entry "x" is not an object/],
    ['duplicate key', file('{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', d8), /header has the key "x" twice/],
  ];
  for (const [name, bytes, msg] of cases) t.throws(() => io.readSafetensors(bytes), { name: 'SimdRnnError', code: 'BAD_FILE', message: msg }, name);
  t.throws(() => io.readSafetensors([1, 2] as never), { message: /readSafetensors: bytes is \[1,2\], expected a Uint8Array/ });
});

t.test('writer refuses what it cannot write', async (t) => {
  t.throws(() => io.writeSafetensors({ a: { data: [1] as never, shape: [1] } }), { message: /dict\["a"\]\.data is \[1\], expected a Float32Array/ });
  t.throws(() => io.writeSafetensors({ a: { data: new Float32Array(2), shape: [3] } }), { message: /dict\["a"\] has 2 elements, expected 3/ });
  t.throws(() => io.writeSafetensors({}, { a: 1 as never }), { message: /metadata\.a is 1, expected a string/ });
  t.throws(() => io.writeSafetensors(null as never), { message: /dict is null/ });
  t.throws(() => io.writeSafetensors({ a: 5 as never }), { message: /dict\["a"\] is 5, expected a tensor/ });
});

t.test('a layer saved and loaded through safetensors gives the same outputs', async (t) => {
  const { init, LSTM } = await import('../../src/index.js');
  await init();
  const a = new LSTM({ inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true, seed: 9 });
  const b = new LSTM({ inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true, seed: 10 });
  b.loadStateDict(io.readSafetensors(io.writeSafetensors(a.stateDict())));
  const x = tensor(Float32Array.from({ length: 4 * 2 * 3 }, (_, i) => Math.cos(i)), [4, 2, 3]);
  t.same(b.forward(x).output, a.forward(x).output);
});

t.test('readSafetensorsHeader checks the header without decoding the data', async (t) => {
  const bytes = io.writeSafetensors({ a: tensor([1, 2, 3, 4, 5, 6], [2, 3]), b: tensor([7], [1]) }, { note: 'x' });
  const h = io.readSafetensorsHeader(bytes);
  t.same(h.entries.map((e) => [e.name, e.dtype, e.shape]), [['a', 'F32', [2, 3]], ['b', 'F32', [1]]]);
  t.same(h.metadata, { note: 'x' });
  t.equal(h.dataStart, bytes.length - 28, 'data starts after the header');
  t.throws(() => io.readSafetensorsHeader('nope' as never), { code: 'INVALID_ARGUMENT', message: /readSafetensors: bytes is "nope", expected a Uint8Array/ });
  t.throws(() => io.readSafetensorsHeader(new Uint8Array(3)), { code: 'BAD_FILE', message: /file is 3 bytes, shorter than the 8-byte header length/ });
  t.throws(() => io.readSafetensorsHeader(bytes.subarray(0, bytes.length - 1)), { code: 'BAD_FILE', message: /run past the 27 data bytes/ });
});
