// Files for the CLI: text read strictly as UTF-8 (a bad byte is refused with
// its offset, never decoded as U+FFFD), output paths checked before any work
// starts, and every file-system failure turned into one line for exit code 2.
import { readFile, stat, access, constants } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UsageError } from './args.js';
import { fsReason } from '../io/file.js';

/** Largest input file the CLI reads (its characters and their training arrays must fit in memory). */
export const MAX_INPUT_BYTES = 1 << 30;

/** "no such file (ENOENT)" for a Node file-system error. */
export const reason = fsReason;

/** The byte offset of the first byte that is not valid UTF-8, or −1. */
export function firstBadUtf8(b: Uint8Array): number {
  let i = 0;
  const n = b.length;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) { i++; continue; }
    let len: number, min: number;
    if (c >= 0xc2 && c <= 0xdf) { len = 2; min = 0x80; } else if (c >= 0xe0 && c <= 0xef) { len = 3; min = 0x800; } else if (c >= 0xf0 && c <= 0xf4) { len = 4; min = 0x10000; } else return i;
    if (i + len > n) return i;
    let cp = c & (len === 2 ? 0x1f : len === 3 ? 0x0f : 0x07);
    for (let k = 1; k < len; k++) {
      const d = b[i + k]!;
      if ((d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += len;
  }
  return -1;
}

/** Reads a UTF-8 text file (a leading BOM dropped); any failure is a one-line UsageError naming the file. */
export async function readTextFile(path: string, cmd: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    const s = await stat(path);
    if (s.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    if (s.size > MAX_INPUT_BYTES) throw new UsageError(`${cmd}: ${path} is ${s.size} bytes, over the limit of ${MAX_INPUT_BYTES} bytes`);
    bytes = await readFile(path);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${cmd}: cannot read ${path}: ${reason(e)}`);
  }
  const bad = firstBadUtf8(bytes);
  if (bad >= 0) {
    throw new UsageError(`${cmd}: ${path} is not UTF-8 text: byte ${bad} is 0x${bytes[bad]!.toString(16).padStart(2, '0')} (convert it, e.g. iconv -f latin1 -t utf-8)`);
  }
  const text = new TextDecoder('utf-8').decode(bytes);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Checks, before any work, that `path` can be written: its directory exists and is writable, and it is not a directory. */
export async function checkWritable(path: string, cmd: string, flag: string): Promise<void> {
  const dir = dirname(resolve(path));
  try {
    const s = await stat(dir);
    if (!s.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    await access(dir, constants.W_OK);
  } catch (e) {
    throw new UsageError(`${cmd}: ${flag} ${path}: cannot write into ${dir}: ${reason(e)}`);
  }
  try {
    if ((await stat(path)).isDirectory()) throw new UsageError(`${cmd}: ${flag} ${path} is a directory; give a file name`);
  } catch (e) {
    if (e instanceof UsageError) throw e; // a missing file is fine: it will be created
  }
}

/** Whether a file exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
