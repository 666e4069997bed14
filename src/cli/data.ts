// CSV time series for the CLI: RFC 4180 (quoted fields, "" inside quotes,
// CRLF or LF line ends, a byte-order mark), a header row of distinct names,
// numeric columns (a decimal number per cell: no hex, no Infinity), windows
// of `window` steps of the chosen columns predicting the target `horizon`
// steps after the window, z-scored with statistics stored in the model file.
import { UsageError, DECIMAL } from './args.js';
import type { Tensor } from '../tensor.js';

export interface Table {
  header: string[];
  rows: number[][];
}

/** A record of a CSV file: its fields and the line it starts on (1-based). */
export interface Record_ {
  fields: string[];
  line: number;
}

/** Splits CSV text into records per RFC 4180 (quotes may span lines). Blank lines are skipped. */
export function csvRecords(text: string, path: string): Record_[] {
  const out: Record_[] = [];
  let fields: string[] = [], field = '', quoted = false, afterQuote = false, line = 1, start = 1, i = 0;
  const n = text.length;
  const endRecord = (): void => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0]!.trim() === '' && !afterQuote)) out.push({ fields, line: start });
    fields = []; field = ''; afterQuote = false;
  };
  while (i < n) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
        quoted = false; afterQuote = true; i++; continue;
      }
      if (c === '\n') line++;
      field += c; i++;
      continue;
    }
    if (c === ',') { fields.push(field); field = ''; afterQuote = false; i++; continue; }
    if (c === '\r' || c === '\n') {
      endRecord();
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++; start = line;
      continue;
    }
    if (afterQuote) throw new UsageError(`${path}:${line}: a character after a closing quote (a quoted field must end at , or the line end)`);
    if (c === '"') {
      if (field !== '') throw new UsageError(`${path}:${line}: a quote inside an unquoted field (quote the whole field and double the quote: "a""b")`);
      quoted = true; i++;
      continue;
    }
    field += c; i++;
  }
  if (quoted) throw new UsageError(`${path}:${start}: a quoted field is never closed`);
  if (field !== '' || fields.length || afterQuote) endRecord();
  return out;
}

/** Parses the header and the chosen numeric columns. */
export function parseCsv(text: string, path: string, columns: string[]): Table {
  const recs = csvRecords(text, path);
  const header = (recs[0]?.fields ?? []).map((h) => h.trim());
  if (!header.length || header.every((h) => h === '')) throw new UsageError(`${path}:1: expected a header row with column names`);
  const seen = new Map<string, number>();
  header.forEach((h, i) => {
    if (h === '') throw new UsageError(`${path}:1: column ${i + 1} has no name`);
    if (seen.has(h)) throw new UsageError(`${path}:1: the column name "${h}" appears twice (columns ${seen.get(h)! + 1} and ${i + 1})`);
    seen.set(h, i);
  });
  const idx = columns.map((c) => {
    const i = header.indexOf(c);
    if (i < 0) throw new UsageError(`${path}:1: no column "${c}" (columns: ${header.join(', ')})`);
    return i;
  });
  const rows: number[][] = [];
  for (let r = 1; r < recs.length; r++) {
    const { fields: cells, line } = recs[r]!;
    if (cells.length !== header.length) throw new UsageError(`${path}:${line}: ${cells.length} fields, expected ${header.length}`);
    rows.push(idx.map((i, k) => {
      const s = cells[i]!.trim(), v = Number(s);
      if (!DECIMAL.test(s) || !Number.isFinite(v)) {
        throw new UsageError(`${path}:${line}: column "${columns[k]}" is ${JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s)}, expected a decimal number`);
      }
      return v;
    }));
  }
  if (rows.length === 0) throw new UsageError(`${path}: no data rows`);
  return { header: columns, rows };
}

/** The header's column names (for defaults), per RFC 4180. */
export function csvHeader(text: string, path: string): string[] {
  const nl = text.search(/\r|\n/);
  // Only the first record is needed; a quoted header may span lines, so fall back to the full parse.
  const head = csvRecords(nl < 0 || text.slice(0, nl).includes('"') ? text : text.slice(0, nl), path)[0];
  return (head?.fields ?? []).map((h) => h.trim());
}

export interface Scaler {
  mean: number[];
  std: number[];
}

export function fitScaler(rows: number[][]): Scaler {
  const F = rows[0]!.length, mean = new Array<number>(F).fill(0), std = new Array<number>(F).fill(0);
  for (const r of rows) r.forEach((v, j) => { mean[j]! += v / rows.length; });
  for (const r of rows) r.forEach((v, j) => { std[j]! += (v - mean[j]!) ** 2 / rows.length; });
  return { mean, std: std.map((s) => Math.sqrt(s) || 1) };
}

/** Windows [N, window, F] and targets [N, 1] (z-scored). */
export function windows(rows: number[][], s: Scaler, window: number, horizon: number, target: number): { x: Tensor; y: Tensor } {
  const F = rows[0]!.length, N = rows.length - window - horizon + 1;
  if (N < 1) throw new UsageError(`need more than window + horizon = ${window + horizon - 1} rows, got ${rows.length}`);
  const x = new Float32Array(N * window * F), y = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    for (let t = 0; t < window; t++) for (let f = 0; f < F; f++) x[(n * window + t) * F + f] = (rows[n + t]![f]! - s.mean[f]!) / s.std[f]!;
    y[n] = (rows[n + window + horizon - 1]![target]! - s.mean[target]!) / s.std[target]!;
  }
  return { x: { data: x, shape: [N, window, F] }, y: { data: y, shape: [N, 1] } };
}
