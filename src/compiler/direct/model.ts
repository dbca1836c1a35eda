/**
 * The quantized model as a constraint system, in the order and with the names of the circuit
 * src/compiler/emit.ts writes for circom (Model: range checks, the One() of materialised sums, the
 * layers row by row, the public outputs), so the r1cs is the one circom would compile from
 * circuits/ and the audit finds the same roles by name.
 *
 * A layer kind opts in by handling its gadget in `row` below (with a generator in this folder that
 * yields exactly its circuits/ template's constraints) and adding the kind to DIRECT_GADGETS; any
 * other model falls back to circom (`directUnsupported`).
 */
import type { Gadget, Layer, QuantizedModel, Row } from '../../formats/quantized-model';
import { fieldElement } from '../../formats/field';
import { ZkmlError } from '../../errors';
import { needsWrapper } from '../emit-main';
import { materialisesSum } from '../emit';
import { argmax } from './argmax';
import { equalsZero, nonNegative } from './compare';
import { segment } from './segment';
import { divide, modulo } from './divide';
import { rangeCheck } from './bits';
import { dotProduct, materialise, one } from './product';
import { requantize, requantizeRelu } from './requantize';
import { addScaled, constant, ConstraintSystem, Elimination, Lc, wireLc } from './system';

/** Gadget kinds the direct backend generates; a model using any other falls back to circom. */
export const DIRECT_GADGETS: ReadonlySet<Gadget['kind']> = new Set(['linear', 'zero', 'one', 'requantize', 'requantizeRelu', 'argmax', 'segment', 'nonNegative', 'isZero', 'divide', 'modulo']);

/** Why the model needs circom (undefined: the direct backend covers it). */
export function directUnsupported(model: QuantizedModel): string | undefined {
  if (model.params) return 'private weights (committed weight signals)';
  if (needsWrapper(model)) return 'hashed inputs/outputs or several inferences per proof (Poseidon commitments)';
  for (const layer of model.layers) {
    if (!layer.gadgets) return `layer '${layer.node}' has no gadgets`;
    const other = layer.gadgets.find((g) => !DIRECT_GADGETS.has(g.kind));
    if (other) return `layer '${layer.node}' (${layer.opType}) uses the ${other.kind} gadget`;
  }
  return undefined;
}

/**
 * Builds the model's system on one circuit input (the witness calculator's input record: x<tensor>
 * as canonical field elements). withConstraints = false computes the witness values only.
 */
export function buildModelSystem(model: QuantizedModel, input: Record<string, readonly bigint[]>, withConstraints = true, namesFile?: string, elimination: Elimination = 'short'): ConstraintSystem {
  const why = directUnsupported(model);
  if (why) throw new ZkmlError('INTERNAL', `the direct backend does not cover this model: ${why}`);
  const cs = new ConstraintSystem(withConstraints, namesFile, elimination);
  try {
    return buildLayers(cs, model, input);
  } catch (err) {
    cs.names.dispose();
    throw err;
  }
}

/** The last layer that reads each tensor (a tensor no layer reads is not in it). */
function lastReaders(model: QuantizedModel): Map<number, number> {
  const last = new Map<number, number>();
  model.layers.forEach((layer, li) => {
    for (const r of layer.rows) {
      for (const [t] of r.terms) last.set(t, li);
      for (const [ta, , tb] of r.products) last.set(ta, li).set(tb, li);
    }
    for (const [t] of (layer.divide ?? layer.modulo)?.divisors ?? []) last.set(t, li);
  });
  return last;
}

