/**
 * compiled.json: the quantized model of a build plus where it came from. The compile stage writes
 * it; the prover, verifier, chain, audit and service read it.
 */
import { ZkmlError } from '../errors';
import { artifactPath, ARTIFACTS, readJson } from './artifacts';
import { reviveModel } from './bigint-json';
import type { Graph } from './graph';
import type { QuantizedModel } from './quantized-model';

/** What compiled.json holds: the quantized model plus where it came from. */
export interface CompiledModel {
  format: 'zkml-compiled/1';
  onnxSha256: string;
  settingsSha256: string;
  graphInputs: Graph['inputs'];
  graphOutputs: Graph['outputs'];
  model: QuantizedModel;
  /**
   * With private weights: their commitment and its salt. The salt and model.params are the owner's
   * secret; this file must not leave the prover (the manifest carries the commitment alone).
   */
  weights?: { scheme: string; salt: string; commitment: string };
}

/** Reads a build folder's compiled.json. */
export function readCompiled(buildDir: string): CompiledModel {
  const compiled = readJson<CompiledModel>(artifactPath(buildDir, 'compiled'));
  if (compiled.format !== 'zkml-compiled/1') throw new ZkmlError('ARTIFACT_MISSING', `${ARTIFACTS.compiled} has an unknown format`);
  reviveModel(compiled.model);
  return compiled;
}
