/**
 * Ingest rewrite: RNN, GRU and LSTM are unrolled over the static sequence length into ops the
 * compiler already proves (docs/recurrent.md). Per step and gate, one Gemm over [x_t, h] with the
 * gate's weight rows [W_g | R_g] and bias Wb_g + Rb_g (while h is a constant, as at step 0 with a
 * zero or constant initial state, its term is folded into the bias instead), the default
 * activations (Sigmoid for gates, Tanh otherwise), Mul for the gating products and Reshape/Concat
 * for the outputs Y [seq, dirs, batch, hidden], Y_h and Y_c [dirs, batch, hidden].
 * Anything else (custom activations, clip, input_forget, peepholes, layout 1, ragged sequence_lens)
 * is refused naming the node, the op and the attribute or input.
 */
import { ZkmlError } from '../errors';
import type { FloatTensor, IrNode } from '../formats/graph';
import { Builder, Expansion, refuse } from './graph-builder';
import { intAttr, present, unsupportedAttr } from './ops/op-family';

export const RECURRENT_OPS: readonly string[] = ['RNN', 'GRU', 'LSTM'];

export function isRecurrent(opType: string): boolean {
  return RECURRENT_OPS.includes(opType);
}

/** Gates per op, in ONNX's weight order, and the default activations per direction. */
const GATES: Record<string, number> = { RNN: 1, GRU: 3, LSTM: 4 };
const DEFAULT_ACTIVATIONS: Record<string, string[]> = { RNN: ['Tanh'], GRU: ['Sigmoid', 'Tanh'], LSTM: ['Sigmoid', 'Tanh', 'Tanh'] };
const ALLOWED: Record<string, string[]> = {
  RNN: ['activations', 'direction', 'hidden_size', 'layout'],
  GRU: ['activations', 'direction', 'hidden_size', 'layout', 'linear_before_reset'],
  LSTM: ['activations', 'direction', 'hidden_size', 'layout', 'input_forget'],
};

/** A value of the unrolled graph: its name, and its data while it is a constant (the initial state). */
interface Value {
  name: string;
  constant?: FloatTensor;
}

interface Cell {
  node: IrNode;
  b: Builder;
  batch: number;
  hidden: number;
  input: number;
  W: FloatTensor;
  R: FloatTensor;
  B: FloatTensor;
}

/** Rows [g·H, (g+1)·H) of direction d of a [dirs, G·H, cols] weight, as [H, cols]. */
function gateRows(t: FloatTensor, d: number, g: number, hidden: number): FloatTensor {
  const cols = t.shape[2];
  const start = (d * t.shape[1] + g * hidden) * cols;
  return { shape: [hidden, cols], data: t.data.slice(start, start + hidden * cols) };
}

/** Bias g of direction d: part 0 is Wb, part 1 is Rb (B is [dirs, 2·G·H]). */
function gateBias(c: Cell, d: number, part: 0 | 1, g: number): Float64Array {
  const start = d * c.B.shape[1] + part * (c.B.shape[1] / 2) + g * c.hidden;
  return c.B.data.slice(start, start + c.hidden);
}

/** h [batch, H] · Rᵀ [H, H] + bias [H] as a constant [batch, H]. */
function foldState(h: FloatTensor, R: FloatTensor, bias: Float64Array, batch: number, hidden: number): FloatTensor {
  const out = new Float64Array(batch * hidden);
  for (let n = 0; n < batch; n++) {
    for (let j = 0; j < hidden; j++) {
      let s = bias[j];
      for (let k = 0; k < hidden; k++) s += h.data[n * hidden + k] * R.data[j * hidden + k];
      out[n * hidden + j] = s;
    }
  }
  return { shape: [batch, hidden], data: out };
}

/**
 * x_t·W_gᵀ + h·R_gᵀ + bias for gate g. `withState` false leaves the h term out (GRU's
 * linear_before_reset=1 candidate adds its own); `rbias` says whether Rb_g is in the bias.
 */
function linear(c: Cell, d: number, g: number, x: string, h: Value | undefined, rbias: boolean): string {
  const W = gateRows(c.W, d, g, c.hidden);
  const R = gateRows(c.R, d, g, c.hidden);
  const wb = gateBias(c, d, 0, g);
  const bias = rbias ? wb.map((v, j) => v + gateBias(c, d, 1, g)[j]) : wb;
  const b = c.b;
  if (!h || h.constant) {
    const C = h?.constant ? foldState(h.constant, R, bias, c.batch, c.hidden) : { shape: [c.hidden], data: bias };
    return b.op('Gemm', [x, b.constant('W', W), b.constant('bias', C)], { transB: 1 });
  }
  const WR = new Float64Array(c.hidden * (c.input + c.hidden));
  for (let j = 0; j < c.hidden; j++) {
    WR.set(W.data.subarray(j * c.input, (j + 1) * c.input), j * (c.input + c.hidden));
    WR.set(R.data.subarray(j * c.hidden, (j + 1) * c.hidden), j * (c.input + c.hidden) + c.input);
  }
  const xh = b.op('Concat', [x, h.name], { axis: 1 });
  return b.op('Gemm', [xh, b.constant('WR', { shape: [c.hidden, c.input + c.hidden], data: WR }), b.constant('bias', { shape: [c.hidden], data: bias })], { transB: 1 });
}

