/**
 * A receipt's claims besides the proof: which build it names, what its outputs, public inputs and
 * commitments are, how they compare with onnxruntime, what its setup rests on. A valid proof binds
 * only the public signals (and, through them, the openings); each claim must be what those say, read
 * with this build's layout and manifest, or the receipt is refused (RECEIPT_MISMATCH, naming the
 * field). Run after the proof and the openings verified, so the signals are canonical and the opened
 * integers are the committed ones.
 */
import { ZkmlError } from '../errors';
import type { Manifest } from '../formats/artifacts';
import { decodePublicSignals, publicLayout } from '../formats/public-signals';
import type { QuantizedModel } from '../formats/quantized-model';
import { compareOutputs, Opening, Receipt, setupClaims, TensorValues } from '../formats/receipt';

function mismatch(field: string, why: string): never {
  throw new ZkmlError('RECEIPT_MISMATCH', `the receipt's ${field} ${why}`, { field });
}

const sameShape = (a: number[], b: number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** Claimed tensors must be the bound ones: same names in order, shapes and values. */
function checkTensors(field: string, claimed: TensorValues[], bound: TensorValues[]): void {
  if (claimed.length !== bound.length) mismatch(field, `list ${claimed.length} tensor(s), the proof has ${bound.length}`);
  bound.forEach((b, t) => {
    const c = claimed[t];
    if (c.name !== b.name) mismatch(`${field}[${t}].name`, `is ${JSON.stringify(c.name)}, the proof has '${b.name}' there`);
    if (!sameShape(c.shape, b.shape)) mismatch(`${field}[${t}].shape`, `is [${c.shape}], the proof's '${b.name}' has shape [${b.shape}]`);
    if (c.values.length !== b.values.length) mismatch(`${field}[${t}].values`, `hold ${c.values.length} values, the proof's '${b.name}' has ${b.values.length}`);
    const i = c.values.findIndex((v, j) => v !== b.values[j]);
    if (i >= 0) mismatch(`${field}[${t}].values`, `say ${c.values[i]} at index ${i}, the proof says ${b.values[i]}`);
  });
}

/** The build's identity: the hashes a receipt names are the manifest's. */
function checkBuild(receipt: Receipt, model: QuantizedModel, manifest: Manifest): void {
  for (const key of ['onnxSha256', 'r1csSha256', 'zkeySha256', 'vkSha256'] as const) {
    if (manifest[key] !== undefined && receipt.model[key] !== manifest[key]) mismatch(`model.${key}`, `is not this build's (${manifest[key]!.slice(0, 16)}…)`);
  }
  const layout = publicLayout(model);
  const claimed = receipt.model.publicLayout;
  if (claimed.length !== layout.length) mismatch('model.publicLayout', `lists ${claimed.length} entries, the circuit has ${layout.length}`);
  layout.forEach((e, i) => {
    const c = claimed[i];
    if (c.kind !== e.kind || c.name !== e.name || c.scaleBits !== e.scaleBits || !sameShape(c.shape, e.shape)) {
      mismatch(`model.publicLayout[${i}]`, `is not the circuit's (${e.kind} '${e.name}', shape [${e.shape}], ${e.scaleBits} fraction bits)`);
    }
  });
  const k = model.settings.batchSize ?? 1;
  if ((receipt.model.batchSize ?? 1) !== k) mismatch('model.batchSize', `is ${receipt.model.batchSize}, the circuit proves ${k} inference(s) at once`);
}

/** The outputs the proof binds: decoded from the public signals, or from the verified output opening of a hashed output. */
function boundOutputs(receipt: Receipt, model: QuantizedModel, openedOutput: boolean): TensorValues[] | undefined {
  const decoded = decodePublicSignals(model, receipt.publicSignals).filter((d) => d.kind === 'output');
  if (decoded.length > 0) return decoded.map((d) => ({ name: d.name, shape: d.shape, values: d.values }));
  if (!openedOutput) return undefined;
  const k = model.settings.batchSize ?? 1;
  const opened = receipt.openings!.outputs as Opening[];
  return model.outputs.map((o, j) => {
    const shape = k === 1 ? o.shape : [k, ...o.shape];
    if (!sameShape(opened[j].shape ?? [], shape)) mismatch(`openings.outputs[${j}].shape`, `is [${opened[j].shape}], the circuit's '${o.name}' has shape [${shape}]`);
    return { name: o.name, shape, values: opened[j].integers.map((v) => Number(BigInt(v)) / 2 ** o.scaleBits) };
  });
}

function checkCommitments(receipt: Receipt, model: QuantizedModel): void {
  const signals = decodePublicSignals(model, receipt.publicSignals);
  const kinds = { input: 'inputCommitment', output: 'outputCommitment', weights: 'weightsCommitment' } as const;
  for (const [side, value] of Object.entries(receipt.commitments ?? {}) as Array<[keyof typeof kinds, string | undefined]>) {
    const signal = signals.find((d) => d.kind === kinds[side]);
    if (!signal) mismatch(`commitments.${side}`, `is given, but this circuit has no ${side} commitment`);
    if (value !== signal.integers[0].toString()) mismatch(`commitments.${side}`, 'is not the one among the public signals');
  }
}

function checkInputOpeningShapes(receipt: Receipt, model: QuantizedModel, openedInput: boolean): void {
  if (!openedInput) return;
  const k = model.settings.batchSize ?? 1;
  (receipt.openings!.inputs as Opening[]).forEach((o, t) => {
    const i = model.inputs[t];
    const shape = k === 1 ? i.shape : [k, ...i.shape];
    if (!sameShape(o.shape ?? [], shape)) mismatch(`openings.inputs[${t}].shape`, `is [${o.shape}], the circuit's '${i.name}' has shape [${shape}]`);
  });
}

/** onnxruntime's outputs are the prover's word, but the figures said about them must follow from them and the bound outputs. */
function checkReference(receipt: Receipt, model: QuantizedModel, bound: TensorValues[] | undefined): void {
  const ref = receipt.reference;
  if (ref === undefined) return;
  if (!bound) mismatch('reference', 'cannot be checked: the output is hashed and the receipt does not open it');
  if (ref.outputs.length !== bound.length) mismatch('reference.outputs', `list ${ref.outputs.length} tensor(s), the model has ${bound.length} output(s)`);
  for (const b of bound) {
    const r = ref.outputs.find((o) => o.name === b.name);
    if (!r || r.values.length !== b.values.length) mismatch('reference.outputs', `do not hold '${b.name}' with ${b.values.length} values`);
  }
  const k = model.settings.batchSize ?? 1;
  const figures = compareOutputs(bound, ref.outputs);
  const argmaxAgrees = k > 1 ? null : figures.argmaxAgrees;
  if (ref.maxAbsError !== figures.maxAbsError) mismatch('reference.maxAbsError', `is ${ref.maxAbsError}, the proven outputs are ${figures.maxAbsError} from onnxruntime's`);
  if (ref.argmaxAgrees !== argmaxAgrees) mismatch('reference.argmaxAgrees', `is ${ref.argmaxAgrees}, the proven outputs say ${argmaxAgrees}`);
  if (ref.integerReferenceMatches !== true) mismatch('reference.integerReferenceMatches', 'is not true: a receipt is issued only when the circuit equals the integer reference');
  const tolerance = Math.max(0, ...model.outputs.map((o) => o.errorBound));
  if (ref.tolerance !== tolerance) mismatch('reference.tolerance', `is ${ref.tolerance}, the build's tolerance is ${tolerance}`);
}

function checkSetup(receipt: Receipt, manifest: Manifest): void {
  if (receipt.setup === undefined) return;
  const actual = setupClaims(manifest) as unknown as Record<string, unknown>;
  const claimed = receipt.setup as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(actual), ...Object.keys(claimed)])) {
    if (claimed[key] !== actual[key]) mismatch(`setup.${key}`, `is ${JSON.stringify(claimed[key])}, the build's manifest says ${JSON.stringify(actual[key])}`);
  }
}

