/** What a build's keys rest on (ptau and phase 2), as the CLI tells the user. */
import type { Manifest, PtauInfo } from '../formats/artifacts';

export function printPtauTrust(ptau: PtauInfo): void {
  if (ptau.devSingleContributor) {
    console.log('warning: dev ptau with a single local contributor: NOT for production; pass --ptau with a public Powers of Tau file');
  } else if (ptau.pinned) {
    console.log(`ptau: pinned public file ${ptau.pinnedFile} (blake2b-512 ${ptau.blake2b512.slice(0, 16)}…)`);
  } else {
    console.log(`warning: UNPINNED ptau (blake2b-512 ${ptau.blake2b512.slice(0, 16)}…): recorded as such in the manifest and every receipt; refused in production mode`);
  }
}

export function describeKeyTrust(m: Manifest): string {
  const ptau = !m.ptau
    ? 'unknown ptau'
    : m.ptau.devSingleContributor
      ? 'dev ptau (single local contributor, NOT for production)'
      : m.ptau.pinned
        ? `pinned public ptau ${m.ptau.pinnedFile}`
        : 'UNPINNED ptau (allowed as unknown)';
  const phase2 = m.phase2?.kind === 'ceremony' ? `phase-2 ceremony with ${m.phase2.contributions} contribution(s), see ceremony-transcript.json` : 'local phase-2 setup';
  return `${ptau}; ${phase2}`;
}
