/**
 * The receipt: one self-contained JSON that anyone can check with the verification key
 * (plain `snarkjs groth16 verify vk.json public.json proof.json` works on its parts).
 */
import { z } from 'zod';
import { ZkmlError } from '../errors';
import type { Manifest } from './artifacts';
import type { PublicKind } from './public-signals';

export interface Groth16Proof {
  pi_a: [string, string, string];
  pi_b: [[string, string], [string, string], [string, string]];
  pi_c: [string, string, string];
  protocol: 'groth16';
  curve: 'bn128';
}

export interface TensorValues {
  name: string;
  shape: number[];
  values: number[];
}

/** Quantized integers of one tensor (decimal strings), as hashed into a commitment. */
export interface Opening {
  name: string;
  shape: number[];
  integers: string[];
}

export interface Receipt {
  format: 'zkml-receipt/1';
  model: {
    onnxSha256: string;
    r1csSha256: string;
    zkeySha256: string;
    vkSha256: string;
    /** Public signal layout: which signals are outputs, which are public inputs. */
    publicLayout: Array<{ kind: PublicKind; name: string; shape: number[]; scaleBits: number }>;
    /** Inferences per proof (outputs and inputs then have shape [batchSize, ...]). */
    batchSize?: number;
  };
  proof: Groth16Proof;
  /** Decimal strings, each a canonical field element (< r). */
  publicSignals: string[];
  /** Outputs decoded from the public signals: integer / 2^scaleBits. */
  outputs: TensorValues[];
  /** Public inputs decoded from the public signals (empty when inputs are private). */
  publicInputs: TensorValues[];
  /**
   * The Poseidon commitments among the public signals (decimal field elements), when the circuit
   * hashes. `weights`: the model's private weights, as published in its manifest.
   */
  commitments?: { input?: string; output?: string; weights?: string };
  /**
   * What opens those commitments: the salts and the quantized integers the circuit hashed. They are
   * the holder's: drop `openings` (and `outputs`, `reference`) before handing the receipt to someone
   * who must not learn them; verification then checks the proof alone.
   */
  openings?: { inputSalt?: string; inputs?: Opening[]; outputSalt?: string; outputs?: Opening[] };
  /** onnxruntime's float outputs for the same input, and the error against them. */
  reference: {
    engine: string;
    outputs: TensorValues[];
    maxAbsError: number;
    argmaxAgrees: boolean | null;
    /** The circuit's output equals the TS integer reference bit for bit. */
    integerReferenceMatches: boolean;
    /** The compile-time tolerance the error is judged against. */
    tolerance: number;
  };
  setup: {
    /** The key rests on the local dev ptau: anyone who kept its secret could forge. */
    devSingleContributor: boolean;
    ptauPower: number;
    /** The ptau is byte-identical to a pinned public ceremony file (false: dev or allowed-unknown). */
    ptauPinned: boolean;
    ptauFile?: string;
    ptauBlake2b512?: string;
    /** 'ceremony': a finished multi-party phase 2 (see the transcript); 'local': one machine's setup. */
    phase2: 'local' | 'ceremony';
    phase2Contributions: number;
    transcriptSha256?: string;
  };
  /** proveSteps: where proveMs went (A·w/B·w evaluation, FFTs, multi-exponentiations); absent in older receipts. */
  timings: { witnessMs: number; proveMs: number; proveSteps?: { abcMs: number; fftMs: number; msmMs: number }; onnxruntimeMs: number; totalMs: number };
  createdAt: string;
}

const dimension = z.number().int().nonnegative();
const tensorValues = z.object({ name: z.string(), shape: z.array(dimension), values: z.array(z.number()) }).strict();
const decimal = z.string().regex(/^(0|[1-9][0-9]*)$/, 'a decimal integer');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in hex');
const publicKind = z.enum(['output', 'input', 'inputCommitment', 'outputCommitment', 'weightsCommitment']);

/**
 * Every field a receipt may carry, with its type; unknown fields are refused. The proof, the public
 * signals and the openings' contents are left to the checks that give them their precise codes
 * (PROOF_MALFORMED, SIGNAL_NOT_IN_FIELD, OPENING_INVALID). A receipt shown to someone other than its
 * requester may lack openings, outputs and reference; a bare `{proof, publicSignals}` (what snarkjs
 * writes) claims nothing else and is checked as a proof alone.
 */
/** A receipt's timings (ms); proveSteps splits the proof into its A·w/B·w, FFT and MSM phases. */
export const ReceiptTimingsSchema = z
  .object({
    witnessMs: z.number(),
    proveMs: z.number(),
    proveSteps: z.object({ abcMs: z.number(), fftMs: z.number(), msmMs: z.number() }).strict().optional(),
    onnxruntimeMs: z.number(),
    totalMs: z.number(),
  })
  .strict();

