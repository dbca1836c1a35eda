/**
 * circuits/commit.circom: Pack + PoseidonChain over 34 elements of 100 bits (17 words, two blocks)
 * equals the off-circuit scheme (circomlibjs), costs what the report predicts, and no single-wire
 * change of a valid witness satisfies the constraints with the inputs held fixed.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { chainConstraints, commitTensors } from '../../src/commit/scheme';
import { acceptedMutations, buildTestCircuit, disposeAll, seededRng, singleWireMutations } from '../helpers/circuit-harness';

const N = 34;
const W = 100;
const LO = -5n;
const SOURCE = `pragma circom 2.1.0;
include "commit.circom";
template T() {
    signal input x[${N}];
    signal input salt;
    signal output c;
    component p = Pack(${N}, ${W}, ${LO}, 2);
    component h = PoseidonChain(17);
    h.salt <== salt;
    for (var i = 0; i < ${N}; i++) p.in[i] <== x[i];
    for (var j = 0; j < 17; j++) h.in[j] <== p.out[j];
    c <== h.out;
}
component main {public [x, salt]} = T();
`;

describe('commit.circom: Pack + PoseidonChain', () => {
  const build = buildTestCircuit(SOURCE);
  after(() => disposeAll(build));
  const rng = seededRng(5);
  const x = Array.from({ length: N }, () => rng.int(LO, LO + (1n << BigInt(W)) - 1n));
  const salt = rng.int(0n, 1n << 248n);

  test('golden: the circuit commitment equals circomlibjs over the same packing', async () => {
    const c = await build;
    const w = await c.calc({ x, salt });
    const expected = await commitTensors(salt, [{ spec: { name: 'x', size: N, lo: LO, width: W }, values: x }]);
    assert.equal(w[c.signalIndex('main.c')], expected);
    assert.ok(c.check(w).ok);
  });

  test('constraints: two Poseidon calls (16 and 3 inputs), packing free', async () => {
    const c = await build;
    assert.equal(c.info.nConstraints, chainConstraints(17));
    assert.equal(chainConstraints(17), 609 + 261);
  });

  test('tampered witness: single-wire changes of the commitment, chain values and sampled S-box wires violate a constraint', async () => {
    const c = await build;
    const w = await c.calc({ x, salt });
    // Every mutation of the commitment and the chain values, and a fixed sample of the ~3,500 others
    // (S-box and round wires), to keep the test short.
    const all = singleWireMutations(c, w);
    const muts = all.filter((m, i) => /^main\.(c|h\.h\[\d+\]) /.test(m.label) || i % 15 === 0);
    assert.ok(muts.some((m) => m.label.startsWith('main.c ')) && muts.some((m) => m.label.startsWith('main.h.h[1] ')));
    assert.ok(muts.length > 200);
    assert.deepEqual(acceptedMutations(c, w, muts), []);
  });
});
