/**
 * The commitment scheme off-circuit: circomlibjs Poseidon against its published test vector, the
 * chain over blocks, and the packing's range checks (which make it injective).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BLOCK_WORDS, chainConstraints, commitTensors, elementsPerWord, PackSpec, packedWords, packWords, poseidonChain, poseidonConstraints, poseidonHash } from '../../src/commit/scheme';
import { expectCode } from '../helpers/onnx-builders';

describe('commitment scheme zkml-poseidon-chain/1', () => {
  test("Poseidon is circomlib's: the published vector for [1, 2]", async () => {
    assert.equal(await poseidonHash([1n, 2n]), 7853200120776062878684798364095072458815029376092732009249414926327459813530n);
  });

  test('the chain absorbs 15 words per Poseidon call, the last block with its own arity', async () => {
    const words = Array.from({ length: 17 }, (_, i) => BigInt(i * 1000 + 7));
    const first = await poseidonHash([99n, ...words.slice(0, 15)]);
    assert.equal(await poseidonChain(99n, words), await poseidonHash([first, words[15], words[16]]));
    assert.equal(await poseidonChain(99n, words.slice(0, 1)), await poseidonHash([99n, words[0]]));
    assert.notEqual(await poseidonChain(98n, words), await poseidonChain(99n, words), 'the salt changes the commitment');
    assert.equal(BLOCK_WORDS, 15);
  });

  test('packing: (e - lo) in w-bit fields, little end first; out-of-range values refused', () => {
    const spec: PackSpec = { name: 'x', size: 3, lo: -128n, width: 8 };
    assert.deepEqual(packWords([-128n, -127n, 127n], spec), [0n + (1n << 8n) + (255n << 16n)]);
    expectCode(() => packWords([-129n, 0n, 0n], spec), 'OPENING_INVALID');
    expectCode(() => packWords([0n, 128n, 0n], spec), 'OPENING_INVALID');
    expectCode(() => packWords([0n, 0n], spec), 'OPENING_INVALID');
    // Without the range check, (x0 + 256, x1 - 1) would pack to the same word as (x0, x1).
    expectCode(() => packWords([0n + 256n, -1n, 0n], spec), 'OPENING_INVALID');
    assert.equal(elementsPerWord(8), 31);
    assert.equal(packedWords({ name: 'x', size: 784, lo: 0n, width: 8 }), 26);
  });

  test('different values give different commitments; a commitment is reproducible', async () => {
    const spec: PackSpec = { name: 'x', size: 4, lo: -128n, width: 8 };
    const a = await commitTensors(5n, [{ spec, values: [1n, 2n, 3n, 4n] }]);
    assert.equal(await commitTensors(5n, [{ spec, values: [1n, 2n, 3n, 4n] }]), a);
    assert.notEqual(await commitTensors(5n, [{ spec, values: [1n, 2n, 3n, 5n] }]), a);
    assert.notEqual(await commitTensors(5n, [{ spec, values: [2n, 1n, 3n, 4n] }]), a);
  });

  test('constraint cost: 3 per S-box of circomlib Poseidon minus 3 (pinned against circom in test/circuits/commit)', () => {
    assert.equal(poseidonConstraints(2), 240);
    assert.equal(poseidonConstraints(16), 609);
    assert.equal(chainConstraints(1), 240);
    assert.equal(chainConstraints(15), 609);
    assert.equal(chainConstraints(16), 849);
    assert.equal(chainConstraints(31), 1458);
  });
});
