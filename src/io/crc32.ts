// CRC-32 (IEEE), to detect corrupted model and checkpoint files.
let table: Uint32Array | null = null;

export function crc32(bytes: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[i] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The CRC of a safetensors file's data section (everything after the header). */
export function dataCrc(file: Uint8Array): number {
  const n = new DataView(file.buffer, file.byteOffset, file.byteLength).getUint32(0, true);
  return crc32(file.subarray(8 + n));
}
