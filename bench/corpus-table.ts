// Results table over the shared corpus of real ONNX models (all tiers): per model, proved and
// verified (constraints, proving time, error against onnxruntime next to the static tolerance) or
// refused (the error code and message, which names the offending nodes) or failed (a bug: setup,
// prove or verify went wrong, or the model ran out of time). Writes docs/corpus.md.
//
//   node dist/bench/corpus-table.js [--timeout S] [--max-constraints N] [--only TEXT] [--dim NAME=N]... [--work DIR] [--resume]
//
// Each model runs in its own child process, killed after --timeout seconds (default 900), so one
// slow model bounds the run instead of stalling it. --max-constraints (default 300000) makes compile
// refuse bigger circuits with MODEL_TOO_LARGE before any circom or setup work. Results are kept in
// DIR/results.json (default: a folder under the OS temp dir); --resume reuses them for the models
// already done. --only runs the models whose name contains TEXT (the doc is then not written);
// --dim binds a symbolic input dimension by name (the compile setting dims), e.g. a sequence length.
// The dev ptau comes from ZKML_CACHE_DIR (default ~/.cache/zkml).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { corpusDir, CorpusIndexRow, CorpusResult, readCorpusIndex, runCorpusModel, WIDE_INPUT_BITS, withinTolerance } from '../tools/corpus/run-corpus-model';
import { packageRoot } from '../src/package-root';

const DOC = path.join(packageRoot(), 'docs', 'corpus.md');
// Measured facts a default run cannot show (a model past the size limit compiled with a higher one), keyed by model.
const NOTES = path.join(packageRoot(), 'bench', 'corpus-notes.json');
const SEED = 1;

/** A result with the wall time of its child process, so a resumed run still reports the total. */
type Timed = CorpusResult & { wallMs?: number };

interface Args {
  timeoutS: number;
  maxConstraints: number;
  only?: string;
  /** Symbolic input dimensions bound by name (--dim NAME=N). */
  dims?: Record<string, number>;
  workDir: string;
  resume: boolean;
}

function parseArgs(argv: string[]): Args {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    timeoutS: Number(value('--timeout') ?? 900),
    maxConstraints: Number(value('--max-constraints') ?? 300_000),
    only: value('--only'),
    dims: dimArgs(argv),
    workDir: path.resolve(value('--work') ?? path.join(os.tmpdir(), 'zkml-corpus-table')),
    resume: argv.includes('--resume'),
  };
}

/** Every --dim NAME=N, as the dims setting (undefined when none is given). */
function dimArgs(argv: string[]): Record<string, number> | undefined {
  const pairs = argv.flatMap((a, i) => (a === '--dim' && argv[i + 1] ? [argv[i + 1].split('=')] : []));
  return pairs.length > 0 ? Object.fromEntries(pairs.map(([name, n]) => [name, Number(n)])) : undefined;
}

/** Child mode: run one model and print its result as the last stdout line. */
async function child(modelDir: string, workDir: string, maxConstraints: number, dims?: Record<string, number>): Promise<void> {
  const r = await runCorpusModel(modelDir, workDir, {
    settings: { maxConstraints, ...(dims ? { dims } : {}) },
    cacheDir: process.env.ZKML_CACHE_DIR,
    seed: SEED,
    onProgress: (stage) => console.log(`stage ${stage}`),
  });
  console.log(`result ${JSON.stringify(r)}`);
  // The prover and snarkjs's curve are closed; remaining handles (ORT) must not keep the child alive.
  process.exit(0);
}

/** Runs one model in a child process; a timeout or a crash becomes a 'failed' result that says so. */
function runIsolated(row: CorpusIndexRow, args: Args): Promise<CorpusResult> {
  const base = { model: row.model, tier: row.tier, ops: row.ops };
  return new Promise((resolve) => {
    const proc = spawn(
      process.execPath,
      [__filename, '--child', path.join(corpusDir(), row.model), path.join(args.workDir, 'builds'), String(args.maxConstraints), ...(args.dims ? [JSON.stringify(args.dims)] : [])],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stage = 'start';
    let result: CorpusResult | undefined;
    let stderr = '';
    let buffered = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('stage ')) stage = line.slice(6);
        else if (line.startsWith('result ')) result = JSON.parse(line.slice(7)) as CorpusResult;
      }
    });
    proc.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      proc.kill('SIGKILL');
    }, args.timeoutS * 1000);
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (result) return resolve({ ...result, tier: row.tier, ops: row.ops || result.ops });
      const lastErr = stderr.trim().split('\n').filter(Boolean).pop() ?? '';
      resolve({
        ...base,
        status: 'failed',
        stage,
        code: timedOut ? 'TIMEOUT' : 'CRASH',
        reason: timedOut ? `did not finish within ${args.timeoutS} s (was at ${stage})` : `the process exited (${signal ?? code}) at ${stage}${lastErr ? `: ${lastErr}` : ''}`,
      });
    });
  });
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The reason a model is not supported, without the allowlist every refusal repeats (listed once above the table). */
function reasonText(r: CorpusResult): string {
  let reason = (r.reason ?? '').replace(/; supported: .*$/, '');
  if (reason.length > 400) reason = `${reason.slice(0, 400)}…`;
  const where = r.status === 'failed' && r.stage ? ` (${r.stage})` : '';
  return `${r.status}${where}: ${r.code ? `${r.code}: ` : ''}${reason}`;
}

