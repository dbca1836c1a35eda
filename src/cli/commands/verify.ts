/** `zkml verify`: a receipt against a build's key, off-chain or on an EVM node, plus its openings. */
import { parseArgs } from 'node:util';
import { artifactPath, Manifest, readJson } from '../../artifacts';
import { checkOpenings, checkWeightsCommitment } from '../../commit/openings';
import { readCompiled } from '../../compiler/compile';
import { ZkmlError } from '../../errors';
import type { Receipt } from '../../prover/receipt';
import { verifyOffchain } from '../../verifier/offchain';
import { verifyOnchain } from '../../verifier/onchain';
import { asUsage, readJsonFile, requirePositional } from '../args';
import { describeKeyTrust } from '../trust';

export async function verifyCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      onchain: { type: 'boolean' },
      rpc: { type: 'string' },
      key: { type: 'string' },
      address: { type: 'string' },
      'weights-commitment': { type: 'string' },
    },
  });
  const file = requirePositional(positionals, 'the receipt');
  if (!values.dir) throw new ZkmlError('USAGE', 'verify needs --dir DIR (the build folder with verification_key.json)');
  const receipt = readJsonFile(file, 'RECEIPT_INVALID') as Receipt;
  if (typeof receipt !== 'object' || receipt === null || Array.isArray(receipt) || !('proof' in receipt) || !('publicSignals' in receipt)) {
    throw new ZkmlError('RECEIPT_INVALID', `${file} is not a receipt: it needs "proof" and "publicSignals"`);
  }
  const manifest = readJson<Manifest>(artifactPath(values.dir, 'manifest'));
  if (receipt.model?.vkSha256 && manifest.vkSha256 && receipt.model.vkSha256 !== manifest.vkSha256) {
    throw new ZkmlError('RECEIPT_MODEL_MISMATCH', `the receipt was made with verification key ${receipt.model.vkSha256.slice(0, 16)}…, ${values.dir} has ${manifest.vkSha256.slice(0, 16)}…`);
  }
  const result = values.onchain
    ? // Deploying without --key (nor --address) is a command-line error here.
      await asUsage(() => verifyOnchain(values.dir!, receipt, { rpcUrl: values.rpc, privateKey: values.key, address: values.address }), ['PRIVATE_KEY_REQUIRED'])
    : await verifyOffchain(receipt, readJson(artifactPath(values.dir, 'vk')));
  if (!result.valid) throw new ZkmlError(result.code ?? 'PROOF_INVALID', result.reason);
  // The build's own quantized model says where the commitments are (never the receipt's description).
  const privateWeights = manifest.weightsCommitment !== undefined;
  const model = privateWeights || receipt.openings ? readCompiled(values.dir).model : undefined;
  const weights = privateWeights ? checkWeightsCommitment(model!, receipt.publicSignals, values['weights-commitment'] ?? manifest.weightsCommitment) : undefined;
  if (weights && !weights.valid) throw new ZkmlError(weights.code!, weights.reason);
  const opened = receipt.openings ? await checkOpenings(receipt, model!) : { valid: true, opened: [], reason: '', code: undefined };
  if (!opened.valid) throw new ZkmlError(opened.code ?? 'COMMITMENT_MISMATCH', opened.reason);
  const onchain = result as { address?: string; chainId?: number };
  const where = onchain.address ? ` on chain ${onchain.chainId} at ${onchain.address}` : ' off-chain';
  console.log(`valid${where}: ${result.reason}${opened.opened.length > 0 ? `; ${opened.reason}` : ''}${weights ? `; ${weights.reason}` : ''}`);
  // A valid proof is only as good as the key: say what this build's key rests on.
  console.log(`key: ${describeKeyTrust(manifest)}`);
}
