/**
 * The public output elements circom --O2 keeps a linear constraint for (src/compiler/kept-output-constraints.ts):
 * n − rank of the outputs' private parts. Small circuits compiled by circom: the report's count of
 * them is pinned, and the predicted total equals the r1cs.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, describe, test } from 'node:test';
import { compileModel } from '../../src/compiler/compile';
import type { CompileSettings } from '../../src/formats/settings';
import { NodeSpec, writeOnnx } from '../../src/onnx/writer';
import { makeTempDir } from '../helpers/onnx-builders';

const node = (opType: string, inputs: string[], output: string, attributes: NodeSpec['attributes'] = {}): NodeSpec => ({ opType, inputs, outputs: [output], name: output, attributes });

function model(nodes: NodeSpec[], outputs: string[], inits: Array<{ name: string; dims: number[]; data: number[]; elemType?: 'int64' }>): Uint8Array {
  return writeOnnx({
    name: 'kept-outputs',
    inputs: [{ name: 'x', elemType: 'float32', shape: [1, 4] }],
    outputs: outputs.map((name) => ({ name, elemType: 'float32', shape: [`${name}_a`, `${name}_b`] })),
    initializers: inits.map((t) => ({ ...t, data: t.elemType ? t.data : Float32Array.from(t.data) })),
    nodes,
  });
}

describe('public outputs circom keeps: predicted = r1cs', () => {
  const dir = makeTempDir('kept-outputs');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const compile = async (bytes: Uint8Array, settings: Partial<CompileSettings>) => {
    const at = `${dir}/${n++}`;
    fs.mkdirSync(at);
    fs.writeFileSync(`${at}/model.onnx`, bytes);
    const r = await compileModel(`${at}/model.onnx`, `${at}/build`, { settings: { inputRange: [-1, 1], ...settings } });
    const kept = (op: string) => r.report.layers.filter((l) => l.opType === op).reduce((a, l) => a + l.constraints, 0);
    return { r, dependent: kept('linear in other outputs'), constant: kept('constant pins') };
  };

  test('private input: a Tile within one output, 2x and x + c across outputs each keep one per element; a Relu none', async () => {
    const bytes = model(
      [node('Tile', ['x', 'reps'], 't'), node('Add', ['x', 'x'], 's'), node('Add', ['x', 'c'], 'a'), node('Relu', ['x'], 'r')],
      ['t', 's', 'a', 'r'],
      [
        { name: 'reps', dims: [2], data: [1, 2], elemType: 'int64' },
        { name: 'c', dims: [1, 4], data: [0.25, -0.5, 0.125, 0] },
      ],
    );
    const { r, dependent, constant } = await compile(bytes, {});
    // t absorbs x's 4 elements; its other 4, s (2x) and a (x + c) are linear in them: 12.
    assert.equal(dependent, 12);
    assert.equal(constant, 0);
    assert.equal(r.constraints, r.report.predictedConstraints);
  });

  test('public input: its copies are pinned (no private part), a Relu of it is not', async () => {
    const bytes = model([node('Transpose', ['x'], 't', { perm: [1, 0] }), node('Relu', ['x'], 'r')], ['t', 'r'], []);
    const { r, dependent, constant } = await compile(bytes, { inputVisibility: 'public' });
    assert.equal(constant, 4);
    assert.equal(dependent, 0);
    assert.equal(r.constraints, r.report.predictedConstraints);
  });

  test('hashed outputs are private: nothing kept', async () => {
    const bytes = model([node('Tile', ['x', 'reps'], 't')], ['t'], [{ name: 'reps', dims: [2], data: [1, 2], elemType: 'int64' }]);
    const { r, dependent, constant } = await compile(bytes, { outputVisibility: 'hashed' });
    assert.equal(dependent + constant, 0);
    assert.equal(r.constraints, r.report.predictedConstraints);
  });

  test('a batch of 2: each inference repeats its own copies (8 per proof)', async () => {
    const bytes = model([node('Tile', ['x', 'reps'], 't')], ['t'], [{ name: 'reps', dims: [2], data: [1, 3], elemType: 'int64' }]);
    const { r, dependent } = await compile(bytes, { batchSize: 2 });
    assert.equal(dependent, 2 * 8);
    assert.equal(r.constraints, r.report.predictedConstraints);
  });

  test('private weights in a batch of 2: an output linear in the shared weights alone repeats across inferences', async () => {
    const bytes = model([node('Add', ['x', 'b'], 'y'), node('Sub', ['y', 'x'], 'z')], ['y', 'z'], [{ name: 'b', dims: [1, 4], data: [0.25, -0.5, 0.125, 0.75] }]);
    const { r, dependent } = await compile(bytes, { batchSize: 2, weightVisibility: 'private' });
    // z = b in both inferences: the second one's 4 elements are the first one's.
    assert.equal(dependent, 4);
    assert.equal(r.constraints, r.report.predictedConstraints);
  });
});
