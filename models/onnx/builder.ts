/**
 * A small typed builder for ONNX graphs (opset 17), on top of onnx-proto's generated types.
 * Values are typed handles; ops are methods; the graph is pruned to what the requested outputs need
 * (ORT runs every node in a graph whatever outputs you fetch, so each output set gets its own graph).
 * Initializers may be given lazily, so that a multi-gigabyte checkpoint can be streamed into ONNX
 * external data without holding every weight in memory at once.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';

export type ElemType = 'float32' | 'int64' | 'int32' | 'bool';
export type Dim = number | string;

const ELEM: Record<ElemType, onnx.TensorProto.DataType> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** A named, typed value in the graph. Create through GraphBuilder only. */
export interface Value {
  readonly name: string;
  readonly type: ElemType;
}

export type AttrValue = number | string | number[] | { float: number } | { floats: number[] } | { ints: number[] };

type TensorData = Float32Array | BigInt64Array | Int32Array | Uint8Array;

interface Initializer {
  name: string;
  type: ElemType;
  dims: number[];
  /** Materialises the data (called once, at serialisation). */
  load: () => Promise<TensorData> | TensorData;
  byteLength: number;
}

interface NodeRec {
  opType: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
  name: string;
}

interface IoRec {
  name: string;
  type: ElemType;
  shape: Dim[];
}

const BYTES: Record<ElemType, number> = { float32: 4, int64: 8, int32: 4, bool: 1 };

export interface BuiltModel {
  /** Serialised ModelProto when embedded; absent when written with external data. */
  bytes?: Uint8Array;
  /** Path of model.onnx when written to disk. */
  path?: string;
  inputs: string[];
  outputs: string[];
  /** Total bytes of the initializers kept after pruning. */
  weightBytes: number;
  nodeCount: number;
  /** With external data: size and sha256 of each file written (hashed as it was written, so a cache need not read it back). */
  files?: Record<string, { size: number; sha256: string }>;
}

export class GraphBuilder {
  private readonly nodes: NodeRec[] = [];
  private readonly inits = new Map<string, Initializer>();
  private readonly inputs: IoRec[] = [];
  private readonly outputs: IoRec[] = [];
  private readonly constCache = new Map<string, Value>();
  private counter = 0;
  private scope: string[] = [];

  constructor(readonly graphName: string) {}

  /** Prefix for generated value names (readable graphs help when debugging with Netron). */
  withScope<T>(name: string, fn: () => T): T {
    this.scope.push(name);
    try {
      return fn();
    } finally {
      this.scope.pop();
    }
  }

  private fresh(hint: string): string {
    const prefix = this.scope.length ? this.scope.join('/') + '/' : '';
    return `${prefix}${hint}_${this.counter++}`;
  }

  input(name: string, type: ElemType, shape: Dim[]): Value {
    if (this.inputs.some((i) => i.name === name)) throw new Error(`duplicate graph input ${name}`);
    this.inputs.push({ name, type, shape });
    return { name, type };
  }

  /** Declares a graph output; `value` is renamed through an Identity node when names differ. */
  output(value: Value, name: string, shape: Dim[]): void {
    let v = value;
    if (v.name !== name) {
      this.nodes.push({ opType: 'Identity', inputs: [v.name], outputs: [name], attrs: {}, name: this.fresh('Identity') });
      v = { name, type: value.type };
    }
    this.outputs.push({ name, type: v.type, shape });
  }

  initializer(name: string, type: ElemType, dims: number[], data: TensorData | (() => Promise<TensorData> | TensorData)): Value {
    if (this.inits.has(name)) throw new Error(`duplicate initializer ${name}`);
    const count = dims.reduce((a, d) => a * d, 1);
    const load = typeof data === 'function' ? data : () => data;
    if (typeof data !== 'function' && data.length !== count) throw new Error(`initializer ${name}: ${data.length} elements for dims [${dims}]`);
    this.inits.set(name, { name, type, dims, load, byteLength: count * BYTES[type] });
    return { name, type };
  }

