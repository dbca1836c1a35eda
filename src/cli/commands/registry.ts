/** `zkml abi` and `zkml registry <step>`: ZkmlRegistry on any EVM node (deploy, register a build, submit a receipt). */
import { parseArgs } from 'node:util';
import { readManifest } from '../../artifacts';
import { deployContract, registerModel, registryArtifact, registryAt, submitInference, withWallet } from '../../chain/registry';
import { loadVerifierArtifact } from '../../chain/verifier-artifact';
import { readCompiled } from '../../compiler/compile';
import { ZkmlError } from '../../errors';
import type { Receipt } from '../../prover/receipt';
import { publicLayout } from '../../quantize/codec';
import { checkProofShape } from '../../verifier/checks';
import { intOption, readJsonFile, requirePositional } from '../args';
import { USAGE } from '../usage';

export async function abiCommand(): Promise<void> {
  console.log(JSON.stringify(registryArtifact().abi, null, 2));
}

export async function registryCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { rpc: { type: 'string' }, key: { type: 'string' }, registry: { type: 'string' }, verifier: { type: 'string' }, 'model-id': { type: 'string' } },
  });
  if (!values.rpc || !values.key) throw new ZkmlError('USAGE', `registry ${sub ?? ''} needs --rpc URL and --key HEX`);
  const rpc = values.rpc;
  const key = values.key;
  const needRegistry = (): string => {
    if (!values.registry) throw new ZkmlError('USAGE', `registry ${sub} needs --registry ADDR`);
    return values.registry;
  };
  if (sub === 'deploy') {
    const address = await withWallet(rpc, key, (w) => deployContract(w, registryArtifact()));
    console.log(JSON.stringify({ registry: address }));
  } else if (sub === 'register') {
    const dir = requirePositional(positionals, 'the build folder');
    const manifest = readManifest(dir);
    if (!manifest.vkSha256) throw new ZkmlError('ARTIFACT_MISSING', `${dir} has no setup yet: run zkml setup first`);
    const layout = publicLayout(readCompiled(dir).model);
    const registry = needRegistry();
    const out = await withWallet(rpc, key, async (w) => {
      const verifier = values.verifier ?? (await deployContract(w, loadVerifierArtifact(dir)));
      const r = await registerModel(registryAt(registry, w), { verifier, modelHash: manifest.onnxSha256, vkHash: manifest.vkSha256!, layout, weightsCommitment: manifest.weightsCommitment });
      return { modelId: r.modelId.toString(), verifier, gasUsed: r.gasUsed.toString() };
    });
    console.log(JSON.stringify(out));
  } else if (sub === 'submit') {
    const receipt = readJsonFile(requirePositional(positionals, 'the receipt'), 'RECEIPT_INVALID') as Receipt;
    const modelId = intOption(values['model-id'], 'model-id');
    if (modelId === undefined) throw new ZkmlError('USAGE', 'registry submit needs --model-id N');
    checkProofShape(receipt.proof);
    const registry = needRegistry();
    const r = await withWallet(rpc, key, (w) => submitInference(registryAt(registry, w), modelId, receipt.proof, receipt.publicSignals));
    console.log(JSON.stringify({ nullifier: r.nullifier, outputs: r.outputs.map(String), commitments: r.commitments.map(String), gasUsed: r.gasUsed.toString() }));
  } else {
    throw new ZkmlError('USAGE', `unknown registry command '${sub ?? ''}'\n${USAGE}`);
  }
}
