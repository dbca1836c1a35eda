/**
 * The soundness audit of a compiled model: take the witness of a real input, apply every class of
 * mutation (sampled, deterministically, where there are many), and check each against the R1CS. A
 * mutation the constraints accept is a forged proof; a sound circuit has none.
 *
 * Each check evaluates only the constraints that touch the edited wires, so auditing thousands of
 * mutations of a large model costs little more than computing one witness.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { artifactPath, readManifest } from '../formats/artifacts';
import { directWitness } from '../compiler/direct/backend';
import { readWireLabelsFile } from '../compiler/direct/files';
import { compileCircom, copyTemplateLibrary } from '../compiler/circom2';
import { readR1csHeader } from '../snark/r1cs-header';
import { emitCircuit } from '../compiler/emit';
import { mainIncludes } from '../compiler/emit-main';
import { readCompiled } from '../formats/compiled-model';
import { verifyWitness, computeWitness, loadR1cs, R1cs, readSymEntries } from '../compiler/r1cs-check';
import { ZkmlError } from '../errors';
import { evaluateBatch, randomSalt, readBatch } from '../commit/commitments';
import { commitmentLayout } from '../commit/layout';
import { circuitInput } from '../quantize/codec';
import type { QuantizedModel } from '../formats/quantized-model';
import { generateMutations, Mutation, MutationClass } from './mutations';
import { classifySignals } from './signal-roles';

export interface AuditOptions {
  /** At most this many mutations per class (default 300); the rest are sampled out. */
  perClass?: number;
  seed?: number;
}

export interface ClassResult {
  mutationClass: MutationClass;
  available: number;
  tried: number;
  /** Labels of accepted mutations (forgeries). */
  accepted: string[];
}

export interface AuditReport {
  wires: number;
  constraints: number;
  classes: ClassResult[];
  /** Total accepted mutations: 0 for a sound circuit. */
  forgeries: number;
}

export interface CircuitFiles {
  r1csPath: string;
  symPath: string;
  /** The circuit wasm of a circom build; absent for a direct build (the witness comes from src/compiler/direct). */
  wasmPath?: string;
}

/**
 * Audits a build folder on one input document (the same JSON `zkml prove` takes).
 *
 * A private input that circom's O2 folded away has no wire to hold fixed, so a mutation could be a
 * valid witness for another input rather than a forgery. Such builds are audited on the same
 * quantized model emitted with public inputs (same gadgets, inputs kept as wires): `variant` says so.
 */
