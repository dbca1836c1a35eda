/** The op allowlist: every supported ONNX op maps to its family. */
import { addFamily } from './add';
import { gemmFamily } from './gemm';
import type { OpFamily } from './op-family';
import { reluFamily } from './relu';
import { reshapeFamily } from './reshape';

const FAMILIES: OpFamily[] = [gemmFamily, addFamily, reluFamily, reshapeFamily];

const BY_OP = new Map<string, OpFamily>();
for (const f of FAMILIES) for (const op of f.ops) BY_OP.set(op, f);

/** Constant is folded at ingest and never reaches a family. */
export const SUPPORTED_OPS: readonly string[] = ['Constant', ...BY_OP.keys()].sort();

export function familyOf(opType: string): OpFamily | undefined {
  return BY_OP.get(opType);
}
