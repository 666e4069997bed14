// The pure-JS backend: every kernel of assembly/ with the same name and
// argument order, written as fast plain JS (Float32Array, register-blocked
// loops), one file per assembly/ file. It is the fallback where wasm is
// missing and the yardstick the wasm backend's speed is reported against, so
// it must stay honest.
import type { Backend, Kernels } from '../backend.js';
import { Heap, arrayBufferMemory } from '../heap.js';
import { gemmKernels } from './gemm.js';
import { vectorKernels } from './vector.js';
import { activationsKernels } from './activations.js';
import { cellsKernels } from './cells.js';
import { layerNormKernels } from './layer_norm.js';
import { lnCellsKernels } from './ln_cells.js';
import { attentionKernels } from './attention.js';
import { optimKernels } from './optim.js';
import { lossesKernels } from './losses.js';
import { int8Kernels } from './int8.js';

export function jsKernels(heap: Heap): Kernels {
  return { ...gemmKernels(heap), ...vectorKernels(heap), ...activationsKernels(heap), ...cellsKernels(heap), ...layerNormKernels(heap), ...lnCellsKernels(heap), ...attentionKernels(heap), ...optimKernels(heap), ...lossesKernels(heap), ...int8Kernels(heap) };
}

/** A JS backend with its own heap. */
export function createJsBackend(maxBytes?: number): Backend {
  const heap = new Heap(arrayBufferMemory(1 << 20), 0, maxBytes);
  return { name: 'js', heap, k: jsKernels(heap) };
}
