// int8 products for a quantized layer (quantize(): recurrent and Linear): PyTorch's
// dynamic scheme with a finer grain. Every weight matrix is quantized once,
// one scale a row (output), into int8 panels (i8_quantize_rows +
// i8_pack_panels); every product quantizes its input rows on the fly, one
// scale a row of the batch, multiplies in int32 and dequantizes with the
// bias fused (i8_gemm). Biases, cells, norms stay f32.
//
// The panels are the only copy of the matrices: this is the store the
// layer's parameters keep them in (params.ts), which reads them back as f32
// (int8 · scale, PyTorch's way back) for stateDict and quantizes what is
// loaded. An int8 model file holds the int8 values and scales themselves
// (int8()/setInt8(): exact both ways).
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
import type { ParamStore, Params } from './params.js';

interface Weights { Wp: number; sw: number; N: number; K: number }
interface Product { a: Weights; b: Weights | null; split: number }

/** A weight matrix's int8 values [N, K] (row-major, PyTorch's layout) and its row scales [N]. */
export interface Int8Matrix {
  q: Int8Array;
  scale: Float32Array;
}

const k8 = (K: number): number => (K + 7) & ~7;

/** The int8 weights of one layer (the store of its matrices) and the product that reads them. */
export class Int8Products implements ParamStore {
  private readonly products = new Map<number, Product>();
  private readonly named = new Map<string, number>();
  private q = 0;
  private qBytes = 0;
  private sa = 0;
  private saRows = 0;

  constructor(private readonly be: Backend, private readonly owner: HeapOwner) {}

  /**
   * A store that takes the matrices of `params` that `matrix` picks: each is
   * quantized into it, then moves out of the f32 region (params.externalize),
   * so the store holds its only copy; the gradients go too (inference only).
   */
  static take(be: Backend, owner: HeapOwner, params: Params, matrix: (name: string) => boolean): Int8Products {
    const store = new Int8Products(be, owner), names: string[] = [];
    for (const s of params.specs) {
      if (!matrix(s.name)) continue;
      store.quantize(s.name, params.p(s.name), s.shape[0]!, s.shape[1]!);
      names.push(s.name);
    }
    params.externalize(names, store);
    return store;
  }

  /** The handle of matrix `name` [N, K] (its panels allocated, not yet written, the first time). */
  handle(name: string, N: number, K: number): number {
    const h = this.named.get(name);
    if (h !== undefined) return h;
    const { heap } = this.be;
    const a = { Wp: heap.alloc(Math.ceil(packedSizeI8(N, K) / 4), this.owner), sw: heap.alloc(N, this.owner), N, K };
    const handle = heap.alloc(1, this.owner); // its address is the handle
    this.products.set(handle, { a, b: null, split: 0 });
    this.named.set(name, handle);
    return handle;
  }

  private weightsOf(name: string): Weights {
    const h = this.named.get(name);
    if (h === undefined) throw new SimdRnnError('INVALID_ARGUMENT', `int8: no matrix "${name}"`);
    return this.products.get(h)!.a;
  }

  /** Quantizes W [N, K] (f32 on the heap, PyTorch's layout) into matrix `name`; returns its handle. */
  quantize(name: string, W: number, N: number, K: number): number {
    const { heap, k } = this.be, handle = this.handle(name, N, K), a = this.products.get(handle)!.a;
    const rows = heap.alloc(Math.ceil((N * k8(K)) / 4), this.owner);
    k.i8_quantize_rows(N, K, W, K, rows, k8(K), a.sw);
    k.i8_pack_panels(N, K, rows, k8(K), a.Wp);
    heap.free(rows, this.owner);
    return handle;
  }

  /** ParamStore: matrix `name` as f32 (int8 · its row's scale). */
  read(name: string): Float32Array {
    const { q, scale } = this.int8(name), K = q.length / scale.length, out = new Float32Array(q.length);
    for (let n = 0; n < scale.length; n++) {
      const s = scale[n]!;
      for (let j = n * K; j < (n + 1) * K; j++) out[j] = Math.fround(q[j]! * s);
    }
    return out;
  }

  /** ParamStore: quantizes new f32 values (checked by the caller) into matrix `name`. */
  write(name: string, data: ArrayLike<number>): void {
    const { heap } = this.be, { N, K } = this.weightsOf(name), W = heap.alloc(N * K, this.owner);
    try {
      heap.write(W, data);
      this.quantize(name, W, N, K);
    } finally {
      heap.free(W, this.owner);
    }
  }

  /** Matrix `name`'s int8 values and row scales, read out of its panels. */
  int8(name: string): Int8Matrix {
    const { Wp, sw, N, K } = this.weightsOf(name), i8 = this.be.heap.i8, K8 = k8(K), q = new Int8Array(N * K);
    // Panels of 16 columns; for each pair of k, the 16 columns' two bytes (assembly/int8.ts).
    for (let n = 0; n < N; n++) {
      const base = Wp + (n >> 4) * K8 * 16 + (n & 15) * 2;
      for (let kk = 0; kk < K; kk++) q[n * K + kk] = i8[base + (kk >> 1) * 32 + (kk & 1)]!;
    }
    return { q, scale: this.be.heap.read(sw, N) };
  }

  /** Every matrix's int8 values and row scales, by name. */
  matrices(): Record<string, Int8Matrix> {
    const out: Record<string, Int8Matrix> = {};
    for (const name of this.named.keys()) out[name] = this.int8(name);
    return out;
  }

  /** Sets matrix `name` to int8 values and row scales as they are (an int8 file: no rounding again). */
  setInt8(name: string, m: Int8Matrix): void {
    const { heap, k } = this.be, { Wp, sw, N, K } = this.weightsOf(name), ld = k8(K);
    if (m.q.length !== N * K || m.scale.length !== N) throw new SimdRnnError('INVALID_ARGUMENT', `int8: "${name}" takes [${N}, ${K}] values and ${N} scales, got ${m.q.length} and ${m.scale.length}`);
    const rows = heap.alloc(Math.ceil((N * ld) / 4), this.owner);
    try {
      const i8 = heap.i8;
      i8.fill(0, rows, rows + N * ld);
      for (let n = 0; n < N; n++) i8.set(m.q.subarray(n * K, (n + 1) * K), rows + n * ld);
      k.i8_pack_panels(N, K, rows, ld, Wp);
      heap.write(sw, m.scale);
    } finally {
      heap.free(rows, this.owner);
    }
  }

  /** Bytes the matrices take (panels and scales). */
  get bytes(): number {
    let b = 0;
    for (const h of this.named.values()) { const { N, K } = this.products.get(h)!.a; b += packedSizeI8(N, K) + 4 * N; }
    return b;
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
}
