/**
 * Ingest rewrite: Scan (opset 9+) is unrolled over its static sequence length into copies of its body
 * (unroll-subgraph.ts). Iteration k binds the body's state inputs to the previous iteration's state
 * outputs (the node's initial states at k = 0) and each scan input to its slice Gather(x, t, axis),
 * t = k, or L − 1 − k in reverse direction; the final states are the last iteration's, and each scan
 * output stacks the iterations' values along its axis (Unsqueeze + Concat), reversed in reverse
 * direction. The sequence length L is the scan inputs' static extent along their axes (docs/recurrent.md).
 */
import { ZkmlError } from '../errors';
import type { FloatTensor, IrNode } from '../formats/graph';
import type { Expansion } from './graph-builder';
import { refuse } from './graph-builder';
import { bodyOf, checkAllowed, Unroller } from './unroll-subgraph';

const ALLOWED = ['body', 'num_scan_inputs', 'scan_input_axes', 'scan_input_directions', 'scan_output_axes', 'scan_output_directions'];

export const SCAN_OP = 'Scan';

export function isScan(opType: string): boolean {
  return opType === SCAN_OP;
}

/** An ints attribute of `count` entries (each 0 when absent). */
function perValue(node: IrNode, name: string, count: number): number[] {
  const v = node.attributes[name];
  if (v === undefined) return new Array<number>(count).fill(0);
  if (!Array.isArray(v) || v.length !== count || v.some((x) => typeof x !== 'number')) throw refuse(node, `attribute '${name}' must list ${count} integers, got ${JSON.stringify(v)}`);
  return v as number[];
}

function directions(node: IrNode, name: string, count: number): boolean[] {
  return perValue(node, name, count).map((d) => {
    if (d !== 0 && d !== 1) throw refuse(node, `attribute '${name}' holds ${d}; a direction is 0 (forward) or 1 (reverse)`);
    return d === 1;
  });
}

export function expandScan(node: IrNode, shapes: number[][]): Expansion {
  checkAllowed(node, ALLOWED);
  const scanInputs = node.attributes.num_scan_inputs;
  if (typeof scanInputs !== 'number' || scanInputs < 1 || scanInputs > node.inputs.length)
    throw refuse(node, `attribute 'num_scan_inputs' (${String(scanInputs)}) must be between 1 and the input count ${node.inputs.length}`);
  const states = node.inputs.length - scanInputs;
  const scanOutputs = node.outputs.length - states;
  if (scanOutputs < 0) throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (Scan) has ${node.outputs.length} outputs, fewer than its ${states} states`, { node: node.name });
  const body = bodyOf(node, states + scanInputs, states + scanOutputs);
  if (node.inputs.some((n) => n === '')) throw refuse(node, 'an omitted input is not supported');

  const inAxes = perValue(node, 'scan_input_axes', scanInputs).map((a, i) => {
    const rank = shapes[states + i].length;
    if (a < -rank || a >= rank) throw refuse(node, `scan_input_axes[${i}] = ${a} is outside the rank ${rank} of '${node.inputs[states + i]}'`);
    return a < 0 ? a + rank : a;
  });
  const inReverse = directions(node, 'scan_input_directions', scanInputs);
  const outAxes = perValue(node, 'scan_output_axes', scanOutputs);
  const outReverse = directions(node, 'scan_output_directions', scanOutputs);

  // Every scan input's extent along its axis is the sequence length, static after shape inference.
  const lengths = inAxes.map((a, i) => shapes[states + i][a]);
  const length = lengths[0];
  if (lengths.some((l) => l !== length))
    throw new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (Scan): the scan inputs have lengths ${lengths} along their scan axes, not one sequence length`, { node: node.name });
  if (!Number.isInteger(length) || length < 1) throw refuse(node, `the sequence length is ${length}; only a static length of at least 1 is supported`);

  const u = new Unroller(node, body);
  u.checkTripCount(length, 'a sequence length of');
  let state = node.inputs.slice(0, states);
  const perIteration: string[][] = Array.from({ length: scanOutputs }, () => []);
  for (let k = 0; k < length; k++) {
    const slices = inAxes.map((axis, i) => {
      const t = inReverse[i] ? length - 1 - k : k;
      const index: FloatTensor = { shape: [], data: Float64Array.of(t), elemType: 'int64' };
      return u.op('Gather', [node.inputs[states + i], u.constant('t', index)], { axis });
    });
    const outs = u.iteration(k, [...state, ...slices]);
    state = outs.slice(0, states);
    outs.slice(states).forEach((v, j) => perIteration[j].push(v));
  }
  state.forEach((v, i) => u.alias(v, node.outputs[i]));
  perIteration.forEach((values, j) => u.stack(outReverse[j] ? [...values].reverse() : values, outAxes[j], node.outputs[states + j]));
  return u.expansion();
}
