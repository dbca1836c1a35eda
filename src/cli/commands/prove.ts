/** `zkml prove`: witness and Groth16 proof for an input file, written as a receipt. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ZkmlError } from '../../errors';
import { Prover } from '../../prover/prover';
import { readJsonFile, requirePositional, saltOptions } from '../args';
import { cliEnv } from '../env';
import { progressPrinter } from '../progress';

export async function proveCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { input: { type: 'string' }, out: { type: 'string' }, 'input-salt': { type: 'string' }, 'output-salt': { type: 'string' } },
  });
  const dir = requirePositional(positionals, 'the build folder');
  if (!values.input || !values.out) throw new ZkmlError('USAGE', 'prove needs --input FILE and --out RECEIPT');
  const input = readJsonFile(values.input, 'INPUT_INVALID');
  const prover = new Prover({ mode: cliEnv().mode });
  try {
    progressPrinter('prove')('witness + proof', 0);
    const receipt = await prover.prove(dir, input, saltOptions(values));
    fs.mkdirSync(path.dirname(path.resolve(values.out)), { recursive: true });
    fs.writeFileSync(values.out, JSON.stringify(receipt, null, 2) + '\n');
    const r = receipt.reference;
    console.log(`wrote ${values.out}`);
    if (receipt.commitments?.input) console.log(`input commitment ${receipt.commitments.input}`);
    if (receipt.commitments?.output) console.log(`output commitment ${receipt.commitments.output}`);
    if (receipt.commitments?.weights) console.log(`weights commitment ${receipt.commitments.weights} (the private weights; must equal the one published for the model)`);
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
