/**
 * The parts of the API's responses the dashboard reads (src/service/responses.ts holds the full,
 * strict schemas; the OpenAPI document at /docs-json shows them).
 */
export interface ErrorView {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export interface Progress {
  id: string;
  state: string;
  phase: string;
  percent: number;
}

export interface JobView extends Progress {
  kind: 'compile' | 'prove';
  modelId: string;
  error: ErrorView | null;
  attempts: number;
  createdAt: string;
  finishedAt: string | null;
}

export interface Tensor {
  name: string;
  shape: number[];
  values: number[];
}

export interface Receipt {
  model: { onnxSha256: string; publicLayout: Array<{ kind: string; name: string; shape: number[]; scaleBits: number }> };
  publicSignals: string[];
  outputs?: Tensor[];
  publicInputs: Tensor[];
  reference?: { engine: string; outputs: Tensor[]; maxAbsError: number; argmaxAgrees: boolean | null; integerReferenceMatches: boolean; tolerance: number };
  setup: { devSingleContributor: boolean; ptauPower: number; ptauPinned: boolean; phase2: string; phase2Contributions: number };
  timings: Record<string, unknown>;
  createdAt: string;
}

export interface ProofJob extends JobView {
  receipt: Receipt | null;
  withheld: string[];
}

export interface Deployment {
  chainId: number;
  verifier: { address: string; txHash?: string };
  registry?: { address: string; modelId: string; registerTxHash: string; registerGasUsed: string };
  deployedAt: string;
}

export interface LayerReport {
  layer: string;
  opType: string;
  outputs: number;
  constraints: number;
  maxBits: number;
  scaleBits: number;
  calibration?: { maxAbsError: number };
}

export interface CompileReport {
  layers: LayerReport[];
  predictedConstraints: number;
  constraints?: number;
  publicSignals?: number;
  batchSize: number;
  outputs: Array<{ name: string; shape: number[]; scaleBits: number; errorBound: number; calibrationMaxError?: number }>;
  gas?: { verifyProof: number; submitInference: number };
  warnings?: string[];
}

export interface ModelSummary {
  id: string;
  name: string;
  status: string;
  settings: Record<string, unknown> | null;
  createdAt: string;
}

export interface ModelDetails extends ModelSummary {
  error: ErrorView | null;
  compileJob: JobView | null;
  publicLayout: Array<{ kind: string; name: string; shape: number[]; scaleBits: number; size: number }> | null;
  deployment: Deployment | null;
  report: CompileReport | null;
  manifest: { deployments?: Array<{ chainId: number; address: string; bytecodeSha256: string }>; phase2?: { kind: string } } | null;
}

export interface VerifyResult {
  valid: boolean;
  reason: string;
  code?: string;
  field?: string;
  onchain?: { address?: string; chainId?: number; deployed?: boolean };
}
