// A recurrent layer's workspaces: the forward buffers (inputs, outputs,
// gates, states, what the cell saves) for (T, B) and the backward space, laid
// out by one description (Carve) whether they sit in a block of the layer's
// own or in its model's one activation arena.
import { Carve } from '../../backend/carve.js';
import type { LayerCore } from './core.js';

export interface Workspace {
  T: number;
  B: number;
  x0: number; // [T, B, I]
  mask: number; // [T, B]
  y: number[]; // per layer [T, B, D·H]
  drop: number[]; // per layer < L−1: dropout multipliers [T, B, D·H]
  dropped: number[]; // per layer < L−1: y ⊙ drop
  g: number[][]; // [l][d] gates [T, B, G]
  gh: number[][]; // [l][d] recurrent products [T, B, G] (cells with separateRecurrent)
  sh: number[][]; // [l][d] hidden states [T+1, B, H]
  sc: number[][]; // [l][d] cell states [T+1, B, H] (cells with a cell state)
  rdm: number[][]; // [l][d] recurrent dropout masks [B, H] (0 if none)
  hm: number[][]; // [l][d] masked h_{t−1} per step [T, B, H] (0 if none)
  sv: number[][]; // [l][d] what the cell saves per step [T, B, savedPerRow] (0 if nothing)
}

export interface BackSpace {
  T: number;
  B: number;
  dg: number; // [T, B, G]
  dgh: number; // [T, B, G] (cells with separateRecurrent)
  dy: number[]; // per layer [T, B, D·H]
  dx0: number; // [T, B, I]
  dh: number; // [B, H]
  dc: number; // [B, H]
  tmp: number; // [B, H]
}

/**
 * Which buffers a workspace needs. A layer on its own needs all; inside a
 * model, only the first layer holds the staged input (the others read the
 * previous layer's output) and the model's mask is read in place, and a
 * model that only predicts carves no backward space.
 */
export interface ArenaNeeds {
  /** Slots for x and the mask (the layer's own input). */
  input: boolean;
  /** The backward space. */
  backward: boolean;
  /** dX of the first stacked layer (someone below takes it). */
  dx: boolean;
  /** The top layer's dy (the gradient enters through outputs, not only the final state). */
  topDy: boolean;
}

const ALL: ArenaNeeds = { input: true, backward: true, dx: true, topDy: true };


export class Workspaces {
  ws: Workspace | null = null;
  bs: BackSpace | null = null;
  /** The layer's own blocks (0 while it works in a model's arena). */
  private ownWs = 0;
  private ownBs = 0;
  /** The arena the workspaces sit in (null: the layer's own blocks) and what it was carved for. */
  private arena: object | null = null;
  private needs: ArenaNeeds = ALL;

  constructor(private readonly c: LayerCore) {}

  // The forward workspace for (T, B), laid out from c.
  private layoutWs(c: Carve, T: number, B: number, n: ArenaNeeds): Workspace {
    const { cell } = this.c, H = this.c.H, G = cell.gates * H, DH = this.c.D * H, L = this.c.L, SV = cell.savedPerRow?.(H) ?? 0;
    const rd = this.c.recurrentDropout > 0;
    const ws: Workspace = { T, B, x0: c.maybe(T * B * this.c.I, n.input), mask: c.maybe(T * B, n.input), y: [], drop: [], dropped: [], g: [], gh: [], sh: [], sc: [], rdm: [], hm: [], sv: [] };
    for (let l = 0; l < L; l++) {
      ws.y.push(c.take(T * B * DH));
      if (l < L - 1 && this.c.dropout > 0) { ws.drop.push(c.take(T * B * DH)); ws.dropped.push(c.take(T * B * DH)); }
      const g: number[] = [], gh: number[] = [], sh: number[] = [], sc: number[] = [], rdm: number[] = [], hm: number[] = [], sv: number[] = [];
      for (let d = 0; d < this.c.D; d++) {
        g.push(c.take(T * B * G));
        gh.push(c.maybe(T * B * G, cell.separateRecurrent));
        sh.push(c.take((T + 1) * B * H));
        sc.push(c.maybe((T + 1) * B * H, cell.hasCell));
        rdm.push(c.maybe(B * H, rd));
        hm.push(c.maybe(T * B * H, rd));
        sv.push(c.maybe(T * B * SV, SV > 0));
      }
      ws.g.push(g); ws.gh.push(gh); ws.sh.push(sh); ws.sc.push(sc); ws.rdm.push(rdm); ws.hm.push(hm); ws.sv.push(sv);
    }
    return ws;
  }

