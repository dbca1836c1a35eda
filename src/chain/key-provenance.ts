/**
 * How a build's Groth16 key was made, in the registry's KeyProvenance form: derived from the build's
 * manifest and setup.json (never from what a caller says), and compared back with a registered model.
 */
import type { Contract } from 'ethers';
import { ZkmlError } from '../errors';
import { artifactPath, readJson, readManifest, sha256Bytes } from '../formats/artifacts';

/** The registry's PtauKind and Phase2Kind enums, in their order. */
export const PTAU_KINDS = ['dev', 'pinned', 'unpinned'] as const;
export const PHASE2_KINDS = ['local', 'ceremony'] as const;

export interface KeyProvenance {
  ptau: (typeof PTAU_KINDS)[number];
  ptauPower: number;
  phase2: (typeof PHASE2_KINDS)[number];
  contributions: number;
  /** 128 hex digits. */
  ptauBlake2b512: string;
  /** 64 hex digits each; transcriptHash is zeros for a local setup. */
  circuitHash: string;
  transcriptHash: string;
  beaconHash: string;
}

const ZERO = '0'.repeat(64);

/** The provenance of the build's current key (ARTIFACT_MISSING before setup). */
export function buildKeyProvenance(buildDir: string): KeyProvenance {
  const m = readManifest(buildDir);
  if (!m.ptau || !m.phase2) throw new ZkmlError('ARTIFACT_MISSING', `${buildDir} has no setup yet: run zkml setup first`);
  const setup = readJson<{ beacon?: { hash?: string } }>(artifactPath(buildDir, 'setup'));
  const beacon = setup.beacon?.hash;
  if (typeof beacon !== 'string' || !/^([0-9a-f]{2})+$/i.test(beacon)) throw new ZkmlError('ARTIFACT_MISSING', `${artifactPath(buildDir, 'setup')} records no beacon`);
  return {
    ptau: m.ptau.devSingleContributor ? 'dev' : m.ptau.pinned ? 'pinned' : 'unpinned',
    ptauPower: m.ptau.power,
    phase2: m.phase2.kind,
    contributions: m.phase2.contributions,
    ptauBlake2b512: m.ptau.blake2b512,
    circuitHash: m.r1csSha256,
    transcriptHash: m.phase2.kind === 'ceremony' ? m.phase2.transcriptSha256! : ZERO,
    beaconHash: sha256Bytes(Buffer.from(beacon, 'hex')),
  };
}

/** The registerModel argument: the KeyProvenance struct as a tuple. */
export function provenanceTuple(p: KeyProvenance): unknown[] {
  return [
    PTAU_KINDS.indexOf(p.ptau),
    p.ptauPower,
    PHASE2_KINDS.indexOf(p.phase2),
    p.contributions,
    [`0x${p.ptauBlake2b512.slice(0, 64)}`, `0x${p.ptauBlake2b512.slice(64)}`],
    `0x${p.circuitHash}`,
    `0x${p.transcriptHash}`,
    `0x${p.beaconHash}`,
  ];
}

/** What the registry recorded for a model (UnknownModel reverts as CHAIN_ERROR through withWallet). */
export async function readKeyProvenance(registry: Contract, modelId: bigint | number): Promise<KeyProvenance> {
  const r = (await registry.getFunction('provenanceOf')(modelId)) as unknown[];
  const hex = (v: unknown): string => String(v).slice(2);
  const words = r[4] as string[];
  return {
    ptau: PTAU_KINDS[Number(r[0])],
    ptauPower: Number(r[1]),
    phase2: PHASE2_KINDS[Number(r[2])],
    contributions: Number(r[3]),
    ptauBlake2b512: hex(words[0]) + hex(words[1]),
    circuitHash: hex(r[5]),
    transcriptHash: hex(r[6]),
    beaconHash: hex(r[7]),
  };
}

/**
 * The fields where a registered model's stated provenance differs from the build's records (empty when
 * they agree). What a consumer holding the build can check beyond the registry's own consistency rules.
 */
export async function provenanceMismatches(registry: Contract, modelId: bigint | number, buildDir: string): Promise<string[]> {
  const onChain = await readKeyProvenance(registry, modelId);
  const local = buildKeyProvenance(buildDir);
  return (Object.keys(local) as Array<keyof KeyProvenance>).filter((k) => String(onChain[k]).toLowerCase() !== String(local[k]).toLowerCase());
}
