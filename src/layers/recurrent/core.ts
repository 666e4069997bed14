// What the runners (sequence.ts, stream.ts) and the workspaces need of their layer.
import type { Backend } from '../../backend/backend.js';
import type { HeapOwner } from '../../backend/heap.js';
import type { Random } from '../../util/rng.js';
import type { Params } from '../params.js';
import type { Cell } from './cell.js';
import type { PackedWeights } from './weights.js';

/** A recurrent layer's sizes, options, cell, memory and weights. */
export interface LayerCore {
  readonly be: Backend;
  readonly cell: Cell;
  readonly I: number;
  readonly H: number;
  readonly L: number;
  readonly D: number;
  readonly bias: boolean;
  readonly dropout: number;
  readonly recurrentDropout: number;
  /** y_l += y_{l−1} for l ≥ 1. */
  readonly residual: boolean;
  readonly random: Random;
  readonly params: Params;
  readonly owner: HeapOwner;
  readonly weights: PackedWeights;
}