export const ReceiptSchema = z
  .object({
    format: z.literal('zkml-receipt/1').optional(),
    model: z
      .object({
        onnxSha256: sha256,
        r1csSha256: sha256,
        zkeySha256: sha256,
        vkSha256: sha256,
        publicLayout: z.array(z.object({ kind: publicKind, name: z.string(), shape: z.array(dimension), scaleBits: z.number().int() }).strict()),
        batchSize: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
    proof: z.unknown(),
    publicSignals: z.unknown(),
    outputs: z.array(tensorValues).optional(),
    publicInputs: z.array(tensorValues).optional(),
    commitments: z.object({ input: decimal.optional(), output: decimal.optional(), weights: decimal.optional() }).strict().optional(),
    openings: z.object({ inputSalt: z.unknown(), inputs: z.unknown(), outputSalt: z.unknown(), outputs: z.unknown() }).partial().strict().optional(),
    reference: z
      .object({
        engine: z.string(),
        outputs: z.array(tensorValues),
        maxAbsError: z.number().nonnegative(),
        argmaxAgrees: z.boolean().nullable(),
        integerReferenceMatches: z.boolean(),
        tolerance: z.number().nonnegative(),
      })
      .strict()
      .optional(),
    setup: z
      .object({
        devSingleContributor: z.boolean(),
        ptauPower: z.number().int().nonnegative(),
        ptauPinned: z.boolean(),
        ptauFile: z.string().optional(),
        ptauBlake2b512: z.string().optional(),
        phase2: z.enum(['local', 'ceremony']),
        phase2Contributions: z.number().int().nonnegative(),
        transcriptSha256: z.string().optional(),
      })
      .strict()
      .optional(),
    timings: ReceiptTimingsSchema.optional(),
    createdAt: z.string().optional(),
  })
  .strict();

/** The first schema problem of a document, as "field: what is wrong" (zod's path joined with dots). */
export function receiptProblem(doc: unknown): string | undefined {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !('proof' in doc) || !('publicSignals' in doc)) return 'it needs "proof" and "publicSignals"';
  const parsed = ReceiptSchema.safeParse(doc);
  if (parsed.success) return undefined;
  const issue = parsed.error.issues[0];
  const field = issue.path
    .map((p) => (typeof p === 'number' ? `[${p}]` : p))
    .join('.')
    .replace(/\.\[/g, '[');
  const unknown = issue.code === 'unrecognized_keys' ? ` (${issue.keys.map((k) => JSON.stringify(k)).join(', ')})` : '';
  return `${field || 'the receipt'}: ${issue.message}${unknown}`;
}

/**
 * A parsed JSON document as a receipt: every field typed (ReceiptSchema), no unknown field. The
 * proof, the signals and every claim are still checked by the verification, which trusts none of them.
 */
export function parseReceipt(doc: unknown, where: string): Receipt {
  const problem = receiptProblem(doc);
  if (problem !== undefined) throw new ZkmlError('RECEIPT_INVALID', `${where} is not a receipt: ${problem}`);
  return doc as Receipt;
}

function argmax(values: number[]): number {
  let best = 0;
  values.forEach((v, i) => {
    if (v > values[best]) best = i;
  });
  return best;
}

/** Max abs error over all outputs, and argmax agreement for a single vector output (the receipt's reference figures). */
export function compareOutputs(circuit: TensorValues[], ort: TensorValues[]): { maxAbsError: number; argmaxAgrees: boolean | null } {
  let maxAbsError = 0;
  for (const c of circuit) {
    const r = ort.find((o) => o.name === c.name);
    if (!r) continue;
    c.values.forEach((v, i) => (maxAbsError = Math.max(maxAbsError, Math.abs(v - r.values[i]))));
  }
  const single = circuit.length === 1 && circuit[0].values.length > 1 ? ort.find((o) => o.name === circuit[0].name) : undefined;
  return { maxAbsError, argmaxAgrees: single ? argmax(circuit[0].values) === argmax(single.values) : null };
}

/** What a receipt says of its build's setup: read from the build's manifest, by the prover and again by the verifier. */
export function setupClaims(manifest: Manifest): Receipt['setup'] {
  const ptau = manifest.ptau;
  return {
    devSingleContributor: ptau?.devSingleContributor ?? true,
    ptauPower: ptau?.power ?? 0,
    ptauPinned: ptau?.pinned === true,
    ...(ptau?.pinnedFile ? { ptauFile: ptau.pinnedFile } : {}),
    ...(ptau?.blake2b512 ? { ptauBlake2b512: ptau.blake2b512 } : {}),
    phase2: manifest.phase2?.kind ?? 'local',
    phase2Contributions: manifest.phase2?.contributions ?? 0,
    ...(manifest.phase2?.transcriptSha256 ? { transcriptSha256: manifest.phase2.transcriptSha256 } : {}),
  };
}
