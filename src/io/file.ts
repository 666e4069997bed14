// Files on Node: written atomically (temporary file, fsync, rename, fsync of
// the directory), so a crash mid-write leaves the previous file intact.
import { SimdRnnError } from '../errors.js';

async function nodeFs(where: string): Promise<typeof import('node:fs/promises')> {
  try {
    return await import('node:fs/promises');
  } catch {
    throw new SimdRnnError('INVALID_ARGUMENT', `${where}: file paths need Node's fs; elsewhere, save the bytes yourself`);
  }
}

export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const fs = await nodeFs('writeFileAtomic');
  const { dirname } = await import('node:path');
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const fh = await fs.open(tmp, 'w');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  await fs.rename(tmp, path);
  try {
    const dir = await fs.open(dirname(path), 'r');
    try { await dir.sync(); } finally { await dir.close(); }
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  }
}

export async function readFileBytes(path: string): Promise<Uint8Array> {
  const fs = await nodeFs('readFile');
  const b = await fs.readFile(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
