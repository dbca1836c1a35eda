/**
 * One iteration of a Scan or Loop body, inlined into the outer graph (expand-scan.ts, expand-loop.ts):
 * every value the body computes is renamed per iteration (`output#k/value`, after the node's first
 * output; its nodes `node#k/bodyNode`), its formal inputs are bound
 * to outer values, its initializers become outer constants (once, shared by every iteration), and any
 * other name it reads is an outer-scope value, read as is.
 */
import { ZkmlError } from '../errors';
import type { IrNode, Subgraph } from '../formats/graph';
import { Builder, refuse } from './graph-builder';

/** Unrolled nodes per Scan or Loop: the trip count times the body must stay compilable. */
export const MAX_UNROLLED_NODES = 50_000;

/** A Builder (new names after the node's first output) that also inlines body iterations. */
export class Unroller extends Builder {
  private readonly initializerNames = new Map<string, string>();

  /** `scope` tells apart two subgraphs of one node (If's branches) in the new names. */
  constructor(
    node: IrNode,
    readonly body: Subgraph,
    private readonly scope = '',
  ) {
    super(node);
    for (const [name, t] of body.initializers) {
      const outer = `${this.prefix}#${scope}/${name}`;
      this.initializerNames.set(name, outer);
      this.constants.set(outer, t);
    }
  }

  /** Refuses a trip count whose unrolled graph would exceed MAX_UNROLLED_NODES. */
  checkTripCount(trips: number, what: string): void {
    if (trips * Math.max(1, this.body.nodes.length) > MAX_UNROLLED_NODES) {
      throw new ZkmlError(
        'MODEL_TOO_LARGE',
        `node '${this.node.name}' (${this.node.opType}): ${what} ${trips} times a body of ${this.body.nodes.length} nodes unrolls to more than ${MAX_UNROLLED_NODES} nodes`,
        { node: this.node.name, count: trips * this.body.nodes.length, limit: MAX_UNROLLED_NODES, unit: 'unrolled nodes' },
      );
    }
  }

  /**
   * Inlines iteration `k` with the body's formal inputs bound to `inputs` (outer names, in order);
   * returns the outer names of the body's outputs, in order.
   */
  iteration(k: number, inputs: string[]): string[] {
    const local = new Map<string, string>();
    this.body.inputs.forEach((v, i) => local.set(v.name, inputs[i]));
    const resolve = (name: string) => (name === '' ? '' : (local.get(name) ?? this.initializerNames.get(name) ?? name));
    for (const n of this.body.nodes) {
      const inputsOuter = n.inputs.map(resolve);
      const outputs = n.outputs.map((o) => {
        if (o === '') return '';
        const renamed = `${this.prefix}#${this.scope}${k}/${o}`;
        local.set(o, renamed);
        return renamed;
      });
      this.nodes.push({ ...n, name: `${this.node.name}#${this.scope}${k}/${n.name}`, inputs: inputsOuter, outputs });
    }
    return this.body.outputs.map((v) => resolve(v.name));
  }

  /** `value` into the outer output `out` (a final state). */
  alias(value: string, out: string): void {
    if (out !== '') this.op('Identity', [value], {}, out);
  }

  /** The per-iteration values stacked along a new axis `axis` of the result, into `out`. */
  stack(values: string[], axis: number, out: string): void {
    if (out === '') return;
    if (values.length === 1) {
      this.op('Unsqueeze', values, { axes: [axis] }, out);
      return;
    }
    this.op(
      'Concat',
      values.map((v) => this.op('Unsqueeze', [v], { axes: [axis] })),
      { axis },
      out,
    );
  }
}

/** The node's `body` subgraph, checked to have the formal inputs and outputs its op requires. */
export function bodyOf(node: IrNode, inputs: number, outputs: number): Subgraph {
  const body = node.subgraphs?.body;
  if (!body) throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (${node.opType}) has no body graph`, { node: node.name, attribute: 'body' });
  if (body.inputs.length !== inputs || body.outputs.length !== outputs) {
    throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (${node.opType}): its body has ${body.inputs.length} inputs and ${body.outputs.length} outputs, expected ${inputs} and ${outputs}`, {
      node: node.name,
      attribute: 'body',
    });
  }
  return body;
}

/** Refuses an attribute outside `allowed` (naming it). */
export function checkAllowed(node: IrNode, allowed: readonly string[]): void {
  for (const k of Object.keys(node.attributes)) if (!allowed.includes(k)) throw refuse(node, `attribute '${k}' is not supported`);
}
