/**
 * Ingest: ONNX bytes → Graph IR with static shapes and folded constants.
 * Unsupported ops are rejected here, naming every offending node, before anything is compiled.
 */
import { ZkmlError } from '../errors';
import { expandNormalization, isNormalization } from './expand-normalization';
import { expandRecurrent, isRecurrent } from './expand-recurrent';
import { expandReduce, isReduceExpansion } from './expand-reduce';
import { expandHardmax, isHardmax } from './expand-hardmax';
import { expandScan, isScan } from './expand-scan';
import { expandLoop, isLoop } from './expand-loop';
import { expandLpPool, isLpPool } from './expand-lp-pool';
import { expandIf, isIf } from './expand-if';
import type { Expansion, SameShape } from './graph-builder';

type Expander = (node: IrNode, shapes: number[][], consts: Array<FloatTensor | undefined>) => Expansion;

/** The ops rewritten at ingest into proven ones, and their rewrite. */
function expanderOf(opType: string): Expander | undefined {
  if (isNormalization(opType)) return expandNormalization;
  if (isRecurrent(opType)) return expandRecurrent;
  if (isReduceExpansion(opType)) return expandReduce;
  if (isHardmax(opType)) return expandHardmax;
  if (isScan(opType)) return expandScan;
  if (isLoop(opType)) return expandLoop;
  if (isLpPool(opType)) return expandLpPool;
  if (isIf(opType)) return expandIf;
  return undefined;
}
import { foldBatchNorm } from './fold-batchnorm';
import { checkIntegerCasts } from './integer-valued';
import { fuseDecomposedLayerNorm } from './fuse-layernorm';
import { clampNormalized } from './clamp-normalized';
import type { FloatTensor, Graph, IrNode, ValueInfo } from '../formats/graph';
import { familyOf, SUPPORTED_OPS } from './ops';
import { INVERSE_STDDEV_OP } from './ops/inverse-stddev';
import { INTEGER_DIV_OP } from './ops/integer-div';
import { integerTypedOutputs, isIntegerElem } from './integer-typed';
import { SHAPE_ONLY_OPS } from './ops/shape-consts';
import { DEFAULT_PARSE_LIMITS, ParseLimits, parseOnnx, RawGraph, RawValueInfo } from './parse';

const isSupported = (n: IrNode) => n.opType === 'Constant' || (!!familyOf(n.opType) && n.opType !== INVERSE_STDDEV_OP && n.opType !== INTEGER_DIV_OP) || !!expanderOf(n.opType);

/**
 * Every node whose op is outside the allowlist, all at once, those of Scan and Loop bodies and If
 * branches (named 'outer/inner') included. A subgraph inside a body or branch (a nested Scan, Loop or If) is refused:
 * unrolling resolves one level of outer scope only.
 */
export function checkSupportedOps(raw: RawGraph): void {
  const bad: IrNode[] = raw.nodes.filter((n) => !isSupported(n));
  for (const outer of raw.nodes) {
    // Opset 8's Scan is another op: batched, with a sequence_lens input first.
    if (outer.opType === 'Scan' && raw.opset < 9) {
      throw new ZkmlError('ONNX_UNSUPPORTED_ATTRIBUTE', `node '${outer.name}' (Scan): the opset ${raw.opset} form (batched, with sequence_lens) is not supported; only opset 9 and later`, {
        node: outer.name,
        opType: outer.opType,
      });
    }
    for (const [attribute, body] of Object.entries(outer.subgraphs ?? {})) {
      const nested = body.nodes.find((n) => n.subgraphs || Object.values(n.attributes).includes('<graph>'));
      if (nested) {
        throw new ZkmlError(
          'ONNX_UNSUPPORTED_ATTRIBUTE',
          `node '${outer.name}' (${outer.opType}): attribute '${attribute}' holds node '${nested.name}' (${nested.opType}) with a subgraph of its own; nested subgraphs are not supported`,
          {
            node: outer.name,
            opType: outer.opType,
            attribute,
          },
        );
      }
      bad.push(...body.nodes.filter((n) => !isSupported(n)).map((n) => ({ ...n, name: `${outer.name}/${n.name}` })));
    }
  }
  if (bad.length > 0) {
    const list = bad.map((n) => `'${n.name}' (${n.opType})`).join(', ');
    throw new ZkmlError('ONNX_UNSUPPORTED_OP', `unsupported op${bad.length > 1 ? 's' : ''} in ${list}; supported: ${SUPPORTED_OPS.join(', ')}`, {
      nodes: bad.map((n) => ({ name: n.name, opType: n.opType })),
    });
  }
}

