/**
 * The local lint rule eslint/stage-order.js (`stage-order/stage-order`) under ESLint's RuleTester:
 * each kind of module reference, each direction, the leaves, the folders src/ must never import, and
 * a folder missing from STAGE_ORDER.
 */
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { RuleTester, type Rule } from 'eslint';
import tseslint from 'typescript-eslint';
import { packageRoot } from '../../src/package-root';

const ROOT = packageRoot();
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { rule } = require(path.join(ROOT, 'eslint', 'stage-order.js')) as { rule: Rule.RuleModule };

RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

const tester = new RuleTester({ languageOptions: { parser: tseslint.parser } });
const options = [{ root: ROOT }];
const at = (file: string) => path.join(ROOT, file);

/** An invalid case: `code` in `file` (of stage `from`) imports each [stage, specifier] of `edges`, each a 'later' error. */
const later = (file: string, from: string, code: string, ...edges: Array<[to: string, spec: string]>) => ({
  code,
  filename: at(file),
  options,
  errors: edges.map(([to, spec]) => ({ messageId: 'later', data: { file, from, to, spec } })),
});

tester.run('stage-order', rule, {
  valid: [
    // Own stage, earlier stages, leaves (formats/, errors.ts, any root file).
    { code: "import { a } from './emit';", filename: at('src/compiler/compile.ts'), options },
    { code: "import { a } from '../quantize/quantize';", filename: at('src/compiler/compile.ts'), options },
    { code: "import type { G } from '../formats/graph';", filename: at('src/onnx/load.ts'), options },
    { code: "import { ZkmlError } from '../../errors';", filename: at('src/onnx/ops/gemm.ts'), options },
    { code: "import { packageRoot } from '../package-root';", filename: at('src/snark/snarkjs.ts'), options },
    { code: "import { x } from '../snark/snarkjs';", filename: at('src/setup/ceremony.ts'), options },
    { code: "export const serve = async () => (await import('../../service/main')).serve();", filename: at('src/cli/commands/service.ts'), options },
    { code: "const s = require('../setup/groth16-setup');", filename: at('src/prover/prover.ts'), options },
    // Packages and non-relative specifiers are not this rule's business.
    { code: "import * as fs from 'node:fs'; import { groth16 } from 'snarkjs';", filename: at('src/onnx/load.ts'), options },
    // Outside src/ the rule does not apply: tests, benches and tools import any stage.
    { code: "import { serve } from '../../src/service/main';", filename: at('test/service/api.test.ts'), options },
    { code: "import { x } from '../src/cli/main';", filename: at('tools/x.ts'), options },
    // A file outside the configured root is not checked.
    { code: "import { x } from '../cli/main';", filename: at('src/onnx/load.ts'), options: [{ root: path.join(ROOT, 'elsewhere') }] },
    // src/ may import package files outside the forbidden folders (package.json, say).
    { code: "const pkg = require('../../package.json');", filename: at('src/cli/usage.ts'), options },
  ],
  invalid: [
    {
      code: "import { deployVerifier } from '../chain/deploy-model';",
      filename: at('src/compiler/compile.ts'),
      options,
      errors: [
        {
          message: "src/compiler/compile.ts's stage compiler may not import stage chain (later in the pipeline): '../chain/deploy-model'; see ARCHITECTURE.md",
        },
      ],
    },
    later('src/commit/openings.ts', 'commit', "import type { Receipt } from '../prover/receipt';", ['prover', '../prover/receipt']),
    later('src/chain/index.ts', 'chain', "export { verifyOffchain } from '../verifier/offchain'; export * from '../audit/audit';", ['verifier', '../verifier/offchain'], ['audit', '../audit/audit']),
    later('src/verifier/offchain.ts', 'verifier', "const a = require('../audit/audit'); const m = () => import('../jobs/engine');", ['audit', '../audit/audit'], ['jobs', '../jobs/engine']),
    later(
      'src/onnx/load.ts',
      'onnx',
      "import q = require('../quantize/quantize'); type C = typeof import('../compiler/compile');",
      ['quantize', '../quantize/quantize'],
      ['compiler', '../compiler/compile'],
    ),
    // The leaves import nothing above them; snark (the snarkjs facade) sits right above the leaves.
    later('src/formats/receipt.ts', 'leaves', "import { snarkjs } from '../snark/snarkjs'; import { parseOnnx } from '../onnx/parse';", ['snark', '../snark/snarkjs'], ['onnx', '../onnx/parse']),
    later('src/package-root.ts', 'leaves', "import { x } from './onnx/parse';", ['onnx', './onnx/parse']),
    // A folder's index counts as the folder, not as a root file.
    later('src/compiler/compile.ts', 'compiler', "import { a } from '../chain';", ['chain', '../chain']),
    {
      code: "import { y } from '../snark/curve';",
      filename: at('src/formats/field.ts'),
      options,
      errors: [{ messageId: 'later' }],
    },
    {
      code: [
        "import { REPO_ROOT } from '../../test/helpers/onnx-builders';",
        "import { report } from '../../bench/lib/report';",
        "import { modelSourceDir } from '../../models/source-dir';",
        "const c = require('../../tools/corpus/run-corpus-model');",
      ].join('\n'),
      filename: at('src/jobs/engine.ts'),
      options,
      errors: [
        { messageId: 'outside', data: { file: 'src/jobs/engine.ts', dir: 'test', spec: '../../test/helpers/onnx-builders' } },
        { messageId: 'outside', data: { file: 'src/jobs/engine.ts', dir: 'bench', spec: '../../bench/lib/report' } },
        { messageId: 'outside', data: { file: 'src/jobs/engine.ts', dir: 'models', spec: '../../models/source-dir' } },
        { messageId: 'outside', data: { file: 'src/jobs/engine.ts', dir: 'tools', spec: '../../tools/corpus/run-corpus-model' } },
      ],
    },
    {
      code: "import { a } from '../api/controllers';",
      filename: at('src/cli/main.ts'),
      options,
      errors: [{ messageId: 'unknownTarget', data: { file: 'src/cli/main.ts', spec: '../api/controllers', folder: 'api' } }],
    },
    {
      code: "import { ZkmlError } from '../errors';",
      filename: at('src/api/controllers.ts'),
      options,
      errors: [{ messageId: 'unknownSource', data: { file: 'src/api/controllers.ts', folder: 'api' } }],
    },
  ],
});
