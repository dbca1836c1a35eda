'use strict';
/**
 * `stage-order/stage-order`: the pipeline's layering as a lint rule (see ARCHITECTURE.md).
 *
 * A file under `src/<stage>/` may import only from its own stage, from earlier stages and from the
 * leaves; nothing in `src/` may import from `test/`, `bench/`, `models/` or `tools/`. Every relative
 * module reference counts: `import`, `import type`, `export … from`, `require('…')`, `import('…')`,
 * `import x = require('…')` and `typeof import('…')`. Package imports are not this rule's business.
 *
 * STAGE_ORDER is the one list of the order; test/architecture/no-cycles.test.ts reads it too.
 */
const fs = require('node:fs');
const path = require('node:path');

/**
 * Earliest first. `leaves` is `src/errors.ts`, `src/formats/` and any other file directly in `src/`
 * (a root file is a leaf until it is moved into a stage); every other name is the folder `src/<name>/`.
 */
const STAGE_ORDER = ['leaves', 'snark', 'onnx', 'quantize', 'commit', 'compiler', 'setup', 'chain', 'prover', 'verifier', 'audit', 'app', 'library', 'jobs', 'service', 'cli'];

/** Folders under `src/` that belong to the leaves (besides the files directly in `src/`). */
const LEAF_FOLDERS = ['formats'];

/** Top-level folders that product code in `src/` must never import. */
const FORBIDDEN_FROM_SRC = ['test', 'bench', 'models', 'tools'];

function isDirectory(p) {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Where a repo-relative path (forward slashes; an import target has no extension) sits: `{ stage }`
 * for a file of a known stage, `{ unknown }` for a folder of src/ that is not in STAGE_ORDER,
 * `{ outside }` (its top-level folder) for anything not under src/. `src/x` is the root file x.ts
 * unless src/x/ is a folder (an import of its index).
 */
function classify(root, relPath) {
  const parts = relPath.split('/');
  if (parts[0] !== 'src') return { outside: parts[0] };
  if (parts.length === 1 || (parts.length === 2 && !isDirectory(path.join(root, relPath)))) return { stage: 'leaves' };
  const folder = parts[1];
  if (LEAF_FOLDERS.includes(folder)) return { stage: 'leaves' };
  if (STAGE_ORDER.includes(folder) && folder !== 'leaves') return { stage: folder };
  return { unknown: folder };
}

function toPosix(p) {
  return p.split(path.sep).join('/');
}

const rule = {
  meta: {
    type: 'problem',
    docs: {
      description: 'A file of src/<stage>/ imports only its own stage, earlier stages and the leaves; src/ never imports test/, bench/, models/ or tools/',
    },
    schema: [
      {
        type: 'object',
        properties: { root: { type: 'string', description: 'the repository root (default: ESLint cwd)' } },
        additionalProperties: false,
      },
    ],
    messages: {
      later: "{{file}}'s stage {{from}} may not import stage {{to}} (later in the pipeline): '{{spec}}'; see ARCHITECTURE.md",
      outside: "{{file}} may not import {{dir}}/ ('{{spec}}'): code in src/ never depends on test/, bench/, models/ or tools/; see ARCHITECTURE.md",
      unknownTarget: "{{file}} imports '{{spec}}' from src/{{folder}}/, which is not a stage of STAGE_ORDER in eslint/stage-order.js; add it there (see ARCHITECTURE.md)",
      unknownSource: '{{file}} is in src/{{folder}}/, which is not a stage of STAGE_ORDER in eslint/stage-order.js; add it there (see ARCHITECTURE.md)',
    },
  },
  create(context) {
    const root = (context.options[0] && context.options[0].root) || context.cwd;
    const filename = context.filename;
    const file = toPosix(path.relative(root, filename));
    if (file.startsWith('..') || path.isAbsolute(file)) return {};
    const self = classify(root, file);
    if (self.outside !== undefined) return {};

    function check(node, spec) {
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const target = toPosix(path.relative(root, path.resolve(path.dirname(filename), spec)));
      const where = classify(root, target);
      if (where.outside !== undefined) {
        if (FORBIDDEN_FROM_SRC.includes(where.outside)) {
          context.report({ node, messageId: 'outside', data: { file, dir: where.outside, spec } });
        }
        return;
      }
      if (where.unknown !== undefined) {
        context.report({ node, messageId: 'unknownTarget', data: { file, spec, folder: where.unknown } });
        return;
      }
      if (self.stage === undefined) return; // the file itself is reported once, at Program
      if (STAGE_ORDER.indexOf(where.stage) > STAGE_ORDER.indexOf(self.stage)) {
        context.report({ node, messageId: 'later', data: { file, from: self.stage, to: where.stage, spec } });
      }
    }

    function checkSource(node) {
      if (node.source && node.source.type === 'Literal') check(node.source, node.source.value);
    }

    return {
      Program(node) {
        if (self.unknown !== undefined) {
          context.report({ node, loc: { line: 1, column: 0 }, messageId: 'unknownSource', data: { file, folder: self.unknown } });
        }
      },
      ImportDeclaration: checkSource,
      ExportNamedDeclaration: checkSource,
      ExportAllDeclaration: checkSource,
      ImportExpression: checkSource,
      CallExpression(node) {
        const arg = node.arguments[0];
        if (node.callee.type === 'Identifier' && node.callee.name === 'require' && arg && arg.type === 'Literal') {
          check(arg, arg.value);
        }
      },
      TSExternalModuleReference(node) {
        if (node.expression.type === 'Literal') check(node.expression, node.expression.value);
      },
      TSImportType(node) {
        // typescript-eslint 8: `argument` is a TSLiteralType wrapping the string literal.
        const arg = node.argument;
        const lit = arg && arg.type === 'TSLiteralType' ? arg.literal : arg;
        if (lit && lit.type === 'Literal') check(lit, lit.value);
      },
    };
  },
};

module.exports = {
  STAGE_ORDER,
  LEAF_FOLDERS,
  FORBIDDEN_FROM_SRC,
  rule,
  plugin: { meta: { name: 'stage-order' }, rules: { 'stage-order': rule } },
};
