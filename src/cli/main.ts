/**
 * `zkml`: a thin adapter over the core stages. Success prints what was written and the key figures;
 * failure prints one line `error CODE: message` on stderr and exits non-zero.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { artifactPath, readJson } from '../artifacts';
import { solidityCallArgs } from '../chain/verifier-contract';
import { compileModel } from '../compiler/compile';
import { asZkmlError, ZkmlError } from '../errors';
import { Prover } from '../prover/prover';
import type { Receipt } from '../prover/receipt';
import { runSetup } from '../setup/groth16-setup';
import { verifyOffchain } from '../verifier/offchain';
import { verifyOnchain } from '../verifier/onchain';
import { progressPrinter } from './progress';

const USAGE = `usage:
  zkml compile <model.onnx> --out DIR [--calibration FILE] [--input-visibility public|private]
               [--input-bits N] [--weight-bits N] [--activation-bits N] [--input-range LO,HI]
               [--target balanced|accuracy|resources]
  zkml setup DIR [--ptau FILE] [--contributions N]
  zkml prove DIR --input FILE --out RECEIPT
  zkml verify RECEIPT --dir DIR [--onchain [--rpc URL] [--key HEX] [--address ADDR]]
  zkml calldata RECEIPT`;

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
      'input-bits': { type: 'string' },
      'weight-bits': { type: 'string' },
      'activation-bits': { type: 'string' },
      'input-range': { type: 'string' },
      target: { type: 'string' },
    },
  });
  const model = requirePositional(positionals, 'the model file');
  if (!values.out) throw new ZkmlError('USAGE', 'compile needs --out DIR');
  const settings = Object.fromEntries(
    Object.entries({
      inputVisibility: values['input-visibility'],
      inputBits: intOption(values['input-bits'], 'input-bits'),
      weightBits: intOption(values['weight-bits'], 'weight-bits'),
      activationBits: intOption(values['activation-bits'], 'activation-bits'),
      inputRange: rangeOption(values['input-range']),
      target: values.target,
    }).filter(([, v]) => v !== undefined),
  );
  const r = await compileModel(model, values.out, { settings, calibration: values.calibration, onProgress: progressPrinter('compile') });
  process.stdout.write(fs.readFileSync(artifactPath(values.out, 'reportText'), 'utf8'));
  console.log(`wrote ${values.out}: circuit.r1cs, circuit.wasm, circuit.sym, circuit/main.circom, compiled.json, report.json, manifest.json`);
  console.log(`constraints ${r.constraints}, public signals ${r.publicSignals}, compile ${(r.timings.totalMs / 1000).toFixed(1)}s (circom ${(r.timings.circomMs / 1000).toFixed(1)}s)`);
}

async function setupCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ptau: { type: 'string' }, contributions: { type: 'string' } } });
  const dir = requirePositional(positionals, 'the build folder');
  const r = await runSetup(dir, { ptauPath: values.ptau, contributions: intOption(values.contributions, 'contributions'), onProgress: progressPrinter('setup') });
  console.log(`wrote ${dir}: circuit.zkey, verification_key.json, Verifier.sol, setup.json`);
  console.log(`constraints ${r.constraints}, ptau power ${r.power}, setup ${(r.timings.totalMs / 1000).toFixed(1)}s`);
  if (r.devSingleContributor) {
    console.log('warning: dev ptau with a single local contributor: NOT for production; pass --ptau with a public Powers of Tau file');
  }
}

async function proveCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { input: { type: 'string' }, out: { type: 'string' } } });
  const dir = requirePositional(positionals, 'the build folder');
  if (!values.input || !values.out) throw new ZkmlError('USAGE', 'prove needs --input FILE and --out RECEIPT');
  const input = readJsonFile(values.input, 'INPUT_INVALID');
  const prover = new Prover();
  try {
    progressPrinter('prove')('witness + proof', 0);
    const receipt = await prover.prove(dir, input);
    fs.mkdirSync(path.dirname(path.resolve(values.out)), { recursive: true });
    fs.writeFileSync(values.out, JSON.stringify(receipt, null, 2) + '\n');
    const r = receipt.reference;
    console.log(`wrote ${values.out}`);
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
  const manifest = readJson<{ vkSha256?: string }>(artifactPath(values.dir, 'manifest'));
  if (receipt.model?.vkSha256 && manifest.vkSha256 && receipt.model.vkSha256 !== manifest.vkSha256) {
    throw new ZkmlError('RECEIPT_MODEL_MISMATCH', `the receipt was made with verification key ${receipt.model.vkSha256.slice(0, 16)}…, ${values.dir} has ${manifest.vkSha256.slice(0, 16)}…`);
  }
  const result = values.onchain
    ? await verifyOnchain(values.dir, receipt, { rpcUrl: values.rpc, privateKey: values.key, address: values.address })
    : await verifyOffchain(receipt, readJson(artifactPath(values.dir, 'vk')));
  if (!result.valid) throw new ZkmlError(result.code ?? 'PROOF_INVALID', result.reason);
  const onchain = result as { address?: string; chainId?: number };
  const where = onchain.address ? ` on chain ${onchain.chainId} at ${onchain.address}` : ' off-chain';
  console.log(`valid${where}: ${result.reason}`);
}

async function calldataCommand(args: string[]): Promise<void> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const receipt = readJsonFile(requirePositional(positionals, 'the receipt'), 'RECEIPT_INVALID') as Receipt;
  console.log(JSON.stringify(solidityCallArgs(receipt.proof, receipt.publicSignals)));
}

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  compile: compileCommand,
  setup: setupCommand,
  prove: proveCommand,
  verify: verifyCommand,
  calldata: calldataCommand,
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
