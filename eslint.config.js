'use strict';
// ESLint flat config: the recommended rules of ESLint and typescript-eslint (not type-aware, so it
// stays fast), tuned to the code as written, and the local stage-order rule (eslint/stage-order.js).
const { defineConfig, globalIgnores } = require('eslint/config');
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const stageOrder = require('./eslint/stage-order');

const nodeGlobals = {
  require: 'readonly',
  module: 'writable',
  exports: 'writable',
  __dirname: 'readonly',
  __filename: 'readonly',
  process: 'readonly',
  console: 'readonly',
};

module.exports = defineConfig([
  globalIgnores(['dist/', 'clients/typescript/dist/', 'dist-test/', 'build/', 'data/', 'coverage/', '.cache/']),
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    files: ['**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'commonjs', globals: nodeGlobals },
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    rules: {
      // The code loads untyped CommonJS packages (snarkjs, circomlibjs, circom_runtime, …) with
      // `const x = require('x')`, each marked with a no-var-requires pragma. typescript-eslint 8
      // deprecates that rule for no-require-imports (which also flags side-effect requires such as
      // src/snark/in-worker.ts's); moving over means renaming the pragmas, a small follow-up.
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-var-requires': 'error',
      // `_`-prefixed names are deliberately unused (interface-shaped parameters, skipped tuple slots).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Decoded protobuf messages of onnx-proto, which ships no usable types for them.
    files: ['src/onnx/parse.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Tests read untyped JSON (HTTP bodies, queue payloads, snarkjs objects) and poke at internals.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { 'stage-order': stageOrder.plugin },
    rules: { 'stage-order/stage-order': ['error', { root: __dirname }] },
  },
]);
