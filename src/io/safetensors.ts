// The safetensors format: 8-byte little-endian header length N, N bytes of
// JSON header ({ name: { dtype, shape, data_offsets: [begin, end] }, and an
// optional "__metadata__": { string: string } }), then the raw little-endian
// data. Everything in the header is checked against the file before any
// tensor is allocated, so a hostile or truncated file gets a clear error.
import { SimdRnnError, argError } from '../errors.js';
import type { Tensor } from '../tensor.js';

/** Largest header accepted (the format's own readers use 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

/** Deepest nesting of arrays and objects accepted in a header (a valid one needs 3). */
export const MAX_JSON_DEPTH = 16;

/**
 * Names that could change an object's prototype or shadow its methods if
 * used as keys (`__proto__`, `constructor`, `toString` …): refused as tensor
 * names and metadata keys, in files read and written.
 */
export function reservedName(name: string): boolean {
  return name === '__proto__' || name === 'prototype' || Object.prototype.hasOwnProperty.call(Object.prototype, name);
}

const DTYPE_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1, U16: 2, U32: 4, U64: 8,
};

function bad(msg: string): SimdRnnError {
  return new SimdRnnError('BAD_FILE', `readSafetensors: ${msg}`);
}

/** A safetensors file, read: its tensors and its string metadata. */
export interface SafetensorsFile {
  /** The tensors by name, as f32. */
  tensors: Record<string, Tensor>;
  /** The string metadata (`__metadata__`). */
  metadata: Record<string, string>;
}

/**
 * Parses a safetensors file. F32 tensors are returned as they are; F64, F16,
 * BF16 and integer tensors are converted to f32 (integers must fit exactly).
 *
 * @example
 * const { tensors, metadata } = readSafetensorsFile(bytes);
 */
/** One tensor's place in a file, checked against the file but not yet decoded. */
/** One tensor's entry in a header. */
export interface TensorEntry {
  /** Its name. */
  name: string;
  /** Its dtype: F32, F64, F16, BF16, I64, I32, I16, I8, U8, BOOL… */
  dtype: string;
  /** Its shape. */
  shape: number[];
  /** Byte offset of its data in the data section. */
  begin: number;
  /** End of its data (exclusive). */
  end: number;
}

/** A file's parsed and checked header: decode tensors from it with decodeTensors. */
export interface SafetensorsHeader {
  /** The tensors' entries, in file order. */
  entries: TensorEntry[];
  /** The string metadata. */
  metadata: Record<string, string>;
  /** Byte offset of the data section. */
  dataStart: number;
}

/** Reads a safetensors file's tensors and metadata (F32 data; other dtypes converted where exact, refused otherwise). */
export function readSafetensorsFile(bytes: Uint8Array): SafetensorsFile {
  const h = readSafetensorsHeader(bytes);
  return { tensors: decodeTensors(bytes, h), metadata: h.metadata };
}

/** The tensors of a checked header (all of them, or those `keep` accepts), as f32. */
export function decodeTensors(bytes: Uint8Array, h: SafetensorsHeader, keep: (name: string) => boolean = () => true): Record<string, Tensor> {
  const tensors: Record<string, Tensor> = {};
  for (const e of h.entries) {
    if (!keep(e.name)) continue;
    const count = e.shape.reduce((a, b) => a * b, 1);
    tensors[e.name] = { data: decode(e.dtype, bytes, h.dataStart + e.begin, count, e.name), shape: e.shape };
  }
  return tensors;
}

/**
 * Parses and checks a safetensors header (every offset, shape and length
 * against the file) without decoding any tensor: a caller can refuse a file
 * by its metadata before paying for its data.
 */
export function readSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  if (!(bytes instanceof Uint8Array)) throw argError('readSafetensors', 'bytes', 'a Uint8Array', bytes);
  if (bytes.length < 8) throw bad(`file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = dv.getUint32(0, true), hi = dv.getUint32(4, true);
  const n = hi * 2 ** 32 + lo;
  if (n > MAX_HEADER_BYTES) throw bad(`header length ${n} is over the limit of ${MAX_HEADER_BYTES} bytes`);
  if (8 + n > bytes.length) throw bad(`header length ${n} runs past the end of the ${bytes.length}-byte file`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch (e) {
    throw bad(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  // Before parsing: nesting depth (nothing downstream may recurse on it) and duplicate keys.
  const scan = scanJson(text);
  if (scan.depth > MAX_JSON_DEPTH) throw bad(`header nests ${scan.depth > 1000 ? 'over 1000' : scan.depth} levels deep, over the limit of ${MAX_JSON_DEPTH}`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw bad(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw bad('header is not a JSON object');
  if (scan.duplicate !== null) throw bad(`header has the key ${JSON.stringify(scan.duplicate)} twice`);
  const dataStart = 8 + n, dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: TensorEntry[] = [];
  const h = header as Record<string, unknown>;
  for (const name of Object.keys(h)) {
    const v = h[name];
    if (name === '__metadata__') {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad('__metadata__ is not an object');
      for (const [mk, mv] of Object.entries(v as Record<string, unknown>)) {
        if (reservedName(mk)) throw bad(`metadata key ${JSON.stringify(mk)} is a reserved name`);
        if (typeof mv !== 'string') throw bad(`metadata "${mk}" is not a string`);
        metadata[mk] = mv;
      }
      continue;
    }
    if (reservedName(name)) throw bad(`tensor name ${JSON.stringify(name)} is a reserved name`);
    if (v === null || typeof v !== 'object') throw bad(`entry "${name}" is not an object`);
    const { dtype, shape, data_offsets: off } = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) throw bad(`tensor "${name}" has unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || shape.length > 8 || !shape.every(isCount)) {
      throw bad(`tensor "${name}" has an invalid shape ${short(shape)} (expected up to 8 integers ≥ 0, each below 2^53)`);
    }
    if (!Array.isArray(off) || off.length !== 2 || !isCount(off[0]) || !isCount(off[1]) || off[0] > off[1]) {
      throw bad(`tensor "${name}" has invalid data_offsets ${short(off)}`);
    }
    let count = 1;
    for (let i = 0; i < shape.length; i++) {
      count *= shape[i] as number;
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
  return { entries, metadata, dataStart };
}

