/**
 * State shared while lowering a graph node by node: the integer tensors made so far, their bounds
 * and their float error bounds, and the calibration ranges that pick scales.
 */
import { ZkmlError } from '../errors';
import type { FloatTensor, Graph, IrNode } from '../formats/graph';
import { analyzeLayer } from './bounds';
import { paramIntervals, ParamTensor } from './params';
import type { Interval, Layer, ParamGroup, QuantizedModel, Row, TensorSpec } from '../formats/quantized-model';
import { activationScale } from './scales';
import type { CompileSettings } from '../formats/settings';

export interface VarTensor {
  id: number;
  shape: number[];
  scaleBits: number;
}

/** A row under construction, with the float error it has accumulated before any rescale. */
export interface RowDraft extends Row {
  error: number;
}

export class LowerContext {
  readonly tensors: TensorSpec[] = [];
  readonly layers: Layer[] = [];
  readonly bounds: Interval[][] = [];
  /** Per element: worst-case |dequantized value − exact float value|. */
  readonly errors: Float64Array[] = [];
  /**
   * By tensor id, where known from the float op itself (f's image of its float input's interval):
   * an interval holding every element's exact float value, often tighter than bound ± error.
   */
  private readonly floatRanges = new Map<number, { lo: number; hi: number }>();
  /** With private weights: the weight groups so far, and every weight signal's committed interval. */
  readonly params: ParamGroup[] = [];
  readonly paramBounds: Interval[] = [];
  private readonly openParams: ParamTensor[] = [];
  private readonly vars = new Map<string, VarTensor>();
  private readonly consumers = new Map<string, IrNode[]>();
  private readonly fused = new Set<string>();
  private readonly graphOutputs: Set<string>;

  constructor(
    readonly graph: Graph,
    readonly settings: CompileSettings,
    private readonly ranges: Map<string, { maxAbs: number; min: number }>,
    /** A value made without error (error attribution, src/quantize/error-attribution.ts). */
    private readonly exactValue?: string,
  ) {
    for (const node of graph.nodes) {
      for (const input of node.inputs) this.consumers.set(input, [...(this.consumers.get(input) ?? []), node]);
    }
    this.graphOutputs = new Set(graph.outputs.map((o) => o.name));
  }

  variable(name: string): VarTensor | undefined {
    return this.vars.get(name);
  }

  constant(name: string): FloatTensor | undefined {
    return this.graph.constants.get(name);
  }

  /**
   * With private weights, a constant tensor of `node` whose integers become weight signals (the
   * lowering sets each element as it computes it); undefined when weights are circuit constants.
   */
  paramTensor(node: IrNode, role: string, size: number): ParamTensor | undefined {
    if (this.settings.weightVisibility !== 'private') return undefined;
    const offset = this.params.reduce((a, g) => a + g.values.length, 0);
    const group: ParamGroup = { name: `${node.name}/${role}`, offset, lo: 0n, width: 1, values: new Array<bigint>(size).fill(0n) };
    this.params.push(group);
    const tensor = new ParamTensor(group);
    this.openParams.push(tensor);
    return tensor;
  }

  /** A new integer tensor (a graph input or a layer output). */
  newTensor(name: string, shape: number[], scaleBits: number, bounds: Interval[], errors: Float64Array): VarTensor {
    const id = this.tensors.length;
    this.tensors.push({ id, name, size: bounds.length, scaleBits });
    this.bounds.push(bounds);
    this.errors.push(name === this.exactValue ? errors.fill(0) : errors);
    const v = { id, shape, scaleBits };
    this.vars.set(name, v);
    return v;
  }

  /** The same integer data under another name and shape (Reshape, Flatten, Identity, a fused Relu). */
  alias(name: string, of: VarTensor, shape: number[]): void {
    this.vars.set(name, { ...of, shape });
  }

  targetScale(name: string): number {
    return activationScale(this.ranges.get(name)?.maxAbs, this.settings);
  }

  /** Largest |true value| of an element: its integer bound, dequantized, plus its error. */
  maxAbs(t: VarTensor, index: number): number {
    const b = this.bounds[t.id][index];
    const m = Number(b.lo < 0n ? -b.lo : b.lo) > Number(b.hi < 0n ? -b.hi : b.hi) ? b.lo : b.hi;
    return Math.abs(Number(m)) / 2 ** t.scaleBits + this.errors[t.id][index];
  }

  error(t: VarTensor, index: number): number {
    return this.errors[t.id][index];
  }

