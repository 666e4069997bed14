// CSV time series for the CLI: RFC 4180 (quoted fields, "" inside quotes,
// CRLF or LF line ends, a byte-order mark), a header row of distinct names,
// numeric columns (a decimal number per cell: no hex, no Infinity), read as a
// stream of rows, and the z-scoring statistics stored in the model file.
import { UsageError, DECIMAL } from './args.js';

export interface Table {
  header: string[];
  rows: number[][];
}

/** A record of a CSV file: its fields and the line it starts on (1-based). */
export interface Record_ {
  fields: string[];
  line: number;
}

/** What ends a run of an unquoted field. */
const DELIMITER = /[,"\r\n]/g;

/**
 * An RFC 4180 parser fed text in pieces (a record, a quoted field or a CRLF
 * may straddle two pieces): quotes may span lines; blank lines are skipped.
 */
export class CsvParser {
  private fields: string[] = [];
  private field = '';
  private quoted = false;
  private afterQuote = false;
  private skipLF = false;
  private pendingQuote = false;
  private line = 1;
  private start = 1;

  constructor(private readonly path: string) {}

  private endRecord(out: Record_[]): void {
    this.fields.push(this.field);
    if (!(this.fields.length === 1 && this.fields[0]!.trim() === '' && !this.afterQuote)) out.push({ fields: this.fields, line: this.start });
    this.fields = []; this.field = ''; this.afterQuote = false;
  }

  /**
   * Parses the next piece of text, appending the records it completes to out.
   * Fields are cut from the text in runs (never a character at a time, which
   * would build a string object per character).
   */
  push(text: string, out: Record_[]): void {
    const n = text.length;
    let i = 0;
    while (i < n) {
      if (this.skipLF) {
        this.skipLF = false;
        if (text[i] === '\n') { i++; continue; }
      }
      if (this.pendingQuote) {
        // A quote ended the last piece: it closed the field unless this piece starts with its twin.
        this.pendingQuote = false;
        if (text[i] === '"') { this.field += '"'; this.quoted = true; this.afterQuote = false; i++; continue; }
      }
      if (this.quoted) {
        const q = text.indexOf('"', i), stop = q < 0 ? n : q;
        for (let k = text.indexOf('\n', i); k >= 0 && k < stop; k = text.indexOf('\n', k + 1)) this.line++;
        this.field += text.slice(i, stop);
        if (q < 0) break;
        if (q + 1 === n) { this.quoted = false; this.afterQuote = true; this.pendingQuote = true; break; }
        if (text[q + 1] === '"') { this.field += '"'; i = q + 2; continue; }
        this.quoted = false; this.afterQuote = true; i = q + 1;
        continue;
      }
      const c = text[i]!;
      if (c === ',') { this.fields.push(this.field); this.field = ''; this.afterQuote = false; i++; continue; }
      if (c === '\r' || c === '\n') {
        this.endRecord(out);
        this.skipLF = c === '\r';
        i++;
        this.line++; this.start = this.line;
        continue;
      }
      if (this.afterQuote) throw new UsageError(`${this.path}:${this.line}: a character after a closing quote (a quoted field must end at , or the line end)`);
      if (c === '"') {
        if (this.field !== '') throw new UsageError(`${this.path}:${this.line}: a quote inside an unquoted field (quote the whole field and double the quote: "a""b")`);
        this.quoted = true; i++;
        continue;
      }
      DELIMITER.lastIndex = i;
      const j = DELIMITER.exec(text)?.index ?? n;
      this.field += text.slice(i, j);
      i = j;
    }
  }

  /** The end of the text: the last record, if it has no line end. */
  end(out: Record_[]): void {
    this.pendingQuote = false;
    if (this.quoted) throw new UsageError(`${this.path}:${this.start}: a quoted field is never closed`);
    if (this.field !== '' || this.fields.length || this.afterQuote) this.endRecord(out);
  }
}

/** Splits CSV text into records per RFC 4180 (quotes may span lines). Blank lines are skipped. */
export function csvRecords(text: string, path: string): Record_[] {
  const out: Record_[] = [], p = new CsvParser(path);
  p.push(text, out);
  p.end(out);
  return out;
}

/** A header row checked: names present and distinct. */
function checkHeader(rec: Record_ | undefined, path: string): string[] {
  const header = (rec?.fields ?? []).map((h) => h.trim());
  if (!header.length || header.every((h) => h === '')) throw new UsageError(`${path}:1: expected a header row with column names`);
  const seen = new Map<string, number>();
  header.forEach((h, i) => {
    if (h === '') throw new UsageError(`${path}:1: column ${i + 1} has no name`);
    if (seen.has(h)) throw new UsageError(`${path}:1: the column name "${h}" appears twice (columns ${seen.get(h)! + 1} and ${i + 1})`);
    seen.set(h, i);
  });
  return header;
}

/** Where each chosen column is in the header. */
function columnIndexes(header: string[], columns: string[], path: string): number[] {
  return columns.map((c) => {
    const i = header.indexOf(c);
    if (i < 0) throw new UsageError(`${path}:1: no column "${c}" (columns: ${header.join(', ')})`);
    return i;
  });
}

/** The chosen cells of a data record as numbers, each a decimal number. */
function numericRow(rec: Record_, width: number, idx: number[], columns: string[], path: string): number[] {
  const { fields: cells, line } = rec;
  if (cells.length !== width) throw new UsageError(`${path}:${line}: ${cells.length} fields, expected ${width}`);
  return idx.map((i, k) => {
    const s = cells[i]!.trim(), v = Number(s);
    if (!DECIMAL.test(s) || !Number.isFinite(v)) {
      throw new UsageError(`${path}:${line}: column "${columns[k]}" is ${JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s)}, expected a decimal number`);
    }
    return v;
  });
}

/** Parses the header and the chosen numeric columns of CSV text in memory. */
export function parseCsv(text: string, path: string, columns: string[]): Table {
  const recs = csvRecords(text, path);
  const header = checkHeader(recs[0], path), idx = columnIndexes(header, columns, path);
  const rows: number[][] = [];
  for (let r = 1; r < recs.length; r++) rows.push(numericRow(recs[r]!, header.length, idx, columns, path));
  if (rows.length === 0) throw new UsageError(`${path}: no data rows`);
  return { header: columns, rows };
}

/** The records of a stream of CSV text, as they complete. */
async function* records(text: AsyncIterable<string>, path: string): AsyncGenerator<Record_, void, undefined> {
  const p = new CsvParser(path), out: Record_[] = [];
  for await (const piece of text) {
    p.push(piece, out);
    yield* out;
    out.length = 0;
  }
  p.end(out);
  yield* out;
}

/** The header's column names (for defaults), read from the start of a stream of CSV text. */
export async function csvHeader(text: AsyncIterable<string>, path: string): Promise<string[]> {
  for await (const rec of records(text, path)) return checkHeader(rec, path);
  return checkHeader(undefined, path);
}

/**
 * The chosen numeric columns of each data row of a stream of CSV text, row
 * by row (the header checked first; a file without data rows refused at its end).
 */
export async function* csvRows(text: AsyncIterable<string>, path: string, columns: string[]): AsyncGenerator<number[], void, undefined> {
  let header: string[] | null = null, idx: number[] = [], rows = 0;
  for await (const rec of records(text, path)) {
    if (!header) {
      header = checkHeader(rec, path);
      idx = columnIndexes(header, columns, path);
      continue;
    }
    rows++;
    yield numericRow(rec, header.length, idx, columns, path);
  }
  if (!header) checkHeader(undefined, path);
  if (rows === 0) throw new UsageError(`${path}: no data rows`);
}

export interface Scaler {
  mean: number[];
  std: number[];
}

/** Column means and (population) standard deviations, one row at a time (Welford's update, in float64). */
export class Moments {
  count = 0;
  private readonly mean: Float64Array;
  private readonly m2: Float64Array;

  constructor(width: number) {
    this.mean = new Float64Array(width);
    this.m2 = new Float64Array(width);
  }

  add(row: number[]): void {
    this.count++;
    for (let j = 0; j < row.length; j++) {
      const d = row[j]! - this.mean[j]!;
      this.mean[j]! += d / this.count;
      this.m2[j]! += d * (row[j]! - this.mean[j]!);
    }
  }

  /** z-scoring of each column (a constant column gets std 1). */
  scaler(): Scaler {
    return { mean: Array.from(this.mean), std: Array.from(this.m2, (m) => Math.sqrt(m / this.count) || 1) };
  }
}
