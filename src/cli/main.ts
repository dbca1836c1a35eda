/**
 * `zkml`: a thin adapter over the core stages. Success prints what was written and the key figures;
 * failure prints one line `error CODE: message` on stderr and exits non-zero.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { artifactPath, Manifest, PtauInfo, readJson } from '../artifacts';
import { auditBuild } from '../audit/audit';
import { checkProofShape } from '../verifier/checks';
import { deployModel } from '../chain/deploy-model';
import { deployContract, registryArtifact, registryAt, submitInference, withWallet } from '../chain/registry';
import { solidityCallArgs } from '../chain/verifier-contract';
import { evaluateBatch, modelCommitments, parseSalt, randomSalt, readBatch, Salts } from '../commit/commitments';
import { commitmentLayout } from '../commit/layout';
import { checkOpenings } from '../commit/openings';
import { COMMITMENT_SCHEME } from '../commit/scheme';
import { compileModel, readCompiled } from '../compiler/compile';
import { asZkmlError, ZkmlError } from '../errors';
import { Prover } from '../prover/prover';
import type { Receipt } from '../prover/receipt';
import { acceptContribution, contributeZkey, exportCurrentZkey, finishCeremony, initCeremony, readCeremony } from '../setup/ceremony';
import { runSetup } from '../setup/groth16-setup';
import { verifyOffchain } from '../verifier/offchain';
import { verifyOnchain } from '../verifier/onchain';
import { progressPrinter } from './progress';

const USAGE = `usage:
  zkml compile <model.onnx> --out DIR [--calibration FILE] [--input-visibility public|private|hashed]
               [--output-visibility public|hashed] [--batch K]
               [--input-bits N] [--weight-bits N] [--activation-bits N] [--input-range LO,HI]
               [--max-constraints N] [--target balanced|accuracy|resources]
  zkml setup DIR [--ptau FILE|DIR [--allow-unknown-ptau]] [--contributions N]
  zkml ceremony init --dir DIR [--ptau FILE|DIR [--allow-unknown-ptau]]
  zkml ceremony export --dir DIR --out FILE
  zkml ceremony contribute IN.zkey OUT.zkey --name NAME [--entropy TEXT]
  zkml ceremony accept FILE --dir DIR --name NAME
  zkml ceremony finish --dir DIR --beacon HEX --iterations N
  zkml ceremony status --dir DIR
  zkml commit INPUT --dir DIR [--input-salt S] [--output-salt S]
  zkml prove DIR --input FILE --out RECEIPT [--input-salt S] [--output-salt S]
  zkml verify RECEIPT --dir DIR [--onchain [--rpc URL] [--key HEX] [--address ADDR]]
  zkml calldata RECEIPT
  zkml audit DIR --input FILE [--per-class N]   (soundness: mutate the witness, expect every change refused)
  zkml abi                       (the ZkmlRegistry ABI as JSON; see docs/contracts.md)
  zkml registry deploy --rpc URL --key HEX
  zkml registry register DIR --registry ADDR --rpc URL --key HEX [--verifier ADDR]
  zkml registry submit RECEIPT --registry ADDR --model-id N --rpc URL --key HEX

  zkml serve      (the HTTP service; configured by environment variables, see docs/service.md)
  zkml worker     (a scale-out job worker: needs REDIS_URL and DATABASE_URL)`;

function readJsonFile(file: string, code: 'INPUT_INVALID' | 'RECEIPT_INVALID'): unknown {
  if (!fs.existsSync(file)) throw new ZkmlError(code, `no file at ${file}`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new ZkmlError(code, `${file} is not valid JSON`);
  }
}

function intOption(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new ZkmlError('USAGE', `--${name} takes a whole number`);
  return n;
}

function rangeOption(v: string | undefined): [number, number] | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map(Number);
  if (parts.length !== 2 || parts.some((x) => !Number.isFinite(x))) throw new ZkmlError('USAGE', '--input-range takes LO,HI');
  return [parts[0], parts[1]];
}

function requirePositional(positionals: string[], what: string): string {
  if (!positionals[0]) throw new ZkmlError('USAGE', `missing ${what}\n${USAGE}`);
  return positionals[0];
}

async function compileCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      calibration: { type: 'string' },
      'input-visibility': { type: 'string' },
      'output-visibility': { type: 'string' },
      batch: { type: 'string' },
      'input-bits': { type: 'string' },
      'weight-bits': { type: 'string' },
      'activation-bits': { type: 'string' },
      'input-range': { type: 'string' },
      'max-constraints': { type: 'string' },
      target: { type: 'string' },
    },
  });
  const model = requirePositional(positionals, 'the model file');
  if (!values.out) throw new ZkmlError('USAGE', 'compile needs --out DIR');
  const settings = Object.fromEntries(
    Object.entries({
      inputVisibility: values['input-visibility'],
      outputVisibility: values['output-visibility'],
      batchSize: intOption(values.batch, 'batch'),
      inputBits: intOption(values['input-bits'], 'input-bits'),
      weightBits: intOption(values['weight-bits'], 'weight-bits'),
      activationBits: intOption(values['activation-bits'], 'activation-bits'),
      inputRange: rangeOption(values['input-range']),
      maxConstraints: intOption(values['max-constraints'], 'max-constraints'),
      target: values.target,
    }).filter(([, v]) => v !== undefined),
  );
  const r = await compileModel(model, values.out, { settings, calibration: values.calibration, onProgress: progressPrinter('compile') });
  process.stdout.write(fs.readFileSync(artifactPath(values.out, 'reportText'), 'utf8'));
  console.log(`wrote ${values.out}: circuit.r1cs, circuit.wasm, circuit.sym, circuit/main.circom, compiled.json, report.json, manifest.json`);
  console.log(`constraints ${r.constraints}, public signals ${r.publicSignals}, compile ${(r.timings.totalMs / 1000).toFixed(1)}s (circom ${(r.timings.circomMs / 1000).toFixed(1)}s)`);
}

async function setupCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ptau: { type: 'string' }, contributions: { type: 'string' }, 'allow-unknown-ptau': { type: 'boolean' } },
  });
  const dir = requirePositional(positionals, 'the build folder');
  const r = await runSetup(dir, {
    ptauPath: values.ptau,
    allowUnknownPtau: values['allow-unknown-ptau'],
    contributions: intOption(values.contributions, 'contributions'),
    onProgress: progressPrinter('setup'),
  });
  console.log(`wrote ${dir}: circuit.zkey, verification_key.json, Verifier.sol, setup.json`);
  console.log(`constraints ${r.constraints}, ptau power ${r.power}, setup ${(r.timings.totalMs / 1000).toFixed(1)}s`);
  printPtauTrust(r.ptau);
}

function printPtauTrust(ptau: PtauInfo): void {
  if (ptau.devSingleContributor) {
    console.log('warning: dev ptau with a single local contributor: NOT for production; pass --ptau with a public Powers of Tau file');
  } else if (ptau.pinned) {
    console.log(`ptau: pinned public file ${ptau.pinnedFile} (blake2b-512 ${ptau.blake2b512.slice(0, 16)}…)`);
  } else {
    console.log(`warning: UNPINNED ptau (blake2b-512 ${ptau.blake2b512.slice(0, 16)}…): recorded as such in the manifest and every receipt; refused in production mode`);
  }
}

async function ceremonyCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      ptau: { type: 'string' },
      'allow-unknown-ptau': { type: 'boolean' },
      out: { type: 'string' },
      name: { type: 'string' },
      entropy: { type: 'string' },
      beacon: { type: 'string' },
      iterations: { type: 'string' },
    },
  });
  const dir = (): string => {
    if (!values.dir) throw new ZkmlError('USAGE', `ceremony ${sub} needs --dir DIR (the build folder)`);
    return values.dir;
  };
  const name = (): string => {
    if (!values.name) throw new ZkmlError('USAGE', `ceremony ${sub} needs --name NAME`);
    return values.name;
  };
  switch (sub) {
    case 'init': {
      const s = await initCeremony(dir(), { ptauPath: values.ptau, allowUnknownPtau: values['allow-unknown-ptau'] });
      console.log(`ceremony opened in ${path.join(dir(), 'ceremony')}: initial key ${s.initialZkey.file} (sha256 ${s.initialZkey.sha256.slice(0, 16)}…), circuit hash ${s.circuitHash.slice(0, 16)}…`);
      printPtauTrust(s.ptau);
      return;
    }
    case 'export': {
      if (!values.out) throw new ZkmlError('USAGE', 'ceremony export needs --out FILE');
      const r = exportCurrentZkey(dir(), values.out);
      console.log(`wrote ${values.out} (sha256 ${r.sha256}, ${r.contributions} contribution(s) so far): hand it to the next contributor`);
      return;
    }
    case 'contribute': {
      if (positionals.length !== 2) throw new ZkmlError('USAGE', 'ceremony contribute takes IN.zkey OUT.zkey');
      const r = await contributeZkey(positionals[0], positionals[1], { name: name(), entropy: values.entropy });
      console.log(`wrote ${positionals[1]}; your contribution hash (check it appears in the published transcript):\n${r.hash}`);
      return;
    }
    case 'accept': {
      const file = requirePositional(positionals, 'the contributed zkey');
      const c = await acceptContribution(dir(), file, { name: name() });
      console.log(`accepted contribution #${c.index} from ${c.name}: ${c.hash}`);
      return;
    }
    case 'finish': {
      if (!values.beacon || !values.iterations) throw new ZkmlError('USAGE', 'ceremony finish needs --beacon HEX and --iterations N');
      const s = await finishCeremony(dir(), { beaconHex: values.beacon, iterationsExp: intOption(values.iterations, 'iterations')! });
      console.log(`ceremony finished: ${s.contributions.length} contribution(s) + beacon; wrote circuit.zkey, verification_key.json, Verifier.sol, setup.json, ceremony-transcript.json`);
      printPtauTrust(s.ptau);
      return;
    }
    case 'status': {
      const s = readCeremony(dir());
      console.log(`ceremony ${s.status}, ptau power ${s.power}${s.ptau.pinned ? ` (${s.ptau.pinnedFile})` : s.ptau.devSingleContributor ? ' (dev ptau)' : ' (unpinned ptau)'}`);
      for (const c of s.contributions) console.log(`#${c.index} ${c.name}: ${c.hash}`);
      if (s.beacon) console.log(`beacon ${s.beacon.hash} 2^${s.beacon.iterationsExp}: ${s.beacon.contributionHash}`);
      return;
    }
    default:
      throw new ZkmlError('USAGE', `unknown ceremony step '${sub ?? ''}'\n${USAGE}`);
  }
}

async function proveCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { input: { type: 'string' }, out: { type: 'string' }, 'input-salt': { type: 'string' }, 'output-salt': { type: 'string' } },
  });
  const dir = requirePositional(positionals, 'the build folder');
  if (!values.input || !values.out) throw new ZkmlError('USAGE', 'prove needs --input FILE and --out RECEIPT');
  const input = readJsonFile(values.input, 'INPUT_INVALID');
  const prover = new Prover();
  try {
    progressPrinter('prove')('witness + proof', 0);
    const receipt = await prover.prove(dir, input, saltOptions(values));
    fs.mkdirSync(path.dirname(path.resolve(values.out)), { recursive: true });
    fs.writeFileSync(values.out, JSON.stringify(receipt, null, 2) + '\n');
    const r = receipt.reference;
    console.log(`wrote ${values.out}`);
    if (receipt.commitments?.input) console.log(`input commitment ${receipt.commitments.input}`);
    if (receipt.commitments?.output) console.log(`output commitment ${receipt.commitments.output}`);
    if (receipt.openings) console.log('the receipt holds the openings (salts and values): remove "openings", "outputs" and "reference" before sharing it');
    for (const o of receipt.outputs) console.log(`output '${o.name}' [${o.shape}]: ${o.values.map((v) => +v.toFixed(4)).join(', ')}`);
    console.log(
      `witness ${receipt.timings.witnessMs} ms, proof ${receipt.timings.proveMs} ms, total ${receipt.timings.totalMs} ms; ` +
        `max abs error vs onnxruntime ${r.maxAbsError.toPrecision(3)} (static bound ${r.tolerance.toPrecision(3)})` +
        (r.argmaxAgrees === null ? '' : `, argmax ${r.argmaxAgrees ? 'agrees' : 'DIFFERS'}`),
    );
  } finally {
    await prover.close();
  }
}

async function verifyCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { dir: { type: 'string' }, onchain: { type: 'boolean' }, rpc: { type: 'string' }, key: { type: 'string' }, address: { type: 'string' } },
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
    ? await verifyOnchain(values.dir, receipt, { rpcUrl: values.rpc, privateKey: values.key, address: values.address })
    : await verifyOffchain(receipt, readJson(artifactPath(values.dir, 'vk')));
  if (!result.valid) throw new ZkmlError(result.code ?? 'PROOF_INVALID', result.reason);
  // Openings are checked against this build's pack specs, never the receipt's own description.
  const opened = receipt.openings ? await checkOpenings(receipt, readCompiled(values.dir).model) : { valid: true, opened: [], reason: '', code: undefined };
  if (!opened.valid) throw new ZkmlError(opened.code ?? 'COMMITMENT_MISMATCH', opened.reason);
  const onchain = result as { address?: string; chainId?: number };
  const where = onchain.address ? ` on chain ${onchain.chainId} at ${onchain.address}` : ' off-chain';
  console.log(`valid${where}: ${result.reason}${opened.opened.length > 0 ? `; ${opened.reason}` : ''}`);
  // A valid proof is only as good as the key: say what this build's key rests on.
  console.log(`key: ${describeKeyTrust(manifest)}`);
}

function describeKeyTrust(m: Manifest): string {
  const ptau = !m.ptau
    ? 'unknown ptau'
    : m.ptau.devSingleContributor
      ? 'dev ptau (single local contributor, NOT for production)'
      : m.ptau.pinned
        ? `pinned public ptau ${m.ptau.pinnedFile}`
        : 'UNPINNED ptau (allowed as unknown)';
  const phase2 = m.phase2?.kind === 'ceremony' ? `phase-2 ceremony with ${m.phase2.contributions} contribution(s), see ceremony-transcript.json` : 'local phase-2 setup';
  return `${ptau}; ${phase2}`;
}

async function calldataCommand(args: string[]): Promise<void> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const receipt = readJsonFile(requirePositional(positionals, 'the receipt'), 'RECEIPT_INVALID') as Receipt;
  console.log(JSON.stringify(solidityCallArgs(receipt.proof, receipt.publicSignals)));
}

async function auditCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { input: { type: 'string' }, 'per-class': { type: 'string' } } });
  const dir = requirePositional(positionals, 'the build folder');
  if (!values.input) throw new ZkmlError('USAGE', 'audit needs --input FILE (an input the witness is computed from)');
  const report = await auditBuild(dir, readJsonFile(values.input, 'INPUT_INVALID'), { perClass: intOption(values['per-class'], 'per-class') });
  if (report.variant) console.log('circom folded private input wires away: audited the same model emitted with public inputs, so inputs stay fixed');
  console.log(`${report.wires} wires, ${report.constraints} constraints`);
  for (const c of report.classes) {
    console.log(`${c.mutationClass.padEnd(18)} tried ${String(c.tried).padStart(5)} of ${String(c.available).padStart(6)}, accepted ${c.accepted.length}${c.accepted.length ? ': ' + c.accepted.slice(0, 3).join('; ') : ''}`);
  }
  if (report.forgeries > 0) throw new ZkmlError('UNDER_CONSTRAINED', `${report.forgeries} mutated witnesses satisfy the constraints: the circuit can prove false outputs`);
  console.log('sound: every mutation was refused by the constraints');
}

function saltOptions(values: { 'input-salt'?: string; 'output-salt'?: string }): Salts {
  return {
    ...(values['input-salt'] !== undefined ? { input: parseSalt(values['input-salt']) } : {}),
    ...(values['output-salt'] !== undefined ? { output: parseSalt(values['output-salt']) } : {}),
  };
}

/** Prints the commitments the build's circuit would make for an input file (fresh salts unless given). */
async function commitCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { dir: { type: 'string' }, 'input-salt': { type: 'string' }, 'output-salt': { type: 'string' } },
  });
  const file = requirePositional(positionals, 'the input file');
  if (!values.dir) throw new ZkmlError('USAGE', 'commit needs --dir DIR (the compiled build folder)');
  const { model, graphInputs } = readCompiled(values.dir);
  const layout = commitmentLayout(model);
  if (!layout.inputs && !layout.outputs) throw new ZkmlError('USAGE', `${values.dir} commits to nothing: compile with --input-visibility hashed or --output-visibility hashed`);
  const given = saltOptions(values);
  const salts: Salts = { input: layout.inputs ? (given.input ?? randomSalt()) : undefined, output: layout.outputs ? (given.output ?? randomSalt()) : undefined };
  const c = await modelCommitments(model, evaluateBatch(model, readBatch(readJsonFile(file, 'INPUT_INVALID'), model, graphInputs)), salts);
  const out = {
    scheme: COMMITMENT_SCHEME,
    ...(c.input !== undefined ? { inputCommitment: c.input.toString(), inputSalt: salts.input!.toString() } : {}),
    ...(c.output !== undefined ? { outputCommitment: c.output.toString(), outputSalt: salts.output!.toString() } : {}),
  };
  console.log(JSON.stringify(out, null, 2));
}

