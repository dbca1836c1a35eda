/**
 * The soundness audit on a small model using Round, BitShift (RIGHT and LEFT), integer Div, GatherND
 * and ScatterND (docs/logic.md): every mutation of every class tried is refused.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { auditBuild } from '../../src/audit/audit';
import { compileModel } from '../../src/compiler/compile';
import { InitializerSpec, NodeSpec, writeOnnx } from '../../src/onnx/writer';
import { makeTempDir } from '../helpers/onnx-builders';

const N = 8;
const n = (opType: string, inputs: string[], output: string, attributes: NodeSpec['attributes'] = {}): NodeSpec => ({ opType, name: output, inputs, outputs: [output], attributes });
const init = (name: string, dims: number[], data: number[], elemType: InitializerSpec['elemType']): InitializerSpec => ({ name, dims, data, elemType });

function model(): Uint8Array {
  return writeOnnx({
    name: 'integer-ops-audit',
    inputs: [
      { name: 'x', elemType: 'float32', shape: [1, N] },
      { name: 'u', elemType: 'uint8', shape: [1, N] },
      { name: 'a', elemType: 'int64', shape: [1, N] },
      { name: 'b', elemType: 'int64', shape: [1, N] },
    ],
    outputs: [
      { name: 'round', elemType: 'float32', shape: [1, N] },
      { name: 'left', elemType: 'uint8', shape: [1, N] },
      { name: 'q', elemType: 'int64', shape: [1, N] },
      { name: 's', elemType: 'float32', shape: [1, N] },
    ],
    initializers: [init('F', [1], [3], 'uint8'), init('L', [N], [0, 1, 2, 3, 0, 1, 2, 3], 'uint8'), init('G', [2, 2], [0, 3, 0, -3], 'int64'), init('S', [2, 2], [0, 1, 0, 6], 'int64')],
    nodes: [
      n('Round', ['x'], 'round'),
      n('BitShift', ['u', 'F'], 'right', { direction: 'RIGHT' }),
      n('BitShift', ['right', 'L'], 'left', { direction: 'LEFT' }),
      n('Div', ['a', 'b'], 'q'),
      n('GatherND', ['x', 'G'], 'g'),
      n('ScatterND', ['round', 'S', 'g'], 's'),
    ],
  });
}

const work = makeTempDir('integer-ops-audit');
after(() => fs.rmSync(work, { recursive: true, force: true }));

test('Round, BitShift, integer Div, GatherND, ScatterND: every mutation refused', async (t) => {
  fs.writeFileSync(path.join(work, 'model.onnx'), model());
  const build = path.join(work, 'build');
  await compileModel(path.join(work, 'model.onnx'), build, { settings: { inputRange: [-4, 4] } });
  const input = {
    input_data: [
      [-3.5, -2.5, -0.5, 0.5, 1.5, 2.5, 0.75, -1.25],
      [255, 0, 17, 128, 7, 200, 96, 31],
      [-128, -7, 7, 127, 0, -1, 100, -100],
      [3, -2, -2, 5, -128, 1, -7, 7],
    ],
  };
  const report = await auditBuild(build, input, { perClass: 400 });
  assert.equal(report.forgeries, 0, JSON.stringify(report.classes.filter((c) => c.accepted.length > 0)));
  const tried = (cls: string) => report.classes.find((c) => c.mutationClass === cls)?.tried ?? 0;
  for (const cls of ['outputs', 'quotient bits', 'remainder bits']) assert.ok(tried(cls) > 0, `class '${cls}' was tried`);
  t.diagnostic(`${report.constraints} constraints; tried ${report.classes.map((c) => `${c.mutationClass} ${c.tried}`).join(', ')}`);
});
