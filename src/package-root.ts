/**
 * Where this package's own files are (circuits/, contracts/, models/): the folder holding its
 * package.json, found by walking up from this file, so it works from src/ and from dist/src/ alike.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ZkmlError } from './errors';

const PACKAGE_NAME = 'zkml-proof-service';
let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && readName(manifest) === PACKAGE_NAME) return (root = dir);
    if (path.dirname(dir) === dir) throw new ZkmlError('ARTIFACT_MISSING', `the ${PACKAGE_NAME} package.json was not found above ${__dirname}`);
  }
}

/** A path inside the package; ARTIFACT_MISSING when `mustHold` (a file below it) is not there. */
export function packagePath(folder: string, mustHold?: string): string {
  const dir = path.join(packageRoot(), folder);
  if (mustHold && !fs.existsSync(path.join(dir, mustHold))) throw new ZkmlError('ARTIFACT_MISSING', `${folder}/${mustHold} is missing from ${packageRoot()}`);
  return dir;
}

function readName(manifest: string): unknown {
  try {
    return (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: unknown }).name;
  } catch {
    return undefined;
  }
}
