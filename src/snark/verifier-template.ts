/** snarkjs's Solidity template for Groth16 verifiers (the one `snarkjs zkey export solidityverifier` uses). */
import * as fs from 'node:fs';
import * as path from 'node:path';

export function groth16Template(): string {
  // snarkjs's package exports hide templates/, so locate it from the resolved entry point.
  const file = path.join(path.dirname(require.resolve('snarkjs')), '..', 'templates', 'verifier_groth16.sol.ejs');
  return fs.readFileSync(file, 'utf8');
}
