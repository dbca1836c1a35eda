/**
 * Off-chain verification of a receipt against a verification key: our own input checks first,
 * then snarkjs's pairing check.
 */
import { ErrorCode, ZkmlError } from '../errors';
import { withSnarkjsCurve } from '../setup/groth16-setup';
import { checkProofAndSignals, ProofAndSignals, vkPublicCount } from './checks';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const snarkjs = require('snarkjs');

export interface VerifyResult {
  valid: boolean;
  /** Why the receipt was refused; absent when valid. */
  code?: ErrorCode;
  reason: string;
}

/**
 * Verdicts about the receipt come back as { valid: false, code }; only a bad verification key
 * (the verifier's own input) throws.
 */
export async function verifyOffchain(receipt: ProofAndSignals, vk: object): Promise<VerifyResult> {
  const nPublic = vkPublicCount(vk);
  try {
    checkProofAndSignals(receipt, nPublic);
  } catch (err) {
    if (err instanceof ZkmlError) return { valid: false, code: err.code, reason: err.message };
    throw err;
  }

  // snarkjs returns false for both bad points and a failed pairing; its log line tells them apart.
  const logged: string[] = [];
  const logger = { debug: noop, info: noop, warn: noop, error: (m: unknown) => void logged.push(String(m)) };
  let ok: boolean;
  try {
    ok = await withSnarkjsCurve(() => snarkjs.groth16.verify(vk, receipt.publicSignals, receipt.proof, logger));
  } catch (err) {
    return { valid: false, code: 'PROOF_MALFORMED', reason: `snarkjs rejected the proof: ${firstLine(err)}` };
  }
  if (ok === true) return { valid: true, reason: 'the proof verifies against the verification key' };
  if (logged.some((m) => /commitments are not valid/i.test(m))) {
    return { valid: false, code: 'PROOF_MALFORMED', reason: 'a proof point is not on the curve or not in its subgroup' };
  }
  if (logged.some((m) => /public inputs are not valid/i.test(m))) {
    return { valid: false, code: 'SIGNAL_NOT_IN_FIELD', reason: 'snarkjs found a public signal outside the field' };
  }
  return { valid: false, code: 'PROOF_INVALID', reason: 'the pairing check failed: the proof does not match these public signals and this key' };
}

function noop(): void {
  // snarkjs progress logging is not wanted here
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
