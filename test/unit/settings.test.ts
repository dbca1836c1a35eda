import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSettings } from '../../src/formats/settings';
import { rejectsWith } from '../helpers/rejects-with';

test('weightVisibility is the one name; settings written as paramVisibility read the same', () => {
  assert.equal(parseSettings({}).weightVisibility, 'fixed');
  assert.equal(parseSettings({ weightVisibility: 'private' }).weightVisibility, 'private');
  assert.deepEqual(parseSettings({ paramVisibility: 'private' }), parseSettings({ weightVisibility: 'private' }));
  assert.equal('paramVisibility' in parseSettings({ paramVisibility: 'private' }), false);
});

test('a bad weight visibility is SETTINGS_INVALID naming the field, under either name', () => {
  assert.throws(() => parseSettings({ weightVisibility: 'secret' }), rejectsWith('SETTINGS_INVALID', /weightVisibility/));
  assert.throws(() => parseSettings({ paramVisibility: 'secret' }), rejectsWith('SETTINGS_INVALID', /weightVisibility/));
});