  // The backward space for (T, B), laid out from c.
  private layoutBs(c: Carve, T: number, B: number, n: ArenaNeeds): BackSpace {
    const { cell } = this.c, H = this.c.H, G = cell.gates * H, DH = this.c.D * H, L = this.c.L;
    const bs: BackSpace = { T, B, dg: c.take(T * B * G), dgh: c.maybe(T * B * G, cell.separateRecurrent), dy: [], dx0: 0, dh: 0, dc: 0, tmp: 0 };
    for (let l = 0; l < L; l++) bs.dy.push(c.maybe(T * B * DH, l < L - 1 || n.topDy));
    bs.dx0 = c.maybe(T * B * this.c.I, n.dx);
    bs.dh = c.take(B * H); bs.dc = c.take(B * H); bs.tmp = c.take(B * H);
    return bs;
  }

  /** Floats of the workspaces for (T, B) with `needs`, as bind() lays them out in a model's arena. */
  arenaSize(T: number, B: number, needs: ArenaNeeds): number {
    const c = new Carve();
    this.layoutWs(c, T, B, needs);
    if (needs.backward) this.layoutBs(c, T, B, needs);
    return c.floats;
  }

  /** Places the workspaces for (T, B) in a model's arena (from c), freeing the layer's own blocks. */
  bind(arena: object, c: Carve, T: number, B: number, needs: ArenaNeeds): void {
    this.releaseOwn();
    this.ws = this.layoutWs(c, T, B, needs);
    this.bs = needs.backward ? this.layoutBs(c, T, B, needs) : null;
    this.arena = arena;
    this.needs = needs;
  }

  /** Whether the workspaces sit in this arena (a layer used on its own meanwhile moves to its own blocks). */
  boundTo(arena: object): boolean {
    return this.arena === arena;
  }

  private releaseOwn(): void {
    const { be, owner } = this.c;
    if (this.ownWs) be.heap.free(this.ownWs, owner);
    if (this.ownBs) be.heap.free(this.ownBs, owner);
    this.ownWs = this.ownBs = 0;
  }

  /** A forward workspace for (T, B) with input slots; true when it had to be made anew (the last forward's buffers are gone). */
  ensure(T: number, B: number): boolean {
    const ws = this.ws;
    // In a model's arena, a call that fits uses it as it is; the input slots must exist for a call from outside the model.
    if (ws && ws.T >= T && ws.B === B && (this.arena === null || this.needs.input)) return false;
    const cap = ws && ws.B === B ? Math.max(T, ws.T) : T;
    this.releaseOwn();
    this.arena = null;
    this.needs = ALL;
    this.bs = null;
    const ptr = this.c.be.heap.alloc(this.sizeOf('ws', cap, B), this.c.owner);
    this.ownWs = ptr;
    this.ws = this.layoutWs(new Carve(ptr), cap, B, ALL);
    return true;
  }

  private sizeOf(what: 'ws' | 'bs', T: number, B: number): number {
    const c = new Carve();
    if (what === 'ws') this.layoutWs(c, T, B, ALL);
    else this.layoutBs(c, T, B, ALL);
    return c.floats;
  }

  /** The backward space for the last forward's (T, B); `full`: every buffer (a call from outside the model). */
  ensureBack(T: number, B: number, full: boolean): BackSpace {
    const bs = this.bs, n = this.needs;
    // The model's engine asks only for what it carved; a call from outside needs every buffer.
    if (bs && bs.T >= T && bs.B === B && (!full || (n.dx && n.topDy))) return bs;
    // Backward from outside the model (or of an arena carved for inference): a block of the layer's own.
    if (this.ownBs) this.c.be.heap.free(this.ownBs, this.c.owner);
    const cap = this.ws!.T;
    const ptr = this.c.be.heap.alloc(this.sizeOf('bs', cap, B), this.c.owner);
    this.ownBs = ptr;
    this.bs = this.layoutBs(new Carve(ptr), cap, B, ALL);
    return this.bs;
  }

  /** Forgets the workspaces (their blocks go with the layer's owner, or the model's arena with the model). */
  clear(): void {
    this.ws = this.bs = null;
    this.ownWs = this.ownBs = 0;
    this.arena = null;
  }
}
