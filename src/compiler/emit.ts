/**
 * Quantized model → circom source. Weights are literal coefficients of linear combinations, so a
 * matmul by constants costs no constraint; every rescale, ReLU and input is pinned by a bounded
 * decomposition from circuits/. The same model always yields byte-identical source.
 *
 * With private weights, a weight is the signal w[p] instead (the Model template's input `w`): each
 * term that uses it is a product (one constraint), a bias is linear in it, and the source holds no
 * weight value, so the circuit (and its verifying key) identifies only the architecture.
 *
 * Each layer is its own template (a large one is cut into several templates of bounded size), and
 * the `Model` template only range-checks the inputs and wires the layer components together. circom
 * turns each template into one wasm function, and V8 refuses a function above ~7.6 MB: a single
 * template holding every layer made models of ~40k constraints unloadable.
 */
import type { Gadget, Layer, QuantizedModel, Row } from '../formats/quantized-model';
import { paramCount, rowMultiplications } from '../quantize/params';
import { emitMain, mainIncludes } from './emit-main';

export const TEMPLATE_INCLUDES = ['range.circom', 'requantize.circom', 'product.circom', 'argmax.circom', 'compare.circom', 'one.circom', 'segment.circom', 'divide.circom', 'modulo.circom'];

/**
 * Most cost units (see rowCost) in one layer template. A unit is roughly one line of generated code,
 * ~60 bytes of wasm; 16,384 units keep each function near 1 MB, far below V8's limit, and big
 * layers in a few templates (each template copies its input tensors in, a linear constraint per
 * element that --O2 removes).
 */
export const MAX_TEMPLATE_COST = 16384;

const sig = (t: number, i: number) => `x${t}[${i}]`;
/** Weight signal p inside a layer template that receives w[first ..]. */
const weight = (p: number, first: number) => `w[${p - first}]`;

/** Above this many terms, sums are built in a var one term per line: circom's parser recurses on long expressions. */
const INLINE_TERMS = 16;

/**
 * A row whose rescale reads more than this many terms (linear terms and products) gets its sum in a
 * signal of its own, pinned by acc * one === sum (one: circuits/one.circom): one constraint more,
 * but circom's --O2 then keeps the sum in that constraint's C instead of substituting it into the
 * A and B rows of the rescale's bit constraints (784 terms each for an MNIST neuron).
 */
export const MATERIALISE_TERMS = INLINE_TERMS;

/** Whether the emitter gives the row's sum its own signal (see MATERIALISE_TERMS): one constraint each. */
export function materialisesSum(row: Row, gadget: Gadget): boolean {
  if (gadget.kind !== 'requantize' && gadget.kind !== 'requantizeRelu') return false;
  const linear = row.terms.filter((t) => t[3] === undefined).length + (row.paramTerms?.length ?? 0);
  return linear + rowMultiplications(row) > MATERIALISE_TERMS;
}

/** Rows [start, end) of a layer whose sum is materialised. */
function materialisedRows(layer: Layer, start: number, end: number): number {
  let n = 0;
  for (let o = start; o < end; o++) if (materialisesSum(layer.rows[o], layer.gadgets![o])) n++;
  return n;
}

/** Materialised sums of the whole model (per inference), and the One() they share (2 constraints) when any. */
export function materialisedSums(model: QuantizedModel): number {
  return model.layers.reduce((a, l) => a + materialisedRows(l, 0, l.rows.length), 0);
}

/** c·s as circom source. */
const scaled = (c: bigint, s: string): string => (c === 1n ? s : c === -1n ? `-${s}` : `${c}*${s}`);

/** The linear parts of a row: its constant-coefficient terms and its weight-signal bias terms. */
function linearParts(row: Row, firstParam: number): string[] {
  return [...row.terms.filter((t) => t[3] === undefined).map(([t, i, c]) => scaled(c, sig(t, i))), ...(row.paramTerms ?? []).map(([p, c]) => scaled(c, weight(p, firstParam)))];
}

/**
 * Returns an expression for the row's linear part; for long rows, first emits lines that build it
 * in the var `acc` (a var holding a linear combination of signals costs no constraint).
 */
function rowExpression(row: Row, lines: LineSink, firstParam: number, productSignal?: string): string {
  const parts = linearParts(row, firstParam);
  if (parts.length > INLINE_TERMS) {
    lines.push(`    acc = ${row.bias};`);
    for (const part of parts) lines.push(`    acc += ${part};`);
    return productSignal ? `acc + ${productSignal}` : 'acc';
  }
  if (row.bias !== 0n) parts.unshift(row.bias.toString());
  if (productSignal) parts.push(productSignal);
  if (parts.length === 0) return '0';
  return parts.join(' + ').replace(/\+ -/g, '- ');
}

