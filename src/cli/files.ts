// Files for the CLI: text read strictly as UTF-8 and in chunks (a bad byte is
// refused with its offset, never decoded as U+FFFD), output paths checked
// before any work starts, and every file-system failure turned into one line
// for exit code 2.
import { open, stat, access, constants, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UsageError } from './args.js';
import { fsReason } from '../io/file.js';

/** Largest input file the CLI reads whole (sequence-to-sequence pairs); CSV and text files are streamed. */
export const MAX_INPUT_BYTES = 1 << 30;

/** "no such file (ENOENT)" for a Node file-system error. */
export const reason = fsReason;

/**
 * Scans b as UTF-8: `bad` is the offset of the first byte that is not valid
 * UTF-8 (or −1), `complete` how many bytes end on a character boundary. Unless
 * `final`, a character cut off at the end is not bad (it goes on in the next
 * chunk) when the bytes it has so far can begin it.
 */
export function scanUtf8(b: Uint8Array, final: boolean): { bad: number; complete: number } {
  let i = 0;
  const n = b.length;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) { i++; continue; }
    let len: number, min: number;
    if (c >= 0xc2 && c <= 0xdf) { len = 2; min = 0x80; } else if (c >= 0xe0 && c <= 0xef) { len = 3; min = 0x800; } else if (c >= 0xf0 && c <= 0xf4) { len = 4; min = 0x10000; } else return { bad: i, complete: i };
    if (i + len > n) {
      for (let k = i + 1; k < n; k++) if ((b[k]! & 0xc0) !== 0x80) return { bad: i, complete: i };
      return final ? { bad: i, complete: i } : { bad: -1, complete: i };
    }
    let cp = c & (len === 2 ? 0x1f : len === 3 ? 0x0f : 0x07);
    for (let k = 1; k < len; k++) {
      const d = b[i + k]!;
      if ((d & 0xc0) !== 0x80) return { bad: i, complete: i };
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return { bad: i, complete: i };
    i += len;
  }
  return { bad: -1, complete: n };
}

/** The byte offset of the first byte that is not valid UTF-8, or −1. */
export function firstBadUtf8(b: Uint8Array): number {
  return scanUtf8(b, true).bad;
}

/** Bytes read at a time by readText. */
export const CHUNK_BYTES = 1 << 16;

/**
 * A UTF-8 text file as a stream of strings, read `chunkBytes` at a time (a
 * leading BOM dropped; each string ends on a character boundary). A byte
 * that is not UTF-8 is refused with its offset, never decoded as U+FFFD;
 * every failure is a one-line UsageError naming the file. The file is closed
 * when the stream ends or is left early.
 */
export async function* readText(path: string, cmd: string, chunkBytes = CHUNK_BYTES): AsyncGenerator<string, void, undefined> {
  let fh: FileHandle;
  try {
    if ((await stat(path)).isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    fh = await open(path, 'r');
  } catch (e) {
    throw new UsageError(`${cmd}: cannot read ${path}: ${reason(e)}`);
  }
  try {
    const buf = new Uint8Array(chunkBytes + 4), dec = new TextDecoder('utf-8', { ignoreBOM: true });
    let carry = 0, offset = 0, first = true;
    for (;;) {
      let n: number;
      try {
        n = (await fh.read(buf, carry, chunkBytes, null)).bytesRead;
      } catch (e) {
        throw new UsageError(`${cmd}: cannot read ${path}: ${reason(e)}`);
      }
      const len = carry + n, view = buf.subarray(0, len);
      const { bad, complete } = scanUtf8(view, n === 0);
      if (bad >= 0) {
        throw new UsageError(`${cmd}: ${path} is not UTF-8 text: byte ${offset + bad} is 0x${view[bad]!.toString(16).padStart(2, '0')} (convert it, e.g. iconv -f latin1 -t utf-8)`);
      }
      let text = dec.decode(view.subarray(0, complete));
      if (first && text.length) {
        first = false;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      if (text.length) yield text;
      if (n === 0) return;
      buf.copyWithin(0, complete, len);
      carry = len - complete;
      offset += complete;
    }
  } finally {
    await fh.close();
  }
}

/** Reads a whole UTF-8 text file (for inputs that must be in memory; readText streams); any failure is a one-line UsageError naming the file. */
export async function readTextFile(path: string, cmd: string): Promise<string> {
  try {
    const s = await stat(path);
    if (s.size > MAX_INPUT_BYTES) throw new UsageError(`${cmd}: ${path} is ${s.size} bytes, over the limit of ${MAX_INPUT_BYTES} bytes`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${cmd}: cannot read ${path}: ${reason(e)}`);
  }
  const parts: string[] = [];
  for await (const t of readText(path, cmd)) parts.push(t);
  return parts.join('');
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
