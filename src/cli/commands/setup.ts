/** `zkml setup`: Groth16 keys for a compiled build with a local phase 2. */
import { parseArgs } from 'node:util';
import { checkContributions, runSetup } from '../../setup/groth16-setup';
import { asUsage, intOption, requirePositional } from '../args';
import { cliEnv } from '../env';
import { progressPrinter } from '../progress';
import { printPtauTrust } from '../trust';

export async function setupCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ptau: { type: 'string' }, contributions: { type: 'string' }, 'allow-unknown-ptau': { type: 'boolean' } },
  });
  const dir = requirePositional(positionals, 'the build folder');
  const contributions = intOption(values.contributions, 'contributions');
  if (contributions !== undefined) asUsage(() => checkContributions(contributions));
  const r = await runSetup(dir, {
    ptauPath: values.ptau,
    cacheDir: cliEnv().cacheDir,
    allowUnknownPtau: values['allow-unknown-ptau'],
    contributions,
    onProgress: progressPrinter('setup'),
  });
  console.log(`wrote ${dir}: circuit.zkey, verification_key.json, Verifier.sol, setup.json`);
  console.log(`constraints ${r.constraints}, ptau power ${r.power}, setup ${(r.timings.totalMs / 1000).toFixed(1)}s`);
  printPtauTrust(r.ptau);
}
