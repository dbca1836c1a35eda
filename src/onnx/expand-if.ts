/**
 * Ingest rewrite: If inlined into the outer graph (unroll-subgraph.ts resolves each branch's outer-scope
 * names). A constant condition (an initializer, a Constant or a folded value) inlines the taken branch
 * only. A condition computed at run time inlines both branches and selects each output with Where
 * (y = Where(cond, then_out, else_out)): both branches are computed and constrained in the circuit and the
 * selection is constrained (docs/logic.md), at the cost of both branches plus one select per output
 * element. That needs both branches' outputs of one element type (checked here) and one static shape
 * (known only once the branches are inlined: the Expansion's sameShapes, checked by load.ts); otherwise
 * the node is refused, naming why.
 */
import { ZkmlError } from '../errors';
import { sizeOf } from '../formats/graph';
import type { FloatTensor, IrNode, Subgraph } from '../formats/graph';
import type { Expansion } from './graph-builder';
import { Builder, refuse } from './graph-builder';
import { checkAllowed, Unroller } from './unroll-subgraph';

export const IF_OP = 'If';

export function isIf(opType: string): boolean {
  return opType === IF_OP;
}

function branchOf(node: IrNode, attribute: 'then_branch' | 'else_branch'): Subgraph {
  const branch = node.subgraphs?.[attribute];
  if (!branch) throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (If) has no ${attribute} graph`, { node: node.name, attribute });
  if (branch.inputs.length !== 0 || branch.outputs.length !== node.outputs.length) {
    throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (If): its ${attribute} has ${branch.inputs.length} inputs and ${branch.outputs.length} outputs, expected 0 and ${node.outputs.length}`, {
      node: node.name,
      attribute,
    });
  }
  return branch;
}

/** The branch inlined under `scope`: its nodes and constants into `into`, its outputs' outer names returned. */
function inline(node: IrNode, branch: Subgraph, scope: string, into: Expansion): string[] {
  const u = new Unroller(node, branch, scope);
  const outs = u.iteration(0, []);
  into.nodes.push(...u.nodes);
  for (const [name, t] of u.constants) into.constants.set(name, t);
  return outs;
}

export function expandIf(node: IrNode, shapes: number[][], consts: Array<FloatTensor | undefined>): Expansion {
  checkAllowed(node, ['then_branch', 'else_branch']);
  if (node.inputs.length !== 1 || node.inputs[0] === '') throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (If) needs exactly one input, its condition`, { node: node.name });
  if (sizeOf(shapes[0]) !== 1) throw refuse(node, `the condition '${node.inputs[0]}' has shape [${shapes[0]}]; it must hold exactly one element`);
  const thenBranch = branchOf(node, 'then_branch');
  const elseBranch = branchOf(node, 'else_branch');
  const b = new Builder(node);
  const out: Expansion = { nodes: [], constants: new Map(), sameShapes: [] };
  const cond = consts[0];
  if (cond) {
    const taken = inline(node, cond.data[0] !== 0 ? thenBranch : elseBranch, cond.data[0] !== 0 ? 'then' : 'else', out);
    taken.forEach((v, i) => node.outputs[i] !== '' && b.op('Identity', [v], {}, node.outputs[i]));
  } else {
    thenBranch.outputs.forEach((t, i) => {
      const e = elseBranch.outputs[i];
      if (t.elemType !== e.elemType) throw refuse(node, `output ${i}: then_branch gives ${t.elemType} and else_branch ${e.elemType}; a run-time condition needs one element type in both branches`);
    });
    const thenOuts = inline(node, thenBranch, 'then', out);
    const elseOuts = inline(node, elseBranch, 'else', out);
    // A scalar condition: a [1] one would broadcast a scalar output to [1].
    const scalar = shapes[0].length === 0 ? node.inputs[0] : b.op('Reshape', [node.inputs[0], b.constant('scalar', { shape: [0], data: new Float64Array(0), elemType: 'int64' })]);
    node.outputs.forEach((o, i) => {
      if (o === '') return;
      out.sameShapes!.push({
        a: thenOuts[i],
        b: elseOuts[i],
        refusal: (sa, sb) => refuse(node, `output ${i} ('${o}'): then_branch gives shape [${sa}] and else_branch [${sb}]; a run-time condition needs one static shape in both branches`),
      });
      b.op('Where', [scalar, thenOuts[i], elseOuts[i]], {}, o);
    });
  }
  out.nodes.push(...b.nodes);
  for (const [name, t] of b.constants) out.constants.set(name, t);
  return out;
}
