/**
 * Model build scripts run from dist/ but write their outputs into the source tree (models/<name>/),
 * so they locate the repository root instead of trusting relative paths.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The nearest folder at or above `from` that holds package.json. */
export function repoRoot(from: string = __dirname): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** models/<name>/ in the source tree, created if missing. */
export function modelSourceDir(name: string): string {
  const dir = path.join(repoRoot(), 'models', name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