async function abiCommand(): Promise<void> {
  console.log(JSON.stringify(registryArtifact().abi, null, 2));
}

/** ZkmlRegistry on any EVM node: deploy it, register a build (deploying its verifier), submit a receipt. */
async function registryCommand(args: string[]): Promise<void> {
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
    console.log(JSON.stringify({ modelId: d.registry!.modelId, verifier: d.verifier.address, gasUsed: d.registry!.registerGasUsed }));
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

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  compile: compileCommand,
  setup: setupCommand,
  ceremony: ceremonyCommand,
  prove: proveCommand,
  verify: verifyCommand,
  calldata: calldataCommand,
  audit: auditCommand,
  commit: commitCommand,
  abi: abiCommand,
  registry: registryCommand,
  // The service is loaded only when asked for, so the other commands do not pay for NestJS.
  serve: async () => {
    await (await import('../service/main')).serve();
  },
  worker: async () => {
    await (await import('../service/worker')).work();
  },
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const run = COMMANDS[command];
  try {
    if (!run) throw new ZkmlError('USAGE', `unknown command '${command}'\n${USAGE}`);
    await run(rest);
    return 0;
  } catch (err) {
    const e = err instanceof Error && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? new ZkmlError('USAGE', err.message) : asZkmlError(err);
    process.stderr.write(`error ${e.code}: ${e.message.split('\n')[0]}\n`);
    if (process.env.ZKML_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return e.code === 'USAGE' ? 2 : 1;
  }
}
