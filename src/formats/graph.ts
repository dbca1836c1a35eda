/**
 * The graph IR: what ingest hands to the quantizer. Static shapes only (a symbolic batch dimension
 * is bound to 1), constants (initializers, Constant nodes and constant subgraphs) already folded.
 */
export type ElemType = 'float32' | 'float64' | 'float16' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

/** A dense float tensor, row-major. Integer and bool tensors are held as numbers too. */
export interface FloatTensor {
  shape: number[];
  data: Float64Array;
  /** The stored element type, where the tensor came from the file (a zero point's type sets its saturation range). */
  elemType?: ElemType;
}

export interface ValueInfo {
  name: string;
  elemType: ElemType;
  shape: number[];
}

export type AttrValue = number | string | number[] | string[] | FloatTensor;

export interface IrNode {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, AttrValue>;
  /** GRAPH attributes (Scan's and Loop's body), by attribute name; unrolled at ingest, never in a Graph. */
  subgraphs?: Record<string, Subgraph>;
}

/** A formal input or output of a subgraph: a number per static dimension, a string for a symbolic one. */
export interface SubgraphValue {
  name: string;
  elemType: ElemType;
  dims: Array<number | string>;
}

/** A GRAPH attribute as parsed: its formal inputs and outputs, its own initializers and its nodes. */
export interface Subgraph {
  inputs: SubgraphValue[];
  outputs: SubgraphValue[];
  initializers: Map<string, FloatTensor>;
  nodes: IrNode[];
}

export interface Graph {
  opset: number;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Every tensor whose value is known at compile time, by name. */
  constants: Map<string, FloatTensor>;
  /** Nodes that depend on a graph input, in topological order. */
  nodes: IrNode[];
  /** Static shape of every tensor, by name. */
  shapes: Map<string, number[]>;
}

export function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
