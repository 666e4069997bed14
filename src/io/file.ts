// Files on Node: written atomically (temporary file, fsync, rename, fsync of
// the directory), so a crash mid-write leaves the previous file intact. A
// failure (missing directory, disk full …) removes the temporary file and is
// a SimdRnnError 'IO_ERROR' naming the file and the reason.
import { SimdRnnError } from '../errors.js';

async function nodeFs(where: string): Promise<typeof import('node:fs/promises')> {
  try {
    return await import('node:fs/promises');
  } catch {
    throw new SimdRnnError('INVALID_ARGUMENT', `${where}: file paths need Node's fs; elsewhere, save the bytes yourself`);
  }
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file', EACCES: 'permission denied', EPERM: 'permission denied', EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory', ENOSPC: 'no space left on device', EROFS: 'read-only file system', EDQUOT: 'disk quota exceeded', EMFILE: 'too many open files', EIO: 'input/output error',
};

/** "no space left on device (ENOSPC)" for a Node file-system error; its message otherwise. */
export function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  return typeof code === 'string' ? `${REASONS[code] ?? (e as Error).message} (${code})` : String((e as Error)?.message ?? e);
}

function ioError(verb: string, path: string, e: unknown): SimdRnnError {
  return new SimdRnnError('IO_ERROR', `cannot ${verb} ${path}: ${fsReason(e)}`, { cause: e });
}

/** Writes a file atomically (Node): a temporary file, fsync, rename, fsync of the directory; a crash leaves the old file or the new one, never half of one. */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const fs = await nodeFs('writeFileAtomic');
  const { dirname } = await import('node:path');
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  let fh: import('node:fs/promises').FileHandle;
  try {
    fh = await fs.open(tmp, 'w');
  } catch (e) {
    throw ioError('write', path, e);
  }
  try {
    await fh.writeFile(bytes);
    await fh.sync();
    await fh.close();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw ioError('write', path, e);
  }
  try {
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw ioError('write', path, e);
  }
  try {
    const dir = await fs.open(dirname(path), 'r');
    try { await dir.sync(); } finally { await dir.close(); }
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  }
}

/** Reads a file (Node), with a clear IO_ERROR naming the path and the reason. */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  const fs = await nodeFs('readFile');
  try {
    const b = await fs.readFile(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw ioError('read', path, e);
  }
}
