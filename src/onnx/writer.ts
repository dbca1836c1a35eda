/**
 * A small ONNX exporter: turns a plain graph description into ModelProto bytes. Used to ship our
 * own models (MNIST MLP, tiny test models) without a Python toolchain.
 */
import { onnx } from 'onnx-proto';
import { ZkmlError } from '../errors';

/** Element types the writer can store: float32, the integer types of quantized models, and bool (a Loop's condition). */
export type WriterElemType = 'float32' | 'int8' | 'uint8' | 'int32' | 'int64' | 'bool';

const DATA_TYPES: Record<WriterElemType, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9 };

export interface ValueSpec {
  name: string;
  /** int64 for index outputs such as ArgMax's. */
  elemType: WriterElemType;
  /** A string entry is a symbolic dimension (dim_param), e.g. 'batch'. */
  shape: (number | string)[];
}

export interface InitializerSpec {
  name: string;
  dims: number[];
  /** Values; stored as `elemType` (default float32; integer types must hold integers in range). */
  data: ArrayLike<number>;
  elemType?: WriterElemType;
}

/** Forces an attribute type when the value alone is ambiguous (e.g. a float attribute equal to 2). */
export interface TypedAttribute {
  type: 'int' | 'float' | 'ints' | 'floats' | 'string' | 'strings';
  value: number | number[] | string | string[];
}

/** A GRAPH attribute: a Scan or Loop body, which may read outer-scope values by name. */
export interface GraphAttribute {
  type: 'graph';
  value: SubgraphSpec;
}

export type AttributeValue = number | number[] | string | TypedAttribute | GraphAttribute;

export interface NodeSpec {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, AttributeValue>;
  /** The op's domain: '' (default), or 'ai.onnx.ml' (tree ensembles; imported at opset 3). */
  domain?: '' | 'ai.onnx.ml';
}

export interface GraphSpec {
  name: string;
  /** Default opset 13. */
  opset?: number;
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  initializers?: InitializerSpec[];
  nodes: NodeSpec[];
}

/** A subgraph: like a graph without an opset (it has its outer graph's). */
export type SubgraphSpec = Omit<GraphSpec, 'opset'>;

export const IR_VERSION = 8;
export const PRODUCER_NAME = 'zkml';

/**
 * Attributes that ONNX defines as FLOAT even when the value is a whole number (Gemm alpha=1,
 * LeakyRelu alpha, BatchNorm epsilon, ...); every other whole number is written as INT.
 */
const FLOAT_ATTRIBUTE_NAMES = new Set(['alpha', 'beta', 'gamma', 'epsilon', 'momentum', 'ratio', 'lambd', 'bias', 'min', 'max']);

export function writeOnnx(graph: GraphSpec): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: PRODUCER_NAME,
    opsetImport: [
      onnx.OperatorSetIdProto.create({ domain: '', version: graph.opset ?? 13 }),
      ...(graph.nodes.some((n) => n.domain === 'ai.onnx.ml') ? [onnx.OperatorSetIdProto.create({ domain: 'ai.onnx.ml', version: 3 })] : []),
    ],
    graph: graphProto(graph),
  });
  return onnx.ModelProto.encode(model).finish();
}

function graphProto(graph: SubgraphSpec): onnx.GraphProto {
  return onnx.GraphProto.create({
    name: graph.name,
    input: graph.inputs.map(valueInfo),
    output: graph.outputs.map(valueInfo),
    initializer: (graph.initializers ?? []).map(tensor),
    node: graph.nodes.map(node),
  });
}

function valueInfo(v: ValueSpec): onnx.ValueInfoProto {
  if (!(v.elemType in DATA_TYPES)) throw new ZkmlError('INTERNAL', `writer does not support element type ${v.elemType as string}`);
  const dim = v.shape.map((d) => onnx.TensorShapeProto.Dimension.create(typeof d === 'string' ? { dimParam: d } : { dimValue: d }));
  return onnx.ValueInfoProto.create({
    name: v.name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: DATA_TYPES[v.elemType],
        shape: onnx.TensorShapeProto.create({ dim }),
      }),
    }),
  });
}