/** How symbolic input dimensions are fixed: a leading one to `leading`, a named one to `named[name]`. */
export interface DimBindings {
  leading: number;
  named?: Readonly<Record<string, number>>;
}

/**
 * Binds each symbolic dimension: by its name when `dims` gives it (the `dims` setting, --dim NAME=N),
 * else a leading (batch) one to `leading`; any other cannot be fixed and is refused, naming it and the setting.
 */
function staticShape(v: RawValueInfo, dims: DimBindings): number[] {
  return v.dims.map((d, i) => {
    if (typeof d === 'number') return d;
    const named = dims.named && Object.prototype.hasOwnProperty.call(dims.named, d) ? dims.named[d] : undefined;
    if (named !== undefined) return named;
    if (i === 0) return dims.leading;
    throw new ZkmlError('ONNX_DYNAMIC_SHAPE', `input '${v.name}': dimension ${i} ('${d}') is symbolic; fix it at compile time with the compile setting dims ({ "${d}": N }; CLI: --dim ${d}=N)`, {
      input: v.name,
      dim: d,
      setting: 'dims',
    });
  });
}

function constantNodeValue(node: IrNode): FloatTensor {
  const a = node.attributes;
  if (a.value && typeof a.value === 'object' && !Array.isArray(a.value)) return a.value as FloatTensor;
  if (typeof a.value_float === 'number') return { shape: [], data: Float64Array.of(a.value_float) };
  if (typeof a.value_int === 'number') return { shape: [], data: Float64Array.of(a.value_int) };
  if (Array.isArray(a.value_floats)) return { shape: [a.value_floats.length], data: Float64Array.from(a.value_floats as number[]) };
  if (Array.isArray(a.value_ints)) return { shape: [a.value_ints.length], data: Float64Array.from(a.value_ints as number[]) };
  throw new ZkmlError('ONNX_UNSUPPORTED_ATTRIBUTE', `node '${node.name}' (Constant): only numeric tensor values are supported`, { node: node.name });
}

/** Every tensor, inputs and intermediates alike, within the element limit: a crafted dim must not exhaust memory. */
function checkTensorSize(what: string, shape: number[], limits: ParseLimits): void {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n > limits.maxTensorElements) {
    throw new ZkmlError('MODEL_TOO_LARGE', `${what} has shape [${shape}] (${n} elements), more than the limit of ${limits.maxTensorElements}`, {
      count: n,
      limit: limits.maxTensorElements,
      unit: 'elements',
    });
  }
}

/**
 * Op families validate what they expect; anything else a malformed node trips (a required input
 * omitted as '', a tensor where a shape should be) is refused as malformed, with the node named.
 */
