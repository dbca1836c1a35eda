/**
 * What an ingest rewrite produces (an Expansion: new nodes and constants replacing one node) and
 * the Builder that collects them, shared by the normalization, recurrent, Reduce, Hardmax and
 * Scan/Loop rewrites.
 */
import { ZkmlError } from '../errors';
import type { FloatTensor, IrNode } from '../formats/graph';

export interface Expansion {
  nodes: IrNode[];
  constants: Map<string, FloatTensor>;
  /** Values that must have one shape, known only once the new nodes are taken (If's two branches). */
  sameShapes?: SameShape[];
}

export interface SameShape {
  a: string;
  b: string;
  refusal: (shapeA: number[], shapeB: number[]) => ZkmlError;
}

/**
 * Collects the nodes and constants of one expansion. Every new name starts with the expanded node's
 * first output, unique in the graph (ONNX values are SSA), where node names may repeat: two nodes
 * of one name must never define the same value.
 */
export class Builder {
  readonly nodes: IrNode[] = [];
  readonly constants = new Map<string, FloatTensor>();
  private count = 0;
  protected readonly prefix: string;

  constructor(readonly node: IrNode) {
    const first = node.outputs.find((o) => o !== '');
    if (first === undefined) throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (${node.opType}) has no outputs`, { node: node.name });
    this.prefix = first;
  }

  protected fresh(what: string): string {
    return `${this.prefix}#${what}${this.count++}`;
  }

  constant(what: string, t: FloatTensor): string {
    const name = this.fresh(what);
    this.constants.set(name, t);
    return name;
  }

  op(opType: string, inputs: string[], attributes: IrNode['attributes'] = {}, output?: string): string {
    const out = output ?? this.fresh(opType);
    this.nodes.push({ name: this.fresh(`${opType}_`), opType, inputs, outputs: [out], attributes });
    return out;
  }

  expansion(): Expansion {
    return { nodes: this.nodes, constants: this.constants };
  }
}

export function refuse(node: IrNode, why: string): ZkmlError {
  return new ZkmlError('ONNX_UNSUPPORTED_ATTRIBUTE', `node '${node.name}' (${node.opType}): ${why}`, { node: node.name, opType: node.opType });
}
