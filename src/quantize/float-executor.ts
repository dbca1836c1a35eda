/** Runs the graph in float64 with the op families' semantics: calibration ranges come from here. */
import type { FloatTensor, Graph } from '../formats/graph';
import { familyOf } from '../onnx/ops';
import type { InputSample } from '../formats/input-document';

export function runFloat(graph: Graph, sample: InputSample): Map<string, FloatTensor> {
  const values = new Map<string, FloatTensor>(graph.constants);
  for (const info of graph.inputs) values.set(info.name, { shape: info.shape, data: sample.get(info.name)! });
  for (const node of graph.nodes) {
    const outs = familyOf(node.opType)!.evalFloat(
      node,
      node.inputs.map((n) => values.get(n)!),
    );
    node.outputs.forEach((o, i) => values.set(o, outs[i]));
  }
  return values;
}

/** A look at each sample's float run (all tensors by name), to keep what a later stage needs instead of running the graph again. */
export type FloatRunObserver = (values: ReadonlyMap<string, FloatTensor>, sampleIndex: number) => void;

/** Largest |value| of every tensor over all samples. */
export function calibrateRanges(graph: Graph, samples: InputSample[], observe?: FloatRunObserver): Map<string, { maxAbs: number; min: number }> {
  const ranges = new Map<string, { maxAbs: number; min: number }>();
  for (const [s, sample] of samples.entries()) {
    const values = runFloat(graph, sample);
    observe?.(values, s);
    for (const [name, t] of values) {
      if (graph.constants.has(name)) continue;
      const r = ranges.get(name) ?? { maxAbs: 0, min: Infinity };
      for (const v of t.data) {
        r.maxAbs = Math.max(r.maxAbs, Math.abs(v));
        r.min = Math.min(r.min, v);
      }
      ranges.set(name, r);
    }
  }
  return ranges;
}
