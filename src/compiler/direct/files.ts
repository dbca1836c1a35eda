/**
 * The direct backend's files, in the formats circom and snarkjs use: the .r1cs (iden3 binary:
 * header, constraints, wire-to-label map), the .wtns (snarkjs's witness format, as circom_runtime
 * writes it) and the .sym (label,wire,component,name lines).
 */
import { BN254_R } from '../../formats/field';
import { ZkmlError } from '../../errors';
import type { FinishedSystem } from './system';

const N8 = 32;

/** Little-endian bytes of field elements; most coefficients repeat (powers of 2, weights), so they are kept. */
const encoded = new Map<bigint, Buffer>();

function fieldBytes(v: bigint, buf: Buffer, offset: number): void {
  let bytes = encoded.get(v);
  if (bytes === undefined) {
    bytes = Buffer.from(v.toString(16).padStart(2 * N8, '0'), 'hex').reverse();
    if (encoded.size > 1 << 16) encoded.clear();
    encoded.set(v, bytes);
  }
  bytes.copy(buf, offset);
}

function section(type: number, body: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt32LE(type, 0);
  head.writeBigUInt64LE(BigInt(body.length), 4);
  return Buffer.concat([head, body]);
}

function fileHeader(magic: string, version: number, sections: number): Buffer {
  const b = Buffer.alloc(12);
  b.write(magic, 0, 'latin1');
  b.writeUInt32LE(version, 4);
  b.writeUInt32LE(sections, 8);
  return b;
}

export interface R1csCounts {
  nOutputs: number;
  nPubInputs: number;
  nPrvInputs: number;
}

export function r1csBytes(sys: FinishedSystem, counts: R1csCounts): Buffer {
  const header = Buffer.alloc(4 + N8 + 4 * 4 + 8 + 4);
  let p = 0;
  header.writeUInt32LE(N8, p);
  fieldBytes(BN254_R, header, (p += 4));
  p += N8;
  header.writeUInt32LE(sys.labels.length, p);
  header.writeUInt32LE(counts.nOutputs, p + 4);
  header.writeUInt32LE(counts.nPubInputs, p + 8);
  header.writeUInt32LE(counts.nPrvInputs, p + 12);
  header.writeBigUInt64LE(BigInt(sys.nLabels), p + 16);
  header.writeUInt32LE(sys.constraints.length, p + 24);

  let size = 0;
  for (const c of sys.constraints) for (const lc of c) size += 4 + lc.size * (4 + N8);
  const body = Buffer.alloc(size);
  p = 0;
  for (const c of sys.constraints) {
    for (const lc of c) {
      body.writeUInt32LE(lc.size, p);
      p += 4;
      // Renumbering keeps the order of labels, so sorting the labels sorts the wires.
      for (const label of Int32Array.from(lc.keys()).sort()) {
        body.writeUInt32LE(sys.wireOf[label], p);
        fieldBytes(lc.get(label)!, body, p + 4);
        p += 4 + N8;
      }
    }
  }
  const map = Buffer.alloc(8 * sys.labels.length);
  sys.labels.forEach((l, i) => map.writeBigUInt64LE(BigInt(l), 8 * i));
  return Buffer.concat([fileHeader('r1cs', 1, 3), section(1, header), section(2, body), section(3, map)]);
}

/** A witness (by wire) as a .wtns file. */
export function wtnsBytes(witness: readonly bigint[]): Buffer {
  const header = Buffer.alloc(4 + N8 + 4);
  header.writeUInt32LE(N8, 0);
  fieldBytes(BN254_R, header, 4);
  header.writeUInt32LE(witness.length, 4 + N8);
  const values = Buffer.alloc(N8 * witness.length);
  witness.forEach((v, i) => fieldBytes(v, values, N8 * i));
  return Buffer.concat([fileHeader('wtns', 2, 2), section(1, header), section(2, values)]);
}

/** The .sym lines: every named signal, with its wire or -1 when eliminated (component index 0). */
export function symText(sys: FinishedSystem): string {
  const lines: string[] = [];
  for (let l = 1; l < sys.nLabels; l++) lines.push(`${l},${sys.wireOf[l]},0,${sys.names[l]}`);
  return lines.join('\n') + '\n';
}

/** The wire-to-label map (section 3) of an r1cs file. */
export function readWireLabels(r1cs: Uint8Array): Float64Array {
  const buf = Buffer.from(r1cs.buffer, r1cs.byteOffset, r1cs.byteLength);
  if (buf.toString('latin1', 0, 4) !== 'r1cs') throw new ZkmlError('ARTIFACT_MISSING', 'not an r1cs file');
  let pos = 12;
  for (let s = 0; s < buf.readUInt32LE(8); s++) {
    const type = buf.readUInt32LE(pos);
    const len = Number(buf.readBigUInt64LE(pos + 4));
    pos += 12;
    if (type === 3) {
      const out = new Float64Array(len / 8);
      for (let i = 0; i < out.length; i++) out[i] = Number(buf.readBigUInt64LE(pos + 8 * i));
      return out;
    }
    pos += len;
  }
  throw new ZkmlError('ARTIFACT_MISSING', 'the r1cs has no wire-to-label map');
}
