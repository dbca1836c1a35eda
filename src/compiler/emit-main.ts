/**
 * The top of the circuit: `component main`. With plain visibility and one inference per proof, main
 * is the Model template itself. Otherwise a ZkmlMain template wraps k copies of Model and adds the
 * Poseidon commitments (circuits/commit.circom) as its public outputs. Private weights are one
 * input `w` shared by the k copies, range-checked to their committed widths (which makes the packing
 * injective) and committed once. Public signal order (circom:
 * main's outputs in declaration order, then public inputs) is the order of publicLayout() in
 * src/quantize/codec.ts.
 */
import { batchSize, commitmentLayout } from '../commit/layout';
import { elementsPerWord, packedWords, PackSpec } from '../commit/scheme';
import { paramCount } from '../quantize/params';
import type { QuantizedModel } from '../formats/quantized-model';

export function needsWrapper(model: QuantizedModel): boolean {
  const layout = commitmentLayout(model);
  return layout.batchSize > 1 || layout.inputs !== undefined || layout.outputs !== undefined || layout.weights !== undefined;
}

/** Template files the main component needs besides the Model's own. */
export function mainIncludes(model: QuantizedModel): string[] {
  return needsWrapper(model) ? ['commit.circom'] : [];
}

export function emitMain(model: QuantizedModel): string[] {
  const publicInputs = model.inputs.filter((i) => i.visibility === 'public').map((i) => `x${i.tensor}`);
  const publicDecl = publicInputs.length > 0 ? ` {public [${publicInputs.join(', ')}]}` : '';
  if (!needsWrapper(model)) return [`component main${publicDecl} = Model();`, ''];

  const layout = commitmentLayout(model);
  const k = batchSize(model);
  const size = (t: number): number => model.tensors[t].size;
  const dims = (n: number): string => (k === 1 ? `[${n}]` : `[${k}][${n}]`);
  const at = (b: string): string => (k === 1 ? '' : `[${b}]`);
  const lines = ['', `// ${k} inference${k > 1 ? 's' : ''} of Model per proof; commitments by circuits/commit.circom.`, 'template ZkmlMain() {'];
  for (const input of model.inputs) lines.push(`    signal input x${input.tensor}${dims(size(input.tensor))}; // '${input.name}' ${input.visibility}`);
  if (layout.inputs) lines.push('    signal input inputSalt;');
  if (layout.outputs) lines.push('    signal input outputSalt;');
  const nParams = paramCount(model.params);
  if (layout.weights) lines.push(`    signal input w[${nParams}]; // private weights`, '    signal input weightsSalt;');
  if (!layout.outputs) model.outputs.forEach((o, j) => lines.push(`    signal output y${j}${dims(size(o.tensor))}; // '${o.name}'`));
  if (layout.inputs) lines.push('    signal output inputCommitment;');
  if (layout.outputs) lines.push('    signal output outputCommitment;');
  if (layout.weights) lines.push('    signal output weightsCommitment;');

  lines.push('', `    component m[${k}];`, `    for (var b = 0; b < ${k}; b++) {`, '        m[b] = Model();');
  for (const input of model.inputs) {
    lines.push(`        for (var i = 0; i < ${size(input.tensor)}; i++) m[b].x${input.tensor}[i] <== x${input.tensor}${at('b')}[i];`);
  }
  if (layout.weights) lines.push(`        for (var i = 0; i < ${nParams}; i++) m[b].w[i] <== w[i];`);
  if (!layout.outputs) {
    model.outputs.forEach((o, j) => lines.push(`        for (var i = 0; i < ${size(o.tensor)}; i++) y${j}${at('b')}[i] <== m[b].y${j}[i];`));
  }
  lines.push('    }');

  if (layout.inputs) {
    const sources = model.inputs.map((i) => (b: string, e: string) => `x${i.tensor}${at(b)}[${e}]`);
    emitCommitment(
      lines,
      'inputCommitment',
      'inputSalt',
      'pin',
      layout.inputs,
      sources,
      model.inputs.map((i) => size(i.tensor)),
    );
  }
  if (layout.outputs) {
    const sources = model.outputs.map((_, j) => (b: string, e: string) => `m[${b}].y${j}[${e}]`);
    emitCommitment(
      lines,
      'outputCommitment',
      'outputSalt',
      'pout',
      layout.outputs,
      sources,
      model.outputs.map((o) => size(o.tensor)),
    );
  }
  if (layout.weights) {
    const groups = model.params!;
    lines.push('', "    // every weight lies in its group's committed range");
    groups.forEach((g, t) => {
      lines.push(`    component wr${t}[${g.values.length}];`);
      lines.push(`    for (var i = 0; i < ${g.values.length}; i++) { wr${t}[i] = RangeCheck(${g.width}, ${g.lo}); wr${t}[i].in <== w[${g.offset} + i]; }`);
    });
    const sources = groups.map((g) => (_b: string, e: string) => `w[${g.offset} + ${e}]`);
    emitCommitment(
      lines,
      'weightsCommitment',
      'weightsSalt',
      'pw',
      layout.weights,
      sources,
      groups.map((g) => g.values.length),
    );
  }
  lines.push('}', '', `component main${publicDecl} = ZkmlMain();`, '');
  return lines;
}

/** Packs each tensor (batch items one after another), then chains all words from the salt. */
function emitCommitment(lines: string[], out: string, salt: string, prefix: string, specs: PackSpec[], sources: Array<(b: string, e: string) => string>, perItem: number[]): void {
  const total = specs.reduce((a, s) => a + packedWords(s), 0);
  lines.push('', `    // ${out}: ${specs.map((s) => `'${s.name}' ${s.size} elements of ${s.width} bits from ${s.lo}`).join(', ')} -> ${total} words`);
  lines.push(`    component ${prefix}Chain = PoseidonChain(${total});`, `    ${prefix}Chain.salt <== ${salt};`);
  let offset = 0;
  specs.forEach((s, t) => {
    const c = `${prefix}${t}`;
    const n = perItem[t];
    lines.push(`    component ${c} = Pack(${s.size}, ${s.width}, ${s.lo}, ${elementsPerWord(s.width)});`);
    lines.push(`    for (var b = 0; b < ${s.size / n}; b++) for (var i = 0; i < ${n}; i++) ${c}.in[b * ${n} + i] <== ${sources[t]('b', 'i')};`);
    lines.push(`    for (var j = 0; j < ${packedWords(s)}; j++) ${prefix}Chain.in[${offset} + j] <== ${c}.out[j];`);
    offset += packedWords(s);
  });
  lines.push(`    ${out} <== ${prefix}Chain.out;`);
}