  /**
   * Records an interval that every exact float value of t lies in (see floatRanges), and caps each
   * element's error by it: the dequantized value x̂ lies in its bounds [l, h] and the float value x
   * in [lo, hi], so |x̂ − x| <= max(h − lo, hi − l) whatever error the analysis carried to it (the
   * range cap: a Clip's or a Softmax's output is never off by more than its span).
   */
  setFloatRange(t: VarTensor, range: { lo: number; hi: number }): void {
    const known = this.floatRanges.get(t.id);
    const r = known ? { lo: Math.max(known.lo, range.lo), hi: Math.min(known.hi, range.hi) } : range;
    this.floatRanges.set(t.id, r);
    const unit = 2 ** t.scaleBits;
    const errors = this.errors[t.id];
    this.bounds[t.id].forEach((b, j) => {
      const spread = Math.max(Number(b.hi) / unit - r.lo, r.hi - Number(b.lo) / unit);
      if (spread < errors[j]) errors[j] = spread;
    });
  }

  /**
   * An interval holding every element's exact float value: each element's dequantized bounds
   * widened by its error, narrowed by a known float range when there is one.
   */
  floatInterval(t: VarTensor): { lo: number; hi: number } {
    const unit = 2 ** t.scaleBits;
    let lo = Infinity;
    let hi = -Infinity;
    this.bounds[t.id].forEach((b, j) => {
      lo = Math.min(lo, Number(b.lo) / unit - this.errors[t.id][j]);
      hi = Math.max(hi, Number(b.hi) / unit + this.errors[t.id][j]);
    });
    const known = this.floatRanges.get(t.id);
    return known ? { lo: Math.max(lo, known.lo), hi: Math.min(hi, known.hi) } : { lo, hi };
  }

  /**
   * When a node's output feeds only a Relu (and is no graph output), the Relu is fused into the
   * node's rescale: one sign bit and one product instead of a second decomposition.
   */
  fusableRelu(output: string): IrNode | undefined {
    const users = this.consumers.get(output) ?? [];
    if (users.length === 1 && users[0].opType === 'Relu' && !this.graphOutputs.has(output)) return users[0];
    return undefined;
  }

  /**
   * When a node's output feeds only a QuantizeLinear (and is no graph output), its accumulator is
   * handed to that requantization as it is: rescaling it first would round twice.
   */
  feedsOnlyQuantize(output: string): boolean {
    return this.quantizeConsumer(output) !== undefined;
  }

  /** The QuantizeLinear node that is the only consumer of `output`, if so. */
  quantizeConsumer(output: string): IrNode | undefined {
    const users = this.consumers.get(output) ?? [];
    const only = users.length === 1 && users[0].opType === 'QuantizeLinear' && users[0].inputs[0] === output && !this.graphOutputs.has(output);
    return only ? users[0] : undefined;
  }

  markFused(node: IrNode): void {
    this.fused.add(node.name);
  }

  isFused(node: IrNode): boolean {
    return this.fused.has(node.name);
  }

  /**
   * Appends an accumulate layer whose rows sit at `accScale` fraction bits and are rescaled by
   * `shift` bits (or, with `argmax`, a selection layer; with `compare`, a test layer; with `divide`, a
   * quotient layer whose rows' errors include their rounding); runs the bound analysis for it and
   * propagates the float error bound.
   */
  addLayer(
    node: IrNode,
    outName: string,
    shape: number[],
    rows: RowDraft[],
    accScale: number,
    shift: number,
    relu: boolean,
    argmax?: Layer['argmax'],
    compare?: Layer['compare'],
    segments?: Layer['segments'],
    divide?: Layer['divide'],
    modulo?: Layer['modulo'],
  ): VarTensor {
    if (shift < 0 || shift > accScale) throw new ZkmlError('INTERNAL', `node '${node.name}': bad rescale ${shift} of scale ${accScale}`);
    const layer: Layer = {
      node: node.name,
      opType: relu && node.opType !== 'Relu' ? `${node.opType}+Relu` : node.opType,
      out: this.tensors.length,
      rows: rows.map(({ bias, terms, products, paramTerms }) => ({ bias, terms, products, ...(paramTerms?.length ? { paramTerms } : {}) })),
      shift,
      relu,
      ...(argmax ? { argmax } : {}),
      ...(compare ? { compare } : {}),
      ...(segments ? { segments } : {}),
      ...(divide ? { divide } : {}),
      ...(modulo ? { modulo } : {}),
    };
    // The weights this layer reads are complete: their committed ranges are what the bounds use.
    for (const p of this.openParams.splice(0)) {
      p.seal();
      for (const interval of paramIntervals([p.group])) this.paramBounds.push(interval);
    }
    const outBounds = analyzeLayer(layer, this.bounds, this.paramBounds);
    const outScale = accScale - shift;
    const rounding = shift > 0 ? 2 ** -(outScale + 1) : 0;
    const errors = Float64Array.from(rows, (r) => r.error + rounding);
    this.layers.push(layer);
    return this.newTensor(outName, shape, outScale, outBounds, errors);
  }

  toModel(outputs: QuantizedModel['outputs'], inputs: QuantizedModel['inputs']): QuantizedModel {
    const params = this.settings.weightVisibility === 'private' ? { params: this.params } : {};
    return { settings: this.settings, tensors: this.tensors, inputs, layers: this.layers, outputs, ...params };
  }
}
