/**
 * Gas prediction for verifying a proof on an EVM chain, before any deployment: the cost is the
 * Groth16 pairing check plus a linear term per public signal.
 *   tx      21,000 intrinsic + calldata (16 gas per non-zero byte, 4 per zero byte; counted as
 *           non-zero: proof coordinates and commitments are full-width field elements)
 *   pairing ecPairing of 4 pairs (EIP-1108): 45,000 + 4 x 34,000 = 181,000
 *   signal  ecMul 6,000 + ecAdd 150 (EIP-1108) + 32 calldata bytes + the template's field check
 *           and memory work
 * The interpreter overheads (VERIFIER_BASE_OVERHEAD, VERIFIER_SIGNAL_OVERHEAD, and the registry's)
 * were measured with bench/gas.ts on snarkjs 0.7.6's Groth16 verifier compiled by solc 0.8.37
 * (optimizer, 200 runs); docs/gas.md compares prediction and measurement per mode.
 */
export const TX_BASE = 21_000;
export const PAIRING = 45_000 + 4 * 34_000;
export const EC_MUL = 6_000;
export const EC_ADD = 150;
export const CALLDATA_NONZERO_BYTE = 16;

export const VERIFIER_BASE_OVERHEAD = 1_850;
export const VERIFIER_SIGNAL_OVERHEAD = 215;
/** ZkmlRegistry.submitInference on top of the verifier call: nullifier slot, event, decoding. */
export const REGISTRY_BASE_OVERHEAD = 46_000;
export const REGISTRY_SIGNAL_OVERHEAD = 590;
/** With private weights: the registered commitment, read (a cold storage slot, 2,100) and compared. */
export const REGISTRY_PINNED_WEIGHTS = 2_200;

export interface GasPrediction {
  nPublic: number;
  /** A transaction calling the verifier's verifyProof directly. */
  verifyProof: number;
  /** A transaction calling ZkmlRegistry.submitInference (verification, replay protection, event). */
  submitInference: number;
}

export function predictGas(nPublic: number, pinnedWeights = false): GasPrediction {
  const calldata = (4 + 32 * (8 + nPublic)) * CALLDATA_NONZERO_BYTE;
  const verifyProof = TX_BASE + calldata + PAIRING + VERIFIER_BASE_OVERHEAD + nPublic * (EC_MUL + EC_ADD + VERIFIER_SIGNAL_OVERHEAD);
  // The registry takes the signals as a dynamic array: two more calldata words (offset, length) and the model id.
  const submitInference = verifyProof + 3 * 32 * CALLDATA_NONZERO_BYTE + REGISTRY_BASE_OVERHEAD + nPublic * REGISTRY_SIGNAL_OVERHEAD + (pinnedWeights ? REGISTRY_PINNED_WEIGHTS : 0);
  return { nPublic, verifyProof, submitInference };
}
