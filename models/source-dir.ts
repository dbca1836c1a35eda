/**
 * Model build scripts run from dist/ but write their outputs into the source tree (models/<name>/),
 * so they locate the repository root instead of trusting relative paths.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../src/package-root';

/** models/<name>/ in the source tree, created if missing. */
export function modelSourceDir(name: string): string {
  const dir = path.join(packageRoot(), 'models', name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
