/** `zkml abi` and `zkml registry <step>`: ZkmlRegistry on any EVM node (deploy, register a build, submit a receipt). */
import { parseArgs } from 'node:util';
import { deployModel } from '../../chain/deploy-model';
import { provenanceMismatches, readKeyProvenance } from '../../chain/key-provenance';
import { deployContract, registryArtifact, registryAt, submitInference, withWallet } from '../../chain/registry';
import { ZkmlError } from '../../errors';
import { parseReceipt } from '../../formats/receipt';
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
    const d = await deployModel(dir, { rpcUrl: rpc, privateKey: key, verifier: values.verifier, registry: needRegistry() });
    console.log(JSON.stringify({ modelId: d.registry!.modelId, verifier: d.verifier.address, gasUsed: d.registry!.registerGasUsed, keyProvenance: d.registry!.keyProvenance }));
  } else if (sub === 'provenance') {
    // What the registrant stated for the key; with a build folder, where it differs from the build's records.
    const modelId = intOption(values['model-id'], 'model-id');
    if (modelId === undefined) throw new ZkmlError('USAGE', 'registry provenance needs --model-id N');
    const registry = needRegistry();
    const out = await withWallet(rpc, key, async (w) => {
      const reg = registryAt(registry, w);
      const keyProvenance = await readKeyProvenance(reg, modelId);
      return positionals[0] ? { keyProvenance, mismatches: await provenanceMismatches(reg, modelId, positionals[0]) } : { keyProvenance };
    });
    console.log(JSON.stringify(out));
  } else if (sub === 'submit') {
    const file = requirePositional(positionals, 'the receipt');
    const receipt = parseReceipt(readJsonFile(file, 'RECEIPT_INVALID'), file);
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
