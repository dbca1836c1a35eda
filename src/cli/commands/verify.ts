/** `zkml verify`: a receipt against a build's key, off-chain or on an EVM node, plus its openings. */
import { parseArgs } from 'node:util';
import { artifactPath, Manifest, readJson } from '../../formats/artifacts';
import { ZkmlError } from '../../errors';
import { parseReceipt } from '../../formats/receipt';
import { verifyReceipt } from '../../app/verify-receipt';
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
  const receipt = parseReceipt(readJsonFile(file, 'RECEIPT_INVALID'), file);
  const manifest = readJson<Manifest>(artifactPath(values.dir, 'manifest'));
  const dir = values.dir;
  // Deploying the verifier without --key (nor --address) is a command-line error here.
  const verdict = await asUsage(
    () =>
      verifyReceipt(dir, receipt, {
        onchain: values.onchain ? { rpcUrl: values.rpc, privateKey: values.key, address: values.address } : undefined,
        weightsCommitment: values['weights-commitment'],
      }),
    ['PRIVATE_KEY_REQUIRED'],
  );
  if (!verdict.valid) throw new ZkmlError(verdict.code ?? 'PROOF_INVALID', verdict.reason, verdict.field ? { field: verdict.field } : undefined);
  const { onchain, openings, weights } = verdict;
  const where = onchain?.address ? ` on chain ${onchain.chainId} at ${onchain.address}` : ' off-chain';
  const opened = openings && openings.opened.length > 0 ? `; ${openings.reason}` : '';
  console.log(`valid${where}: ${verdict.reason}${opened}${weights ? `; ${weights.reason}` : ''}`);
  // A valid proof is only as good as the key: say what this build's key rests on.
  console.log(`key: ${describeKeyTrust(manifest)}`);
}
