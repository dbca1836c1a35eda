/** `zkml commit`: the commitments a build's circuit would make for an input file (fresh salts unless given). */
import { parseArgs } from 'node:util';
import { evaluateBatch, modelCommitments, randomSalt, readBatch, Salts } from '../../commit/commitments';
import { commitmentLayout } from '../../commit/layout';
import { COMMITMENT_SCHEME } from '../../commit/scheme';
import { readCompiled } from '../../compiler/compile';
import { ZkmlError } from '../../errors';
import { readJsonFile, requirePositional, saltOptions } from '../args';

export async function commitCommand(args: string[]): Promise<void> {
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
