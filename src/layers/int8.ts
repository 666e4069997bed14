// int8 products for a quantized layer (quantize(): recurrent and Linear): PyTorch's
// dynamic scheme with a finer grain. Every weight matrix is quantized once,
// one scale a row (output), into int8 panels (i8_quantize_rows +
// i8_pack_panels); every product quantizes its input rows on the fly, one
// scale a row of the batch, multiplies in int32 and dequantizes with the
// bias fused (i8_gemm). Biases, cells, norms stay f32.
//
// The runners and cells do not change: the layer's packs hold handles
// instead of f32 panels, and the layer's kernels are the backend's with
// f32_gemm_packed_bias routed to the int8 product when its B is a handle.
// The streaming step's [W_ih | W_hh] operand becomes two products (x and h
// quantized with their own scales), so a step gives what the sequence does.
import { SimdRnnError } from '../errors.js';
import type { Backend, Kernels } from '../backend/backend.js';
import type { HeapOwner } from '../backend/heap.js';
import { packedSizeI8 } from '../backend/kernel_args.js';

interface Weights { Wp: number; sw: number; N: number; K: number }
interface Product { a: Weights; b: Weights | null; split: number }

const k8 = (K: number): number => (K + 7) & ~7;

/** The int8 weights of one layer and the product that reads them. */
export class Int8Products {
  private readonly products = new Map<number, Product>();
  private q = 0;
  private qBytes = 0;
  private sa = 0;
  private saRows = 0;

  constructor(private readonly be: Backend, private readonly owner: HeapOwner) {}

  /** Quantizes W [N, K] (f32, PyTorch's layout) into the handle's int8 weights (a new handle when 0); returns the handle. */
  weights(handle: number, W: number, N: number, K: number): number {
    const { heap, k } = this.be;
    let p = handle ? this.products.get(handle) : undefined;
    if (!p) {
      const a = { Wp: heap.alloc(Math.ceil(packedSizeI8(N, K) / 4), this.owner), sw: heap.alloc(N, this.owner), N, K };
      handle = heap.alloc(1, this.owner); // its address is the handle
      p = { a, b: null, split: 0 };
      this.products.set(handle, p);
    }
    const rows = heap.alloc(Math.ceil((N * k8(K)) / 4), this.owner);
    k.i8_quantize_rows(N, K, W, K, rows, k8(K), p.a.sw);
    k.i8_pack_panels(N, K, rows, k8(K), p.a.Wp);
    heap.free(rows, this.owner);
    return handle;
  }

  /** A handle for [W_ih | W_hh] (K = I + H): the two products of wih and whh, split after I. */
  cat(handle: number, wih: number, whh: number, I: number): number {
    const p: Product = { a: this.products.get(wih)!.a, b: this.products.get(whh)!.a, split: I };
    if (!handle) handle = this.be.heap.alloc(1, this.owner);
    this.products.set(handle, p);
    return handle;
  }

  /** The backend's kernels with f32_gemm_packed_bias reading int8 handles. */
  kernels(base: Kernels): Kernels {
    const packed = base.f32_gemm_packed_bias;
    return {
      ...base,
      f32_gemm_packed_bias: (transA, M, N, K, alpha, A, lda, Bp, beta, C, ldc, bias) => {
        const p = this.products.get(Bp);
        if (!p) return packed(transA, M, N, K, alpha, A, lda, Bp, beta, C, ldc, bias);
        if (transA !== 0 || alpha !== 1 || (beta !== 0 && beta !== 1)) {
          throw new SimdRnnError('INVALID_ARGUMENT', `int8: a product with transA ${transA}, alpha ${alpha}, beta ${beta} (only A·Wᵀ, + C or not, runs in int8)`);
        }
        this.product(M, p.a, A, lda, beta, C, ldc, bias);
        if (p.b) this.product(M, p.b, A + 4 * p.split, lda, 1, C, ldc, 0);
      },
    };
  }

  private product(M: number, w: Weights, A: number, lda: number, accumulate: number, C: number, ldc: number, bias: number): void {
    const { heap, k } = this.be, ldq = k8(w.K);
    if (M * ldq > this.qBytes) {
      if (this.q) heap.free(this.q, this.owner);
      this.qBytes = M * ldq;
      this.q = heap.alloc(Math.ceil(this.qBytes / 4), this.owner);
    }
    if (M > this.saRows) {
      if (this.sa) heap.free(this.sa, this.owner);
      this.saRows = M;
      this.sa = heap.alloc(M, this.owner);
    }
    k.i8_quantize_rows(M, w.K, A, lda, this.q, ldq, this.sa);
    k.i8_gemm(M, w.N, w.K, this.q, ldq, this.sa, w.Wp, w.sw, accumulate, C, ldc, bias);
  }

  /** Forgets everything (the blocks go with the layer's owner). */
  clear(): void {
    this.products.clear();
    this.q = this.qBytes = this.sa = this.saRows = 0;
  }
}
