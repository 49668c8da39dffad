/**
 * A TensorFlow GraphDef under construction, in the JSON form tfjs-converter writes and
 * `tf.loadGraphModel` reads: nodes `{name, op, input, attr}`, where every constant is a `Const`
 * node whose value lives in the weights manifest under the node's name. Attribute values are
 * TensorFlow's AttrValue JSON (int64 as strings, strings base64, as protobuf's JSON mapping has
 * them): tfjs-converter's operation_mapper.js decodes exactly these.
 */

export type DType = 'float32' | 'int32';

export type AttrValue =
  | { type: 'DT_FLOAT' | 'DT_INT32' | 'DT_BOOL' }
  | { i: string }
  | { f: number }
  | { b: boolean }
  | { s: string }
  | { list: { i: string[] } }
  | { shape: { dim: { size: string }[] } }
  | { tensor: { dtype: 'DT_FLOAT' | 'DT_INT32'; tensorShape: { dim?: { size: string }[] } } };

export interface GraphNode {
  name: string;
  op: string;
  input: string[];
  attr: Record<string, AttrValue>;
}

export interface ConstTensor {
  name: string;
  shape: number[];
  dtype: DType;
  data: Float32Array | Int32Array;
}

const TF_DTYPE = { float32: 'DT_FLOAT', int32: 'DT_INT32' } as const;

export const attr = {
  float: (): AttrValue => ({ type: 'DT_FLOAT' }),
  int: (v: number): AttrValue => ({ i: String(v) }),
  num: (v: number): AttrValue => ({ f: v }),
  bool: (v: boolean): AttrValue => ({ b: v }),
  str: (v: string): AttrValue => ({ s: Buffer.from(v, 'utf8').toString('base64') }),
  ints: (v: readonly number[]): AttrValue => ({ list: { i: v.map(String) } }),
  shape: (v: readonly number[]): AttrValue => ({ shape: { dim: v.map((d) => ({ size: String(d) })) } }),
};

/** A value in the graph: the tensor's reference (`node` or `node:i`), its layout and its IR shape. */
export interface Value {
  ref: string;
  /** Held channels-last (NHWC) while the IR's axes are NCHW; only rank-4 values are. */
  cl: boolean;
  /** The IR (NCHW) shape at the compiled batch size. */
  shape: number[];
}

/** TensorFlow reads `name:1` as output 1 of `name`, so a ':' must not appear in a node's own name. */
const clean = (name: string): string => name.replace(/:/g, '_');

export class GraphBuilder {
  readonly nodes: GraphNode[] = [];
  readonly consts: ConstTensor[] = [];
  private readonly used = new Set<string>();
  private readonly shared = new Map<string, string>();
  /**
   * Whether the batch axis stays free (-1) in the inputs: the default, so that `predict` takes any
   * number of examples. An op whose form needs the batch size (a transposed convolution's output
   * shape) fixes it to the compiled one.
   */
  batchFixed = false;

  /** A node name not taken yet: `base`, else `base_1`, `base_2`, … */
  reserve(base: string): string {
    const want = clean(base);
    let name = want;
    for (let i = 1; this.used.has(name); i++) name = `${want}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Adds an operation node; returns its name (its first output). */
  op(scope: string, op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, name?: string): string {
    const n = this.reserve(name ?? `${scope}/${op}`);
    this.nodes.push({ name: n, op, input: inputs, attr: attrs });
    return n;
  }

  /** A constant whose values go to the weights manifest. */
  constant(scope: string, label: string, data: Float32Array | Int32Array, shape: readonly number[], dtype: DType = 'float32'): string {
    const name = this.reserve(`${scope}/${label}`);
    const tfType = TF_DTYPE[dtype];
    const dims = shape.map((d) => ({ size: String(d) }));
    this.nodes.push({ name, op: 'Const', input: [], attr: { value: { tensor: { dtype: tfType, tensorShape: shape.length ? { dim: dims } : {} } }, dtype: { type: tfType } } });
    this.consts.push({ name, shape: [...shape], dtype, data });
    return name;
  }

  /** A small int32 constant (a permutation, a shape, an axis), shared by every node that needs the same one. */
  ints(values: readonly number[], shape: readonly number[] = [values.length]): string {
    const key = `i${JSON.stringify(shape)}${values.join(',')}`;
    let name = this.shared.get(key);
    if (!name) {
      name = this.constant('const', shape.length === 0 ? `scalar_${values[0]}` : `ints_${values.join('_').replace(/-/g, 'm')}`, Int32Array.from(values), shape, 'int32');
      this.shared.set(key, name);
    }
    return name;
  }

  /** A float32 scalar constant, shared like ints(). */
  scalar(value: number): string {
    const key = `f${Object.is(value, -0) ? 0 : value}`;
    let name = this.shared.get(key);
    if (!name) {
      name = this.constant('const', `float_${String(value).replace(/[^0-9a-zA-Z.]/g, 'm')}`, Float32Array.of(value), []);
      this.shared.set(key, name);
    }
    return name;
  }
}
