/**
 * Every TypeScript/JavaScript snippet of the docs runs as written: each fenced block of README.md,
 * docs/*.md and the client's README whose info string is `ts`, `typescript` or `js` must be marked
 * `test` (e.g. ```ts test), or `compile` (type-checked only: the client's example needs a service);
 * it is type-checked against the package's published types (for `ts`), compiled to CommonJS and run
 * with node in a folder holding the tiny model, its built and set-up `build/`, a `receipt.json` and
 * `verification_key.json`, where `require('zkml-proof-service')` resolves through the package's own
 * `exports` (a node_modules link to this repository: run `npm run build` first).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import ts from 'typescript';
import { compileModel } from '../../src/compiler/compile';
import { runSetup } from '../../src/setup/groth16-setup';
import { Prover } from '../../src/prover/prover';
import { calibrationFile, inputFile, makeTempDir, modelFile, REPO_ROOT } from '../helpers/onnx-builders';

interface Snippet {
  file: string;
  line: number;
  lang: string;
  /** Marked `test`: type-checked and run. */
  tested: boolean;
  /** Marked `compile`: type-checked only (it needs a running service). */
  compiled: boolean;
  code: string;
}

function docFiles(): string[] {
  const docs = path.join(REPO_ROOT, 'docs');
  return [
    path.join(REPO_ROOT, 'README.md'),
    ...fs
      .readdirSync(docs)
      .filter((f) => f.endsWith('.md'))
      .map((f) => path.join(docs, f)),
  ];
}

function snippets(): Snippet[] {
  const out: Snippet[] = [];
  for (const file of docFiles()) {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const open = /^```(\S+)(.*)$/.exec(lines[i]);
      if (!open) continue;
      const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
      const lang = open[1];
      if (['ts', 'typescript', 'js', 'javascript'].includes(lang)) {
        out.push({ file: path.relative(REPO_ROOT, file), line: i + 1, lang, tested: /\btest\b/.test(open[2]), compiled: /\bcompile\b/.test(open[2]), code: lines.slice(i + 1, end).join('\n') });
      }
      i = end;
    }
  }
  return out;
}

const all = snippets();
let work: string;

before(async () => {
  assert.ok(fs.existsSync(path.join(REPO_ROOT, 'dist', 'src', 'library', 'index.js')), 'the package is not built: run npm run build');
  assert.ok(fs.existsSync(path.join(REPO_ROOT, 'clients', 'typescript', 'dist', 'index.d.ts')), 'the client is not built: run npm run build:client');
  work = makeTempDir('snippets');
  fs.mkdirSync(path.join(work, 'node_modules'));
  fs.symlinkSync(REPO_ROOT, path.join(work, 'node_modules', 'zkml-proof-service'), 'dir');
  fs.mkdirSync(path.join(work, 'node_modules', '@zkml'));
  fs.symlinkSync(path.join(REPO_ROOT, 'clients', 'typescript'), path.join(work, 'node_modules', '@zkml', 'client'), 'dir');
  fs.copyFileSync(modelFile('tiny'), path.join(work, 'model.onnx'));
  fs.copyFileSync(calibrationFile('tiny'), path.join(work, 'calibration.json'));
  fs.copyFileSync(inputFile('tiny'), path.join(work, 'input.json'));
  const build = path.join(work, 'build');
  await compileModel(modelFile('tiny'), build, { calibration: calibrationFile('tiny') });
  await runSetup(build, { cacheDir: path.join(work, '.cache', 'zkml') });
  const prover = new Prover();
  try {
    const receipt = await prover.prove(build, JSON.parse(fs.readFileSync(inputFile('tiny'), 'utf8')));
    fs.writeFileSync(path.join(work, 'receipt.json'), JSON.stringify(receipt, null, 2));
  } finally {
    await prover.close();
  }
  fs.copyFileSync(path.join(build, 'verification_key.json'), path.join(work, 'verification_key.json'));
});
after(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('doc snippets', () => {
  test('the package resolves to the documented facade through its exports', () => {
    const resolved = require.resolve('zkml-proof-service', { paths: [work] });
    assert.equal(fs.realpathSync(resolved), path.join(REPO_ROOT, 'dist', 'src', 'library', 'index.js'));
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const lib = require(resolved);
    for (const name of ['compile', 'setup', 'prove', 'Prover', 'verifyReceipt', 'verifyReceiptWithKey', 'registryAt', 'registerModel', 'submitInference', 'ZkmlError']) {
      assert.equal(typeof lib[name], 'function', name);
    }
  });

  test('every TypeScript/JavaScript snippet is marked to run', () => {
    assert.ok(all.some((s) => s.tested));
    assert.deepEqual(
      all.filter((s) => !s.tested && !s.compiled).map((s) => `${s.file}:${s.line}`),
      [],
      'mark each snippet ```ts test (and make it run as written), or ```ts compile when it needs a running service',
    );
  });

  test('the TypeScript snippets type-check against the published types', () => {
    const files = all
      .filter((s) => s.tested && s.lang.startsWith('t'))
      .map((s, i) => {
        const f = path.join(work, `typed-${i}.ts`);
        fs.writeFileSync(f, s.code + '\nexport {};\n');
        return { f, s };
      });
    const program = ts.createProgram(
      files.map((x) => x.f),
      {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.CommonJS,
        moduleResolution: ts.ModuleResolutionKind.Node10,
        esModuleInterop: true,
        skipLibCheck: true,
        types: ['node'],
        typeRoots: [path.join(REPO_ROOT, 'node_modules', '@types')],
      },
    );
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = files.find((x) => x.f === d.file?.fileName);
      const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : 0;
      return `${where ? `${where.s.file}:${where.s.line + 1 + line}` : d.file?.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    assert.deepEqual(problems, []);
  });

  for (const s of all.filter((x) => x.tested)) {
    test(`${s.file}:${s.line} runs as written`, () => {
      const js = s.lang.startsWith('t')
        ? ts.transpileModule(s.code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText
        : s.code;
      const file = path.join(work, `snippet-${s.line}.cjs`);
      fs.writeFileSync(file, js);
      const r = spawnSync(process.execPath, [file], {
        cwd: work,
        encoding: 'utf8',
        timeout: 180_000,
        // snarkjs and ethers come from this repository's node_modules; the ptau cache goes to the temp folder.
        env: { ...process.env, HOME: work, NODE_PATH: path.join(REPO_ROOT, 'node_modules'), ZKML_QUIET: '1' },
      });
      assert.equal(r.status, 0, `${s.file}:${s.line} exited ${r.status} ${r.signal ?? ''}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    });
  }
});
