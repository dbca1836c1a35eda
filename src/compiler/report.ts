/** The per-layer constraint report written next to the artifacts. */
import { LayerErrorShare, MAX_ATTRIBUTED_LAYERS } from '../quantize/error-attribution';
import type { PrecisionTrial } from '../quantize/precision-search';
import { gadgetBits, gadgetConstraints } from '../quantize/bounds';
import type { QuantizedModel } from '../formats/quantized-model';
import { rowMultiplications } from '../quantize/params';
import { batchSize, commitmentCost, commitmentLayout } from '../commit/layout';
import { GasPrediction, predictGas } from './gas-prediction';
import { publicLayout } from '../formats/public-signals';
import type { PackSpec } from '../commit/scheme';
import type { CalibrationAccuracy } from './layer-errors';
import { materialisedSums, materialisesSum } from './emit';
import type { R1csStats } from './r1cs-stats';
import { keptOutputConstraints } from './kept-output-constraints';

export interface LayerReport {
  layer: string;
  opType: string;
  outputs: number;
  constraints: number;
  products: number;
  /** Rows whose sum has its own signal (one constraint each, see MATERIALISE_TERMS in emit.ts). */
  sums?: number;
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
  /** Read from the r1cs circom wrote: the non-zero coefficients of A, B and C. */
  r1cs?: R1csStats;
  /** What a Groth16 proof of this r1cs costs, from its counts (see provingCost). */
  provingCost?: ProvingCost;
  /** Where the compile's time went (ms) and circom's peak memory. */
  compile?: CompilePhases;
  /** Who wrote the r1cs: the direct backend (src/compiler/direct) or circom. */
  backend?: CircuitBackend;
  /** Why circom was used although the direct backend was asked for (a layer kind or option it does not cover). */
  backendFallback?: string;
  /** What the compile assumed and the user should know (e.g. the input range without calibration). */
  warnings?: string[];
  /** With maxError: the bits the compile chose for it and the layers the error bound comes from. */
  precision?: PrecisionReport;
}

export interface PrecisionReport {
  maxError: number;
  activationBits: number;
  weightBits: number;
  inputBits: number;
  target: string;
  /** Largest static error bound over the outputs at the chosen bits. */
  errorBound: number;
  /** Bit choices the search lowered the model with. */
  trials: PrecisionTrial[];
  /** Per layer, largest share first (absent above MAX_ATTRIBUTED_LAYERS layers). */
  errorShares?: LayerErrorShare[];
}

export interface CompilePhases {
  /** Reading the ONNX file, the graph IR and onnxruntime's validity check. */
  ingestMs: number;
  quantizeMs: number;
  /** The calibration figures (an onnxruntime run with the layers' outputs); 0 without calibration. */
  calibrationMs: number;
  emitMs: number;
  circomMs: number;
  /** Loading the witness generator once, reading the r1cs, the weights commitment, writing files. */
  otherMs: number;
  totalMs: number;
  /** circomMs / totalMs. */
  circomShare: number;
  /** Peak resident memory of the circom process (its WebAssembly heap included). */
  circomPeakMemoryBytes?: number;
  /** The direct backend's time (building the constraint system and writing the r1cs); circomMs is then 0. */
  directMs?: number;
  /** Peak resident memory of the compiling process itself (the direct backend runs in it). */
  peakMemoryBytes?: number;
}

/** Who writes the r1cs (and computes the witness): see docs/compile.md. */
export type CircuitBackend = 'direct' | 'circom';

/**
 * The work of one Groth16 proof, counted from the r1cs (snarkjs's prover; ours does the same work):
 * A·w and B·w evaluated coefficient by coefficient (buildABC), 7 FFTs of the evaluation domain, and
 * multi-exponentiations over the wires (A, B in G1 and G2, the private wires' C, the domain's H).
 */
export interface ProvingCost {
  /** log2 of the evaluation domain: the smallest power of two above constraints + public inputs. */
  domainPower: number;
  /** Non-zero A and B coefficients: one field multiply-add each per proof. */
  abcCoefficients: number;
  /** Field elements the 7 FFTs touch per butterfly level, times the levels: 7 · n · log2 n. */
  fftButterflies: number;
  /** G1 scalar multiplications across the A, B1, C and H multi-exponentiations (an upper bound: every wire counted for A and B). */
  g1Points: number;
  /** G2 scalar multiplications (the B2 multi-exponentiation). */
  g2Points: number;
}

export function provingCost(stats: R1csStats, publicSignals: number): ProvingCost {
  // snarkjs adds one constraint per public input (and the constant) to bind them.
  const rows = stats.constraints + publicSignals + 1;
  const domainPower = Math.max(1, Math.ceil(Math.log2(rows)));
  const n = 2 ** domainPower;
  const privateWires = stats.wires - publicSignals - 1;
  return {
    domainPower,
    abcCoefficients: stats.nonZerosA + stats.nonZerosB,
    fftButterflies: 7 * n * domainPower,
    g1Points: 2 * stats.wires + privateWires + n,
    g2Points: stats.wires,
  };
}

