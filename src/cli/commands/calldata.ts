/** `zkml calldata`: a receipt as the Solidity verifier's call arguments. */
import { parseArgs } from 'node:util';
import { solidityCallArgs } from '../../chain/verifier-contract';
import type { Receipt } from '../../formats/receipt';
import { readJsonFile, requirePositional } from '../args';

export async function calldataCommand(args: string[]): Promise<void> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const receipt = readJsonFile(requirePositional(positionals, 'the receipt'), 'RECEIPT_INVALID') as Receipt;
  console.log(JSON.stringify(solidityCallArgs(receipt.proof, receipt.publicSignals)));
}
