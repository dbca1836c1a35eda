/**
 * `zkml commit`: the commitments of a build. The weights commitment of a private-weights build (as
 * compile fixed it, recomputed from compiled.json); with an input file, the input and output
 * commitments the circuit would make for it (fresh salts unless given).
 */
import { parseArgs } from 'node:util';
import { readManifest } from '../../formats/artifacts';
import { evaluateBatch, modelCommitments, randomSalt, readBatch, Salts, weightsCommitment } from '../../commit/commitments';
import { commitmentLayout } from '../../commit/layout';
import { COMMITMENT_SCHEME } from '../../commit/scheme';
import { readCompiled } from '../../formats/compiled-model';
import { ZkmlError } from '../../errors';
import { readJsonFile, saltOptions } from '../args';

export async function commitCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { dir: { type: 'string' }, 'input-salt': { type: 'string' }, 'output-salt': { type: 'string' } },
  });
  const file = positionals[0];
  if (!values.dir) throw new ZkmlError('USAGE', 'commit needs --dir DIR (the compiled build folder)');
  const compiled = readCompiled(values.dir);
  const { model, graphInputs } = compiled;
  const layout = commitmentLayout(model);
  if (!layout.inputs && !layout.outputs && !layout.weights) {
    throw new ZkmlError('USAGE', `${values.dir} commits to nothing: compile with --input-visibility hashed, --output-visibility hashed or --weight-visibility private`);
  }
  const out: Record<string, string> = { scheme: COMMITMENT_SCHEME };
  if (layout.weights) {
    // Recomputed, not copied: what is printed is what compiled.json's weights hash to.
    const c = (await weightsCommitment(model, BigInt(compiled.weights!.salt))).toString();
    if (c !== readManifest(values.dir).weightsCommitment) throw new ZkmlError('ARTIFACT_HASH_MISMATCH', 'compiled.json does not hold the weights committed to in the manifest');
    out.weightsCommitment = c;
  }
  if (file !== undefined) {
    if (!layout.inputs && !layout.outputs) throw new ZkmlError('USAGE', `${values.dir} hashes neither its input nor its output: give no input file`);
    const given = saltOptions(values);
    const salts: Salts = {
      input: layout.inputs ? (given.input ?? randomSalt()) : undefined,
      output: layout.outputs ? (given.output ?? randomSalt()) : undefined,
      weights: compiled.weights ? BigInt(compiled.weights.salt) : undefined,
    };
    const c = await modelCommitments(model, evaluateBatch(model, readBatch(readJsonFile(file, 'INPUT_INVALID'), model, graphInputs)), salts);
    if (c.input !== undefined) Object.assign(out, { inputCommitment: c.input.toString(), inputSalt: salts.input!.toString() });
    if (c.output !== undefined) Object.assign(out, { outputCommitment: c.output.toString(), outputSalt: salts.output!.toString() });
  } else if (!layout.weights) {
    throw new ZkmlError('USAGE', 'commit needs the input file whose commitments to print');
  }
  console.log(JSON.stringify(out, null, 2));
}