const isCount = (d: unknown): boolean => Number.isSafeInteger(d) && (d as number) >= 0;

/** A value for an error message, without recursing into it (it may be nested thousands deep). */
function short(v: unknown): string {
  if (!Array.isArray(v)) return typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : String(v);
  return `[${v.slice(0, 8).map((x) => (Array.isArray(x) ? '[…]' : x !== null && typeof x === 'object' ? '{…}' : String(x))).join(',')}${v.length > 8 ? ',…' : ''}]`;
}

/**
 * One pass over raw JSON text, without recursion: the deepest nesting, and
 * the first top-level key that appears twice (JSON.parse keeps the last of
 * duplicate keys silently; a file that names a tensor twice is ambiguous).
 */
export function scanJson(json: string): { depth: number; duplicate: string | null } {
  const seen = new Set<string>();
  const n = json.length;
  let depth = 0, max = 0, duplicate: string | null = null;
  for (let i = 0; i < n; i++) {
    const ch = json.charCodeAt(i);
    if (ch === 34) { // a string: jump to its closing quote (one not preceded by an odd run of backslashes)
      let j = json.indexOf('"', i + 1), escaped = false;
      while (j > 0) {
        let b = 0;
        while (json.charCodeAt(j - 1 - b) === 92) b++;
        if (b === 0) break;
        escaped = true;
        if (b % 2 === 0) break;
        j = json.indexOf('"', j + 1);
      }
      if (j < 0) j = n;
      if (depth === 1 && duplicate === null) {
        let k = j + 1, c = json.charCodeAt(k);
        while (c === 32 || c === 9 || c === 10 || c === 13) c = json.charCodeAt(++k);
        if (c === 58) { // a key
          let key = json.slice(i + 1, j);
          if (escaped) { try { key = JSON.parse(json.slice(i, j + 1)) as string; } catch { /* invalid JSON: JSON.parse reports it */ } }
          if (seen.has(key)) duplicate = key;
          seen.add(key);
        }
      }
      i = j;
    } else if (ch === 123 || ch === 91) { if (++depth > max) max = depth; } // { [
    else if (ch === 125 || ch === 93) depth--; // } ]
  }
  return { depth: max, duplicate };
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
          case 'I64': case 'U64': {
            const b = dtype === 'I64' ? dv.getBigInt64(8 * i, true) : dv.getBigUint64(8 * i, true);
            v = Number(b);
            if (BigInt(v) !== b) throw bad(`tensor "${name}" holds ${b}, which f32 cannot represent exactly`);
            break;
          }
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
 * Writes tensors (F32; I8 for data in an Int8Array) and optional string
 * metadata as a safetensors file.
 *
 * @example
 * const bytes = writeSafetensors(lstm.stateDict(), { format: 'pt' });
 */
export function writeSafetensors(dict: Record<string, Tensor | { data: Int8Array; shape: number[] }>, metadata?: Record<string, string>): Uint8Array {
  if (dict === null || typeof dict !== 'object') throw argError('writeSafetensors', 'dict', 'an object of tensors', dict);
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object') throw argError('writeSafetensors', 'metadata', 'an object of strings', metadata);
    for (const [k, v] of Object.entries(metadata)) {
      if (reservedName(k)) throw argError('writeSafetensors', 'metadata', 'no key that is a reserved name (__proto__, constructor, …)', k);
      if (typeof v !== 'string') throw argError('writeSafetensors', `metadata.${k}`, 'a string', v);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  const names = Object.keys(dict);
  for (const name of names) {
    const t = dict[name]!;
    if (name === '__metadata__' || reservedName(name)) throw argError('writeSafetensors', 'dict', 'no tensor named "__metadata__" or a reserved name (__proto__, constructor, …)', name);
    if (!t || typeof t !== 'object' || !Array.isArray(t.shape)) {
      throw argError('writeSafetensors', `dict["${name}"]`, 'a tensor { data: Float32Array, shape }', t);
    }
    if (!(t.data instanceof Float32Array) && !(t.data instanceof Int8Array)) throw argError('writeSafetensors', `dict["${name}"].data`, 'a Float32Array (or an Int8Array)', t.data);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new SimdRnnError('SHAPE_MISMATCH', `writeSafetensors: dict["${name}"] has ${t.data.length} elements, expected ${count} for shape [${t.shape.join(',')}]`);
    }
    const size = t.data instanceof Int8Array ? 1 : 4;
    header[name] = { dtype: size === 1 ? 'I8' : 'F32', shape: t.shape, data_offsets: [offset, offset + size * count] };
    offset += size * count;
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
    if (d instanceof Int8Array) { out.set(new Uint8Array(d.buffer, d.byteOffset, d.length), at); at += d.length; continue; }
    for (let i = 0; i < d.length; i++, at += 4) dv.setFloat32(at, d[i]!, true);
  }
  return out;
}