/** ht + z⊙(h − ht) = (1 − z)⊙ht + z⊙h, GRU's update with one product. */
function blend(b: Builder, z: string, candidate: string, h: Value): string {
  return b.op('Add', [candidate, b.op('Mul', [z, b.op('Sub', [h.name, candidate])])]);
}

interface StepState {
  h: Value;
  c?: Value;
}

function step(c: Cell, d: number, x: string, s: StepState, linearBeforeReset: boolean): StepState {
  const b = c.b;
  switch (c.node.opType) {
    case 'RNN':
      return { h: { name: b.op('Tanh', [linear(c, d, 0, x, s.h, true)]) } };
    case 'GRU': {
      const z = b.op('Sigmoid', [linear(c, d, 0, x, s.h, true)]);
      const r = b.op('Sigmoid', [linear(c, d, 1, x, s.h, true)]);
      let pre: string;
      if (linearBeforeReset) {
        // x·W_hᵀ + Wb_h + r ⊙ (h·R_hᵀ + Rb_h)
        const R = gateRows(c.R, d, 2, c.hidden);
        const rb = gateBias(c, d, 1, 2);
        const hr = s.h.constant
          ? b.constant('hR', foldState(s.h.constant, R, rb, c.batch, c.hidden))
          : b.op('Gemm', [s.h.name, b.constant('R', R), b.constant('bias', { shape: [c.hidden], data: rb })], { transB: 1 });
        pre = b.op('Add', [linear(c, d, 2, x, undefined, false), b.op('Mul', [r, hr])]);
      } else {
        // x·W_hᵀ + (r ⊙ h)·R_hᵀ + Wb_h + Rb_h
        pre = linear(c, d, 2, x, { name: b.op('Mul', [r, s.h.name]) }, true);
      }
      return { h: { name: blend(b, z, b.op('Tanh', [pre]), s.h) } };
    }
    default: {
      // LSTM, gates i, o, f, c.
      const i = b.op('Sigmoid', [linear(c, d, 0, x, s.h, true)]);
      const o = b.op('Sigmoid', [linear(c, d, 1, x, s.h, true)]);
      const f = b.op('Sigmoid', [linear(c, d, 2, x, s.h, true)]);
      const g = b.op('Tanh', [linear(c, d, 3, x, s.h, true)]);
      const cell = b.op('Add', [b.op('Mul', [f, s.c!.name]), b.op('Mul', [i, g])]);
      return { h: { name: b.op('Mul', [o, b.op('Tanh', [cell])]) }, c: { name: cell } };
    }
  }
}

function stringAttr(node: IrNode, name: string, fallback: string): string {
  const v = node.attributes[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'string') throw unsupportedAttr(node, name, v);
  return v;
}

function checkAttributes(node: IrNode, dirs: number): void {
  for (const k of Object.keys(node.attributes)) if (!ALLOWED[node.opType].includes(k)) throw unsupportedAttr(node, k, node.attributes[k]);
  const acts = node.attributes.activations;
  if (acts !== undefined) {
    const want = Array.from({ length: dirs }, () => DEFAULT_ACTIVATIONS[node.opType]).flat();
    if (!Array.isArray(acts) || acts.length !== want.length || acts.some((a, i) => a !== want[i])) throw unsupportedAttr(node, 'activations', acts);
  }
  if (intAttr(node, 'layout', 0) !== 0) throw unsupportedAttr(node, 'layout', node.attributes.layout);
  if (intAttr(node, 'input_forget', 0) !== 0) throw unsupportedAttr(node, 'input_forget', node.attributes.input_forget);
}

function malformed(node: IrNode, why: string): ZkmlError {
  return new ZkmlError('ONNX_MALFORMED', `node '${node.name}' (${node.opType}): ${why}`, { node: node.name });
}

/** A constant weight input of the expected shape, or a refusal naming it. */
function weight(node: IrNode, i: number, what: string, shape: number[], consts: Array<FloatTensor | undefined>): FloatTensor {
  const t = consts[i];
  if (!t) throw refuse(node, `the ${what} '${node.inputs[i]}' is computed at run time; only constant weights are supported`);
  if (t.shape.length !== shape.length || t.shape.some((d, k) => d !== shape[k])) throw malformed(node, `${what} has shape [${t.shape}], expected [${shape}]`);
  return t;
}