function guarded<T>(node: IrNode, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ZkmlError) throw err;
    throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (${node.opType}) has inputs or attributes it cannot be evaluated with: ${(err as Error).message}`, { node: node.name }, { cause: err });
  }
}

/** Refuses a pair whose shapes are both known and differ; returns the pairs not yet known. */
function checkSameShapes(pending: SameShape[], shapes: Map<string, number[]>): SameShape[] {
  return pending.filter((p) => {
    const a = shapes.get(p.a);
    const b = shapes.get(p.b);
    if (!a || !b) return true;
    if (a.length !== b.length || a.some((d, i) => d !== b[i])) throw p.refusal(a, b);
    return false;
  });
}

export function buildGraph(uploaded: RawGraph, leadingDim: number | DimBindings = 1, limits: ParseLimits = DEFAULT_PARSE_LIMITS): Graph {
  const dims = typeof leadingDim === 'number' ? { leading: leadingDim } : leadingDim;
  checkSupportedOps(uploaded);
  // After the check: the rewrite introduces the internal op an upload may not contain.
  const raw = fuseDecomposedLayerNorm(uploaded);
  const constants = new Map(raw.initializers);
  const shapes = new Map<string, number[]>();
  for (const [name, t] of constants) shapes.set(name, t.shape);
  const inputs: ValueInfo[] = raw.inputs.map((v) => ({ name: v.name, elemType: v.elemType, shape: staticShape(v, dims) }));
  for (const v of inputs) {
    checkTensorSize(`input '${v.name}'`, v.shape, limits);
    shapes.set(v.name, v.shape);
  }

  // Values of an integer ONNX type: a Div of them truncates (integer-typed.ts).
  const integerTyped = new Set([...inputs.filter((v) => isIntegerElem(v.elemType)).map((v) => v.name), ...[...constants].filter(([, t]) => isIntegerElem(t.elemType)).map(([n]) => n)]);
  const nodes: IrNode[] = [];
  const queue = [...raw.nodes].reverse();
  let pending: SameShape[] = [];
  while (queue.length > 0) {
    pending = checkSameShapes(pending, shapes);
    let node = queue.pop()!;
    if (node.opType === 'Constant') {
      const value = constantNodeValue(node);
      if (isIntegerElem(value.elemType) || node.attributes.value_int !== undefined || node.attributes.value_ints !== undefined) integerTyped.add(node.outputs[0]);
      constants.set(node.outputs[0], value);
      shapes.set(node.outputs[0], value.shape);
      continue;
    }
    const expand = expanderOf(node.opType);
    if (expand) {
      // Expanded into proven ops (expand-normalization.ts, expand-recurrent.ts), which this loop then takes in turn.
      const missing = node.inputs.find((n) => n !== '' && !shapes.has(n));
      if (missing !== undefined) throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' reads '${missing}', which no earlier node or input defines`);
      const inShapes = node.inputs.map((n) => shapes.get(n) ?? []);
      const expansion = guarded(node, () =>
        expand(
          node,
          inShapes,
          node.inputs.map((n) => constants.get(n)),
        ),
      );
      for (const [name, t] of expansion.constants) {
        constants.set(name, t);
        shapes.set(name, t.shape);
      }
      queue.push(...[...expansion.nodes].reverse());
      pending.push(...(expansion.sameShapes ?? []));
      continue;
    }
    integerTypedOutputs(node, (n) => integerTyped.has(n)).forEach((integer, k) => integer && integerTyped.add(node.outputs[k]));
    if (node.opType === 'Div' && node.inputs.some((n) => integerTyped.has(n))) node = { ...node, opType: INTEGER_DIV_OP };
    const family = familyOf(node.opType)!;
    // An omitted optional input ('') keeps its position (Clip(x, '', max) has no min, not min = max);
    // trailing omitted ones are dropped, so the input count is that of the given ones.
    const used = node.inputs.slice(
      0,
      node.inputs.reduce((end, name, i) => (name !== '' ? i + 1 : end), 0),
    );
    for (const name of used) {
      if (name !== '' && !shapes.has(name)) throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' reads '${name}', which no earlier node or input defines`);
    }
    // Omitted inputs have no shape and no value (undefined at their position).
    const inShapes = used.map((n) => shapes.get(n)!);
    const consts = used.map((n) => (n === '' ? undefined : constants.get(n)));
    // Shape reads only its input's static shape: a constant even when the input is computed at run time.
    if (SHAPE_ONLY_OPS.has(node.opType)) consts.forEach((c, i) => (consts[i] = c ?? (used[i] === '' ? undefined : { shape: inShapes[i], data: new Float64Array(0) })));
    const outShapes = guarded(node, () => family.inferShapes(node, inShapes, consts));
    outShapes.forEach((shape, i) => checkTensorSize(`output '${node.outputs[i]}' of node '${node.name}' (${node.opType})`, shape, limits));
    if (consts.every((c, i) => c !== undefined || used[i] === '')) {
      // Depends on constants only: fold it now, it costs nothing in the circuit.
      const values = guarded(node, () => family.evalFloat(node, consts as FloatTensor[]));
      node.outputs.forEach((o, i) => {
        constants.set(o, values[i]);
        shapes.set(o, values[i].shape);
      });
      continue;
    }
    node.outputs.forEach((o, i) => shapes.set(o, outShapes[i]));
    nodes.push({ ...node, inputs: used });
  }
  checkSameShapes(pending, shapes);

  const outputs: ValueInfo[] = raw.outputs.map((v) => {
    const shape = shapes.get(v.name);
    if (!shape) throw new ZkmlError('ONNX_MALFORMED', `graph output '${v.name}' is not produced by any node`);
    return { name: v.name, elemType: v.elemType, shape };
  });
  const graph = { opset: raw.opset, inputs, outputs, constants, nodes, shapes };
  checkIntegerCasts(graph);
  return clampNormalized(foldBatchNorm(graph));
}

export function loadOnnx(bytes: Uint8Array, limits: ParseLimits = DEFAULT_PARSE_LIMITS, leadingDim: number | DimBindings = 1): Graph {
  return buildGraph(parseOnnx(bytes, limits), leadingDim, limits);
}

/**
 * Refuses now, with ingest's own codes, a model ingest would refuse (an upload); the graph is
 * dropped. The compile runs later, in the compile thread or another worker process, from the stored
 * file: ingesting it again there costs milliseconds (29 ms for the MNIST MLP), less than carrying a
 * Graph (Float64Array constants) across a thread or process, and nothing else of it is needed
 * before then.
 */
export function checkIngestible(bytes: Uint8Array): void {
  loadOnnx(bytes);
}
