/**
 * ONNX protobuf → raw graph (no shape work yet). Uses onnx-proto's generated decoder; every
 * decoding problem becomes ONNX_MALFORMED, never a crash.
 */
import { ZkmlError } from '../errors';
import type { AttrValue, ElemType, FloatTensor, IrNode, Subgraph, SubgraphValue } from '../formats/graph';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { onnx } = require('onnx-proto');

const ELEM_TYPES: Record<number, ElemType> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  10: 'float16',
  11: 'float64',
};

/** A number per dimension, or a string for a symbolic one. */
export type RawValueInfo = SubgraphValue;

export interface RawGraph {
  opset: number;
  inputs: RawValueInfo[];
  outputs: RawValueInfo[];
  initializers: Map<string, FloatTensor>;
  nodes: IrNode[];
}

export interface ParseLimits {
  maxBytes: number;
  maxTensorElements: number;
  /** Nodes of the graph: the largest corpus model has 2,493 (ezkl/random_forest); each costs lowering and circuit work. */
  maxNodes: number;
  /** Edges: node inputs plus node outputs, over all nodes (one node may take thousands of inputs). */
  maxEdges: number;
  maxInitializers: number;
  /** Graph inputs (each a circuit input signal array and a calibration column). */
  maxGraphInputs: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  maxBytes: 64 * 1024 * 1024,
  maxTensorElements: 4_000_000,
  maxNodes: 5000,
  maxEdges: 20_000,
  maxInitializers: 5000,
  maxGraphInputs: 256,
};

/**
 * The graph's counts against the limits, checked right after the protobuf decode and before any
 * tensor is decoded or node built: a 100k-node file is refused in milliseconds, not after minutes
 * of lowering.
 */
function checkCounts(g: any, limits: ParseLimits): void {
  const nodes: any[] = withSubgraphNodes(g.node);
  const edges = nodes.reduce((a, n) => a + (n.input?.length ?? 0) + (n.output?.length ?? 0), 0);
  const counts: Array<[string, number, number]> = [
    ['nodes', nodes.length, limits.maxNodes],
    ['edges', edges, limits.maxEdges],
    ['initializers', g.initializer?.length ?? 0, limits.maxInitializers],
    ['graph inputs', g.input?.length ?? 0, limits.maxGraphInputs],
  ];
  for (const [unit, count, limit] of counts) {
    if (count > limit) throw new ZkmlError('MODEL_TOO_LARGE', `the graph has ${count} ${unit}, more than the limit of ${limit}`, { count, limit, unit });
  }
}

/** The nodes of a graph and of every subgraph in it (Scan and Loop bodies count against the limits too). */
function withSubgraphNodes(nodes: any[]): any[] {
  const all: any[] = [];
  const visit = (list: any[]) => {
    for (const n of list ?? []) {
      all.push(n);
      for (const a of n.attribute ?? []) if (a.type === 5 && a.g) visit(a.g.node);
    }
  };
  visit(nodes);
  return all;
}

const toNum = (v: unknown): number => (typeof v === 'number' ? v : Number((v as { toString(): string }).toString()));

function elemType(code: number, where: string): ElemType {
  const t = ELEM_TYPES[code];
  if (!t) throw new ZkmlError('ONNX_UNSUPPORTED_ATTRIBUTE', `${where}: tensor element type ${code} is not supported`);
  return t;
}

function float16ToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Decodes a TensorProto into a float tensor (values held as float64). */
export function decodeTensor(t: any, limits: ParseLimits = DEFAULT_PARSE_LIMITS): FloatTensor {
  const name = t.name || '(unnamed tensor)';
  const shape = (t.dims ?? []).map(toNum);
  const n = shape.reduce((a: number, b: number) => a * b, 1);
  if (shape.some((d: number) => !Number.isInteger(d) || d < 0)) throw new ZkmlError('ONNX_MALFORMED', `tensor '${name}' has invalid dims [${shape}]`);
  if (n > limits.maxTensorElements) {
    throw new ZkmlError('MODEL_TOO_LARGE', `tensor '${name}' has ${n} elements, more than the limit of ${limits.maxTensorElements}`, {
      tensor: name,
      count: n,
      limit: limits.maxTensorElements,
      unit: 'elements',
    });
  }
  if (t.dataLocation === 1 || (t.externalData && t.externalData.length > 0)) {
    throw new ZkmlError('ONNX_MALFORMED', `tensor '${name}' uses external data, which is not supported: embed the weights in the .onnx file`);
  }
  const type = elemType(t.dataType, `tensor '${name}'`);
  const data = new Float64Array(n);
  const raw: Uint8Array | undefined = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  if (raw) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const width = { float32: 4, float64: 8, float16: 2, int64: 8, int32: 4, int8: 1, uint8: 1, bool: 1 }[type];
    if (raw.byteLength !== n * width) {
      throw new ZkmlError('ONNX_MALFORMED', `tensor '${name}': raw data has ${raw.byteLength} bytes, expected ${n * width}`);
    }
    for (let i = 0; i < n; i++) {
      switch (type) {
        case 'float32':
          data[i] = view.getFloat32(i * 4, true);
          break;
        case 'float64':
          data[i] = view.getFloat64(i * 8, true);
          break;
        case 'float16':
          data[i] = float16ToNumber(view.getUint16(i * 2, true));
          break;
        case 'int64':
          data[i] = Number(view.getBigInt64(i * 8, true));
          break;
        case 'int32':
          data[i] = view.getInt32(i * 4, true);
          break;
        case 'int8':
          data[i] = view.getInt8(i);
          break;
        case 'uint8':
        case 'bool':
          data[i] = view.getUint8(i);
          break;
      }
    }
  } else {
    const typed: unknown[] = type === 'float32' ? t.floatData : type === 'float64' ? t.doubleData : type === 'int64' ? t.int64Data : t.int32Data;
    const values = typed ?? [];
    if (values.length !== n) {
      throw new ZkmlError('ONNX_MALFORMED', `tensor '${name}': has ${values.length} values, expected ${n}`);
    }
    for (let i = 0; i < n; i++) data[i] = type === 'float16' ? float16ToNumber(toNum(values[i])) : toNum(values[i]);
  }
  return { shape, data, elemType: type };
}

