/**
 * The package's public API: `require('zkml-proof-service')`. A small facade over the stages, in
 * pipeline order; everything else under src/ is internal and may change. docs/library.md shows it in use.
 */
import type { Receipt } from '../formats/receipt';
import type { Salts } from '../commit/commitments';
import { Prover } from '../prover/prover';

// Errors: every failure is a ZkmlError with a stable code (ERROR_CODES lists them).
export { ZkmlError, ERROR_CODES } from '../errors';
export type { ErrorCode } from '../errors';

// Compile an ONNX model into a circuit (build folder), then make its Groth16 keys.
export { compileModel as compile } from '../compiler/compile';
export type { CompileOptions, CompileResult } from '../compiler/compile';
export { runSetup as setup } from '../setup/groth16-setup';
export type { SetupOptions } from '../setup/groth16-setup';

// Prove: one-off (`prove`), or a long-lived Prover for many proofs (threads, models kept loaded).
export { Prover } from '../prover/prover';
export type { ProverOptions } from '../prover/prover';
export type { Salts } from '../commit/commitments';

/** One proof with a Prover made for it and closed after: for scripts; a server keeps one Prover. */
export async function prove(buildDir: string, input: unknown, salts: Salts = {}): Promise<Receipt> {
  const prover = new Prover();
  try {
    return await prover.prove(buildDir, input, salts);
  } finally {
    await prover.close();
  }
}

// Verify: against a build folder (the full policy), or with the verification key alone.
export { verifyReceipt, verifyReceiptWithKey } from '../app/verify-receipt';
export type { ReceiptVerdict, KeyOnlyVerdict, VerifyReceiptOptions } from '../app/verify-receipt';
// Many verifications in one process: hold the curve between them (release when done).
export { holdSnarkjsCurve } from '../snark/curve';

// Receipts, manifests and the public-signal layout.
export { parseReceipt } from '../formats/receipt';
export type { Receipt, Groth16Proof, TensorValues } from '../formats/receipt';
export { readManifest } from '../formats/artifacts';
export type { Manifest } from '../formats/artifacts';
export { publicLayout, decodePublicSignals } from '../formats/public-signals';
export { decodeWithDescribedLayout } from '../formats/described-layout';
export type { Verdict } from '../formats/verdict';

// On-chain: the ZkmlRegistry (docs/contracts.md) through ethers, and a model's verifier deployment.
export { registryAt, registerModel, submitInference, proofWords, registryLayout, registryArtifact, deployContract, withWallet } from '../chain/registry';
export type { RegisterArgs, Accepted } from '../chain/registry';
export { buildKeyProvenance, readKeyProvenance, provenanceMismatches } from '../chain/key-provenance';
export type { KeyProvenance } from '../chain/key-provenance';
export { erc7992Arguments } from '../chain/erc7992';
export { deployModel } from '../chain/deploy-model';
export type { ModelDeployment, DeployModelOptions } from '../chain/deploy-model';
export { startAnvil, ANVIL_DEV_PRIVATE_KEY } from '../chain/anvil';