/**
 * Whether the receipt claims anything beyond its proof and signals (a bare snarkjs proof does not). */
export const CLAIM_FIELDS = ['model', 'outputs', 'publicInputs', 'commitments', 'reference', 'setup'] as const;
export const makesClaims = (receipt: object): boolean => CLAIM_FIELDS.some((k) => k in receipt);

/**
 * Throws RECEIPT_MISMATCH (details.field) at the first claim the proof does not bear out.
 * opened: which commitments verifyOpenings opened (their integers are then bound too).
 */
export function checkReceiptClaims(receipt: Receipt, model: QuantizedModel, manifest: Manifest, opened: ReadonlyArray<'input' | 'output'>): void {
  if (receipt.model !== undefined) checkBuild(receipt, model, manifest);
  checkCommitments(receipt, model);
  checkInputOpeningShapes(receipt, model, opened.includes('input'));
  const inputs = decodePublicSignals(model, receipt.publicSignals)
    .filter((d) => d.kind === 'input')
    .map((d) => ({ name: d.name, shape: d.shape, values: d.values }));
  if (receipt.publicInputs !== undefined) checkTensors('publicInputs', receipt.publicInputs, inputs);
  const bound = boundOutputs(receipt, model, opened.includes('output'));
  if (receipt.outputs !== undefined) {
    if (!bound) mismatch('outputs', 'cannot be checked: the output is hashed and the receipt does not open it');
    checkTensors('outputs', receipt.outputs, bound);
  }
  checkReference(receipt, model, bound);
  checkSetup(receipt, manifest);
}
