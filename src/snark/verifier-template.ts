/** snarkjs's Solidity template for Groth16 verifiers (the one `snarkjs zkey export solidityverifier` uses). */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The contract name snarkjs's template declares. */
export const TEMPLATE_CONTRACT = 'Groth16Verifier';

export function groth16Template(): string {
  // snarkjs's package exports hide templates/, so locate it from the resolved entry point.
  const file = path.join(path.dirname(require.resolve('snarkjs')), '..', 'templates', 'verifier_groth16.sol.ejs');
  return fs.readFileSync(file, 'utf8');
}

/**
 * The verifier's contract name for one key: `Groth16Verifier_` and the first 12 hex digits of the
 * verification key's sha256. Every model's verifier would otherwise be `Groth16Verifier`, and two of
 * them cannot be compiled in one Hardhat or Foundry project; the same key always gets the same name.
 */
export function verifierContractName(vkSha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(vkSha256)) throw new Error(`not a sha256 hex digest: ${vkSha256}`);
  return `${TEMPLATE_CONTRACT}_${vkSha256.slice(0, 12)}`;
}

/** The exported verifier source with its contract renamed (the template declares exactly one contract). */
export function renameVerifierContract(solidity: string, name: string): string {
  const declaration = new RegExp(`\\bcontract ${TEMPLATE_CONTRACT} \\{`, 'g');
  const found = solidity.match(declaration)?.length ?? 0;
  if (found !== 1) throw new Error(`the Groth16 verifier template declares contract ${TEMPLATE_CONTRACT} ${found} times, expected once`);
  return solidity.replace(declaration, `contract ${name} {`);
}

/** The name of the (only) contract a verifier source declares: builds set up before the rename keep `Groth16Verifier`. */
export function declaredContractName(solidity: string): string | undefined {
  return /^\s*contract\s+([A-Za-z_$][A-Za-z0-9_$]*)\s*\{/m.exec(solidity)?.[1];
}