/** The row's multiplications as [a, b] signal pairs: its products, then its terms whose coefficient is a weight signal. */
function multiplications(row: Row, firstParam: number): Array<[string, string]> {
  return [
    ...row.products.map(([ta, ia, tb, ib]): [string, string] => [sig(ta, ia), sig(tb, ib)]),
    ...row.terms.filter((t) => t[3] !== undefined).map(([t, i, , p]): [string, string] => [weight(p!, firstParam), sig(t, i)]),
  ];
}

function gadgetTemplate(g: Gadget): string | undefined {
  switch (g.kind) {
    case 'requantize':
      return `Requantize(${g.k}, ${g.n}, ${g.lo})`;
    case 'requantizeRelu':
      return `RequantizeRelu(${g.k}, ${g.m})`;
    case 'argmax':
      return `ArgMax(${g.n}, ${g.b}, ${g.last ? 1 : 0})`;
    case 'nonNegative':
      return `NonNegative(${g.b})`;
    case 'isZero':
      return 'EqualsZero()';
    case 'divide':
      return `Divide(${g.sign}, ${g.b}, ${g.bd}, ${g.bq}, ${g.qlo})`;
    case 'modulo':
      return `Modulo(${g.fmod ? 1 : 0}, ${g.signNum}, ${g.bn}, ${g.signDen}, ${g.bdn}, ${g.bd}, ${g.bq}, ${g.qlo})`;
    default:
      return undefined;
  }
}

/** Generated lines a row costs, about: one per term and product, a few for its gadget. */
function rowCost(row: Row): number {
  return 4 + row.terms.length + 2 * rowMultiplications(row) + (row.paramTerms?.length ?? 0);
}

/** Consecutive row ranges [start, end) of at most MAX_TEMPLATE_COST units (a bigger row stays alone). */
export function chunkRows(rows: Row[], budget = MAX_TEMPLATE_COST): Array<[number, number]> {
  const chunks: Array<[number, number]> = [];
  let start = 0;
  let cost = 0;
  rows.forEach((row, o) => {
    const c = rowCost(row);
    if (o > start && cost + c > budget) {
      chunks.push([start, o]);
      start = o;
      cost = 0;
    }
    cost += c;
  });
  if (rows.length > start) chunks.push([start, rows.length]);
  return chunks;
}

/** A row whose value is a constant of the circuit reads nothing. */
const constantGadget = (g: Gadget): boolean => g.kind === 'zero' || g.kind === 'one';

/** Tensors the rows [start, end) read (a row whose gadget is 'zero' or 'one' reads nothing), ascending. */
function tensorsRead(layer: Layer, start: number, end: number): number[] {
  const ids = new Set<number>();
  for (let o = start; o < end; o++) {
    if (constantGadget(layer.gadgets![o])) continue;
    for (const [t] of layer.rows[o].terms) ids.add(t);
    for (const [ta, , tb] of layer.rows[o].products) ids.add(ta).add(tb);
    const divisor = (layer.divide ?? layer.modulo)?.divisors[o];
    if (divisor) ids.add(divisor[0]);
  }
  return [...ids].sort((a, b) => a - b);
}

/** The weight signals the rows [start, end) read, as [first, last + 1) (empty: [0, 0)). */
function paramsRead(layer: Layer, start: number, end: number): [number, number] {
  let first = Infinity;
  let last = -1;
  for (let o = start; o < end; o++) {
    if (constantGadget(layer.gadgets![o])) continue;
    const row = layer.rows[o];
    for (const p of [...row.terms.map((t) => t[3]), ...(row.paramTerms ?? []).map(([q]) => q)]) {
      if (p === undefined) continue;
      if (p < first) first = p;
      if (p > last) last = p;
    }
  }
  return last < 0 ? [0, 0] : [first, last + 1];
}

