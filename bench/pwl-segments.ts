// Segment selection vs a relu per breakpoint for piecewise-linear activations, on a LeNet-5-like
// model with Tanh (seeded He-scaled weights; MNIST digits from models/mnist-cnn/calibration.json
// calibrate it): predicted constraints (= the r1cs count, checked by the circuit tests) per layer and
// in all, with this checkout's lowering ("after": the cheaper construction per layer) and with
// another build's (`--before DIST`, e.g. /work/main/dist: a relu per breakpoint); and the static
// error bound of the logits against their observed deviation from the float model.
//
//   node dist/bench/pwl-segments.js [--before /work/main/dist]
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Graph } from '../src/formats/graph';
import type { InputSample } from '../src/formats/input-document';
import type { QuantizedModel } from '../src/formats/quantized-model';
import { parseSettings } from '../src/formats/settings';
import { loadOnnx } from '../src/onnx/load';
import { NodeSpec, writeOnnx } from '../src/onnx/writer';
import { quantizeSample } from '../src/quantize/codec';
import { runFloat } from '../src/quantize/float-executor';
import { ROOT } from './lib/report';

type Quantize = (graph: Graph, settings: ReturnType<typeof parseSettings>, calibration: InputSample[]) => QuantizedModel;
type Report = (model: QuantizedModel) => { predictedConstraints: number; layers: Array<{ layer: string; opType: string; constraints: number }> };

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** LeNet-5 shape with Tanh: conv 6@5×5 (pad 2) → tanh → avgpool → conv 16@5×5 → tanh → avgpool → 400 → 120 → tanh → 84 → tanh → 10. */
export function lenetTanh(): Uint8Array {
  const next = rng(5);
  const he = (n: number, fanIn: number) => Float32Array.from({ length: n }, () => (2 * next() - 1) * Math.sqrt(3 / fanIn));
  const inits = [
    { name: 'w1', dims: [6, 1, 5, 5], data: he(150, 25) },
    { name: 'b1', dims: [6], data: he(6, 25) },
    { name: 'w2', dims: [16, 6, 5, 5], data: he(2400, 150) },
    { name: 'b2', dims: [16], data: he(16, 150) },
    { name: 'w3', dims: [120, 400], data: he(48000, 400) },
    { name: 'b3', dims: [120], data: he(120, 400) },
    { name: 'w4', dims: [84, 120], data: he(10080, 120) },
    { name: 'b4', dims: [84], data: he(84, 120) },
    { name: 'w5', dims: [10, 84], data: he(840, 84) },
    { name: 'b5', dims: [10], data: he(10, 84) },
  ];
  const n = (opType: string, inputs: string[], output: string, attributes: NodeSpec['attributes'] = {}): NodeSpec => ({ opType, name: output, inputs, outputs: [output], attributes });
  const pool = { kernel_shape: [2, 2], strides: [2, 2] };
  return writeOnnx({
    name: 'lenet-tanh',
    inputs: [{ name: 'input', elemType: 'float32', shape: [1, 1, 28, 28] }],
    outputs: [{ name: 'logits', elemType: 'float32', shape: [1, 10] }],
    initializers: inits,
    nodes: [
      n('Conv', ['input', 'w1', 'b1'], 'c1', { pads: [2, 2, 2, 2] }),
      n('Tanh', ['c1'], 't1'),
      n('AveragePool', ['t1'], 'p1', pool),
      n('Conv', ['p1', 'w2', 'b2'], 'c2'),
      n('Tanh', ['c2'], 't2'),
      n('AveragePool', ['t2'], 'p2', pool),
      n('Flatten', ['p2'], 'f'),
      n('Gemm', ['f', 'w3', 'b3'], 'g3', { transB: 1 }),
      n('Tanh', ['g3'], 't3'),
      n('Gemm', ['t3', 'w4', 'b4'], 'g4', { transB: 1 }),
      n('Tanh', ['g4'], 't4'),
      n('Gemm', ['t4', 'w5', 'b5'], 'logits', { transB: 1 }),
    ],
  });
}

/** A module of another build (its dist folder): the point is to run that build's code, so it is loaded at run time. */
function fromBuild<T>(dist: string, file: string): T {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return require(path.join(dist, file)) as T;
}

function measure(dist: string, graph: Graph, calibration: InputSample[], test: InputSample[]) {
  const quantize = fromBuild<{ quantizeGraph: Quantize }>(dist, 'src/quantize/quantize.js').quantizeGraph;
  const report = fromBuild<{ buildReport: Report }>(dist, 'src/compiler/report.js').buildReport;
  const runRef = fromBuild<{ runReference: (m: QuantizedModel, i: Map<number, bigint[]>) => bigint[][] }>(dist, 'src/quantize/reference.js').runReference;
  const model = quantize(graph, parseSettings({}), calibration);
  const r = report(model);
  const out = model.outputs[0];
  let deviation = 0;
  for (const sample of test) {
    const want = runFloat(graph, sample).get('logits')!.data;
    const got = runRef(model, quantizeSample(model, sample))[out.tensor];
    got.forEach((v, i) => (deviation = Math.max(deviation, Math.abs(Number(v) / 2 ** out.scaleBits - want[i]))));
  }
  const tanh = r.layers.filter((l) => l.opType.startsWith('Tanh')).reduce((a, l) => a + l.constraints, 0);
  return { total: r.predictedConstraints, tanh, bound: out.errorBound, deviation, layers: r.layers };
}

function main(): void {
  const argv = process.argv.slice(2);
  const i = argv.indexOf('--before');
  const before = i >= 0 ? path.resolve(argv[i + 1]) : undefined;
  const graph = loadOnnx(lenetTanh());
  const doc = JSON.parse(fs.readFileSync(path.join(ROOT, 'models', 'mnist-cnn', 'calibration.json'), 'utf8')) as { input_data: number[][] };
  const samples: InputSample[] = doc.input_data.map((d) => new Map([['input', Float64Array.from(d)]]));
  const calibration = samples.slice(0, Math.ceil(samples.length / 2));
  const test = samples.slice(Math.ceil(samples.length / 2));
  const rows: Array<[string, ReturnType<typeof measure>]> = [];
  if (before) rows.push([`before (${before})`, measure(before, graph, calibration, test)]);
  rows.push(['after (this checkout)', measure(path.resolve(__dirname, '..'), graph, calibration, test)]);
  console.log(`LeNet-5-like with Tanh, ${calibration.length} calibration digits, ${test.length} test digits, default settings\n`);
  console.log('| lowering | constraints | of which Tanh layers | logits: static error bound | max deviation from float |');
  console.log('|---|---|---|---|---|');
  for (const [label, m] of rows) console.log(`| ${label} | ${m.total.toLocaleString('en-US')} | ${m.tanh.toLocaleString('en-US')} | ${m.bound.toPrecision(3)} | ${m.deviation.toPrecision(3)} |`);
  console.log('\nper layer (after):');
  for (const l of rows[rows.length - 1][1].layers) console.log(`  ${l.opType} '${l.layer}': ${l.constraints.toLocaleString('en-US')}`);
}

if (require.main === module) main();
