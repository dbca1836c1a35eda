/**
 * One(): out = 1 in a signal circom cannot fold (circuits/one.circom), the factor that keeps a
 * materialised sum quadratic to --O2.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { acceptedMutations, buildTestCircuit, disposeAll, mainOf, P, singleWireMutations, TestCircuit } from '../helpers/circuit-harness';

describe('One()', () => {
  const building = buildTestCircuit(mainOf('one.circom', 'One()'));
  let c: TestCircuit;
  before(async () => {
    c = await building;
  });
  after(() => disposeAll(building));

  it('outputs 1, and the witness satisfies the constraints', async () => {
    const w = await c.calc({});
    assert.equal(w[c.signalIndex('main.out')], 1n);
    assert.deepEqual(c.check(w), { ok: true });
  });

  it('rejects every other value of out and of its inverse (0, -1, 2, p-1 included)', async () => {
    const w = await c.calc({});
    assert.deepEqual(acceptedMutations(c, w, singleWireMutations(c, w)), []);
    // Both changed together: out = -1 with inv = -1 satisfies out * inv = 1 but not out * out = out.
    const forged = [...w];
    forged[c.signalIndex('main.out')] = P - 1n;
    forged[c.signalIndex('main.inv')] = P - 1n;
    assert.equal(c.check(forged).ok, false);
  });

  it('costs 2 constraints, both quadratic (circom keeps them at --O2)', () => {
    assert.equal(c.info.nConstraints, 2);
  });
});
