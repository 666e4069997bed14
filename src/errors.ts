/** Machine-readable reason of a {@link SimdRnnError}. */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'SHAPE_MISMATCH'
  | 'OUT_OF_MEMORY'
  | 'BACKEND_UNAVAILABLE'
  | 'NOT_INITIALIZED'
  | 'BAD_FILE'
  | 'NON_FINITE'
  /** The object was disposed (or its model was); make a new one. */
  | 'DISPOSED'
  /** The model is training (a fit() is running on it). */
  | 'BUSY'
  /** A file could not be read or written (the message names it and why: ENOENT, ENOSPC …). */
  | 'IO_ERROR'
  /** A worker thread failed or died (the library goes on, on one thread if the pool is gone). */
  | 'THREAD_FAILED';

/**
 * Every error this library throws on purpose. The message names the
 * argument, what was expected and what was given.
 *
 * @example
 * try { await init({ backend: 'gpu' as never }); }
 * catch (e) { if (e instanceof SimdRnnError) console.log(e.code); }
 */
export class SimdRnnError extends Error {
  /** What kind of error: INVALID_ARGUMENT, SHAPE_MISMATCH, DISPOSED, BUSY, BAD_FILE, NON_FINITE, OUT_OF_MEMORY, … */
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SimdRnnError';
    this.code = code;
  }
}

/** `where: name is <actual>, expected <expected>`. */
export function argError(where: string, name: string, expected: string, actual: unknown): SimdRnnError {
  return new SimdRnnError('INVALID_ARGUMENT', `${where}: ${name} is ${describe(actual)}, expected ${expected}`);
}

export function describe(v: unknown, depth = 0): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (Array.isArray(v)) {
    if (depth >= 3) return `an array of ${v.length} items`;
    return v.length <= 8 ? `[${v.map((x) => describe(x, depth + 1)).join(',')}]` : `an array of ${v.length} items`;
  }
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (v === null || v === undefined || typeof v !== 'object') return String(v);
  if (Array.isArray((v as { shape?: unknown }).shape)) return `a tensor of shape [${(v as { shape: unknown[] }).shape.join(',')}]`;
  const ctor = (v as object).constructor;
  if (!ctor || ctor === Object || !ctor.name) return 'an object';
  return `${/^[AEIOU]/.test(ctor.name) ? 'an' : 'a'} ${ctor.name}`;
}