export async function auditBuild(buildDir: string, inputDoc: unknown, options: AuditOptions = {}): Promise<AuditReport & { variant?: 'public-inputs' }> {
  const compiled = readCompiled(buildDir);
  const { model } = compiled;
  const layout = commitmentLayout(model);
  const values = evaluateBatch(model, readBatch(inputDoc, model, compiled.graphInputs));
  const salts = {
    input: layout.inputs ? randomSalt() : undefined,
    output: layout.outputs ? randomSalt() : undefined,
    weights: compiled.weights ? BigInt(compiled.weights.salt) : undefined,
  };
  const direct = readManifest(buildDir).backend === 'direct';
  const files: CircuitFiles = { r1csPath: artifactPath(buildDir, 'r1cs'), symPath: artifactPath(buildDir, 'sym'), ...(direct ? {} : { wasmPath: artifactPath(buildDir, 'wasm') }) };
  if (!eliminatesInputs(files)) return auditCircuit(model, files, circuitInput(model, values.inputs, salts), options);

  const variant: QuantizedModel = { ...model, inputs: model.inputs.map((i) => (i.visibility === 'private' ? { ...i, visibility: 'public' } : i)) };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkml-audit-'));
  try {
    copyTemplateLibrary(dir, mainIncludes(variant).length > 0);
    fs.writeFileSync(path.join(dir, 'main.circom'), emitCircuit(variant, 'the audit variant with public inputs'));
    const out = await compileCircom({ workDir: dir, mainFile: 'main.circom' });
    const report = await auditCircuit(variant, out, circuitInput(variant, values.inputs, salts), options);
    return { ...report, variant: 'public-inputs' };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether O2 removed a wire of main's inputs (labels 1 + nOutputs … : see circom's sym layout). */
function eliminatesInputs(files: CircuitFiles): boolean {
  const info = readR1csHeader(files.r1csPath, 'CIRCOM_FAILED');
  const first = 1 + info.nOutputs;
  const end = first + info.nPubInputs + info.nPrvInputs;
  return readSymEntries(files.symPath).some((e) => e.label >= first && e.label < end && e.witness < 0);
}

/** Audits circuit files against the quantized model they were emitted from (which names the gadgets). */
export async function auditCircuit(model: QuantizedModel, files: CircuitFiles, input: Record<string, bigint[]>, options: AuditOptions = {}): Promise<AuditReport> {
  const r1cs = loadR1cs(files.r1csPath);
  // A direct build's witness is the backend's own, mapped to wires by the r1cs; the audit judges it
  // against the r1cs alone, exactly as a circom build's wasm witness.
  const witness = files.wasmPath ? await computeWitness(input, files.wasmPath) : directWitness(model, input, readWireLabelsFile(files.r1csPath));
  if (!verifyWitness(r1cs, witness).ok) throw new ZkmlError('WITNESS_FAILED', 'the honest witness does not satisfy the constraints');
  const roles = classifySignals(readSymEntries(files.symPath), r1cs.nOutputs, r1cs.nPubInputs + r1cs.nPrvInputs);
  const byClass = generateMutations(model, roles, witness, r1cs.prime);
  const check = incrementalChecker(r1cs, witness);
  const perClass = options.perClass ?? 300;
  const classes: ClassResult[] = [];
  for (const [mutationClass, all] of byClass) {
    const picked = sample(all, perClass, options.seed ?? 1);
    const accepted: string[] = [];
    for (const m of picked) {
      if (m.edits.some(([wire]) => roles.fixed.has(wire))) throw new Error(`mutation ${m.label} edits a fixed wire`);
      if (check(m)) accepted.push(m.label);
    }
    classes.push({ mutationClass, available: all.length, tried: picked.length, accepted });
  }
  return { wires: r1cs.nVars, constraints: r1cs.constraints.length, classes, forgeries: classes.reduce((s, c) => s + c.accepted.length, 0) };
}

/**
 * Returns a function telling whether the R1CS still accepts the witness after a mutation, for a
 * witness it accepts: only the constraints reading an edited wire can change their verdict.
 */
export function incrementalChecker(r1cs: R1cs, witness: readonly bigint[]): (m: Mutation) => boolean {
  const touching: number[][] = Array.from({ length: r1cs.nVars }, () => []);
  r1cs.constraints.forEach((c, i) => {
    for (const lc of [c.a, c.b, c.c]) for (const wire of lc.wires) touching[wire].push(i);
  });
  const p = r1cs.prime;
  return (m) => {
    const edited = new Map(m.edits.map(([wire, v]) => [wire, ((v % p) + p) % p]));
    if ([...edited].every(([wire, v]) => v === witness[wire])) throw new Error(`mutation ${m.label} changes nothing`);
    const value = (wire: number) => edited.get(wire) ?? witness[wire];
    const evalLc = (lc: { wires: number[]; coeffs: bigint[] }) => {
      let s = 0n;
      for (let i = 0; i < lc.wires.length; i++) s += lc.coeffs[i] * value(lc.wires[i]);
      return s % p;
    };
    const constraints = new Set<number>();
    for (const wire of edited.keys()) for (const i of touching[wire]) constraints.add(i);
    for (const i of constraints) {
      const { a, b, c } = r1cs.constraints[i];
      if ((evalLc(a) * evalLc(b) - evalLc(c)) % p !== 0n) return false;
    }
    return true;
  };
}

/** Deterministic sample of up to n items (a seeded Fisher–Yates prefix), in a stable order. */
function sample<T>(items: readonly T[], n: number, seed: number): T[] {
  if (items.length <= n) return items.slice();
  const idx = items.map((_, i) => i);
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rand() * (idx.length - i));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx
    .slice(0, n)
    .sort((a, b) => a - b)
    .map((i) => items[i]);
}
