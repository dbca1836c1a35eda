/** The per-layer constraint report written next to the artifacts. */
import { gadgetBits, gadgetConstraints } from '../quantize/bounds';
import type { QuantizedModel } from '../formats/quantized-model';
import { rowHasParams, rowMultiplications } from '../quantize/params';
import { batchSize, commitmentCost, commitmentLayout } from '../commit/layout';
import { GasPrediction, predictGas } from './gas-prediction';
import { publicLayout } from '../formats/public-signals';
import type { PackSpec } from '../commit/scheme';
import type { CalibrationAccuracy } from './layer-errors';

export interface LayerReport {
  layer: string;
  opType: string;
  outputs: number;
  constraints: number;
  products: number;
  /** Widest bounded decomposition in the layer (bits). */
  maxBits: number;
  shift: number;
  scaleBits: number;
  /** Error of the dequantized integer reference against onnxruntime's float run of this tensor, over the calibration set. */
  calibration?: { maxAbsError: number; meanAbsError: number; samples: number };
}

export interface CompileReport {
  layers: LayerReport[];
  /** Sum over layers, predicted before circom runs. */
  predictedConstraints: number;
  /** From the r1cs circom wrote. */
  constraints?: number;
  publicSignals?: number;
  outputs: Array<{ name: string; shape: number[]; scaleBits: number; errorBound: number; calibrationMaxError?: number }>;
  /** Inferences per proof. */
  batchSize: number;
  /** Public signals predicted from the visibility settings. */
  predictedPublicSignals: number;
  /** Hashing cost of each commitment (absent when that side is not hashed). */
  commitments: Array<{ side: 'input' | 'output' | 'weights'; elements: number; words: number; constraints: number; constraintsPerElement: number }>;
  /** With private weights: their Poseidon commitment (decimal), the public signal that names them. */
  weightsCommitment?: string;
  /** On-chain verification gas, predicted before setup (src/compiler/gas-prediction.ts). */
  gas: GasPrediction;
  /** What the compile assumed and the user should know (e.g. the input range without calibration). */
  warnings?: string[];
}

/** Output elements whose value is fixed by the circuit: no input reaches them through any layer. */
function constantOutputElements(model: QuantizedModel): number {
  const constant: boolean[][] = model.tensors.map((t) => new Array<boolean>(t.size).fill(false));
  for (const layer of model.layers) {
    constant[layer.out] = layer.rows.map(
      (row, i) =>
        layer.gadgets![i].kind === 'zero' || (!rowHasParams(row) && row.terms.every(([t, j]) => constant[t][j]) && row.products.every(([ta, ia, tb, ib]) => constant[ta][ia] && constant[tb][ib])),
    );
  }
  return model.outputs.reduce((n, o) => n + constant[o.tensor].filter(Boolean).length, 0);
}

export function buildReport(model: QuantizedModel): CompileReport {
  const layers: LayerReport[] = model.inputs.map((input) => {
    const bits = (input.hi - input.lo + 1n).toString(2).length - 1;
    const size = model.tensors[input.tensor].size;
    return { layer: `input '${input.name}'`, opType: `RangeCheck(${input.visibility})`, outputs: size, constraints: size * bits, products: 0, maxBits: bits, shift: 0, scaleBits: input.scaleBits };
  });
  for (const layer of model.layers) {
    const gadgets = layer.gadgets!;
    const products = layer.rows.reduce((a, r, i) => a + (gadgets[i].kind === 'zero' ? 0 : rowMultiplications(r)), 0);
    layers.push({
      layer: layer.node,
      opType: layer.opType,
      outputs: layer.rows.length,
      constraints: gadgets.reduce((a, g) => a + gadgetConstraints(g), 0) + products,
      products,
      maxBits: gadgets.reduce((a, g) => Math.max(a, gadgetBits(g)), 0),
      shift: layer.shift,
      scaleBits: model.tensors[layer.out].scaleBits,
    });
  }
  const k = batchSize(model);
  if (k > 1) {
    for (const l of layers) {
      l.outputs *= k;
      l.constraints *= k;
      l.products *= k;
      l.opType = `${l.opType} x${k}`;
    }
  }
  const layout = commitmentLayout(model);
  const commitments: CompileReport['commitments'] = [];
  const hashRow = (side: 'input' | 'output' | 'weights', specs: PackSpec[]): void => {
    const c = commitmentCost(specs);
    commitments.push({ side, ...c, constraintsPerElement: c.constraints / c.elements });
    layers.push({
      layer: `${side} commitment`,
      opType: `Poseidon chain, ${c.words} word${c.words > 1 ? 's' : ''}`,
      outputs: 1,
      constraints: c.constraints,
      products: 0,
      maxBits: 0,
      shift: 0,
      scaleBits: 0,
    });
  };
  if (layout.inputs) hashRow('input', layout.inputs);
  if (layout.outputs) hashRow('output', layout.outputs);
  if (layout.weights) {
    // Once for the whole batch: the k copies share the weight signals.
    const checks = layout.weights.reduce((a, s) => a + s.size * s.width, 0);
    const count = layout.weights.reduce((a, s) => a + s.size, 0);
    layers.push({
      layer: 'private weights',
      opType: `RangeCheck, ${layout.weights.length} groups`,
      outputs: count,
      constraints: checks,
      products: 0,
      maxBits: Math.max(...layout.weights.map((s) => s.width)),
      shift: 0,
      scaleBits: 0,
    });
    hashRow('weights', layout.weights);
  }
  // Constant output elements need a pin only when they are public signals.
  const pinned = layout.outputs ? 0 : constantOutputElements(model) * k;
  if (pinned > 0) {
    // circom keeps one linear constraint per public output element that is a constant.
    layers.push({ layer: 'public outputs', opType: 'constant pins', outputs: pinned, constraints: pinned, products: 0, maxBits: 0, shift: 0, scaleBits: 0 });
  }
  return {
    layers,
    predictedConstraints: layers.reduce((a, l) => a + l.constraints, 0),
    outputs: model.outputs.map((o) => ({ name: o.name, shape: o.shape, scaleBits: o.scaleBits, errorBound: o.errorBound })),
    batchSize: k,
    predictedPublicSignals: publicLayout(model).reduce((a, e) => a + e.size, 0),
    commitments,
    gas: predictGas(
      publicLayout(model).reduce((a, e) => a + e.size, 0),
      model.params !== undefined,
    ),
  };
}

