// Reference: the same kind of file made with snarkjs's own (slow) sequence
// newAccumulator → contribute → preparePhase2. Only the benchmark uses it.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import type { DevPtauProgress } from './dev-ptau';
import { snarkjs } from '../snark/snarkjs';

/** Writes a prepared (phase-2 ready) single-contributor ptau of 2^power to outFile. */
export async function generateDevPtauWithSnarkjs(power: number, outFile: string, onProgress?: DevPtauProgress): Promise<void> {
  const curve = await snarkjs.curves.getCurveFromName('bn128');
  const tmp0 = `${outFile}.0.tmp`;
  const tmp1 = `${outFile}.1.tmp`;
  try {
    onProgress?.('ptau new', 0);
    await snarkjs.powersOfTau.newAccumulator(curve, power, tmp0);
    onProgress?.('ptau contribute', 0.2);
    await snarkjs.powersOfTau.contribute(tmp0, tmp1, 'zkml dev', crypto.randomBytes(32).toString('hex'));
    onProgress?.('ptau prepare phase2', 0.4);
    await snarkjs.powersOfTau.preparePhase2(tmp1, outFile);
    onProgress?.('ptau done', 1);
  } finally {
    fs.rmSync(tmp0, { force: true });
    fs.rmSync(tmp1, { force: true });
    await curve.terminate();
  }
}
