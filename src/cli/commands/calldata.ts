/** `zkml calldata`: a receipt as the Solidity verifier's call arguments. */
import { parseArgs } from 'node:util';
import { solidityCallArgs } from '../../chain/verifier-contract';
import { parseReceipt } from '../../formats/receipt';
import { readJsonFile, requirePositional } from '../args';

export async function calldataCommand(args: string[]): Promise<void> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const file = requirePositional(positionals, 'the receipt');
  const receipt = parseReceipt(readJsonFile(file, 'RECEIPT_INVALID'), file);
  console.log(JSON.stringify(solidityCallArgs(receipt.proof, receipt.publicSignals)));
}
