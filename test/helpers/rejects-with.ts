/** A predicate for assert.rejects / assert.throws: a ZkmlError with this code, its message matching `pattern` if given. */
import assert from 'node:assert/strict';
import { ErrorCode, ZkmlError } from '../../src/errors';

export function rejectsWith(code: ErrorCode, pattern?: RegExp): (err: unknown) => boolean {
  return (err: unknown): boolean => {
    assert.ok(err instanceof ZkmlError, `expected a ZkmlError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (pattern) assert.match(err.message, pattern);
    return true;
  };
}
