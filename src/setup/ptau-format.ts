// Binary layout of a prepared (phase-2 ready) .ptau, as snarkjs writes it
// (@iden3/binfileutils + snarkjs/src/powersoftau_new.js, powersoftau_utils.js,
// powersoftau_preparephase2.js):
//   "ptau", u32 version 1, u32 nSections, then per section: u32 id, u64 size, data.
// Integers are little-endian; points are affine in Montgomery form ("LEM"), all zero
// for the identity. With n = 2^power the sections are
//   1 header: u32 n8 (32), q (n8 bytes), u32 power, u32 ceremonyPower
//   2 tauG1 [τ^i]₁ for i < 2n−1      3 tauG2 [τ^i]₂ for i < n
//   4 alphaTauG1 [ατ^i]₁, i < n      5 betaTauG1 [βτ^i]₁, i < n      6 betaG2 [β]₂
//   7 contributions (see encodeContributions)
//   12..15 the Lagrange-basis versions of 2..5: for every domain 2^p, p = 0..power
//          (and p = power+1 for section 12), the inverse FFT of the first 2^p points.
import * as fs from 'node:fs';

export const PTAU_SECTION = {
  header: 1,
  tauG1: 2,
  tauG2: 3,
  alphaTauG1: 4,
  betaTauG1: 5,
  betaG2: 6,
  contributions: 7,
  lagrangeTauG1: 12,
  lagrangeTauG2: 13,
  lagrangeAlphaTauG1: 14,
  lagrangeBetaTauG1: 15,
} as const;

/** Sections 1–7 plus 12–15. */
export const PREPARED_PTAU_SECTIONS = 11;

export const G1_LEM_BYTES = 64;
export const G2_LEM_BYTES = 128;

/** One entry of section 7 (snarkjs powersoftau_utils.js writeContribution). */
export interface PtauContribution {
  tauG1: Uint8Array; // LEM points
  tauG2: Uint8Array;
  alphaG1: Uint8Array;
  betaG1: Uint8Array;
  betaG2: Uint8Array;
  /** Public key in LEM form: τ, α, β g1_s, g1_sx pairs (G1) then τ, α, β g2_spx (G2). */
  pubKey: Uint8Array;
  /** blake2b state after hashing everything of the response except the public key. */
  partialHash: Uint8Array;
  nextChallenge: Uint8Array;
  /** At most 64 characters (snarkjs truncates). */
  name: string;
}

export function encodeHeader(q: bigint, power: number): Uint8Array {
  const out = new Uint8Array(4 + 32 + 4 + 4);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 32, true);
  out.set(bigintToLE(q, 32), 4);
  dv.setUint32(36, power, true);
  dv.setUint32(40, power, true); // ceremonyPower: this file was never truncated
  return out;
}

export function encodeContributions(contributions: PtauContribution[]): Uint8Array {
  const parts: Uint8Array[] = [u32(contributions.length)];
  for (const c of contributions) {
    const name = new TextEncoder().encode(c.name.substring(0, 64));
    // Parameter list: type 1 = name (u8 length + utf-8 bytes).
    const params = new Uint8Array([1, name.byteLength, ...name]);
    parts.push(
      c.tauG1,
      c.tauG2,
      c.alphaG1,
      c.betaG1,
      c.betaG2,
      c.pubKey,
      c.partialHash,
      c.nextChallenge,
      u32(0), // type 0: a regular contribution, not a beacon
      u32(params.byteLength),
      params,
    );
  }
  return concat(parts);
}

/** Writes a snarkjs binfile (a .ptau, or a .zkey with magic 'zkey') section by section; sections can be read back while writing. */
export class PtauWriter {
  private pos = 12;
  private open: { id: number; sizeAt: number } | undefined;
  private closed = false;
  readonly sections = new Map<number, { offset: number; size: number }>();

  private constructor(private readonly fh: fs.promises.FileHandle) {}

  static async create(file: string, nSections: number, magic = 'ptau'): Promise<PtauWriter> {
    const fh = await fs.promises.open(file, 'wx+');
    const head = concat([new TextEncoder().encode(magic), u32(1), u32(nSections)]);
    await fh.write(head, 0, head.byteLength, 0);
    return new PtauWriter(fh);
  }

  async beginSection(id: number): Promise<void> {
    if (this.open) throw new Error(`ptau section ${this.open.id} is still open`);
    await this.write(u32(id));
    this.open = { id, sizeAt: this.pos };
    await this.write(new Uint8Array(8)); // size, patched by endSection
  }

  async write(data: Uint8Array): Promise<void> {
    let done = 0;
    while (done < data.byteLength) {
      const { bytesWritten } = await this.fh.write(data, done, data.byteLength - done, this.pos + done);
      done += bytesWritten;
    }
    this.pos += data.byteLength;
  }

  async endSection(): Promise<void> {
    if (!this.open) throw new Error('no ptau section is open');
    const offset = this.open.sizeAt + 8;
    const size = this.pos - offset;
    const buf = new Uint8Array(8);
    new DataView(buf.buffer).setBigUint64(0, BigInt(size), true);
    await this.fh.write(buf, 0, 8, this.open.sizeAt);
    this.sections.set(this.open.id, { offset, size });
    this.open = undefined;
  }

  async writeSection(id: number, data: Uint8Array): Promise<void> {
    await this.beginSection(id);
    await this.write(data);
    await this.endSection();
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const buf = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.fh.read(buf, done, length - done, offset + done);
      if (bytesRead === 0) throw new Error('unexpected end of ptau file');
      done += bytesRead;
    }
    return buf;
  }

  async close(): Promise<void> {
    await this.fh.sync();
    await this.abort();
  }

  /** Closes without flushing; safe to call more than once (used on error paths). */
  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }
}

function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
}

export function bigintToLE(v: bigint, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
