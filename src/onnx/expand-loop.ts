/**
 * Ingest rewrite: Loop with a static trip count is unrolled into copies of its body
 * (unroll-subgraph.ts). The trip count M must be a constant, the initial condition constant true (or
 * omitted), and the body's condition output provably true on every iteration (the condition input
 * passed through, possibly by Identity, or a true constant): then the loop runs exactly M times and
 * iteration k binds iteration_num to the constant k, cond to true and the carried values to the
 * previous iteration's. Scan outputs stack the iterations' values along a new axis 0.
 * A run-time trip count or a data-dependent condition is refused, naming the node and the input or
 * attribute (docs/recurrent.md).
 */
import { ZkmlError } from '../errors';
import type { FloatTensor, IrNode, Subgraph } from '../formats/graph';
import type { Expansion } from './graph-builder';
import { refuse } from './graph-builder';
import { present } from './ops/op-family';
import { bodyOf, checkAllowed, Unroller } from './unroll-subgraph';

export const LOOP_OP = 'Loop';

export function isLoop(opType: string): boolean {
  return opType === LOOP_OP;
}

/** Whether the body's condition output is true on every iteration, given that its condition input is. */
function conditionStaysTrue(body: Subgraph): boolean {
  const condIn = body.inputs[1].name;
  const producer = new Map<string, IrNode>();
  for (const n of body.nodes) for (const o of n.outputs) producer.set(o, n);
  let name = body.outputs[0].name;
  for (let hops = 0; hops <= body.nodes.length; hops++) {
    if (name === condIn) return true;
    const init = body.initializers.get(name);
    if (init) return isTrue(init);
    const n = producer.get(name);
    if (!n) return false;
    if (n.opType === 'Identity') name = n.inputs[0];
    else if (n.opType === 'Constant' && n.attributes.value && typeof n.attributes.value === 'object' && !Array.isArray(n.attributes.value)) return isTrue(n.attributes.value);
    else return false;
  }
  return false;
}

const isTrue = (t: FloatTensor) => t.data.length === 1 && t.data[0] !== 0;

function tripCount(node: IrNode, consts: Array<FloatTensor | undefined>): number {
  if (!present(node, 0)) throw refuse(node, 'the trip count M is omitted: the loop runs until its condition turns false, which depends on the data; only a constant trip count is supported');
  const m = consts[0];
  if (!m) throw refuse(node, `the trip count M '${node.inputs[0]}' is computed at run time; only a constant trip count is supported`);
  if (m.data.length !== 1 || !Number.isInteger(m.data[0]) || m.data[0] < 1) throw refuse(node, `the trip count M is ${Array.from(m.data)}; only a constant of at least 1 is supported`);
  if (present(node, 1)) {
    const cond = consts[1];
    if (!cond) throw refuse(node, `the condition '${node.inputs[1]}' is computed at run time; only a constant true condition is supported`);
    if (!isTrue(cond)) throw refuse(node, `the initial condition '${node.inputs[1]}' is false: the loop never runs`);
  }
  return m.data[0];
}

export function expandLoop(node: IrNode, _shapes: number[][], consts: Array<FloatTensor | undefined>): Expansion {
  checkAllowed(node, ['body']);
  const carried = node.inputs.length - 2;
  if (carried < 0) throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (Loop) needs inputs M and cond (either may be '')`, { node: node.name });
  if (node.inputs.slice(2).some((n) => n === '')) throw refuse(node, 'an omitted loop-carried input is not supported');
  const scanOutputs = node.outputs.length - carried;
  if (scanOutputs < 0) throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (Loop) has ${node.outputs.length} outputs, fewer than its ${carried} carried values`, { node: node.name });
  const body = bodyOf(node, 2 + carried, 1 + carried + scanOutputs);
  const trips = tripCount(node, consts);
  if (!conditionStaysTrue(body)) {
    throw refuse(
      node,
      `attribute 'body': its condition output '${body.outputs[0].name}' is computed from the data and may turn false; only a condition that stays true (its input passed through, or a true constant) is supported`,
    );
  }
  const u = new Unroller(node, body);
  u.checkTripCount(trips, 'a trip count of');
  const yes = u.constant('cond', { shape: [], data: Float64Array.of(1), elemType: 'bool' });
  let values = node.inputs.slice(2);
  const perIteration: string[][] = Array.from({ length: scanOutputs }, () => []);
  for (let k = 0; k < trips; k++) {
    const iteration = u.constant('k', { shape: [], data: Float64Array.of(k), elemType: 'int64' });
    const outs = u.iteration(k, [iteration, yes, ...values]);
    values = outs.slice(1, 1 + carried);
    outs.slice(1 + carried).forEach((v, j) => perIteration[j].push(v));
  }
  values.forEach((v, i) => u.alias(v, node.outputs[i]));
  perIteration.forEach((vs, j) => u.stack(vs, 0, node.outputs[carried + j]));
  return u.expansion();
}