/** Lines computing out[o - start] for the rows [start, end) of a layer, inside its template. */
function emitRows(layer: Layer, start: number, end: number, firstParam: number, lines: LineSink, materialise = true): void {
  const out = layer.out;
  for (let o = start; o < end; o++) {
    const row = layer.rows[o];
    const g = layer.gadgets![o];
    const target = `out[${o - start}]`;
    if (constantGadget(g)) {
      lines.push(`    ${target} <== ${g.kind === 'one' ? 1 : 0};`);
      continue;
    }
    if (g.kind === 'segment') {
      const c = `g${out}_${o}`;
      lines.push(`    component ${c} = Segments${out}();`);
      lines.push(`    ${c}.in <== ${sig(row.terms[0][0], row.terms[0][1])};`);
      lines.push(`    ${target} <== ${c}.out;`);
      continue;
    }
    if (g.kind === 'argmax') {
      const c = `g${out}_${o}`;
      lines.push(`    component ${c} = ${gadgetTemplate(g)};`);
      row.terms.forEach(([t, i], k) => lines.push(`    ${c}.in[${k}] <== ${sig(t, i)};`));
      lines.push(`    ${target} <== ${c}.out;`);
      continue;
    }
    let productSignal: string | undefined;
    const pairs = multiplications(row, firstParam);
    if (pairs.length > 0) {
      const d = `d${out}_${o}`;
      lines.push(`    component ${d} = DotProduct(${pairs.length});`);
      pairs.forEach(([a, b], r) => lines.push(`    ${d}.a[${r}] <== ${a}; ${d}.b[${r}] <== ${b};`));
      productSignal = `${d}.out`;
    }
    const template = gadgetTemplate(g);
    let expr = rowExpression(row, lines, firstParam, productSignal);
    if (materialise && materialisesSum(row, g)) {
      const a = `a${out}_${o}`;
      lines.push(`    signal ${a};`, `    ${a} <-- ${expr};`, `    ${a} * one === ${expr};`);
      expr = a;
    }
    if (template && (g.kind === 'divide' || g.kind === 'modulo')) {
      const [t, i, coef] = (layer.divide ?? layer.modulo)!.divisors[o];
      const c = `g${out}_${o}`;
      lines.push(`    component ${c} = ${template};`);
      lines.push(`    ${c}.num <== ${expr};`);
      lines.push(`    ${c}.den <== ${scaled(coef, sig(t, i))};`);
      lines.push(`    ${target} <== ${c}.out;`);
    } else if (template) {
      const c = `g${out}_${o}`;
      lines.push(`    component ${c} = ${template};`);
      lines.push(`    ${c}.in <== ${expr};`);
      lines.push(`    ${target} <== ${c}.out;`);
    } else {
      lines.push(`    ${target} <== ${expr};`);
    }
  }
}

interface LayerPart {
  template: string;
  component: string;
  layer: Layer;
  start: number;
  end: number;
  reads: number[];
  /** Weight signals read, [first, end). */
  params: [number, number];
  /** Rows whose sum is materialised (they read the signal `one`). */
  sums: number;
}

function layerParts(model: QuantizedModel, materialise: boolean): LayerPart[] {
  const parts: LayerPart[] = [];
  model.layers.forEach((layer, i) => {
    const chunks = chunkRows(layer.rows);
    chunks.forEach(([start, end], c) => {
      const suffix = chunks.length > 1 ? `_${c}` : '';
      parts.push({
        template: `Layer${i}${suffix}`,
        component: `l${i}${suffix}`,
        layer,
        start,
        end,
        reads: tensorsRead(layer, start, end),
        params: paramsRead(layer, start, end),
        sums: materialise ? materialisedRows(layer, start, end) : 0,
      });
    });
  });
  return parts;
}

function describeLayer(layer: Layer, index: number): string {
  const what = layer.argmax
    ? `argmax${layer.argmax.selectLast ? ' (last)' : ''}`
    : layer.compare
      ? `test acc ${layer.compare === 'zero' ? '= 0' : '>= 0'}`
      : layer.segments
        ? `${layer.segments.lo.length} segments`
        : layer.divide
          ? 'quotient acc / divisor, rounded'
          : layer.modulo
            ? `remainder acc ${layer.modulo.fmod ? 'fmod' : 'mod'} divisor`
            : `rescale 2^-${layer.shift}${layer.relu ? ', relu' : ''}`;
  return `layer ${index}: ${layer.opType} '${layer.node}' -> x${layer.out}[${layer.rows.length}], ${what}`;
}

/** A layer's segment table, written once: Segments<out>() is Segment(...) with the table as its parameters. */
function emitSegmentTable(layer: Layer, lines: LineSink): void {
  const t = layer.segments!;
  const g = layer.gadgets!.find((x) => x.kind === 'segment');
  if (!g || g.kind !== 'segment') return;
  const list = (v: bigint[]) => `[${v.join(', ')}]`;
  lines.push(
    `template Segments${layer.out}() {`,
    '    signal input in;',
    '    signal output out;',
    `    component s = Segment(${g.n}, ${g.b}, ${list(t.lo)}, ${list(t.hi)}, ${list(t.alpha)}, ${list(t.beta)});`,
    '    s.in <== in;',
    '    out <== s.out;',
    '}',
    '',
  );
}

function emitLayerTemplate(model: QuantizedModel, part: LayerPart, lines: LineSink): void {
  const { layer, start, end } = part;
  const index = model.layers.indexOf(layer);
  const range = end - start === layer.rows.length ? '' : ` (rows ${start}..${end - 1})`;
  if (layer.segments && start === 0) emitSegmentTable(layer, lines);
  lines.push(`// ${describeLayer(layer, index)}${range}`, `template ${part.template}() {`);
  for (const t of part.reads) lines.push(`    signal input x${t}[${model.tensors[t].size}];`);
  const [first, last] = part.params;
  if (last > first) lines.push(`    signal input w[${last - first}]; // weight signals ${first}..${last - 1}`);
  lines.push(`    signal output out[${end - start}];`);
  if (part.sums > 0) lines.push(`    signal input one; // 1, for the ${part.sums} materialised sums`);
  lines.push('    var acc;');
  emitRows(layer, start, end, first, lines, part.sums > 0);
  lines.push('}', '');
}

