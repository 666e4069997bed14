// The recurrent layer: one class for every cell (cells/), a sequence runner
// and a streaming runner shared by all of them.
export { Recurrent } from './layer.js';
export type { RecurrentOptions, ForwardOptions, ForwardResult, BackwardOptions, BackwardResult, CellType, StreamState, RecurrentConfig } from './layer.js';
export { recurrentParamSpecs } from './cell.js';
export type { Cell } from './cell.js';
export { validSteps } from './masks.js';
export type { ArenaNeeds } from './sequence.js';
