/**
 * Verifying a receipt against a build: the one policy the CLI (`zkml verify`) and the service
 * (`POST /v1/verify`) share. In order, the first failure decides:
 *  0. the receipt is well formed: every field typed, no unknown field (RECEIPT_INVALID);
 *  1. the receipt names this build's verification key (when it names one);
 *  2. the proof verifies off-chain against the build's key (input checks first, then the pairing);
 *  3. with private weights, the proof's weights commitment is the published one (the key alone names
 *     only the architecture);
 *  4. when asked, the build's Solidity verifier accepts it on an EVM node;
 *  5. every opening the receipt carries matches its commitment, read with this build's layout
 *     (never the receipt's own description);
 *  6. every other claim (build hashes, layout, outputs, public inputs, commitments, the reference
 *     figures, setup) is what the public signals, the openings and the build's manifest say
 *     (RECEIPT_MISMATCH naming the field): a valid proof binds only its signals.
 */
import { artifactPath, Manifest, readJson, readManifest, sha256Bytes } from '../formats/artifacts';
import { decodeWithDescribedLayout } from '../formats/described-layout';
import type { DecodedTensor } from '../formats/public-signals';
import { readCompiled } from '../formats/compiled-model';
import type { QuantizedModel } from '../formats/quantized-model';
import { Receipt, receiptProblem } from '../formats/receipt';
import type { Verdict } from '../formats/verdict';
import { verifyOpenings, verifyWeightsCommitment } from '../commit/openings';
import { ZkmlError } from '../errors';
import { checkReceiptClaims, makesClaims } from '../verifier/claims';
import { verifyOffchain } from '../verifier/offchain';
import type { OnchainOptions, OnchainResult } from '../verifier/onchain';

export interface VerifyReceiptOptions {
  /** Also verify with the build's Solidity verifier on this node (a local anvil without rpcUrl). */
  onchain?: OnchainOptions;
  /** The weights commitment to hold the proof to; default: the one the build's manifest publishes. */
  weightsCommitment?: string;
  /** The build's quantized model, when the caller already holds it (read from compiled.json otherwise). */
  model?: () => QuantizedModel;
}

export interface ReceiptVerdict extends Verdict {
  /** The proof's own verdict (off-chain, or on-chain when asked). */
  proof?: Verdict;
  /** Where the on-chain verdict came from. */
  onchain?: Pick<OnchainResult, 'address' | 'chainId' | 'deployed'>;
  /** The weights commitment's verdict, with private weights. */
  weights?: Verdict;
  /** The openings' verdict, when the receipt carries openings. */
  openings?: Verdict & { opened: Array<'input' | 'output'> };
  /** The claims' verdict: outputs, reference figures and the rest agree with the proof and the build. */
  claims?: Verdict;
}

/** Step 6 as a verdict: RECEIPT_MISMATCH (and its field) instead of a throw. */
export function verifyClaims(receipt: Receipt, model: QuantizedModel, manifest: Manifest, opened: ReadonlyArray<'input' | 'output'>): Verdict {
  try {
    checkReceiptClaims(receipt, model, manifest, opened);
  } catch (err) {
    if (err instanceof ZkmlError) return { valid: false, code: err.code, reason: err.message, ...(typeof err.details?.field === 'string' ? { field: err.details.field } : {}) };
    throw err;
  }
  return { valid: true, reason: 'the outputs and every other claim are the ones the proof and the build say' };
}