function num(x: number | undefined, digits = 3): string {
  if (x === undefined) return '';
  if (x === 0) return '0';
  return Math.abs(x) >= 0.001 && Math.abs(x) < 1e6 ? Number(x.toPrecision(digits)).toString() : x.toExponential(digits - 1);
}

function readNotes(): Record<string, string> {
  return fs.existsSync(NOTES) ? (JSON.parse(fs.readFileSync(NOTES, 'utf8')) as Record<string, string>) : {};
}

function row(r: CorpusResult, note?: string): string {
  const proved = r.status === 'proved';
  const notes = [
    r.inputSource === 'random' ? (r.nonNegativeInput ? 'random input in [0, 1]' : 'random input') : '',
    r.inputBits ? `inputBits ${r.inputBits}` : '',
    r.calibratedOnInput ? 'calibrated on input.json' : '',
  ]
    .filter(Boolean)
    .join(', ');
  const result = (proved ? `proved, verified${notes ? ` (${notes})` : ''}` : reasonText(r)) + (note ? `; ${note}` : '');
  const error = proved ? `${num(r.maxAbsError)}${withinTolerance(r) ? '' : ' ✗ above tolerance'}` : '';
  const cells = [r.model, String(r.tier), r.ops || '—', result, r.constraints?.toLocaleString('en-US') ?? '', proved ? String(r.proveMs) : '', error, proved ? num(r.tolerance) : ''];
  return `| ${cells.map(escapeCell).join(' | ')} |`;
}

function summary(results: CorpusResult[]): string[] {
  const tiers = [...new Set(results.map((r) => r.tier))].sort();
  const per = tiers.map((t) => {
    const of = results.filter((r) => r.tier === t);
    const ok = of.filter((r) => r.status === 'proved' && r.verified).length;
    const refused = of.filter((r) => r.status === 'refused').length;
    const failed = of.filter((r) => r.status === 'failed').length;
    // A model onnxruntime itself cannot load is invalid ONNX: the share that matters is of the loadable ones.
    const invalid = of.filter((r) => r.code === 'ONNXRUNTIME_REFUSED').length;
    const loadable = of.length - invalid;
    const share = invalid > 0 ? `; ${invalid} of the refused are invalid ONNX that onnxruntime refuses too, so ${ok} of the ${loadable} it loads: ${Math.round((100 * ok) / loadable)} %` : '';
    return `tier ${t}: **${ok} of ${of.length}** prove and verify (${refused} refused, ${failed} failed${share})`;
  });
  const over = results.filter((r) => r.status === 'proved' && !withinTolerance(r)).length;
  return [`${per.join('; ')}.`, over > 0 ? `${over} proved model(s) exceed their static error bound (marked ✗).` : 'Every proved model is within its static error bound.'];
}

