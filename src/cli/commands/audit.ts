/** `zkml audit`: mutate a build's witness and expect the constraints to refuse every change. */
import { parseArgs } from 'node:util';
import { auditBuild } from '../../audit/audit';
import { ZkmlError } from '../../errors';
import { intOption, readJsonFile, requirePositional } from '../args';

export async function auditCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { input: { type: 'string' }, 'per-class': { type: 'string' } } });
  const dir = requirePositional(positionals, 'the build folder');
  if (!values.input) throw new ZkmlError('USAGE', 'audit needs --input FILE (an input the witness is computed from)');
  const report = await auditBuild(dir, readJsonFile(values.input, 'INPUT_INVALID'), { perClass: intOption(values['per-class'], 'per-class') });
  if (report.variant) console.log('circom folded private input wires away: audited the same model emitted with public inputs, so inputs stay fixed');
  console.log(`${report.wires} wires, ${report.constraints} constraints`);
  for (const c of report.classes) {
    console.log(
      `${c.mutationClass.padEnd(18)} tried ${String(c.tried).padStart(5)} of ${String(c.available).padStart(6)}, accepted ${c.accepted.length}${c.accepted.length ? ': ' + c.accepted.slice(0, 3).join('; ') : ''}`,
    );
  }
  if (report.forgeries > 0) throw new ZkmlError('UNDER_CONSTRAINED', `${report.forgeries} mutated witnesses satisfy the constraints: the circuit can prove false outputs`);
  console.log('sound: every mutation was refused by the constraints');
}
