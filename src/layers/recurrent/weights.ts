// A recurrent layer's weights packed for the GEMMs: per layer and direction,
// W_ihᵀ and W_hhᵀ for the forward products, W_ih and W_hh for dX and dh in
// backward, b_ih + b_hh, and (on first use by a streaming step) [W_ih | W_hh]ᵀ.
// Weights stay in PyTorch's layout in the parameter region; the packed
// copies are rebuilt only when the parameters' version changes.
import type { Backend } from '../../backend/backend.js';
import { packedSize } from '../../backend/kernel_args.js';
import type { HeapOwner } from '../../backend/heap.js';
import type { Params } from '../params.js';
import type { DirWeights } from './cell.js';
import type { Int8Products } from '../int8.js';

export class DirPack implements DirWeights {
  hasBias: boolean;
  wih: number; // packed W_ihᵀ (K = I, N = G)
  whh: number; // packed W_hhᵀ (K = H, N = G)
  wihB: number; // packed W_ih (K = G, N = I), for dX
  whhB: number; // packed W_hh (K = G, N = H), for dh
  bsum: number; // b_ih + b_hh
  bih = 0; // b_ih and b_hh in the parameter region (0 without bias), looked up once per
  bhh = 0; //   parameter version, not per step (a name lookup builds strings)
  cat = 0; // packed [W_ih | W_hh]ᵀ, 0 until a streaming step needs it
  ext = 0; // the cell's own parameters and their gradient (0 without)
  gext = 0;
  gbih = 0; // bias gradients (0 without bias)
  gbhh = 0;

  constructor(private readonly owner: PackedWeights, readonly l: number, readonly d: number, alloc: (n: number) => number, I: number, H: number, G: number, hasBias: boolean) {
    this.hasBias = hasBias;
    // int8 (inference only): the products' handles come with get(); no backward packs.
    const f32 = this.owner.int8 === null;
    this.wih = f32 ? alloc(packedSize(I, G)) : 0;
    this.whh = f32 ? alloc(packedSize(H, G)) : 0;
    this.wihB = f32 ? alloc(packedSize(G, I)) : 0;
    this.whhB = f32 ? alloc(packedSize(G, H)) : 0;
    this.bsum = alloc(G);
  }

  wcat(): number {
    if (!this.cat) this.owner.packCat(this);
    return this.cat;
  }
}

/** One direction's forward weights with the gate columns laid out lane by lane (lanes.ts), for a batch-1 sequence on every thread. */
interface LanePack extends DirWeights {
  /** The parameters' version and the cuts the pack was built for. */
  version: number;
  cuts: string;
}

export class PackedWeights {
  private packs: DirPack[][] = [];
  private version = -1;
  private lanePacks = new Map<string, LanePack>();
  /** The int8 store of a quantized layer (quantize()): its matrices live there only; null: f32 panels. */
  int8: Int8Products | null = null;

  constructor(private readonly be: Backend, private readonly params: Params, private readonly owner: HeapOwner,
              private readonly I: number, private readonly H: number, private readonly G: number,
              private readonly L: number, private readonly D: number, private readonly bias: boolean,
              /** Name (before the suffix) of the cell's first own parameter; its others follow it contiguously. */
              private readonly firstExtra: string | null = null) {}

  private suffix(l: number, d: number): string {
    return `l${l}${d ? '_reverse' : ''}`;
  }

  private layerInput(l: number): number {
    return l === 0 ? this.I : this.D * this.H;
  }

  /** The packed weights of every layer and direction, up to date with the parameters. */
  get(): DirPack[][] {
    if (this.version === this.params.version) return this.packs;
    const { k, heap } = this.be, H = this.H, G = this.G;
    if (this.packs.length === 0) {
      const alloc = (n: number): number => heap.alloc(n, this.owner);
      for (let l = 0; l < this.L; l++) {
        const row: DirPack[] = [];
        for (let d = 0; d < this.D; d++) row.push(new DirPack(this, l, d, alloc, this.layerInput(l), H, G, this.bias));
        this.packs.push(row);
      }
    }
    for (let l = 0; l < this.L; l++) {
      const I = this.layerInput(l);
      for (let d = 0; d < this.D; d++) {
        const s = this.suffix(l, d), pk = this.packs[l]![d]!;
        if (this.int8) {
          // The store holds the matrices (quantized when they were written): only their handles here.
          pk.wih = this.int8.handle(`weight_ih_${s}`, G, I);
          pk.whh = this.int8.handle(`weight_hh_${s}`, G, H);
        } else {
          const wih = this.params.p(`weight_ih_${s}`), whh = this.params.p(`weight_hh_${s}`);
          k.f32_pack_b(1, I, G, wih, I, pk.wih);
          k.f32_pack_b(1, H, G, whh, H, pk.whh);
          k.f32_pack_b(0, G, I, wih, I, pk.wihB);
          k.f32_pack_b(0, G, H, whh, H, pk.whhB);
        }
        const grads = this.params.hasGrad; // none in a quantized layer
        pk.bih = this.bias ? this.params.p(`bias_ih_${s}`) : 0;
        pk.bhh = this.bias ? this.params.p(`bias_hh_${s}`) : 0;
        pk.gbih = this.bias && grads ? this.params.g(`bias_ih_${s}`) : 0;
        pk.gbhh = this.bias && grads ? this.params.g(`bias_hh_${s}`) : 0;
        pk.ext = this.firstExtra ? this.params.p(`${this.firstExtra}_${s}`) : 0;
        pk.gext = this.firstExtra && grads ? this.params.g(`${this.firstExtra}_${s}`) : 0;
        if (this.bias) k.f32_add(G, pk.bih, pk.bhh, pk.bsum);
        else k.f32_fill(G, 0, pk.bsum);
        if (pk.cat) this.packCat(pk);
      }
    }
    this.version = this.params.version;
    return this.packs;
  }

