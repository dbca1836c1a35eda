/**
 * writeJsonWithBigints (compiled.json of a large model, written in pieces) writes exactly the text
 * of stringifyWithBigints: bigints as decimal strings, undefined members dropped, null in arrays.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stringifyWithBigints, writeJsonWithBigints } from '../../src/formats/bigint-json';

test('writeJsonWithBigints writes the text of stringifyWithBigints, in more than one piece', () => {
  const value = {
    format: 'x',
    skipped: undefined,
    model: {
      layers: [{ rows: [{ bias: -12345678901234567890n, terms: [[1, 2, 3n]] }] }, { rows: [], note: 'a "quoted" \n line', gone: undefined }],
      tensors: [null, 1.5, undefined, [true, false], { deep: { deeper: [1n, { x: 2 }] } }],
    },
    empty: {},
    list: [],
  };
  for (const depth of [0, 1, 2, 3, 6]) {
    const pieces: string[] = [];
    writeJsonWithBigints(value, (p) => pieces.push(p), depth);
    assert.equal(pieces.join(''), stringifyWithBigints(value), `depth ${depth}`);
    if (depth > 0) assert.ok(pieces.length > 1);
  }
});
