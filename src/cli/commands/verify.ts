/** `zkml verify`: a receipt against a build's key, off-chain or on an EVM node, plus its openings. */
import { parseArgs } from 'node:util';
import { artifactPath, Manifest, readJson } from '../../formats/artifacts';
import { ZkmlError } from '../../errors';
import { parseReceipt, Receipt } from '../../formats/receipt';
import { verifyReceipt, verifyReceiptWithKey } from '../../app/verify-receipt';
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
      vk: { type: 'string' },
    },
  });
  const file = requirePositional(positionals, 'the receipt');
  if (values.vk && !values.dir) {
    if (values.onchain) throw new ZkmlError('USAGE', 'verify --onchain needs --dir DIR (the build with the Solidity verifier)');
    return verifyWithKeyOnly(parseReceipt(readJsonFile(file, 'RECEIPT_INVALID'), file), values.vk, values['weights-commitment']);
  }
  if (!values.dir) throw new ZkmlError('USAGE', 'verify needs --dir DIR (the build folder) or --vk FILE (the verification key alone)');
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

/** `zkml verify RECEIPT --vk FILE`: the proof against the key alone, the outputs decoded, and what was left unchecked. */
async function verifyWithKeyOnly(receipt: Receipt, vkFile: string, weightsCommitment: string | undefined): Promise<void> {
  const vk = readJsonFile(vkFile, 'ARTIFACT_MISSING');
  if (typeof vk !== 'object' || vk === null) throw new ZkmlError('ARTIFACT_MISSING', `${vkFile} is not a verification key`);
  const verdict = await verifyReceiptWithKey(receipt, vk, { weightsCommitment });
  if (!verdict.valid) throw new ZkmlError(verdict.code ?? 'PROOF_INVALID', verdict.reason);
  console.log(`valid off-chain with the key alone: ${verdict.reason}`);
  for (const d of verdict.decoded ?? []) {
    const shown = d.values.length > 0 ? d.values.map((v) => String(v)).join(', ') : d.integers.map(String).join(', ');
    console.log(`${d.kind} '${d.name}' [${d.shape.join(',')}]: ${shown}`);
  }
  for (const c of verdict.checked) console.log(`checked: ${c}`);
  for (const c of verdict.notChecked) console.log(`not checked: ${c}`);
}