  /** [W_ih | W_hh] packed as one [I + H, G] operand for the streaming step. */
  packCat(pk: DirPack): void {
    const { k, heap } = this.be, H = this.H, G = this.G, I = this.layerInput(pk.l), s = this.suffix(pk.l, pk.d);
    if (this.int8) { pk.cat = this.int8.cat(pk.cat, pk.wih, pk.whh, I); return; }
    if (!pk.cat) pk.cat = heap.alloc(packedSize(I + H, G), this.owner);
    const tmp = heap.alloc(G * (I + H), this.owner);
    k.f32_copy2d(G, I, this.params.p(`weight_ih_${s}`), I, tmp, I + H);
    k.f32_copy2d(G, H, this.params.p(`weight_hh_${s}`), H, tmp + 4 * I, I + H);
    k.f32_pack_b(1, I + H, G, tmp, I + H, pk.cat);
    heap.free(tmp, this.owner);
  }

  /**
   * Layer l's direction d's forward weights in the lanes' layout for units
   * cut at `cuts` (0 … H): lane q's columns are gate 0 of its units, then
   * gate 1 …, after lane q − 1's (W_ih's and W_hh's rows and the biases
   * permuted so). Built on first use, rebuilt when the parameters or the
   * cuts change (in the same blocks).
   */
  lanes(l: number, d: number, cuts: readonly number[]): DirWeights {
    const pk = this.get()[l]![d]!, key = `${l} ${d}`, cut = cuts.join(' '), { k, heap } = this.be, H = this.H, G = this.G, I = this.layerInput(l);
    let lp = this.lanePacks.get(key);
    if (lp?.version === this.params.version && lp.cuts === cut) return lp;
    // (Other cuts, another thread count: the same blocks, permuted again.)
    if (!lp) {
      const alloc = (n: number): number => heap.alloc(n, this.owner);
      lp = { version: -1, cuts: '', hasBias: pk.hasBias, wih: alloc(packedSize(I, G)), whh: alloc(packedSize(H, G)), bih: pk.bih ? alloc(G) : 0, bhh: pk.bhh ? alloc(G) : 0, bsum: alloc(G),
        wcat: () => { throw new Error('lanes: no streaming step'); }, ext: 0, gext: 0, gbih: 0, gbhh: 0 };
      this.lanePacks.set(key, lp);
    }
    const gates = G / H, s = this.suffix(l, d), tmp = heap.alloc(G * Math.max(I, H), this.owner);
    // Row r of W (column r of Wᵀ) of gate γ, unit u goes to lane q's block: gates·u0 + γ·(u1 − u0) + (u − u0).
    const permute = (K: number, src: number, dst: number): void => {
      for (let q = 0; q + 1 < cuts.length; q++) {
        const u0 = cuts[q]!, n = cuts[q + 1]! - u0;
        for (let g = 0; g < gates; g++) k.f32_copy(n * K, src + 4 * (g * H + u0) * K, dst + 4 * (gates * u0 + g * n) * K);
      }
    };
    permute(I, this.params.p(`weight_ih_${s}`), tmp);
    k.f32_pack_b(1, I, G, tmp, I, lp.wih);
    permute(H, this.params.p(`weight_hh_${s}`), tmp);
    k.f32_pack_b(1, H, G, tmp, H, lp.whh);
    heap.free(tmp, this.owner);
    if (lp.bih) permute(1, pk.bih, lp.bih);
    if (lp.bhh) permute(1, pk.bhh, lp.bhh);
    permute(1, pk.bsum, lp.bsum);
    lp.version = this.params.version;
    lp.cuts = cut;
    return lp;
  }

  /**
   * Forgets the packs; their blocks go with the layer's owner, or now when
   * the owner lives on (a layer turned int8 after it ran: its f32 packs are
   * of no more use). The int8 store, which holds a quantized layer's
   * matrices, stays.
   */
  clear(): void {
    // (An int8 layer's packs hold the store's handles: those stay with the store.)
    if (this.owner.live && !this.int8) {
      for (const row of this.packs) for (const pk of row) for (const p of [pk.wih, pk.whh, pk.wihB, pk.whhB, pk.bsum, pk.cat]) if (p) this.be.heap.free(p, this.owner);
    }
    // (The lanes' packs are f32 blocks of the layer's own, whatever it is now.)
    if (this.owner.live) for (const lp of this.lanePacks.values()) for (const p of [lp.wih, lp.whh, lp.bih, lp.bhh, lp.bsum]) if (p) this.be.heap.free(p, this.owner);
    this.packs = [];
    this.lanePacks.clear();
    this.version = -1;
  }
}
