/**
 * The set-up every corpus suite shares: the check that the shared corpus is present (one skipped
 * test naming where it was looked for, otherwise), a describe with one Prover, a work dir and a dev
 * ptau cache for the whole file (its own unless ZKML_CACHE_DIR; ptau generation is cached per power),
 * and the assertions of a model that proves.
 *
 * Depth: the slow tier (helpers/slow-tier.ts) sets up, proves and verifies every model; the default
 * tier checks its honest witness instead (tools/corpus/run-corpus-model.ts, depth 'witness'). Both
 * run the soundness audit and compare with onnxruntime.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { corpusDir, CorpusDepth, CorpusResult, CorpusRunOptions, floatSlack, runCorpusModel } from '../../tools/corpus/run-corpus-model';
import { Prover } from '../../src/prover/prover';
import { SLOW } from './slow-tier';

export const CORPUS = corpusDir();
const present = fs.existsSync(path.join(CORPUS, 'INDEX.md'));

/** How far each model runs in this tier. */
export const DEPTH: CorpusDepth = SLOW ? 'prove' : 'witness';
/** What a test title says a provable model does at this depth. */
export const PROVES = DEPTH === 'prove' ? 'proves, verifies' : 'its witness satisfies the r1cs';

export interface CorpusSuiteContext {
  /** Runs one corpus model (its path inside the corpus) with the suite's prover, work dir and cache. */
  run(model: string, options?: Omit<CorpusRunOptions, 'prover' | 'cacheDir' | 'depth'>): Promise<CorpusResult>;
}

/** One line naming a result's status, stage, code and reason: the message of a failed status check. */
export function summary(r: CorpusResult): string {
  return `${r.model}: ${r.status}${r.stage ? ` at ${r.stage}` : ''}${r.code ? ` ${r.code}` : ''}${r.reason ? `: ${r.reason}` : ''}`;
}

/** The diagnostic line of a proved model: its size, error against its bound, prove time and audit. */
export function provedDiagnostic(r: CorpusResult): string {
  const proof = r.proveMs === undefined ? 'not proved (witness depth)' : `prove ${r.proveMs} ms`;
  return `${r.model}: ${r.constraints} constraints, error ${r.maxAbsError} ≤ ${r.tolerance}, ${proof}, ${r.auditMutations} mutations refused`;
}

/**
 * A provable model: proved and verified (at witness depth: its honest witness satisfies the r1cs),
 * the public signals equal the integer reference bit for bit, no forged witness
 * in the soundness audit (which tried mutations, unless `emptyCircuitAllowed` and the circuit has no
 * constraints), and the max abs error within the static bound plus float32 slack.
 */
export function assertProvedWithinBound(r: CorpusResult, opts: { emptyCircuitAllowed?: boolean } = {}): void {
  assert.equal(r.status, DEPTH === 'prove' ? 'proved' : 'witnessed', summary(r));
  if (DEPTH === 'prove') assert.equal(r.verified, true);
  else assert.equal(r.witnessSatisfies, true);
  assert.equal(r.integerReferenceMatches, true);
  assert.equal(r.auditForgeries, 0, `${r.model}: the soundness audit found forged witnesses`);
  if (!opts.emptyCircuitAllowed || r.constraints! > 0) assert.ok(r.auditMutations! > 0, `${r.model}: the audit tried mutations`);
  const allowed = r.tolerance! + floatSlack(r.maxAbsOutput!);
  assert.ok(r.maxAbsError! <= allowed, `${r.model}: max abs error ${r.maxAbsError} > tolerance ${r.tolerance} + float32 slack`);
}

/** `describe(title, body)` when the corpus is present, else one test `skipTitle` skipped saying where it was looked for. */
export function describeCorpus(skipTitle: string, title: string, body: () => void): void {
  if (!present) {
    test(skipTitle, { skip: `no corpus at ${CORPUS} (expected ../shared/corpus beside the repository, or set ZKML_CORPUS_DIR)` }, () => undefined);
    return;
  }
  describe(title, body);
}

/** describeCorpus with one Prover (when proving), work dir and ptau cache for the file, closed and removed after it. */
export function corpusSuite(skipTitle: string, title: string, body: (ctx: CorpusSuiteContext) => void): void {
  describeCorpus(skipTitle, title, () => {
    let prover: Prover | undefined;
    let workDir: string;
    let cacheDir: string;
    let ownCache = false;
    before(() => {
      // Only proving needs a prover (its worker thread loads snarkjs).
      if (DEPTH === 'prove') prover = new Prover();
      workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkml-corpus-'));
      ownCache = !process.env.ZKML_CACHE_DIR;
      cacheDir = process.env.ZKML_CACHE_DIR || fs.mkdtempSync(path.join(os.tmpdir(), 'zkml-corpus-cache-'));
    });
    after(async () => {
      await prover?.close();
      fs.rmSync(workDir, { recursive: true, force: true });
      if (ownCache) fs.rmSync(cacheDir, { recursive: true, force: true });
    });
    body({ run: (model, options = {}) => runCorpusModel(path.join(CORPUS, model), workDir, { ...options, prover, cacheDir, depth: DEPTH }) });
  });
}
