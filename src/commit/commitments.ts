/**
 * A model's commitments for concrete inputs: quantize every batch item, run the integer reference
 * for the outputs, pack and hash exactly what the circuit hashes. Used by the prover (to check the
 * circuit's commitments before issuing a receipt), by `zkml commit`, and to check openings.
 */
import * as crypto from 'node:crypto';
import { ZkmlError } from '../errors';
import type { ValueInfo } from '../formats/graph';
import { quantizeSample } from '../quantize/codec';
import { InputSample, readInput, readSamples } from '../formats/input-document';
import type { QuantizedModel } from '../formats/quantized-model';
import { runReference } from '../quantize/reference';
import { batchSize, commitmentLayout } from './layout';
import { checkSalt, commitTensors } from './scheme';

export interface Salts {
  input?: bigint;
  output?: bigint;
  /** The private weights' salt: fixed at compile time (compiled.json), secret to the model's owner. */
  weights?: bigint;
}

/** 248 random bits: below the field modulus, and enough that a committed value cannot be guessed. */
export function randomSalt(): bigint {
  return BigInt('0x' + crypto.randomBytes(31).toString('hex'));
}

/** A salt given as decimal or 0x-hex text. */
export function parseSalt(text: string): bigint {
  let v: bigint;
  try {
    if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(text.trim())) throw new Error('not a number');
    v = BigInt(text.trim());
  } catch (err) {
    throw new ZkmlError('OPENING_INVALID', `salt ${JSON.stringify(text)} is not a decimal or 0x-hex integer`, undefined, { cause: err });
  }
  checkSalt(v);
  return v;
}

/** The batch items of an input document: one for a plain circuit, exactly batchSize otherwise. */
export function readBatch(doc: unknown, model: QuantizedModel, graphInputs: ValueInfo[]): InputSample[] {
  const k = batchSize(model);
  if (k === 1) return [readInput(doc, graphInputs)];
  const samples = readSamples(doc, graphInputs, 'INPUT_INVALID');
  if (samples.length !== k) throw new ZkmlError('INPUT_INVALID', `the input file holds ${samples.length} samples; this circuit proves a batch of exactly ${k}`);
  return samples;
}

export interface BatchValues {
  /** Per batch item: quantized input tensors by tensor id. */
  inputs: Array<Map<number, bigint[]>>;
  /** Per model output: the integer outputs of every item, one after another. */
  outputs: bigint[][];
}

export function evaluateBatch(model: QuantizedModel, samples: InputSample[]): BatchValues {
  const inputs = samples.map((s) => quantizeSample(model, s));
  const refs = inputs.map((q) => runReference(model, q));
  return { inputs, outputs: model.outputs.map((o) => refs.flatMap((r) => r[o.tensor])) };
}

/** Per model input: the quantized integers of every item, one after another. */
export function batchedInputs(model: QuantizedModel, values: BatchValues): bigint[][] {
  return model.inputs.map((i) => values.inputs.flatMap((q) => q.get(i.tensor)!));
}

/** Per model object and salt: a build's weights and salt are fixed, and every proof of it needs the commitment. */
const weightCommitments = new WeakMap<QuantizedModel, Map<bigint, Promise<bigint>>>();

/**
 * The commitment to a model's private weights (the circuit's weightsCommitment signal). Hashed once
 * per model object and salt (every weight: 85 ms on the MNIST MLP), not once per proof.
 */
export async function weightsCommitment(model: QuantizedModel, salt: bigint): Promise<bigint> {
  const specs = commitmentLayout(model).weights;
  if (!specs || !model.params) throw new ZkmlError('INTERNAL', 'this model has no private weights');
  let bySalt = weightCommitments.get(model);
  if (!bySalt) weightCommitments.set(model, (bySalt = new Map()));
  let commitment = bySalt.get(salt);
  if (!commitment) {
    commitment = commitTensors(
      salt,
      specs.map((spec, g) => ({ spec, values: model.params![g].values })),
    );
    bySalt.set(salt, commitment);
    commitment.catch(() => bySalt.delete(salt));
  }
  return commitment;
}

/** The commitments the circuit computes (each only when that side is hashed; its salt is then required). */
export async function modelCommitments(model: QuantizedModel, values: BatchValues, salts: Salts): Promise<{ input?: bigint; output?: bigint; weights?: bigint }> {
  const layout = commitmentLayout(model);
  const result: { input?: bigint; output?: bigint; weights?: bigint } = {};
  if (layout.weights) {
    if (salts.weights === undefined) throw new ZkmlError('INTERNAL', 'the weights commitment needs its salt');
    result.weights = await weightsCommitment(model, salts.weights);
  }
  if (layout.inputs) {
    if (salts.input === undefined) throw new ZkmlError('INTERNAL', 'the input commitment needs a salt');
    const inputs = batchedInputs(model, values);
    result.input = await commitTensors(
      salts.input,
      layout.inputs.map((spec, t) => ({ spec, values: inputs[t] })),
    );
  }
  if (layout.outputs) {
    if (salts.output === undefined) throw new ZkmlError('INTERNAL', 'the output commitment needs a salt');
    result.output = await commitTensors(
      salts.output,
      layout.outputs.map((spec, j) => ({ spec, values: values.outputs[j] })),
    );
  }
  return result;
}
