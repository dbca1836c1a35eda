/**
 * The receipt: one self-contained JSON that anyone can check with the verification key
 * (plain `snarkjs groth16 verify vk.json public.json proof.json` works on its parts).
 */
import { ZkmlError } from '../errors';
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

/**
 * A parsed JSON document as a receipt: an object with a proof and public signals. Only the shape a
 * verifier needs is checked here; the proof, the signals and every other claim are checked by the
 * verification itself, which trusts none of them.
 */
export function parseReceipt(doc: unknown, where: string): Receipt {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !('proof' in doc) || !('publicSignals' in doc)) {
    throw new ZkmlError('RECEIPT_INVALID', `${where} is not a receipt: it needs "proof" and "publicSignals"`);
  }
  return doc as Receipt;
}