function decodeAttribute(a: any, node: string, limits: ParseLimits): AttrValue {
  switch (a.type) {
    case 1:
      return a.f ?? 0;
    case 2:
      return toNum(a.i ?? 0);
    case 3:
      return Buffer.from(a.s ?? []).toString('utf8');
    case 4:
      if (!a.t) throw new ZkmlError('ONNX_MALFORMED', `node '${node}': tensor attribute '${a.name}' holds no tensor`);
      return decodeTensor(a.t, limits);
    case 6:
      return Array.from(a.floats ?? [], toNum);
    case 7:
      return (a.ints ?? []).map(toNum);
    case 8:
      return (a.strings ?? []).map((s: Uint8Array) => Buffer.from(s).toString('utf8'));
    // A GRAPH (Scan's and Loop's body) is parsed into the node's subgraphs (parseNode); GRAPHS stay opaque.
    case 5:
    case 10:
      return '<graph>';
    default:
      throw new ZkmlError('ONNX_UNSUPPORTED_ATTRIBUTE', `node '${node}': attribute '${a.name}' of type ${a.type} is not supported`);
  }
}

function valueInfo(v: any): RawValueInfo {
  const tt = v.type?.tensorType;
  if (!tt) throw new ZkmlError('ONNX_MALFORMED', `value '${v.name}' is not a tensor`);
  const dims = tt.shape?.dim?.map((d: any) => (d.dimParam ? String(d.dimParam) : d.dimValue != null && toNum(d.dimValue) > 0 ? toNum(d.dimValue) : '?'));
  return { name: v.name, elemType: elemType(tt.elemType, `value '${v.name}'`), dims: dims ?? ['?unknown-rank'] };
}

export function parseOnnx(bytes: Uint8Array, limits: ParseLimits = DEFAULT_PARSE_LIMITS): RawGraph {
  if (bytes.byteLength > limits.maxBytes) {
    throw new ZkmlError('MODEL_TOO_LARGE', `the model is ${bytes.byteLength} bytes, more than the limit of ${limits.maxBytes}`, { count: bytes.byteLength, limit: limits.maxBytes, unit: 'bytes' });
  }
  let model: any;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new ZkmlError('ONNX_MALFORMED', `cannot decode the ONNX protobuf: ${(err as Error).message}`, undefined, { cause: err });
  }
  const g = model.graph;
  if (!g || !g.node || !g.output || g.output.length === 0) {
    throw new ZkmlError('ONNX_MALFORMED', 'the file has no graph with outputs (is it an ONNX model?)');
  }
  checkCounts(g, limits);
  const opsetEntry = (model.opsetImport ?? []).find((o: any) => !o.domain || o.domain === 'ai.onnx');
  // ONNX requires an opset import (onnxruntime refuses a model without one); guessing opset 1 would
  // silently change op semantics, and a file cut just before its trailing opset_import looks like this.
  // A graph of only other-domain ops (ai.onnx.ml) needs no default opset; the op allowlist names them.
  const usesDefaultDomain = (g.node as any[]).some((n) => !n.domain || n.domain === 'ai.onnx');
  if (!opsetEntry && usesDefaultDomain) {
    throw new ZkmlError('ONNX_MALFORMED', 'the model imports no ONNX operator set (opset_import has no entry for the default domain)');
  }
  const opset = opsetEntry ? toNum(opsetEntry.version) : 0;
  const body = parseBody(g, limits);
  // A graph's initializers may also be listed as inputs (IR < 4); they are constants, not inputs.
  return { opset, ...body, inputs: body.inputs.filter((v) => !body.initializers.has(v.name)) };
}

/** A graph's (or a subgraph's) inputs, outputs, initializers and nodes. */
function parseBody(g: any, limits: ParseLimits, value: (v: any) => RawValueInfo = valueInfo): Subgraph {
  const initializers = new Map<string, FloatTensor>();
  for (const t of g.initializer ?? []) initializers.set(t.name, decodeTensor(t, limits));
  let unnamed = 0;
  const nodes: IrNode[] = (g.node ?? []).map((n: any) => parseNode(n, n.name || `${n.opType}_${unnamed++}`, limits));
  return { inputs: (g.input ?? []).map(value), outputs: (g.output ?? []).map(value), initializers, nodes };
}

/** A subgraph's formal values may omit their type (ONNX infers it from the outer node); unrolling needs names only. */
function subgraphValue(v: any): RawValueInfo {
  return v.type?.tensorType ? valueInfo(v) : { name: v.name, elemType: 'float32', dims: ['?unknown-rank'] };
}

function parseNode(n: any, name: string, limits: ParseLimits): IrNode {
  const attributes: Record<string, AttrValue> = {};
  const subgraphs: Record<string, Subgraph> = {};
  for (const a of n.attribute ?? []) {
    attributes[a.name] = decodeAttribute(a, name, limits);
    if (a.type === 5 && a.g) subgraphs[a.name] = parseBody(a.g, limits, subgraphValue);
  }
  const domain = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}:` : '';
  const node: IrNode = { name, opType: `${domain}${n.opType}`, inputs: [...(n.input ?? [])], outputs: [...(n.output ?? [])], attributes };
  return Object.keys(subgraphs).length > 0 ? { ...node, subgraphs } : node;
}
