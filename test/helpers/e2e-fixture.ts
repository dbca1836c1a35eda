/**
 * The set-up of an end-to-end suite: a temp folder, one long-lived Prover and a local anvil, made
 * before the suite's tests and torn down after them (registered with node:test's before/after).
 */
import * as fs from 'node:fs';
import { after, before } from 'node:test';
import { LocalChain, startAnvil } from '../../src/chain/anvil';
import { Prover } from '../../src/prover/prover';
import { makeTempDir } from './onnx-builders';

export interface E2eFixture {
  work: string;
  prover: Prover;
  chain: LocalChain;
}

/** Call inside a describe(); the fields are set once its before hook has run. */
export function e2eFixture(prefix: string): E2eFixture {
  const f = {} as E2eFixture;
  before(async () => {
    f.work = makeTempDir(prefix);
    f.prover = new Prover();
    f.chain = await startAnvil();
  });
  after(async () => {
    await f.prover?.close();
    await f.chain?.stop();
    if (f.work) fs.rmSync(f.work, { recursive: true, force: true });
  });
  return f;
}