export async function verifyReceipt(buildDir: string, receipt: Receipt, opts: VerifyReceiptOptions = {}): Promise<ReceiptVerdict> {
  const problem = receiptProblem(receipt);
  if (problem !== undefined) return { valid: false, code: 'RECEIPT_INVALID', reason: `not a receipt: ${problem}` };
  const manifest = readManifest(buildDir);
  const named = receipt.model?.vkSha256;
  if (named && manifest.vkSha256 && named !== manifest.vkSha256) {
    return { valid: false, code: 'RECEIPT_MODEL_MISMATCH', reason: `the receipt was made with verification key ${named.slice(0, 16)}…, the build has ${manifest.vkSha256.slice(0, 16)}…` };
  }
  let model: QuantizedModel | undefined;
  const quantized = (): QuantizedModel => (model ??= opts.model ? opts.model() : readCompiled(buildDir).model);

  let proof: Verdict = await verifyOffchain(receipt, readJson(artifactPath(buildDir, 'vk')));
  if (!proof.valid) return { ...proof, proof };

  const published = opts.weightsCommitment ?? manifest.weightsCommitment;
  const weights = manifest.weightsCommitment !== undefined || opts.weightsCommitment !== undefined ? verifyWeightsCommitment(quantized(), receipt.publicSignals, published) : undefined;
  if (weights && !weights.valid) return { ...weights, proof, weights };

  let onchain: ReceiptVerdict['onchain'];
  if (opts.onchain) {
    // Loaded only when asked for: the chain stage pulls in ethers (a tenth of a second of start-up).
    const { verifyOnchain } = await import('../verifier/onchain');
    const on = await verifyOnchain(buildDir, receipt, opts.onchain);
    proof = { valid: on.valid, code: on.code, reason: on.reason };
    onchain = { address: on.address, chainId: on.chainId, deployed: on.deployed };
    if (!on.valid) return { ...proof, proof, onchain, weights };
  }

  const openings = receipt.openings ? await verifyOpenings(receipt, quantized()) : undefined;
  if (openings && !openings.valid) return { valid: false, code: openings.code, reason: openings.reason, proof, onchain, weights, openings };

  // A bare snarkjs {proof, publicSignals} claims nothing more (and its build may be a plain circuit).
  if (!makesClaims(receipt)) return { valid: true, reason: proof.reason, proof, onchain, weights, openings };
  const claims = verifyClaims(receipt, quantized(), manifest, openings?.opened ?? []);
  if (!claims.valid) return { ...claims, proof, onchain, weights, openings, claims };
  return { valid: true, reason: proof.reason, proof, onchain, weights, openings, claims };
}

/** What a key-only verification checked and what it could not, in words a third party can act on. */
export interface KeyOnlyVerdict extends Verdict {
  proof?: Verdict;
  /** The public signals decoded with the receipt's own layout (only once the proof verifies). */
  decoded?: DecodedTensor[];
  checked: string[];
  notChecked: string[];
}

export interface KeyOnlyOptions {
  /** A weights commitment to hold the proof to (the model's published one). */
  weightsCommitment?: string;
}

/**
 * Verifying a receipt with nothing but the verification key (no build folder): a separate step of
 * the same policy for third parties. In order: the receipt's layout covers its signals, the proof
 * verifies off-chain against the key, and (when given) the weights commitment among the signals is
 * the published one. The outputs are then decoded from the signals with the receipt's layout. The
 * layout itself, the openings and the key's provenance need the build's manifest and model, so they
 * are listed in `notChecked`.
 */
export async function verifyReceiptWithKey(receipt: Receipt, vk: object, opts: KeyOnlyOptions = {}): Promise<KeyOnlyVerdict> {
  const checked: string[] = [];
  const notChecked: string[] = [];
  // The key as `zkml setup` writes it hashes to the receipt's vkSha256; a reformatted copy does not, and the pairing decides.
  const named = receipt.model?.vkSha256;
  if (named && sha256Bytes(JSON.stringify(vk, null, 2) + '\n') === named) checked.push(`the key is the one the receipt names (sha256 ${named.slice(0, 16)}…)`);
  else notChecked.push(named ? "that the key is the one the receipt names (this copy's bytes differ; the pairing check decides)" : 'the key name (the receipt names none)');

  let decoded: DecodedTensor[];
  try {
    decoded = decodeWithDescribedLayout(receipt.model?.publicLayout, receipt.publicSignals ?? []);
  } catch (err) {
    if (err instanceof ZkmlError) return { valid: false, code: err.code, reason: err.message, checked, notChecked };
    throw err;
  }
  const proof = await verifyOffchain(receipt, vk);
  if (!proof.valid) return { ...proof, proof, checked, notChecked };
  checked.push('the Groth16 proof verifies off-chain against the key for these public signals');

  const weights = decoded.find((d) => d.kind === 'weightsCommitment');
  if (weights && opts.weightsCommitment !== undefined) {
    if (BigInt(opts.weightsCommitment) !== weights.integers[0]) {
      return { valid: false, code: 'WEIGHTS_COMMITMENT_MISMATCH', reason: `the proof commits to weights ${weights.integers[0]}, not to ${opts.weightsCommitment}`, proof, checked, notChecked };
    }
    checked.push('the weights commitment among the signals is the given one');
  } else if (weights) notChecked.push("that the weights commitment is the model's published one (give it, or verify with the build's manifest)");

  notChecked.push("the receipt's public layout (names, shapes, scales used to decode the outputs): the build's compiled model pins it");
  if (receipt.openings) notChecked.push("the openings of the commitments (they need the build's model)");
  notChecked.push("the key's provenance (dev ptau or ceremony): the receipt's `setup` is a claim, the manifest and transcript show it");
  return { valid: true, reason: proof.reason, proof, decoded, checked, notChecked };
}