  /** A small constant (deduplicated by content). */
  constInt64(values: number[], dims: number[] = [values.length]): Value {
    const key = `i64:${dims.join('x')}:${values.join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const v = this.initializer(this.fresh('const_i64'), 'int64', dims, BigInt64Array.from(values.map((x) => BigInt(x))));
    this.constCache.set(key, v);
    return v;
  }

  constFloat(values: number[], dims: number[] = [values.length]): Value {
    const key = `f32:${dims.join('x')}:${values.map((x) => Object.is(x, -0) ? '-0' : String(x)).join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const v = this.initializer(this.fresh('const_f32'), 'float32', dims, Float32Array.from(values));
    this.constCache.set(key, v);
    return v;
  }

  scalarFloat(x: number): Value {
    return this.constFloat([x], []);
  }

  scalarInt64(x: number): Value {
    return this.constInt64([x], []);
  }

  /** Adds a node; returns its outputs. The output element type defaults to the first input's. */
  node(opType: string, inputs: (Value | null)[], attrs: Record<string, AttrValue> = {}, outTypes?: ElemType[], outNames?: string[]): Value[] {
    const types = outTypes ?? [inputs.find((i) => i !== null)?.type ?? 'float32'];
    const outs = types.map((t, i) => ({ name: outNames?.[i] ?? this.fresh(opType), type: t }));
    this.nodes.push({ opType, inputs: inputs.map((i) => (i ? i.name : '')), outputs: outs.map((o) => o.name), attrs, name: this.fresh(`${opType}_node`) });
    return outs;
  }

  private op1(opType: string, inputs: (Value | null)[], attrs: Record<string, AttrValue> = {}, outType?: ElemType): Value {
    return this.node(opType, inputs, attrs, outType ? [outType] : undefined)[0];
  }

  // --- elementwise and math
  add(a: Value, b: Value): Value { return this.op1('Add', [a, b]); }
  sub(a: Value, b: Value): Value { return this.op1('Sub', [a, b]); }
  mul(a: Value, b: Value): Value { return this.op1('Mul', [a, b]); }
  div(a: Value, b: Value): Value { return this.op1('Div', [a, b]); }
  pow(a: Value, b: Value): Value { return this.op1('Pow', [a, b]); }
  sqrt(a: Value): Value { return this.op1('Sqrt', [a]); }
  reciprocal(a: Value): Value { return this.op1('Reciprocal', [a]); }
  relu(a: Value): Value { return this.op1('Relu', [a]); }
  tanh(a: Value): Value { return this.op1('Tanh', [a]); }
  abs(a: Value): Value { return this.op1('Abs', [a]); }
  neg(a: Value): Value { return this.op1('Neg', [a]); }
  min(a: Value, b: Value): Value { return this.op1('Min', [a, b]); }
  max(a: Value, b: Value): Value { return this.op1('Max', [a, b]); }
  matmul(a: Value, b: Value): Value { return this.op1('MatMul', [a, b]); }
  softmax(a: Value, axis = -1): Value { return this.op1('Softmax', [a], { axis }); }
  cast(a: Value, to: ElemType): Value { return this.op1('Cast', [a], { to: ELEM[to] }, to); }
  reduceMean(a: Value, axes: number[], keepdims = true): Value { return this.op1('ReduceMean', [a], { axes: { ints: axes }, keepdims: keepdims ? 1 : 0 }); }

  // --- shape
  shape(a: Value, start?: number, end?: number): Value {
    const attrs: Record<string, AttrValue> = {};
    if (start !== undefined) attrs.start = start;
    if (end !== undefined) attrs.end = end;
    return this.op1('Shape', [a], attrs, 'int64');
  }
  /** One dimension of a tensor as a 1-element int64 vector. */
  dim(a: Value, axis: number): Value { return this.shape(a, axis, axis + 1); }
  reshape(a: Value, shape: Value | number[]): Value {
    const s = Array.isArray(shape) ? this.constInt64(shape) : shape;
    return this.op1('Reshape', [a, s]);
  }
  transpose(a: Value, perm: number[]): Value { return this.op1('Transpose', [a], { perm: { ints: perm } }); }
  unsqueeze(a: Value, axes: number[]): Value { return this.op1('Unsqueeze', [a, this.constInt64(axes)]); }
  squeeze(a: Value, axes: number[]): Value { return this.op1('Squeeze', [a, this.constInt64(axes)]); }
  concat(xs: Value[], axis: number): Value { return this.op1('Concat', xs, { axis }); }
  gather(data: Value, indices: Value, axis = 0): Value { return this.op1('Gather', [data, indices], { axis }); }
  slice(a: Value, starts: Value | number[], ends: Value | number[], axes: number[]): Value {
    const s = Array.isArray(starts) ? this.constInt64(starts) : starts;
    const e = Array.isArray(ends) ? this.constInt64(ends) : ends;
    return this.op1('Slice', [a, s, e, this.constInt64(axes)]);
  }
  split(a: Value, sizes: number[], axis: number): Value[] {
    return this.node('Split', [a, this.constInt64(sizes)], { axis }, sizes.map(() => a.type));
  }
  /** Range(start, limit, delta) on int64 scalars. */
  range(start: Value, limit: Value, delta: Value): Value { return this.op1('Range', [start, limit, delta], {}, 'int64'); }

  /**
   * Serialises the graph, keeping only what `keep` (default: all declared outputs) needs.
   * With `externalData`, weights go to `<dir>/<weightsFile>` and the model to `<dir>/model.onnx`
   * (needed above protobuf's 2 GB limit); otherwise the model is returned as bytes.
   */
  async build(opts: { externalData?: { dir: string; weightsFile?: string }; producerVersion?: string } = {}): Promise<BuiltModel> {
    // Prune: walk back from outputs.
    const producer = new Map<string, NodeRec>();
    for (const n of this.nodes) for (const o of n.outputs) producer.set(o, n);
    const needed = new Set<string>();
    const liveNodes = new Set<NodeRec>();
    const stack = this.outputs.map((o) => o.name);
    while (stack.length) {
      const name = stack.pop()!;
      if (needed.has(name)) continue;
      needed.add(name);
      const n = producer.get(name);
      if (n && !liveNodes.has(n)) {
        liveNodes.add(n);
        for (const i of n.inputs) if (i) stack.push(i);
      }
    }
    const nodes = this.nodes.filter((n) => liveNodes.has(n));
    const inits = [...this.inits.values()].filter((i) => needed.has(i.name));
    for (const o of this.outputs) {
      if (!producer.has(o.name) && !this.inits.has(o.name) && !this.inputs.some((i) => i.name === o.name)) {
        throw new Error(`output ${o.name} is not produced by any node`);
      }
    }

    const valueInfo = (io: IoRec) =>
      onnx.ValueInfoProto.create({
        name: io.name,
        type: { tensorType: { elemType: ELEM[io.type], shape: { dim: io.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
      });

    const attrProto = (name: string, v: AttrValue): onnx.IAttributeProto => {
      const T = onnx.AttributeProto.AttributeType;
      if (typeof v === 'number') {
        if (!Number.isInteger(v)) throw new Error(`attribute ${name}: use { float } for non-integers`);
        return { name, type: T.INT, i: v };
      }
      if (typeof v === 'string') return { name, type: T.STRING, s: Buffer.from(v, 'utf8') };
      if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
      if ('float' in v) return { name, type: T.FLOAT, f: v.float };
      if ('floats' in v) return { name, type: T.FLOATS, floats: v.floats };
      return { name, type: T.INTS, ints: v.ints };
    };

    const nodeProtos = nodes.map((n) =>
      onnx.NodeProto.create({ name: n.name, opType: n.opType, input: n.inputs, output: n.outputs, attribute: Object.entries(n.attrs).map(([k, v]) => attrProto(k, v)) }),
    );

    const tensorProtos: onnx.ITensorProto[] = [];
    let weightBytes = 0;
    const ext = opts.externalData;
    let weightsHandle: fsp.FileHandle | undefined;
    const weightsFile = ext ? ext.weightsFile ?? 'model.onnx.data' : '';
    if (ext) {
      await fsp.mkdir(ext.dir, { recursive: true });
      weightsHandle = await fsp.open(path.join(ext.dir, weightsFile), 'w');
    }
    const weightsHash = createHash('sha256');
    let offset = 0;
    try {
      for (const init of inits) {
        weightBytes += init.byteLength;
        const data = await init.load();
        const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        // Small tensors stay inline even with external data (ORT requires nothing else, and it keeps shapes readable).
        if (weightsHandle && bytes.byteLength >= 1024) {
          const pad = (64 - (offset % 64)) % 64; // align for mmap-friendly loading
          if (pad) {
            await weightsHandle.write(new Uint8Array(pad), 0, pad, offset);
            weightsHash.update(new Uint8Array(pad));
            offset += pad;
          }
          await weightsHandle.write(bytes, 0, bytes.byteLength, offset);
          weightsHash.update(bytes);
          tensorProtos.push({
            name: init.name,
            dims: init.dims,
            dataType: ELEM[init.type],
            dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
            externalData: [
              { key: 'location', value: weightsFile },
              { key: 'offset', value: String(offset) },
              { key: 'length', value: String(bytes.byteLength) },
            ],
          });
          offset += bytes.byteLength;
        } else {
          tensorProtos.push({ name: init.name, dims: init.dims, dataType: ELEM[init.type], rawData: bytes });
        }
      }
    } finally {
      await weightsHandle?.close();
    }

    // Only inputs some live node reads are declared, so a pruned variant never asks for inputs it ignores.
    const usedInputs = this.inputs.filter((i) => needed.has(i.name));
    const graph = onnx.GraphProto.create({
      name: this.graphName,
      node: nodeProtos,
      initializer: tensorProtos,
      input: usedInputs.map(valueInfo),
      output: this.outputs.map(valueInfo),
    });
    const model = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      producerName: 'chronos-lens',
      producerVersion: opts.producerVersion ?? '',
      graph,
    });
    const bytes = onnx.ModelProto.encode(model).finish();
    const result: BuiltModel = {
      inputs: usedInputs.map((i) => i.name),
      outputs: this.outputs.map((o) => o.name),
      weightBytes,
      nodeCount: nodes.length,
    };
    if (ext) {
      const p = path.join(ext.dir, 'model.onnx');
      await fsp.writeFile(p, bytes);
      result.path = p;
      result.files = {
        'model.onnx': { size: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') },
        [weightsFile]: { size: offset, sha256: weightsHash.digest('hex') },
      };
    } else {
      result.bytes = bytes;
    }
    return result;
  }
}
