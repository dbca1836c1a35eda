/**
 * The direct backend's files, in the formats circom and snarkjs use: the .r1cs (iden3 binary:
 * header, constraints, wire-to-label map), the .wtns (snarkjs's witness format, as circom_runtime
 * writes it) and the .sym (label,wire,component,name lines).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BN254_R } from '../../formats/field';
import { diskError } from '../../formats/artifacts';
import { readAt, scanBinFile } from '../../snark/bin-file';
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

function sectionHead(type: number, size: number): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt32LE(type, 0);
  head.writeBigUInt64LE(BigInt(size), 4);
  return head;
}

function section(type: number, body: Buffer): Buffer {
  return Buffer.concat([sectionHead(type, body.length), body]);
}

function fileHeader(magic: string, version: number, sections: number): Buffer {
  const b = Buffer.alloc(12);
  b.write(magic, 0, 'latin1');
  b.writeUInt32LE(version, 4);
  b.writeUInt32LE(sections, 8);
  return b;
}

/**
 * A file written through a 16 MiB buffer, under a temporary name renamed into place when complete
 * (a large circuit's r1cs is gigabytes: it is never held in memory whole).
 */
class StreamedFile {
  private readonly tmp: string;
  private readonly fd: number;
  readonly buf = Buffer.alloc(1 << 24);
  at = 0;
  constructor(private readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.tmp = `${file}.${process.pid}.tmp`;
    this.fd = fs.openSync(this.tmp, 'w');
  }
  /** Room for `n` more bytes in buf at `at`. */
  reserve(n: number): void {
    if (this.at + n > this.buf.length) this.flush();
  }
  write(bytes: Uint8Array): void {
    if (bytes.length > this.buf.length) {
      this.flush();
      fs.writeSync(this.fd, bytes);
      return;
    }
    this.reserve(bytes.length);
    this.buf.set(bytes, this.at);
    this.at += bytes.length;
  }
  private flush(): void {
    let done = 0;
    while (done < this.at) done += fs.writeSync(this.fd, this.buf, done, this.at - done);
    this.at = 0;
  }
  close(): void {
    this.flush();
    fs.closeSync(this.fd);
    fs.renameSync(this.tmp, this.file);
  }
  abandon(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
    fs.rmSync(this.tmp, { force: true });
  }
}

function streamTo(file: string, write: (out: StreamedFile) => void): void {
  const out = new StreamedFile(file);
  try {
    write(out);
    out.close();
  } catch (err) {
    out.abandon();
    throw diskError(err, file);
  }
}

export interface R1csCounts {
  nOutputs: number;
  nPubInputs: number;
  nPrvInputs: number;
}

/** Writes the system's r1cs to `file`, streaming its constraints (which are read once). */
export function writeR1cs(sys: FinishedSystem, counts: R1csCounts, file: string): void {
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
  header.writeUInt32LE(sys.constraints.count, p + 24);

  const { constraints, wireOf } = sys;
  const coefficients = constraints.coefficients.list;
  const coefficientBytes: Buffer[] = [];
  const bytesOf = (i: number): Buffer => {
    let b = coefficientBytes[i];
    if (b === undefined) {
      b = Buffer.alloc(N8);
      fieldBytes(coefficients[i], b, 0);
      coefficientBytes[i] = b;
    }
    return b;
  };
  streamTo(file, (out) => {
    out.write(Buffer.concat([fileHeader('r1cs', 1, 3), section(1, header)]));
    out.write(sectionHead(2, 3 * 4 * constraints.count + constraints.terms * (4 + N8)));
    constraints.drain((chunk, at) => {
      for (const q of at) {
        const n = chunk[q];
        out.reserve(4 + n * (4 + N8));
        out.buf.writeUInt32LE(n, out.at);
        out.at += 4;
        // Renumbering keeps the order of labels, so the sorted labels give sorted wires.
        for (let i = 0; i < n; i++) {
          out.buf.writeUInt32LE(wireOf[chunk[q + 1 + 2 * i]], out.at);
          bytesOf(chunk[q + 2 + 2 * i]).copy(out.buf, out.at + 4);
          out.at += 4 + N8;
        }
      }
    });
    out.write(sectionHead(3, 8 * sys.labels.length));
    for (const l of sys.labels) {
      out.reserve(8);
      out.buf.writeBigUInt64LE(BigInt(l), out.at);
      out.at += 8;
    }
  });
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

/** Writes the .sym lines: every named signal, with its wire or -1 when eliminated (component index 0). */
export function writeSym(sys: FinishedSystem, file: string): void {
  streamTo(file, (out) => {
    let l = 0;
    sys.names.forEach((name, start, end) => {
      if (l > 0) {
        const head = `${l},${sys.wireOf[l]},0,`;
        out.reserve(head.length + end - start + 1);
        out.at += out.buf.write(head, out.at, 'latin1');
        out.at += name.copy(out.buf, out.at, start, end);
        out.buf[out.at++] = 10;
      }
      l++;
    });
  });
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

/** The wire-to-label map of an r1cs file, read from its section alone (a large r1cs is not loaded). */
export function readWireLabelsFile(r1csPath: string): Float64Array {
  const section = scanBinFile(r1csPath, 'r1cs', 'ARTIFACT_MISSING').sections.get(3);
  if (!section) throw new ZkmlError('ARTIFACT_MISSING', 'the r1cs has no wire-to-label map');
  const fd = fs.openSync(r1csPath, 'r');
  try {
    const bytes = readAt(fd, section.offset, section.size);
    const out = new Float64Array(bytes.length / 8);
    for (let i = 0; i < out.length; i++) out[i] = Number(bytes.readBigUInt64LE(8 * i));
    return out;
  } finally {
    fs.closeSync(fd);
  }
}
