/** Who defines and who reads each value of a node list: what the ingest pattern rewrites walk. */
import type { IrNode } from '../formats/graph';

export interface ValueLinks {
  /** The node that outputs each value. */
  producer: Map<string, IrNode>;
  /** The nodes that read each value, in node order (once per input slot). */
  consumers: Map<string, IrNode[]>;
}

export function valueLinks(nodes: readonly IrNode[]): ValueLinks {
  const producer = new Map<string, IrNode>();
  const consumers = new Map<string, IrNode[]>();
  for (const n of nodes) {
    for (const o of n.outputs) producer.set(o, n);
    for (const i of n.inputs) {
      const readers = consumers.get(i);
      if (readers) readers.push(n);
      else consumers.set(i, [n]);
    }
  }
  return { producer, consumers };
}
