// An ONNX graph written by hand: the few protobuf messages a model needs
// (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto,
// AttributeProto), so that no dependency is needed. Names of intermediate
// values are made up as nodes are added.

/** A protobuf message being written: fields in the order they are added. */
class Pb {
  private parts: number[] = [];
  private varint(v: number): void {
    let n = BigInt(v);
    if (n < 0n) n += 1n << 64n;
    do {
      let b = Number(n & 0x7fn);
      n >>= 7n;
      if (n) b |= 0x80;
      this.parts.push(b);
    } while (n);
  }
  int(field: number, v: number): this { this.varint((field << 3) | 0); this.varint(v); return this; }
  bytes(field: number, b: Uint8Array): this {
    this.varint((field << 3) | 2);
    this.varint(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }
  str(field: number, s: string): this { return this.bytes(field, new TextEncoder().encode(s)); }
  msg(field: number, m: Pb): this { return this.bytes(field, m.done()); }
  done(): Uint8Array { return Uint8Array.from(this.parts); }
}

/** ONNX element types (TensorProto.DataType). */
export const FLOAT = 1, INT32 = 6, INT64 = 7;

/** An attribute's value: an int, a string, a list of ints or a list of strings. */
export type Attr = number | string | number[] | string[];

/** A dimension: a fixed size or a name (dynamic). */
export type Dim = number | string;

export class Graph {
  private readonly nodes: Pb[] = [];
  private readonly inits: Pb[] = [];
  private readonly inputs: Pb[] = [];
  private readonly outputs: Pb[] = [];
  private n = 0;

  /** Adds a node; returns its outputs' names (made up unless given). */
  op(type: string, inputs: string[], attrs: [string, Attr][] = [], outputs: number | string[] = 1): string[] {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => `${type}_${this.n++}`) : outputs;
    const m = new Pb();
    for (const i of inputs) m.str(1, i);
    for (const o of outs) m.str(2, o);
    m.str(4, type);
    for (const [k, v] of attrs) {
      const a = new Pb().str(1, k);
      if (typeof v === 'number') a.int(3, v).int(20, 2);
      else if (typeof v === 'string') a.str(4, v).int(20, 3);
      else if (v.every((x) => typeof x === 'number')) { for (const x of v as number[]) a.int(8, x); a.int(20, 7); }
      else { for (const x of v as string[]) a.str(9, x); a.int(20, 8); }
      m.msg(5, a);
    }
    this.nodes.push(m);
    return outs;
  }

  /** A one-output node. */
  op1(type: string, inputs: string[], attrs: [string, Attr][] = []): string {
    return this.op(type, inputs, attrs)[0]!;
  }

  /** A float32 initializer. */
  f32(prefix: string, dims: number[], data: Float32Array): string {
    const raw = new Uint8Array(data.length * 4), dv = new DataView(raw.buffer);
    data.forEach((v, i) => dv.setFloat32(4 * i, v, true));
    return this.init(prefix, FLOAT, dims, raw);
  }

  /** An int64 initializer (dims [] for a scalar). */
  i64(prefix: string, dims: number[], values: number[]): string {
    const raw = new Uint8Array(values.length * 8), dv = new DataView(raw.buffer);
    values.forEach((v, i) => dv.setBigInt64(8 * i, BigInt(v), true));
    return this.init(prefix, INT64, dims, raw);
  }

  private init(prefix: string, type: number, dims: number[], raw: Uint8Array): string {
    const name = `${prefix}_${this.n++}`, t = new Pb();
    for (const d of dims) t.int(1, d);
    t.int(2, type).str(8, name).bytes(9, raw);
    this.inits.push(t);
    return name;
  }

  input(name: string, type: number, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: number, dims: Dim[]): void {
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** The model's bytes (ONNX IR 7, the default opset `opset`). */
  model(name: string, opset: number): Uint8Array {
    const g = new Pb();
    for (const n of this.nodes) g.msg(1, n);
    g.str(2, name);
    for (const t of this.inits) g.msg(5, t);
    for (const i of this.inputs) g.msg(11, i);
    for (const o of this.outputs) g.msg(12, o);
    return new Pb().int(1, 7).str(2, 'simd-rnn').msg(7, g).msg(8, new Pb().str(1, '').int(2, opset)).done();
  }
}

function valueInfo(name: string, type: number, dims: Dim[]): Pb {
  const shape = new Pb();
  for (const d of dims) shape.msg(1, typeof d === 'number' ? new Pb().int(1, d) : new Pb().str(2, d));
  const tensorType = new Pb().int(1, type).msg(2, shape);
  return new Pb().str(1, name).msg(2, new Pb().msg(1, tensorType));
}
