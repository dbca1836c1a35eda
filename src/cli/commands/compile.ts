/** `zkml compile`: ONNX model → circuit, with the per-layer report. */
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { artifactPath } from '../../formats/artifacts';
import { compileModel } from '../../compiler/compile';
import { ZkmlError } from '../../errors';
import { dimsOption, intOption, joinNegativeValues, positiveOption, rangeOption, requirePositional } from '../args';
import { printWarning, progressPrinter } from '../progress';
import { parseSalt } from '../../commit/commitments';

export async function compileCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: joinNegativeValues(args, ['--input-range']),
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      calibration: { type: 'string' },
      'input-visibility': { type: 'string' },
      'output-visibility': { type: 'string' },
      'weight-visibility': { type: 'string' },
      /** The old name of --weight-visibility, still read. */
      weights: { type: 'string' },
      'weights-salt': { type: 'string' },
      batch: { type: 'string' },
      'input-bits': { type: 'string' },
      'weight-bits': { type: 'string' },
      'activation-bits': { type: 'string' },
      'input-range': { type: 'string' },
      'max-constraints': { type: 'string' },
      'max-error': { type: 'string' },
      target: { type: 'string' },
      'leading-dim': { type: 'string' },
      /** A named symbolic dimension, NAME=N; repeatable. */
      dim: { type: 'string', multiple: true },
      'circom-timeout': { type: 'string' },
      backend: { type: 'string' },
    },
  });
  const model = requirePositional(positionals, 'the model file');
  if (!values.out) throw new ZkmlError('USAGE', 'compile needs --out DIR');
  const settings = Object.fromEntries(
    Object.entries({
      inputVisibility: values['input-visibility'],
      outputVisibility: values['output-visibility'],
      weightVisibility: values['weight-visibility'] ?? values.weights,
      batchSize: intOption(values.batch, 'batch'),
      inputBits: intOption(values['input-bits'], 'input-bits'),
      weightBits: intOption(values['weight-bits'], 'weight-bits'),
      activationBits: intOption(values['activation-bits'], 'activation-bits'),
      inputRange: rangeOption(values['input-range']),
      maxConstraints: intOption(values['max-constraints'], 'max-constraints'),
      maxError: positiveOption(values['max-error'], 'max-error'),
      target: values.target,
      leadingDim: intOption(values['leading-dim'], 'leading-dim'),
      dims: dimsOption(values.dim),
    }).filter(([, v]) => v !== undefined),
  );
  const weightsSalt = values['weights-salt'] !== undefined ? parseSalt(values['weights-salt']) : undefined;
  const timeoutS = intOption(values['circom-timeout'], 'circom-timeout');
  const backend = values.backend;
  if (backend !== undefined && backend !== 'direct' && backend !== 'circom') throw new ZkmlError('USAGE', `--backend must be direct or circom, not '${backend}'`);
  const r = await compileModel(model, values.out, {
    settings,
    calibration: values.calibration,
    weightsSalt,
    ...(timeoutS !== undefined ? { circomTimeoutMs: timeoutS * 1000 } : {}),
    ...(backend !== undefined ? { backend } : {}),
    onProgress: progressPrinter('compile'),
    onWarning: printWarning,
  });
  process.stdout.write(fs.readFileSync(artifactPath(values.out, 'reportText'), 'utf8'));
  const direct = r.report.backend === 'direct';
  console.log(`wrote ${values.out}: circuit.r1cs, ${direct ? '' : 'circuit.wasm, '}circuit.sym, circuit/main.circom, compiled.json, report.json, manifest.json`);
  const where = direct ? `direct backend ${((r.report.compile?.directMs ?? 0) / 1000).toFixed(1)}s` : `circom ${(r.timings.circomMs / 1000).toFixed(1)}s`;
  console.log(`constraints ${r.constraints}, public signals ${r.publicSignals}, compile ${(r.timings.totalMs / 1000).toFixed(1)}s (${where})`);
}
