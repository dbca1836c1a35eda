/**
 * The training scripts' differentiator (models/autodiff.ts): every op's gradient equals a central
 * finite difference (to 1e-6) of a scalar loss through it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crossEntropy, erf, Mat, Tape } from '../../models/autodiff';
import { seededRng } from '../../models/rng';

const rng = seededRng(77);
const random = (rows: number, cols: number) =>
  new Mat(
    rows,
    cols,
    Float64Array.from({ length: rows * cols }, () => rng.uniform(-1, 1)),
  );

/** A network using every op, ending in a cross-entropy over 3 classes. */
function loss(tape: Tape, p: Record<string, Mat>): { out: Mat; value: number; grad: Float64Array } {
  const ln = tape.layerNorm(p.x, p.scale, p.bias, 0.1);
  const q = tape.matmul(ln, p.w);
  const att = tape.matmul(tape.softmaxRows(tape.scale(tape.matmul(q, tape.transpose(q)), 0.5)), tape.cols(q, 1, 3));
  const gated = tape.mul(tape.sigmoid(att), tape.tanh(tape.sub(att, tape.gelu(att))));
  const both = tape.concatCols([gated, tape.cols(ln, 0, 1)]);
  const out = tape.add(tape.matmul(tape.meanRows(both), p.head), p.headBias);
  const { loss: value, grad } = crossEntropy(out, [2]);
  return { out, value, grad };
}

test('every op: backward equals central finite differences', () => {
  const p: Record<string, Mat> = { x: random(3, 4), scale: random(1, 4), bias: random(1, 4), w: random(4, 4), head: random(4, 3), headBias: random(1, 3) };
  const tape = new Tape();
  const { out, grad } = loss(tape, p);
  tape.backward(out, grad);
  let worst = 0;
  for (const m of Object.values(p)) {
    for (let i = 0; i < m.data.length; i++) {
      const keep = m.data[i];
      m.data[i] = keep + 1e-6;
      const up = loss(new Tape(), p).value;
      m.data[i] = keep - 1e-6;
      const down = loss(new Tape(), p).value;
      m.data[i] = keep;
      const numeric = (up - down) / 2e-6;
      worst = Math.max(worst, Math.abs(numeric - m.grad[i]));
      assert.ok(Math.abs(numeric - m.grad[i]) < 1e-6, `gradient ${m.grad[i]} vs finite difference ${numeric}`);
    }
  }
  assert.ok(worst < 1e-6);
});

test('erf is within 2e-7 of known values', () => {
  for (const [x, want] of [
    [0, 0],
    [0.5, 0.5204998778],
    [1, 0.8427007929],
    [-2, -0.995322265],
  ])
    assert.ok(Math.abs(erf(x) - want) < 2e-7, `erf(${x})`);
});
