// The safetensors format: 8-byte little-endian header length N, N bytes of
// JSON header ({ name: { dtype, shape, data_offsets: [begin, end] }, and an
// optional "__metadata__": { string: string } }), then the raw little-endian
// data. Everything in the header is checked against the file before any
// tensor is allocated, so a hostile or truncated file gets a clear error.
import { SimdRnnError, argError } from '../errors.js';
import type { Tensor } from '../tensor.js';

/** Largest header accepted (the format's own readers use 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

const DTYPE_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1, U16: 2, U32: 4, U64: 8,
};

function bad(msg: string): SimdRnnError {
  return new SimdRnnError('BAD_FILE', `readSafetensors: ${msg}`);
}

export interface SafetensorsFile {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

/**
 * Parses a safetensors file. F32 tensors are returned as they are; F64, F16,
 * BF16 and integer tensors are converted to f32 (integers must fit exactly).
 *
 * @example
 * const { tensors, metadata } = readSafetensorsFile(bytes);
 */
export function readSafetensorsFile(bytes: Uint8Array): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) throw argError('readSafetensors', 'bytes', 'a Uint8Array', bytes);
  if (bytes.length < 8) throw bad(`file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = dv.getUint32(0, true), hi = dv.getUint32(4, true);
  const n = hi * 2 ** 32 + lo;
  if (n > MAX_HEADER_BYTES) throw bad(`header length ${n} is over the limit of ${MAX_HEADER_BYTES} bytes`);
  if (8 + n > bytes.length) throw bad(`header length ${n} runs past the end of the ${bytes.length}-byte file`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw bad(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw bad('header is not a JSON object');
  const dup = duplicateKey(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  if (dup !== null) throw bad(`header has the key ${JSON.stringify(dup)} twice`);
  const dataStart = 8 + n, dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad('__metadata__ is not an object');
      for (const [mk, mv] of Object.entries(v as Record<string, unknown>)) {
        if (typeof mv !== 'string') throw bad(`metadata "${mk}" is not a string`);
        metadata[mk] = mv;
      }
      continue;
    }
    if (v === null || typeof v !== 'object') throw bad(`entry "${name}" is not an object`);
    const { dtype, shape, data_offsets: off } = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) throw bad(`tensor "${name}" has unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      throw bad(`tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(off) || off.length !== 2 || off.some((o) => !Number.isSafeInteger(o) || o < 0) || off[0] > off[1]) {
      throw bad(`tensor "${name}" has invalid data_offsets ${JSON.stringify(off)}`);
    }
    let count = 1;
    for (const d of shape as number[]) {
      count *= d;
      if (!Number.isSafeInteger(count)) throw bad(`tensor "${name}" has a shape whose element count overflows`);
    }
    const [begin, end] = off as [number, number];
    if (end > dataLen) throw bad(`tensor "${name}" data_offsets [${begin}, ${end}] run past the ${dataLen} data bytes`);
    if (end - begin !== count * DTYPE_BYTES[dtype]!) {
      throw bad(`tensor "${name}" has ${end - begin} bytes, expected ${count * DTYPE_BYTES[dtype]!} for ${dtype} ${JSON.stringify(shape)}`);
    }
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }
  // Byte ranges must not overlap.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.begin < sorted[i - 1]!.end) throw bad(`tensors "${sorted[i - 1]!.name}" and "${sorted[i]!.name}" overlap`);
  }
  const tensors: Record<string, Tensor> = {};
  for (const e of entries) {
    const count = e.shape.reduce((a, b) => a * b, 1);
    tensors[e.name] = { data: decode(e.dtype, bytes, dataStart + e.begin, count, e.name), shape: e.shape };
  }
  return { tensors, metadata };
}

// JSON.parse keeps the last of duplicate keys silently; a file that names a
// tensor twice is ambiguous, so find top-level duplicates in the raw text.
function duplicateKey(json: string): string | null {
  const seen = new Set<string>();
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const ch = json[i];
    if (ch === '"') {
      let j = i + 1;
      while (j < json.length && json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      if (depth === 1) {
        let k = j + 1;
        while (k < json.length && /\s/.test(json[k]!)) k++;
        if (json[k] === ':') {
          const key = JSON.parse(json.slice(i, j + 1)) as string;
          if (seen.has(key)) return key;
          seen.add(key);
        }
      }
      i = j;
    } else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
  }
  return null;
}

function decode(dtype: string, bytes: Uint8Array, at: number, count: number, name: string): Float32Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset + at, count * DTYPE_BYTES[dtype]!);
  const out = new Float32Array(count);
  switch (dtype) {
    case 'F32': for (let i = 0; i < count; i++) out[i] = dv.getFloat32(4 * i, true); break;
    case 'F64': for (let i = 0; i < count; i++) out[i] = dv.getFloat64(8 * i, true); break;
    case 'F16': for (let i = 0; i < count; i++) out[i] = half(dv.getUint16(2 * i, true)); break;
    case 'BF16': for (let i = 0; i < count; i++) out[i] = new Float32Array(new Uint32Array([dv.getUint16(2 * i, true) << 16]).buffer)[0]!; break;
    default: {
      for (let i = 0; i < count; i++) {
        const size = DTYPE_BYTES[dtype]!;
        let v: number;
        switch (dtype) {
          case 'I64': v = Number(dv.getBigInt64(8 * i, true)); break;
          case 'U64': v = Number(dv.getBigUint64(8 * i, true)); break;
          case 'I32': v = dv.getInt32(4 * i, true); break;
          case 'U32': v = dv.getUint32(4 * i, true); break;
          case 'I16': v = dv.getInt16(2 * i, true); break;
          case 'U16': v = dv.getUint16(2 * i, true); break;
          case 'I8': v = dv.getInt8(i); break;
          default: v = dv.getUint8(i * size); // U8, BOOL
        }
        if (Math.fround(v) !== v) throw bad(`tensor "${name}" holds ${v}, which f32 cannot represent exactly`);
        out[i] = v;
      }
    }
  }
  return out;
}

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** The tensors of a safetensors file, as f32. */
export function readSafetensors(bytes: Uint8Array): Record<string, Tensor> {
  return readSafetensorsFile(bytes).tensors;
}

/**
 * Writes tensors (F32) and optional string metadata as a safetensors file.
 *
 * @example
 * const bytes = writeSafetensors(lstm.stateDict(), { format: 'pt' });
 */
export function writeSafetensors(dict: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  if (dict === null || typeof dict !== 'object') throw argError('writeSafetensors', 'dict', 'an object of tensors', dict);
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object') throw argError('writeSafetensors', 'metadata', 'an object of strings', metadata);
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw argError('writeSafetensors', `metadata.${k}`, 'a string', v);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  const names = Object.keys(dict);
  for (const name of names) {
    const t = dict[name]!;
    if (name === '__metadata__') throw argError('writeSafetensors', 'dict', 'no tensor named "__metadata__"', name);
    if (!t || typeof t !== 'object' || !Array.isArray(t.shape)) {
      throw argError('writeSafetensors', `dict["${name}"]`, 'a tensor { data: Float32Array, shape }', t);
    }
    if (!(t.data instanceof Float32Array)) throw argError('writeSafetensors', `dict["${name}"].data`, 'a Float32Array', t.data);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new SimdRnnError('SHAPE_MISMATCH', `writeSafetensors: dict["${name}"] has ${t.data.length} elements, expected ${count} for shape [${t.shape.join(',')}]`);
    }
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned (as the reference writer does).
  const enc = new TextEncoder();
  let hb = enc.encode(json);
  const pad = (8 - ((8 + hb.length) % 8)) % 8;
  if (pad) { json += ' '.repeat(pad); hb = enc.encode(json); }
  const out = new Uint8Array(8 + hb.length + offset);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, hb.length, true);
  dv.setUint32(4, 0, true);
  out.set(hb, 8);
  let at = 8 + hb.length;
  for (const name of names) {
    const d = dict[name]!.data;
    for (let i = 0; i < d.length; i++, at += 4) dv.setFloat32(at, d[i]!, true);
  }
  return out;
}
