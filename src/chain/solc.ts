/**
 * Compiles Solidity with the pinned solc-js from node_modules: no compiler download at run time,
 * and the same source always gives the same bytecode.
 */
import { ZkmlError } from '../errors';

export interface CompiledContract {
  abi: unknown[];
  /** Creation bytecode, 0x-prefixed. */
  bytecode: string;
  /** Runtime bytecode as deployed, 0x-prefixed (to recognise an existing deployment). */
  deployedBytecode: string;
}

type Solc = typeof import('solc');
let solcModule: Solc | undefined;

/** Loaded on first use: solc-js is a large emscripten module that takes a second to start. */
function loadSolc(): Solc {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  solcModule ??= require('solc') as Solc;
  return solcModule;
}

export function solcVersion(): string {
  return loadSolc().version() as string;
}

/**
 * Compiles one source file (optimizer on, 200 runs) and returns the named contract, or the only
 * contract with bytecode when no name is given.
 */
export function compileSolidity(source: string, contractName?: string, fileName = 'Contract.sol'): CompiledContract {
  const contracts = Object.entries(compileSources({ [fileName]: source })[fileName] ?? {});
  const match = contractName ? contracts.find(([name]) => name === contractName) : contracts.length === 1 ? contracts[0] : undefined;
  if (!match) {
    const names = contracts.map(([name]) => name).join(', ') || 'none';
    throw new ZkmlError('CHAIN_ERROR', `solc: cannot pick contract ${contractName ?? '(unnamed)'} in ${fileName} (found: ${names})`);
  }
  return match[1];
}

/**
 * Compiles several files in one solc run, as a Hardhat or Foundry project does (so two contracts of
 * the same name in different files are an error): every contract with bytecode, by file and name.
 */
export function compileSources(sources: Record<string, string>): Record<string, Record<string, CompiledContract>> {
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(Object.entries(sources).map(([file, content]) => [file, { content }])),
    settings: {
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  };
  let output: SolcOutput;
  try {
    output = JSON.parse(loadSolc().compile(JSON.stringify(input))) as SolcOutput;
  } catch (err) {
    throw new ZkmlError('CHAIN_ERROR', `solc failed: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`, undefined, { cause: err });
  }

  const firstError = (output.errors ?? []).find((e) => e.severity === 'error');
  if (firstError) {
    throw new ZkmlError('CHAIN_ERROR', `solc: ${(firstError.formattedMessage ?? firstError.message).trim().split('\n')[0]}`);
  }

  const result: Record<string, Record<string, CompiledContract>> = {};
  for (const [file, contracts] of Object.entries(output.contracts ?? {})) {
    result[file] = {};
    for (const [name, c] of Object.entries(contracts)) {
      if (c.evm.bytecode.object.length === 0) continue; // interfaces and abstract contracts
      result[file][name] = { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}`, deployedBytecode: `0x${c.evm.deployedBytecode.object}` };
    }
  }
  return result;
}

interface SolcOutput {
  errors?: Array<{ severity: string; message: string; formattedMessage?: string }>;
  contracts?: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>;
}