/**
 * Adds what the calibration pass measured to the report (built before it: its predicted count
 * decides whether the compile goes on): per layer against onnxruntime, per output the max error.
 */
export function addCalibration(report: CompileReport, model: QuantizedModel, accuracy: CalibrationAccuracy): void {
  // buildReport's rows: one per model input, then one per layer in order.
  model.layers.forEach((layer, i) => {
    const e = accuracy.layers.get(layer.out);
    if (e) report.layers[model.inputs.length + i].calibration = e;
  });
  report.outputs.forEach((o, j) => (o.calibrationMaxError = accuracy.outputs[j]));
}

export function formatReport(r: CompileReport): string {
  const withErrors = r.layers.some((l) => l.calibration);
  const rows = [['layer', 'op', 'outputs', 'constraints', 'products', 'max bits', 'shift', 'scale', ...(withErrors ? ['max err', 'mean err'] : [])]];
  const fmt = (v: number) => (v === 0 ? '0' : v.toPrecision(3));
  for (const l of r.layers) {
    const errs = withErrors ? (l.calibration ? [fmt(l.calibration.maxAbsError), fmt(l.calibration.meanAbsError)] : ['', '']) : [];
    rows.push([l.layer, l.opType, `${l.outputs}`, `${l.constraints}`, `${l.products}`, `${l.maxBits}`, `${l.shift}`, `2^-${l.scaleBits}`, ...errs]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const table = rows.map((row) =>
    row
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd(),
  );
  table.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const tail = [
    '',
    withErrors ? 'max/mean err: |dequantized integer reference − onnxruntime float| of the layer output over the calibration set' : '',
    `predicted constraints: ${r.predictedConstraints}`,
    r.constraints !== undefined ? `r1cs constraints:      ${r.constraints}` : '',
    r.publicSignals !== undefined ? `public signals:        ${r.publicSignals}` : '',
    r.batchSize > 1 ? `batch:                 ${r.batchSize} inferences per proof` : '',
    r.weightsCommitment !== undefined ? `weights commitment:    ${r.weightsCommitment}` : '',
    ...r.commitments.map((c) => `${c.side} commitment: ${c.elements} elements in ${c.words} words, ${c.constraints} constraints (${c.constraintsPerElement.toFixed(2)} per element)`),
    `predicted gas:         verifyProof ${r.gas.verifyProof}, ZkmlRegistry.submitInference ${r.gas.submitInference} (${r.gas.nPublic} public signals)`,
    ...r.outputs.map(
      (o) =>
        `output '${o.name}' [${o.shape}]: scale 2^-${o.scaleBits}, static error bound ${o.errorBound.toPrecision(3)}` +
        (o.calibrationMaxError !== undefined ? `, max error on calibration ${o.calibrationMaxError.toPrecision(3)}` : ''),
    ),
    ...(r.warnings ?? []).map((w) => `warning: ${w}`),
  ].filter((l) => l !== '');
  return [...table, ...tail].join('\n') + '\n';
}
