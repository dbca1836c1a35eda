/**
 * Opening a receipt's commitments: the holder's salts and integers are range-checked against the
 * build's pack specs (never the receipt's own description, which an attacker controls), hashed, and
 * compared with the commitment among the proof's public signals.
 */
import { ZkmlError } from '../errors';
import type { Opening, Receipt } from '../formats/receipt';
import { publicLayout, PublicKind } from '../formats/public-signals';
import type { QuantizedModel } from '../formats/quantized-model';
import type { Verdict } from '../formats/verdict';
import { parseSalt } from './commitments';
import { commitmentLayout } from './layout';
import { commitTensors, PackSpec } from './scheme';

const INTEGER = /^-?(0|[1-9][0-9]*)$/;

function signalOf(model: QuantizedModel, publicSignals: string[], kind: PublicKind): string | undefined {
  let offset = 0;
  for (const e of publicLayout(model)) {
    if (e.kind === kind) return publicSignals[offset];
    offset += e.size;
  }
  return undefined;
}

function openedValues(openings: unknown, specs: PackSpec[], what: string): Array<{ spec: PackSpec; values: bigint[] }> {
  if (!Array.isArray(openings) || openings.length !== specs.length) throw new ZkmlError('OPENING_INVALID', `the ${what} opening must list ${specs.length} tensor(s)`);
  return specs.map((spec, t) => {
    const o = openings[t] as Partial<Opening>;
    if (o?.name !== spec.name) throw new ZkmlError('OPENING_INVALID', `${what} opening ${t} is ${JSON.stringify(o?.name)}, the circuit commits to '${spec.name}' there`);
    if (!Array.isArray(o.integers) || !o.integers.every((v) => typeof v === 'string' && INTEGER.test(v))) {
      throw new ZkmlError('OPENING_INVALID', `the ${what} opening of '${spec.name}' must hold integers as decimal strings`);
    }
    return { spec, values: o.integers.map((v) => BigInt(v)) };
  });
}

async function openOne(model: QuantizedModel, receipt: Receipt, kind: 'input' | 'output', specs: PackSpec[] | undefined): Promise<boolean> {
  const openings = receipt.openings as Record<string, unknown> | undefined;
  const tensors = openings?.[`${kind}s`];
  const salt = openings?.[`${kind}Salt`];
  if (tensors === undefined && salt === undefined) return false;
  if (!specs) throw new ZkmlError('OPENING_INVALID', `the receipt opens an ${kind} commitment, but this circuit's ${kind} is not hashed`);
  if (typeof salt !== 'string') throw new ZkmlError('OPENING_INVALID', `the ${kind} opening needs its salt as a string`);
  const committed = signalOf(model, receipt.publicSignals, `${kind}Commitment`)!;
  const claimed = receipt.commitments?.[kind];
  if (claimed !== undefined && claimed !== committed) throw new ZkmlError('COMMITMENT_MISMATCH', `the receipt's ${kind} commitment is not the one among its public signals`);
  const h = await commitTensors(parseSalt(salt), openedValues(tensors, specs, kind));
  if (h.toString() !== committed) throw new ZkmlError('COMMITMENT_MISMATCH', `the opened ${kind} values and salt do not hash to the ${kind} commitment in the public signals`);
  return true;
}

/** The decoded outputs a receipt shows must be the opened integers (a hashed output is proven only through them). */
function checkShownOutputs(model: QuantizedModel, receipt: Receipt): void {
  const opened = receipt.openings?.outputs;
  if (!opened || !Array.isArray(receipt.outputs)) return;
  model.outputs.forEach((o, j) => {
    const shown = receipt.outputs.find((t) => t.name === o.name);
    if (shown && (shown.values.length !== opened[j].integers.length || shown.values.some((v, i) => v !== Number(BigInt(opened[j].integers[i])) / 2 ** o.scaleBits))) {
      throw new ZkmlError('COMMITMENT_MISMATCH', `the receipt's outputs '${o.name}' are not the opened output integers`);
    }
  });
}

/**
 * With private weights, a valid proof says only "some weights with this commitment": it is a proof
 * of this model only if that commitment is the one published for it (the manifest's, or one the
 * verifier was given).
 */
export function verifyWeightsCommitment(model: QuantizedModel, publicSignals: string[], published: string | undefined): Verdict {
  const given = signalOf(model, publicSignals, 'weightsCommitment');
  if (given === undefined) return { valid: true, reason: 'the weights are circuit constants' };
  if (published === undefined) return { valid: false, code: 'WEIGHTS_COMMITMENT_MISMATCH', reason: 'no published weights commitment to check the proof against' };
  if (given !== published) {
    return { valid: false, code: 'WEIGHTS_COMMITMENT_MISMATCH', reason: `the proof is about weights committed as ${given.slice(0, 16)}…, not the published ${published.slice(0, 16)}…` };
  }
  return { valid: true, reason: 'the weights are the ones committed to' };
}

/**
 * Checks every opening the receipt carries (the proof itself is checked separately). Returns
 * which commitments were opened; a receipt without openings is valid with nothing opened.
 */
export async function verifyOpenings(receipt: Receipt, model: QuantizedModel): Promise<Verdict & { opened: Array<'input' | 'output'> }> {
  const layout = commitmentLayout(model);
  const opened: Array<'input' | 'output'> = [];
  try {
    if (await openOne(model, receipt, 'input', layout.inputs)) opened.push('input');
    if (await openOne(model, receipt, 'output', layout.outputs)) opened.push('output');
    checkShownOutputs(model, receipt);
  } catch (err) {
    if (err instanceof ZkmlError) return { valid: false, code: err.code, reason: err.message, opened };
    throw err;
  }
  const reason = opened.length > 0 ? `the opened ${opened.join(' and ')} values match their commitments` : 'no commitment opened';
  return { valid: true, reason, opened };
}
