/**
 * Configuration is read once, at the edge: the CLI's environment (src/cli/env.ts) and the service's
 * (src/service/config.ts) are validated readers, and nothing else under src/ reads process.env.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { readCliEnv } from '../../src/cli/env';
import { ZkmlError } from '../../src/errors';
import { loadConfig } from '../../src/service/config';
import { REPO_ROOT } from '../helpers/onnx-builders';

const configInvalid = (name: string) => (e: unknown) => e instanceof ZkmlError && e.code === 'CONFIG_INVALID' && e.message.includes(name);

test('the CLI environment: defaults as before, values read once, a bad ZKML_MODE is CONFIG_INVALID', () => {
  assert.deepEqual(readCliEnv({}), { mode: 'development', cacheDir: path.join(os.homedir(), '.cache', 'zkml'), debug: false, quiet: false });
  assert.deepEqual(readCliEnv({ ZKML_MODE: 'production', ZKML_CACHE_DIR: '/tmp/c', ZKML_DEBUG: '1', ZKML_QUIET: 'yes' }), { mode: 'production', cacheDir: '/tmp/c', debug: true, quiet: true });
  assert.equal(readCliEnv({ ZKML_MODE: '', ZKML_CACHE_DIR: '', ZKML_QUIET: '' }).quiet, false);
  assert.throws(() => readCliEnv({ ZKML_MODE: 'prod' }), configInvalid('ZKML_MODE'));
});

test('the service configuration takes ZKML_MODE and ZKML_CACHE_DIR; a bad ZKML_MODE stops it at boot', () => {
  const dflt = loadConfig({});
  assert.equal(dflt.mode, 'development');
  assert.equal(dflt.cacheDir, path.join(os.homedir(), '.cache', 'zkml'));
  const set = loadConfig({ ZKML_MODE: 'production', ZKML_CACHE_DIR: '/tmp/zkml-cache' });
  assert.equal(set.mode, 'production');
  assert.equal(set.cacheDir, '/tmp/zkml-cache');
  assert.throws(() => loadConfig({ ZKML_MODE: 'prod' }), configInvalid('ZKML_MODE'));
});

test('no process.env under src/ outside the two configuration readers', () => {
  const allowed = new Set(['src/service/config.ts', 'src/cli/env.ts']);
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, e.name);
      if (e.isDirectory()) walk(file);
      else if (e.name.endsWith('.ts')) {
        const rel = path.relative(REPO_ROOT, file).split(path.sep).join('/');
        if (allowed.has(rel)) continue;
        fs.readFileSync(file, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            if (/process\.env\b/.test(line)) offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
          });
      }
    }
  };
  walk(path.join(REPO_ROOT, 'src'));
  assert.deepEqual(offenders, []);
});