/** The initial state of direction d: a constant slice, a run-time slice (Gather), or zeros. */
function initialState(c: Cell, i: number, what: string, d: number, shapes: number[][], consts: Array<FloatTensor | undefined>): Value {
  const { node, b, batch, hidden } = c;
  const size = batch * hidden;
  if (!present(node, i)) return { name: b.constant(`${what}0`, { shape: [batch, hidden], data: new Float64Array(size) }), constant: { shape: [batch, hidden], data: new Float64Array(size) } };
  const dirs = shapes[1][0];
  if (shapes[i].length !== 3 || shapes[i][0] !== dirs || shapes[i][1] !== batch || shapes[i][2] !== hidden)
    throw malformed(node, `${what} has shape [${shapes[i]}], expected [${dirs},${batch},${hidden}]`);
  const t = consts[i];
  if (t) {
    const slice = { shape: [batch, hidden], data: t.data.slice(d * size, (d + 1) * size) };
    return { name: b.constant(`${what}0`, slice), constant: slice };
  }
  return { name: b.op('Gather', [node.inputs[i], b.constant('dir', { shape: [], data: Float64Array.of(d) })], { axis: 0 }) };
}

/**
 * The ops `node` (RNN, GRU or LSTM) unrolls into (its outputs keep their names), given its input
 * shapes and constant inputs.
 */
export function expandRecurrent(node: IrNode, shapes: number[][], consts: Array<FloatTensor | undefined>): Expansion {
  const b = new Builder(node);
  const op = node.opType;
  const G = GATES[op];
  if (!present(node, 0) || !present(node, 1) || !present(node, 2)) throw malformed(node, 'inputs X, W and R are required');
  const direction = stringAttr(node, 'direction', 'forward');
  if (!['forward', 'reverse', 'bidirectional'].includes(direction)) throw unsupportedAttr(node, 'direction', direction);
  const dirs = direction === 'bidirectional' ? 2 : 1;
  checkAttributes(node, dirs);
  const linearBeforeReset = op === 'GRU' && intAttr(node, 'linear_before_reset', 0) !== 0;
  if (shapes[0].length !== 3) throw malformed(node, `X has shape [${shapes[0]}], expected [seq, batch, input]`);
  const [seq, batch, input] = shapes[0];
  if (shapes[1].length !== 3 || shapes[1][1] % G !== 0) throw malformed(node, `W has shape [${shapes[1]}], expected [${dirs}, ${G}·hidden, ${input}]`);
  const hidden = intAttr(node, 'hidden_size', shapes[1][1] / G);
  const W = weight(node, 1, 'weight W', [dirs, G * hidden, input], consts);
  const R = weight(node, 2, 'recurrence weight R', [dirs, G * hidden, hidden], consts);
  const B = present(node, 3) ? weight(node, 3, 'bias B', [dirs, 2 * G * hidden], consts) : { shape: [dirs, 2 * G * hidden], data: new Float64Array(dirs * 2 * G * hidden) };
  if (present(node, 4)) {
    const lens = consts[4];
    if (!lens) throw refuse(node, `sequence_lens '${node.inputs[4]}' is computed at run time; only a constant equal to the sequence length ${seq} is supported`);
    if (lens.data.length !== batch || lens.data.some((v) => v !== seq))
      throw refuse(node, `sequence_lens [${Array.from(lens.data)}] differs from the sequence length ${seq}; only full sequences are supported`);
  }
  if (op === 'LSTM' && present(node, 7)) throw refuse(node, `the peephole weights P '${node.inputs[7]}' are not supported`);
  if (node.outputs.length > (op === 'LSTM' ? 3 : 2)) throw malformed(node, `${node.outputs.length} outputs`);
  const c: Cell = { node, b, batch, hidden, input, W, R, B };

  const steps: string[][] = Array.from({ length: seq }, () => []);
  const last: StepState[] = [];
  for (let d = 0; d < dirs; d++) {
    let s: StepState = { h: initialState(c, 5, 'h', d, shapes, consts), c: op === 'LSTM' ? initialState(c, 6, 'c', d, shapes, consts) : undefined };
    const reverse = direction === 'reverse' || d === 1;
    for (let k = 0; k < seq; k++) {
      const t = reverse ? seq - 1 - k : k;
      const x = b.op('Gather', [node.inputs[0], b.constant('t', { shape: [], data: Float64Array.of(t) })], { axis: 0 });
      s = step(c, d, x, s, linearBeforeReset);
      steps[t][d] = s.h.name;
    }
    last.push(s);
  }

  const shape = (dims: number[]) => b.constant('shape', { shape: [dims.length], data: Float64Array.from(dims) });
  /** Concat along `axis` of `parts` (a Reshape when there is one), into `out` when given. */
  const join = (parts: string[], axis: number, out?: string) => (parts.length === 1 ? b.op('Identity', parts, {}, out) : b.op('Concat', parts, { axis }, out));
  const [yOut, yhOut, ycOut] = [node.outputs[0] ?? '', node.outputs[1] ?? '', node.outputs[2] ?? ''];
  if (yOut !== '') {
    const perStep = steps.map((hs) =>
      join(
        hs.map((h) => b.op('Reshape', [h, shape([1, 1, batch, hidden])])),
        1,
      ),
    );
    join(perStep, 0, yOut);
  }
  if (yhOut !== '')
    join(
      last.map((s) => b.op('Reshape', [s.h.name, shape([1, batch, hidden])])),
      0,
      yhOut,
    );
  if (ycOut !== '')
    join(
      last.map((s) => b.op('Reshape', [s.c!.name, shape([1, batch, hidden])])),
      0,
      ycOut,
    );
  return b.expansion();
}