function writeDoc(results: CorpusResult[], args: Args, totalS: number, supportedOps: string): void {
  const notes = readNotes();
  const lines = [
    '# The shared model corpus through the pipeline',
    '',
    'Every model of the shared corpus (real ONNX files from EZKL, Orion and zkml-jolt/tract test cases; see',
    '`../shared/corpus/INDEX.md`) run end to end: compile with default settings → dev Groth16 setup → prove → verify',
    'off-chain. Written by `node dist/bench/corpus-table.js`; the tier-1 rows are also checked by `test/corpus/tier1.test.ts`.',
    '',
    "- Input: the model's `input.json` (its first sample, and of a batched array its first row, since the circuit binds",
    `  the batch dimension to 1), else seeded random values in [-1, 1] (0/1 for bool inputs; seed ${SEED}). Calibration:`,
    "  that input plus 15 seeded random samples of the same distribution. When an input's range does not fit the default",
    `  8 input bits (raw tabular features), compile is retried with ${WIDE_INPUT_BITS} input bits ("inputBits ${WIDE_INPUT_BITS}" in the result).`,
    '  When a random input falls where the model is undefined (Sqrt of a negative input: onnxruntime gives NaN), the input',
    '  and calibration are redrawn in [0, 1], the domain ("random input in [0, 1]" in the result); when the random',
    '  calibration samples take the model outside its domain (Asin of a value past 1), it is calibrated on input.json alone',
    '  ("calibrated on input.json").',
    `- Size limit for this table: compile refuses circuits predicted above ${args.maxConstraints.toLocaleString('en-US')} constraints`,
    `  (MODEL_TOO_LARGE); each model gets ${args.timeoutS} s in its own process (TIMEOUT otherwise).`,
    '- "refused" is the compiler\'s clear rejection (a stable error code; ONNX_UNSUPPORTED_OP names every offending node).',
    '  "failed" is a bug or a limit of this run (setup, prove or verify went wrong, or time ran out), never a verdict on the model.',
    '- Prove ms: witness + Groth16 proof in the prover worker. Max abs error: circuit output vs onnxruntime on the same input;',
    '  tolerance: the static worst-case bound from the bound analysis (a proved model must stay within it, up to float32 slack).',
    `- Supported ops when this was run: ${supportedOps}.`,
    '- A note after a result (from `bench/corpus-notes.json`) gives what was measured beyond this run, such as a model',
    '  past the size limit compiled with a higher `--max-constraints` (docs/attention.md).',
    '',
    ...summary(results),
    '',
    `Generated ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'CPU'}, ${Math.round(totalS / 60)} min in all.`,
    '',
    '| model | tier | ops | result | constraints | prove ms | max abs error | tolerance |',
    '|---|---|---|---|---|---|---|---|',
    ...results.map((r) => row(r, notes[r.model])),
    '',
  ];
  fs.mkdirSync(path.dirname(DOC), { recursive: true });
  fs.writeFileSync(DOC, lines.join('\n'));
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') return child(argv[1], argv[2], Number(argv[3]), argv[4] ? (JSON.parse(argv[4]) as Record<string, number>) : undefined);
  const args = parseArgs(argv);
  const dir = corpusDir();
  if (!fs.existsSync(path.join(dir, 'INDEX.md'))) {
    console.error(`no corpus at ${dir} (expected ../shared/corpus beside the repository, or set ZKML_CORPUS_DIR)`);
    process.exitCode = 1;
    return;
  }
  fs.mkdirSync(args.workDir, { recursive: true });
  const resultsFile = path.join(args.workDir, 'results.json');
  const previous: Record<string, Timed> = args.resume && fs.existsSync(resultsFile) ? JSON.parse(fs.readFileSync(resultsFile, 'utf8')) : {};
  const done: Record<string, Timed> = { ...previous };
  const rows = readCorpusIndex(dir).filter((r) => !args.only || r.model.includes(args.only));
  for (const [i, indexRow] of rows.entries()) {
    let r = previous[indexRow.model];
    if (!r) {
      const t = Date.now();
      r = { ...(await runIsolated(indexRow, args)), wallMs: Date.now() - t };
      done[indexRow.model] = r;
      fs.writeFileSync(resultsFile, JSON.stringify(done, null, 1));
      const detail =
        r.status === 'proved'
          ? `${r.constraints} constraints, prove ${r.proveMs} ms, error ${num(r.maxAbsError)} ≤ ${num(r.tolerance)}`
          : `${r.code ?? ''} ${(r.reason ?? '').replace(/; supported: .*$/, '').slice(0, 160)}`;
      console.log(`[${i + 1}/${rows.length}] ${r.model} (tier ${r.tier}): ${r.status} in ${((Date.now() - t) / 1000).toFixed(1)} s — ${detail}`);
    }
  }
  const results = rows.map((r) => done[r.model]);
  for (const line of summary(results)) console.log(line);
  if (args.only) return;
  const { SUPPORTED_OPS } = await import('../src/onnx/ops');
  const totalS = results.reduce((a, r) => a + (r.wallMs ?? 0), 0) / 1000;
  writeDoc(results, args, totalS, SUPPORTED_OPS.join(', '));
  console.log(`wrote ${DOC}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
