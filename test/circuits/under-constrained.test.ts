/**
 * The mutation check can fail: a rescale written as circomlib-ml's Dense writes it (quotient and
 * remainder assigned with `<--`, the remainder bound only `assert`ed) passes every golden vector and
 * every must-fail input, because the witness calculator runs the assert, yet the R1CS accepts a
 * forged witness with a wrong output. The same sweep finds nothing on our Requantize.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { floorDiv } from '../../src/quantize/fixed-point';
import {
  acceptedMutations,
  applyMutation,
  buildTestCircuit,
  disposeAll,
  mainOf,
  Mutation,
  outputMutations,
  semanticMutation,
  singleWireMutations,
  TestCircuit,
  toSigned,
  witnessFailed,
} from '../helpers/circuit-harness';

const K = 4;

const ASSERTED_RESCALE = `pragma circom 2.1.0;

// out = floor(in / 2^k) for 0 <= in < 2^8, the circomlib-ml way. assert() is checked by the witness
// calculator only: it emits no constraint, so r is free and so is out.
template AssertedRescale(k) {
    signal input in;
    signal output out;
    signal r;
    out <-- in \\ (1 << k);
    r <-- in % (1 << k);
    assert(r < (1 << k));
    assert(in < (1 << 8));
    out * (1 << k) + r === in;
}

component main {public [in]} = AssertedRescale(${K});
`;

describe('an under-constrained rescale (remainder bound by assert only)', () => {
  const building = buildTestCircuit(ASSERTED_RESCALE);
  const buildingSound = buildTestCircuit(mainOf('requantize.circom', `Requantize(${K}, 6, -32)`, ['in']));
  let bad: TestCircuit;
  let sound: TestCircuit;
  before(async () => {
    bad = await building;
    sound = await buildingSound;
  });
  after(() => disposeAll(building, buildingSound));

  it('passes golden vectors and must-fail inputs, which therefore prove nothing', async () => {
    for (let x = 0n; x < 256n; x += 7n) {
      const w = await bad.calc({ in: x });
      assert.equal(w[bad.signalIndex('main.out')], floorDiv(x, 1n << BigInt(K)));
      assert.deepEqual(bad.check(w), { ok: true });
    }
    await assert.rejects(bad.calc({ in: 256n }), witnessFailed);
  });

  it('has a forged witness with a wrong output that satisfies every constraint', async () => {
    const x = 100n;
    const w = await bad.calc({ in: x });
    const outIdx = bad.signalIndex('main.out');
    const truth = floorDiv(x, 1n << BigInt(K)); // 6

    // out + 1 with r = in - 16 * out (negative: p - 12). r has no wire of its own when O2 folded it
    // into the linear constraint; semanticMutation writes it only if it survived.
    const forged = semanticMutation(
      bad,
      'out + 1, remainder - 2^k',
      new Map([
        ['main.out', truth + 1n],
        ['main.r', x - (truth + 1n) * (1n << BigInt(K))],
      ]),
    );
    const fw = applyMutation(w, forged);
    assert.deepEqual(bad.check(fw), { ok: true });
    assert.notEqual(toSigned(fw[outIdx]), truth);

    // The generic sweep the template tests run reports it.
    const sweep: Mutation[] = [...outputMutations(bad, w, 'main.out'), ...singleWireMutations(bad, w)];
    const accepted = acceptedMutations(bad, w, [forged, ...sweep]);
    assert.ok(accepted.includes('out + 1, remainder - 2^k'), `accepted: ${accepted.join('; ')}`);
    assert.ok(accepted.includes('main.out + 1'), `accepted: ${accepted.join('; ')}`);
  });

  it('finds no such forgery on Requantize, whose remainder is pinned by k bits', async () => {
    const w = await sound.calc({ in: 100n });
    const sweep: Mutation[] = [...outputMutations(sound, w, 'main.out'), ...singleWireMutations(sound, w)];
    assert.deepEqual(acceptedMutations(sound, w, sweep), []);
  });
});
