// CRC-32 (IEEE), to detect corrupted model and checkpoint files.
//
// Format version 2 files carry the CRC of the WHOLE file (length prefix,
// header with all metadata, data) in the metadata key `crc32`, as 8 hex
// digits; the CRC is computed with those 8 digits written as "00000000", so
// it can sit inside the bytes it covers. Version 1 files carried the CRC of
// the data section only, in decimal: still read, never written.
let table: Uint32Array | null = null;

/** CRC-32 of bytes; pass a previous result as `crc` to continue over more bytes. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[i] = c >>> 0;
    }
  }
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The CRC of a safetensors file's data section (everything after the header): format version 1. */
export function dataCrc(file: Uint8Array): number {
  const n = new DataView(file.buffer, file.byteOffset, file.byteLength).getUint32(0, true);
  return crc32(file.subarray(8 + n));
}

/** What the `crc32` metadata value is while the CRC is computed. */
export const CRC_PLACEHOLDER = '00000000';

const enc = new TextEncoder();

/**
 * Where the 8 digits of `"crc32":"<digits>"` sit in the file, or -1 unless
 * they occur exactly once in the header (a string value cannot hold the
 * pattern: its quotes would be escaped).
 */
function digitsAt(file: Uint8Array, digits: string): number {
  const n = new DataView(file.buffer, file.byteOffset, file.byteLength).getUint32(0, true);
  const pat = enc.encode(`"crc32":"${digits}"`);
  const end = Math.min(file.length, 8 + n) - pat.length;
  let at = -1;
  for (let i = 8; i <= end; i++) {
    let j = 0;
    while (j < pat.length && file[i + j] === pat[j]) j++;
    if (j === pat.length) {
      if (at >= 0) return -1;
      at = i + 9;
    }
  }
  return at;
}

/** CRC of the whole file with the stored digits read as the placeholder; null if they cannot be found once. */
export function fileCrc(file: Uint8Array, digits: string): number | null {
  const at = digitsAt(file, digits);
  if (at < 0) return null;
  let c = crc32(file.subarray(0, at));
  c = crc32(enc.encode(CRC_PLACEHOLDER), c);
  return crc32(file.subarray(at + 8), c);
}

/** Writes the whole-file CRC over the placeholder of a file written with `crc32: CRC_PLACEHOLDER`. */
export function stampCrc(file: Uint8Array): Uint8Array {
  const at = digitsAt(file, CRC_PLACEHOLDER);
  if (at < 0) throw new Error('stampCrc: the file has no single crc32 placeholder');
  const hex = crc32(file).toString(16).padStart(8, '0');
  file.set(enc.encode(hex), at);
  return file;
}

/** Checks a file's CRC by its format version: '1' (data only, decimal, optional) or later (whole file, hex, required). */
export function crcOk(file: Uint8Array, version: string, stored: string | undefined): boolean {
  if (version === '1') return stored === undefined || String(dataCrc(file)) === stored;
  if (stored === undefined || !/^[0-9a-f]{8}$/.test(stored)) return false;
  const c = fileCrc(file, stored);
  return c !== null && c === parseInt(stored, 16);
}
