/**
 * Off-chain verification of a receipt against a verification key: our own input checks first,
 * then snarkjs's pairing check.
 */
import { ZkmlError } from '../errors';
import type { Verdict } from '../formats/verdict';
import { withSnarkjsCurve } from '../snark/curve';
import { checkProofAndSignals, ProofAndSignals, vkPublicCount } from './checks';
import { snarkjsLogger } from '../snark/logger';
import { snarkjs } from '../snark/snarkjs';

/**
 * Verdicts about the receipt come back as { valid: false, code }; only a bad verification key
 * (the verifier's own input) throws.
 */
export async function verifyOffchain(receipt: ProofAndSignals, vk: object): Promise<Verdict> {
  const nPublic = vkPublicCount(vk);
  try {
    checkProofAndSignals(receipt, nPublic);
  } catch (err) {
    if (err instanceof ZkmlError) return { valid: false, code: err.code, reason: err.message };
    throw err;
  }

  // snarkjs returns false for both bad points and a failed pairing; its log line tells them apart.
  const log = snarkjsLogger();
  let ok: boolean;
  try {
    ok = await withSnarkjsCurve(() => snarkjs.groth16.verify(vk, receipt.publicSignals, receipt.proof, log));
  } catch (err) {
    return { valid: false, code: 'PROOF_MALFORMED', reason: `snarkjs rejected the proof: ${firstLine(err)}` };
  }
  if (ok === true) return { valid: true, reason: 'the proof verifies against the verification key' };
  if (log.errors.some((m) => /commitments are not valid/i.test(m))) {
    return { valid: false, code: 'PROOF_MALFORMED', reason: 'a proof point is not on the curve or not in its subgroup' };
  }
  if (log.errors.some((m) => /public inputs are not valid/i.test(m))) {
    return { valid: false, code: 'SIGNAL_NOT_IN_FIELD', reason: 'snarkjs found a public signal outside the field' };
  }
  return { valid: false, code: 'PROOF_INVALID', reason: 'the pairing check failed: the proof does not match these public signals and this key' };
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
