// CSV time series for the CLI: a header row, numeric columns, windows of
// `window` steps of the chosen columns predicting the target `horizon` steps
// after the window, z-scored with statistics stored in the model file.
import { readFile } from 'node:fs/promises';
import { UsageError } from './args.js';
import type { Tensor } from '../tensor.js';

export interface Table {
  header: string[];
  rows: number[][];
}

export async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${what}: cannot read ${path} (${code === 'ENOENT' ? 'no such file' : code ?? (e as Error).message})`);
  }
}

export function parseCsv(text: string, path: string, columns: string[]): Table {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  if (!header.length || header.every((h) => h === '')) throw new UsageError(`${path}:1: expected a header row with column names`);
  const idx = columns.map((c) => {
    const i = header.indexOf(c);
    if (i < 0) throw new UsageError(`${path}:1: no column "${c}" (columns: ${header.join(', ')})`);
    return i;
  });
  const rows: number[][] = [];
  for (let li = 1; li < lines.length; li++) {
    const line = lines[li]!;
    if (line.trim() === '') continue;
    const cells = line.split(',');
    if (cells.length !== header.length) throw new UsageError(`${path}:${li + 1}: ${cells.length} fields, expected ${header.length}`);
    rows.push(idx.map((i, k) => {
      const v = Number(cells[i]!.trim());
      if (cells[i]!.trim() === '' || !Number.isFinite(v)) throw new UsageError(`${path}:${li + 1}: column "${columns[k]}" is "${cells[i]!.trim()}", expected a number`);
      return v;
    }));
  }
  if (rows.length === 0) throw new UsageError(`${path}: no data rows`);
  return { header: columns, rows };
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
