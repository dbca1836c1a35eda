/**
 * ERC-7992's opaque arguments for a zkml result, as contracts/Erc7992Verifier.sol reads them: the
 * same values the adapter derives on-chain from the registry's layout, computed here from the receipt.
 */
import { AbiCoder, keccak256, toUtf8Bytes, zeroPadValue, toBeHex } from 'ethers';
import type { Groth16Proof } from '../formats/receipt';
import type { PublicKind } from '../formats/public-signals';
import { BN254_R } from '../formats/field';
import { proofWords } from './registry';

export const ERC7992_CONTRACT = 'Erc7992Verifier';
export const INPUT_DOMAIN = keccak256(toUtf8Bytes('zkml.erc7992.input.v1'));

export interface Erc7992Arguments {
  inputCommitment: string;
  output: string;
  proof: string;
}

/** verifyInference(modelId, inputCommitment, output, proof) for a receipt's proof and signals. */
export function erc7992Arguments(modelId: bigint | number, layout: ReadonlyArray<{ kind: PublicKind; shape: number[] }>, proof: Groth16Proof, publicSignals: readonly string[]): Erc7992Arguments {
  const abi = AbiCoder.defaultAbiCoder();
  const outputs: bigint[] = [];
  const commitments: bigint[] = [];
  const inputs: bigint[] = [];
  let inputCommitment: string | undefined;
  let at = 0;
  for (const seg of layout) {
    const size = seg.shape.reduce((a, d) => a * d, 1);
    for (let i = 0; i < size; i++) {
      const v = BigInt(publicSignals[at++]);
      if (seg.kind === 'output') outputs.push(v > BN254_R / 2n ? v - BN254_R : v);
      else if (seg.kind === 'input') inputs.push(v);
      else {
        commitments.push(v);
        if (seg.kind === 'inputCommitment') inputCommitment ??= zeroPadValue(toBeHex(v), 32);
      }
    }
  }
  return {
    inputCommitment: inputCommitment ?? keccak256(abi.encode(['bytes32', 'uint256', 'uint256[]'], [INPUT_DOMAIN, modelId, inputs])),
    output: abi.encode(['int256[]', 'uint256[]'], [outputs, commitments]),
    proof: abi.encode(['uint256[8]', 'uint256[]'], [proofWords(proof), publicSignals]),
  };
}