function buildLayers(cs: ConstraintSystem, model: QuantizedModel, input: Record<string, readonly bigint[]>): ConstraintSystem {
  const tensors = new Map<number, Lc[]>();
  const size = (t: number) => model.tensors[t].size;

  // Labels as circom numbers them: the constant, main's outputs, public inputs, private inputs. Only
  // the public ones are fixed: --O2 may solve a linear constraint for a private input (an output copying it).
  const outputs = model.outputs.map((o, j) => Array.from({ length: size(o.tensor) }, (_, i) => cs.wire(`main.y${j}[${i}]`, 0n, true)));
  const ordered = [...model.inputs.filter((i) => i.visibility === 'public'), ...model.inputs.filter((i) => i.visibility !== 'public')];
  for (const spec of ordered) {
    const values = input[`x${spec.tensor}`];
    if (!values || values.length !== size(spec.tensor)) throw new ZkmlError('WITNESS_FAILED', `input x${spec.tensor} needs ${size(spec.tensor)} values`);
    tensors.set(
      spec.tensor,
      values.map((v, i) => wireLc(cs.wire(`main.x${spec.tensor}[${i}]`, fieldElement(BigInt(v)), spec.visibility === 'public'))),
    );
  }
  // Where an output is linear in the inputs, --O2 solves a private input for it: its range check's
  // eliminated bit then moves with the output, and circom's top bit is what refuses an output + 1 (the
  // audit's premise: the inputs stay fixed). Such range checks keep circom's rule.
  const shortInputChecks = outputsPinnedByGadgets(model);
  for (const spec of model.inputs) {
    const bits = (spec.hi - spec.lo + 1n).toString(2).length - 1;
    tensors.get(spec.tensor)!.forEach((x, i) => rangeCheck(cs, `main.rc${spec.tensor}[${i}]`, bits, spec.lo, x, shortInputChecks));
  }
  const unit = model.layers.some((l) => l.rows.some((r, o) => materialisesSum(r, l.gadgets![o]))) ? one(cs, 'main.unit') : undefined;

  // A layer's combinations are dropped once no later layer reads them (main's outputs are kept).
  const last = lastReaders(model);
  const outputTensors = new Set(model.outputs.map((o) => o.tensor));
  const readersDone = new Map<number, number[]>();
  for (const [t, li] of last) if (!outputTensors.has(t)) readersDone.set(li, [...(readersDone.get(li) ?? []), t]);
  model.layers.forEach((layer, li) => {
    const out: Lc[] = [];
    layer.rows.forEach((r, o) => out.push(row(cs, tensors, `main.l${li}`, layer, o, r, layer.gadgets![o], unit)));
    tensors.set(layer.out, out);
    for (const t of readersDone.get(li) ?? []) tensors.delete(t);
  });

  // --O2 solves the copies (y = one signal) before any other linear constraint: a private signal
  // copied to outputs becomes the first of them, and the other outputs keep their own constraint
  // over outputs (y' - y = 0, y'' - 16·y = 0) rather than one over whichever output came first.
  const pins = model.outputs.flatMap((o, j) => outputs[j].map((y, i): [number, Lc] => [y, tensors.get(o.tensor)![i]]));
  for (const [y, x] of pins) cs.setValue(y, cs.value(x));
  for (const copies of [true, false]) for (const [y, x] of pins) if (isCopy(x) === copies) cs.linear(addScaled(wireLc(y), x, -1n));
  return cs;
}

/** Every output comes out of a gadget (a rescale, a comparison, ...): none is a linear function of the inputs. */
function outputsPinnedByGadgets(model: QuantizedModel): boolean {
  return model.outputs.every((o) => {
    const layer = model.layers.find((l) => l.out === o.tensor);
    return layer !== undefined && layer.gadgets !== undefined && layer.gadgets.every((g) => g.kind !== 'linear');
  });
}

/** x is one signal with coefficient 1 (circom's "signal = signal" equality). */
const isCopy = (x: Lc): boolean => x.size === 1 && !x.has(0) && x.values().next().value === 1n;

/** One row of a layer (emit.ts emitRows): its sum, products, materialised signal and gadget. */
function row(cs: ConstraintSystem, tensors: Map<number, Lc[]>, path: string, layer: Layer, o: number, r: Row, g: Gadget, unit: Lc | undefined): Lc {
  const t = layer.out;
  if (g.kind === 'zero') return constant(0n);
  if (g.kind === 'one') return constant(1n);
  const x = (tensor: number, i: number) => tensors.get(tensor)![i];
  if (g.kind === 'argmax')
    return argmax(
      cs,
      `${path}.g${t}_${o}`,
      g.b,
      g.last,
      r.terms.map(([tensor, i]) => x(tensor, i)),
    );
  if (g.kind === 'segment') return segment(cs, `${path}.g${t}_${o}.s`, layer.segments!, g.b, g.sameSlope === true, x(r.terms[0][0], r.terms[0][1]), `main.x${t}[${o}]`);
  const acc = constant(r.bias);
  for (const [tensor, i, c] of r.terms) addScaled(acc, x(tensor, i), c);
  if (r.products.length > 0) {
    addScaled(
      acc,
      dotProduct(
        cs,
        `${path}.d${t}_${o}`,
        r.products.map(([ta, ia, tb, ib]): [Lc, Lc] => [x(ta, ia), x(tb, ib)]),
      ),
    );
  }
  const sum = unit && materialisesSum(r, g) ? materialise(cs, `${path}.a${t}_${o}`, acc, unit) : acc;
  if (g.kind === 'requantize') return requantize(cs, `${path}.g${t}_${o}`, g.k, g.n, g.lo, sum, `main.x${t}[${o}]`);
  if (g.kind === 'divide' || g.kind === 'modulo') {
    const [dt, di, coef] = (layer.divide ?? layer.modulo)!.divisors[o];
    const den = addScaled(new Map(), x(dt, di), coef);
    if (g.kind === 'divide') return divide(cs, `${path}.g${t}_${o}`, g, sum, den);
    return modulo(cs, `${path}.g${t}_${o}`, g, sum, den, `main.x${t}[${o}]`);
  }
  if (g.kind === 'nonNegative') return nonNegative(cs, `${path}.g${t}_${o}`, g.b, sum);
  if (g.kind === 'isZero') return equalsZero(cs, `${path}.g${t}_${o}`, sum);
  if (g.kind === 'requantizeRelu') return requantizeRelu(cs, `${path}.g${t}_${o}`, g.k, g.m, sum, `main.x${t}[${o}]`);
  return sum;
}
