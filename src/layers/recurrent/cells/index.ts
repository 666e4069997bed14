// Which cell a recurrent layer runs, from its kind and options: the one place
// that maps options (nonlinearity, ...) to a cell, for the layer classes and
// for the file loader (which needs a cell's parameters before building it).
import { argError } from '../../../errors.js';
import type { Cell } from '../cell.js';
import { lstmCell } from './lstm.js';
import { gruCell } from './gru.js';
import { rnnReluCell, rnnTanhCell } from './rnn.js';
import { lnLstmCell } from './ln_lstm.js';
import { lnGruCell } from './ln_gru.js';

/** The recurrent layer classes. */
export type RecurrentKind = 'LSTM' | 'GRU' | 'RNN';

/** The options that choose a cell. */
export interface CellChoice {
  /** RNN: h' = tanh(…) (default) or relu(…). */
  nonlinearity?: unknown;
  /** LSTM, GRU: the layer-normalized cell (default false). */
  layerNorm?: unknown;
}

/** The cell for a layer of `kind` with options `o`; bad options throw naming `where`. */
export function cellOf(kind: RecurrentKind, o: CellChoice, where: string = kind): Cell {
  const ln = o.layerNorm ?? false;
  if (typeof ln !== 'boolean') throw argError(where, 'layerNorm', 'true or false', ln);
  if (ln && kind === 'RNN') throw argError(where, 'layerNorm', 'false (layer-normalized cells exist for LSTM and GRU)', ln);
  if (ln) {
    if (o.nonlinearity !== undefined) throw argError(where, 'nonlinearity', `undefined (${kind} has fixed nonlinearities)`, o.nonlinearity);
    return kind === 'LSTM' ? lnLstmCell : lnGruCell;
  }
  if (kind === 'RNN') {
    const nl = o.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw argError(where, 'nonlinearity', "'tanh' or 'relu'", nl);
    return nl === 'relu' ? rnnReluCell : rnnTanhCell;
  }
  if (o.nonlinearity !== undefined) throw argError(where, 'nonlinearity', `undefined (${kind} has fixed nonlinearities)`, o.nonlinearity);
  return kind === 'LSTM' ? lstmCell : gruCell;
}

/** The cell-choosing options of a constructor's argument (anything that is not an object chooses the defaults; the layer then refuses it). */
export function choice(opts: unknown): CellChoice {
  return opts !== null && typeof opts === 'object' ? (opts as CellChoice) : {};
}