function tensor(init: InitializerSpec): onnx.TensorProto {
  const count = init.dims.reduce((a, b) => a * b, 1);
  if (count !== init.data.length) {
    throw new ZkmlError('SHAPE_MISMATCH', `initializer ${init.name}: dims [${init.dims}] hold ${count} values, data has ${init.data.length}`);
  }
  return onnx.TensorProto.create({
    name: init.name,
    dims: init.dims,
    dataType: DATA_TYPES[init.elemType ?? 'float32'],
    rawData: littleEndian(init.data, init.elemType ?? 'float32', init.name),
  });
}

/** ONNX raw_data is little-endian regardless of the host, so write it value by value. */
function littleEndian(data: ArrayLike<number>, type: WriterElemType, name: string): Uint8Array {
  if (type === 'float32') return float32LittleEndian(Float32Array.from(data));
  const width = type === 'int64' ? 8 : type === 'int32' ? 4 : 1;
  const bytes = new Uint8Array(data.length * width);
  const view = new DataView(bytes.buffer);
  const [lo, hi] =
    type === 'int8' ? [-128, 127] : type === 'uint8' ? [0, 255] : type === 'bool' ? [0, 1] : type === 'int64' ? [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] : [-(2 ** 31), 2 ** 31 - 1];
  Array.from(data).forEach((x, i) => {
    if (!Number.isInteger(x) || x < lo || x > hi) throw new ZkmlError('INTERNAL', `initializer ${name}: ${x} is not a ${type}`);
    if (type === 'int64') view.setBigInt64(i * 8, BigInt(x), true);
    else if (type === 'int32') view.setInt32(i * 4, x, true);
    else if (type === 'int8') view.setInt8(i, x);
    else view.setUint8(i, x);
  });
  return bytes;
}

/** ONNX raw_data is little-endian regardless of the host, so write it byte by byte. */
function float32LittleEndian(data: Float32Array): Uint8Array {
  const bytes = new Uint8Array(data.length * 4);
  const view = new DataView(bytes.buffer);
  data.forEach((x, i) => view.setFloat32(i * 4, x, true));
  return bytes;
}

function node(n: NodeSpec): onnx.NodeProto {
  return onnx.NodeProto.create({
    opType: n.opType,
    name: n.name,
    input: n.inputs,
    output: n.outputs,
    ...(n.domain ? { domain: n.domain } : {}),
    attribute: Object.entries(n.attributes ?? {}).map(([name, value]) => attribute(name, value)),
  });
}

function attribute(name: string, raw: AttributeValue): onnx.AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof raw === 'object' && !Array.isArray(raw) && raw.type === 'graph') return onnx.AttributeProto.create({ name, type: T.GRAPH, g: graphProto(raw.value) });
  const { type, value } = typed(name, raw as Exclude<AttributeValue, GraphAttribute>);
  switch (type) {
    case 'int':
      return onnx.AttributeProto.create({ name, type: T.INT, i: checkedInt(name, value as number) });
    case 'float':
      return onnx.AttributeProto.create({ name, type: T.FLOAT, f: value as number });
    case 'ints':
      return onnx.AttributeProto.create({ name, type: T.INTS, ints: (value as number[]).map((v) => checkedInt(name, v)) });
    case 'floats':
      return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: value as number[] });
    case 'string':
      return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(value as string) });
    case 'strings':
      return onnx.AttributeProto.create({ name, type: T.STRINGS, strings: (value as string[]).map((v) => new TextEncoder().encode(v)) });
  }
}

function typed(name: string, value: Exclude<AttributeValue, GraphAttribute>): TypedAttribute {
  if (typeof value === 'string') return { type: 'string', value };
  if (typeof value === 'number') {
    return { type: FLOAT_ATTRIBUTE_NAMES.has(name) || !Number.isInteger(value) ? 'float' : 'int', value };
  }
  if (Array.isArray(value)) {
    return { type: FLOAT_ATTRIBUTE_NAMES.has(name) || !value.every(Number.isInteger) ? 'floats' : 'ints', value };
  }
  return value;
}

function checkedInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v)) throw new ZkmlError('INTERNAL', `attribute ${name}: ${v} is not an integer`);
  return v;
}
