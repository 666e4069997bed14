// The debug check: every pointer a kernel is handed must lie, with all the
// elements the call will touch, inside one live heap block. On in tests
// (SIMD_RNN_DEBUG=1, or init({ debug: true })), off by default: it costs a
// binary search per pointer per call. A failure names the kernel, the
// argument and the range, so a stale pointer (a disposed layer's, a freed
// workspace) is caught at the call that would have corrupted memory.
import { SimdRnnError } from '../errors.js';
import type { Kernels } from './backend.js';
import { KERNEL_ARGS } from './kernel_args.js';
import type { Heap } from './heap.js';

/** Kernels that check every pointer range against the heap before running. */
export function checkedKernels(k: Kernels, heap: Heap): Kernels {
  const out = {} as Record<string, unknown>;
  for (const [name, spec] of Object.entries(KERNEL_ARGS) as [keyof Kernels, (typeof KERNEL_ARGS)[keyof Kernels]][]) {
    const extents = spec.pointers;
    const f = (k[name] as (...a: number[]) => number).bind(k);
    out[name] = (...args: number[]): number => {
      for (const [i, elems, optional] of extents) {
        const ptr = args[i]!, n = elems(args);
        if (n <= 0 || (optional && ptr === 0)) continue;
        if (!heap.contains(ptr, 4 * n)) {
          const who = heap.ownerAt(ptr);
          throw new SimdRnnError('INVALID_ARGUMENT',
            `${name}: argument ${i} [${ptr}, ${ptr + 4 * n}) is not inside one live heap block` +
            (who ? ` (it starts in a block of ${who.label}#${who.id})` : ' (no live block there: a stale or freed pointer)'));
        }
      }
      return f(...args);
    };
  }
  return out as unknown as Kernels;
}

/** Whether the debug check is asked for by the environment (SIMD_RNN_DEBUG=1). */
export function debugFromEnv(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.SIMD_RNN_DEBUG === '1';
}