function emitModelTemplate(model: QuantizedModel, parts: LayerPart[], lines: LineSink): void {
  lines.push('template Model() {');
  const inputIds = new Set(model.inputs.map((i) => i.tensor));
  for (const input of model.inputs) {
    const t = model.tensors[input.tensor];
    lines.push(`    signal input x${t.id}[${t.size}]; // '${input.name}' [${input.shape}] ${input.visibility}, scale 2^-${input.scaleBits}, range [${input.lo}, ${input.hi}]`);
  }
  const nParams = paramCount(model.params);
  if (nParams > 0) lines.push(`    signal input w[${nParams}]; // private weights, range-checked and committed by the main component`);
  model.outputs.forEach((output, j) => {
    lines.push(`    signal output y${j}[${model.tensors[output.tensor].size}]; // '${output.name}' [${output.shape}], scale 2^-${output.scaleBits}`);
  });
  for (const t of model.tensors) {
    if (!inputIds.has(t.id)) lines.push(`    signal x${t.id}[${t.size}]; // ${t.name}`);
  }
  lines.push('', '    // every input element is range-checked to its quantized width');
  for (const input of model.inputs) {
    const t = model.tensors[input.tensor];
    const bits = (input.hi - input.lo + 1n).toString(2).length - 1;
    lines.push(`    component rc${t.id}[${t.size}];`);
    lines.push(`    for (var i = 0; i < ${t.size}; i++) {`);
    lines.push(`        rc${t.id}[i] = RangeCheck(${bits}, ${input.lo});`);
    lines.push(`        rc${t.id}[i].in <== x${t.id}[i];`);
    lines.push('    }');
  }
  if (parts.some((p) => p.sums > 0)) lines.push('', '    // the 1 that keeps long sums out of the A and B rows (circuits/one.circom)', '    component unit = One();');
  lines.push('', '    // the layers, in order (each template computes rows [start, end) of its output tensor)');
  for (const part of parts) {
    const c = part.component;
    lines.push(`    component ${c} = ${part.template}();`);
    if (part.sums > 0) lines.push(`    ${c}.one <== unit.out;`);
    for (const t of part.reads) lines.push(`    for (var i = 0; i < ${model.tensors[t].size}; i++) ${c}.x${t}[i] <== x${t}[i];`);
    const [first, last] = part.params;
    if (last > first) lines.push(`    for (var i = 0; i < ${last - first}; i++) ${c}.w[i] <== w[${first} + i];`);
    const offset = part.start === 0 ? '' : `${part.start} + `;
    lines.push(`    for (var i = 0; i < ${part.end - part.start}; i++) x${part.layer.out}[${offset}i] <== ${c}.out[i];`);
  }
  lines.push('', '    // public outputs');
  model.outputs.forEach((output, j) => {
    const size = model.tensors[output.tensor].size;
    lines.push(`    for (var i = 0; i < ${size}; i++) y${j}[i] <== x${output.tensor}[i];`);
  });
  lines.push('}', '');
}

/** Circuit shape choices; the default is what compileModel ships (and what the report predicts). */
export interface EmitShape {
  /** false: the shape before materialised sums (for bench/compile.ts's comparison only). */
  materialiseSums?: boolean;
}

export function emitCircuit(model: QuantizedModel, title: string, shape: EmitShape = {}): string {
  const lines: string[] = [];
  emitCircuitLines(model, title, shape, lines);
  return lines.join('\n');
}

/** Where generated lines go: an array, or a file's writer. */
export interface LineSink {
  push(...lines: string[]): unknown;
}

/** emitCircuit's lines, into `lines` (a corpus transformer's source is more than a JS string holds, and GBs as an array). */
export function emitCircuitLines(model: QuantizedModel, title: string, shape: EmitShape, lines: LineSink): void {
  lines.push(
    'pragma circom 2.1.0;',
    '',
    `// Generated by zkml from ${title}. Do not edit: recompile the model instead.`,
    '// Tensors hold integers v meaning v / 2^scale; see compiled.json for scales and layout.',
    ...[...TEMPLATE_INCLUDES, ...mainIncludes(model)].map((f) => `include "${f}";`),
    '',
  );
  const parts = layerParts(model, shape.materialiseSums ?? true);
  for (const part of parts) emitLayerTemplate(model, part, lines);
  emitModelTemplate(model, parts, lines);
  for (const line of emitMain(model)) lines.push(line);
}
