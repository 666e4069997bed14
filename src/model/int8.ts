// What a quantized model (quantize(), an int8 file) changes in its memory:
// its recurrent and Linear layers keep their weight matrices in int8 only,
// so the model's one parameter region shrinks to what stays f32 (biases,
// norms, embeddings, attention), and it has no gradient region (it runs
// inference only). Shared by Sequential and Seq2Seq.
import type { Backend } from '../backend/backend.js';
import type { HeapOwner } from '../backend/heap.js';
import type { Params } from '../layers/params.js';
import type { Int8Matrix } from '../layers/int8.js';

/** A layer that can run int8 products. */
export interface Int8Layer {
  readonly quantized: 'int8' | null;
  toInt8(): void;
  int8Matrices(): Record<string, Int8Matrix>;
  setInt8(name: string, m: Int8Matrix): void;
}

/**
 * Makes `layers` int8, then moves every module's parameters into one new
 * region of what they keep in f32 (in their order) and frees the model's
 * old parameter and gradient regions. Returns the new region's pointer.
 */
export function quantizeRegions(be: Backend, owner: HeapOwner, layers: readonly Int8Layer[], params: readonly Params[], pPtr: number, gPtr: number): number {
  for (const l of layers) l.toInt8();
  const ptr = be.heap.alloc(params.reduce((a, p) => a + p.size, 0), owner);
  let off = 0;
  for (const p of params) { p.rebind(ptr + 4 * off, 0); off += p.size; }
  be.heap.free(pPtr, owner);
  if (gPtr) be.heap.free(gPtr, owner);
  return ptr;
}

/** The int8 matrices of the quantized layers, named with their module's prefix. */
export function int8Matrices(named: readonly (readonly [string, Int8Layer])[]): Record<string, Int8Matrix> {
  const out: Record<string, Int8Matrix> = {};
  for (const [prefix, l] of named) if (l.quantized) for (const [k, m] of Object.entries(l.int8Matrices())) out[prefix + k] = m;
  return out;
}

/** Sets int8 matrices named like int8Matrices() (an int8 file's, exact); false if a name is not a quantized layer's matrix. */
export function setInt8(named: readonly (readonly [string, Int8Layer])[], tensors: Record<string, Int8Matrix>): boolean {
  for (const [name, m] of Object.entries(tensors)) {
    const hit = named.find(([prefix, l]) => l.quantized && name.startsWith(prefix));
    if (!hit) return false;
    hit[1].setInt8(name.slice(hit[0].length), m);
  }
  return true;
}