export function buildReport(model: QuantizedModel): CompileReport {
  const layers: LayerReport[] = model.inputs.map((input) => {
    const bits = (input.hi - input.lo + 1n).toString(2).length - 1;
    const size = model.tensors[input.tensor].size;
    return { layer: `input '${input.name}'`, opType: `RangeCheck(${input.visibility})`, outputs: size, constraints: size * bits, products: 0, maxBits: bits, shift: 0, scaleBits: input.scaleBits };
  });
  for (const layer of model.layers) {
    const gadgets = layer.gadgets!;
    const products = layer.rows.reduce((a, r, i) => a + (gadgets[i].kind === 'zero' || gadgets[i].kind === 'one' ? 0 : rowMultiplications(r)), 0);
    const sums = layer.rows.reduce((a, r, i) => a + (materialisesSum(r, gadgets[i]) ? 1 : 0), 0);
    layers.push({
      layer: layer.node,
      opType: layer.opType,
      outputs: layer.rows.length,
      constraints: gadgets.reduce((a, g) => a + gadgetConstraints(g), 0) + products + sums,
      products,
      sums,
      maxBits: gadgets.reduce((a, g) => Math.max(a, gadgetBits(g)), 0),
      shift: layer.shift,
      scaleBits: model.tensors[layer.out].scaleBits,
    });
  }
  if (materialisedSums(model) > 0) {
    layers.push({ layer: 'materialised sums', opType: 'One (circuits/one.circom)', outputs: 1, constraints: 2, products: 0, maxBits: 0, shift: 0, scaleBits: 0 });
  }
  const k = batchSize(model);
  if (k > 1) {
    for (const l of layers) {
      l.outputs *= k;
      l.constraints *= k;
      l.products *= k;
      if (l.sums !== undefined) l.sums *= k;
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
  // circom keeps one linear constraint per public output element it cannot solve for a private signal.
  const kept = keptOutputConstraints(model);
  if (kept.constant > 0) {
    layers.push({ layer: 'public outputs', opType: 'constant pins', outputs: kept.constant, constraints: kept.constant, products: 0, maxBits: 0, shift: 0, scaleBits: 0 });
  }
  if (kept.dependent > 0) {
    layers.push({ layer: 'public outputs', opType: 'linear in other outputs', outputs: kept.dependent, constraints: kept.dependent, products: 0, maxBits: 0, shift: 0, scaleBits: 0 });
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
    r.r1cs ? `r1cs non-zeros:        A ${r.r1cs.nonZerosA}, B ${r.r1cs.nonZerosB}, C ${r.r1cs.nonZerosC} (longest A/B row ${r.r1cs.maxRowAB} terms)` : '',
    r.provingCost
      ? `proving cost:          domain 2^${r.provingCost.domainPower}, ${r.provingCost.abcCoefficients} A+B coefficients, ${r.provingCost.g1Points} G1 + ${r.provingCost.g2Points} G2 points`
      : '',
    r.backend ? `backend:               ${r.backend}${r.backendFallback ? ` (direct backend not used: ${r.backendFallback})` : ''}` : '',
    r.compile && r.compile.directMs !== undefined
      ? `compile:               ${(r.compile.totalMs / 1000).toFixed(1)} s, direct r1cs ${(r.compile.directMs / 1000).toFixed(1)} s` +
        (r.compile.peakMemoryBytes !== undefined ? `, peak memory ${(r.compile.peakMemoryBytes / 2 ** 20).toFixed(0)} MiB` : '')
      : '',
    r.compile && r.compile.directMs === undefined
      ? `compile:               ${(r.compile.totalMs / 1000).toFixed(1)} s, circom ${(r.compile.circomMs / 1000).toFixed(1)} s (${(100 * r.compile.circomShare).toFixed(0)} %)` +
        (r.compile.circomPeakMemoryBytes !== undefined ? `, circom peak memory ${(r.compile.circomPeakMemoryBytes / 2 ** 20).toFixed(0)} MiB` : '')
      : '',
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
    ...precisionLines(r.precision),
    ...(r.warnings ?? []).map((w) => `warning: ${w}`),
  ].filter((l) => l !== '');
  return [...table, ...tail].join('\n') + '\n';
}

/** The bits chosen for maxError and the layers that add most of the error bound. */
function precisionLines(p: PrecisionReport | undefined): string[] {
  if (!p) return [];
  const lines = [
    `max error:             ${p.maxError} asked, static bound ${p.errorBound.toPrecision(3)} with activation bits ${p.activationBits}, weight bits ${p.weightBits}, input bits ${p.inputBits}, target ${p.target} (${p.trials.length} choices tried)`,
  ];
  if (!p.errorShares) return [...lines, `error shares:          not computed (more than ${MAX_ATTRIBUTED_LAYERS} layers)`];
  const top = [...p.errorShares].sort((a, b) => b.added - a.added).slice(0, 3);
  return [...lines, ...top.map((s, i) => `${i === 0 ? 'error added by:        ' : '                       '}'${s.layer}' (${s.opType}) ${s.added.toPrecision(3)} of ${p.errorBound.toPrecision(3)}`)];
}
