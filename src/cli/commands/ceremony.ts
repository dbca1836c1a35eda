/** `zkml ceremony <step>`: a multi-party phase-2 ceremony in place of `zkml setup`. */
import { progressPrinter } from '../progress';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ZkmlError } from '../../errors';
import { acceptContribution, checkBeacon, checkContributorName, contributeZkey, exportCurrentZkey, finishCeremony, initCeremony, readCeremony } from '../../setup/ceremony';
import { asUsage, intOption, requirePositional } from '../args';
import { cliEnv } from '../env';
import { printPtauTrust } from '../trust';
import { USAGE } from '../usage';

export async function ceremonyCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      ptau: { type: 'string' },
      'allow-unknown-ptau': { type: 'boolean' },
      out: { type: 'string' },
      name: { type: 'string' },
      entropy: { type: 'string' },
      beacon: { type: 'string' },
      iterations: { type: 'string' },
    },
  });
  const dir = (): string => {
    if (!values.dir) throw new ZkmlError('USAGE', `ceremony ${sub} needs --dir DIR (the build folder)`);
    return values.dir;
  };
  const name = (): string => {
    if (!values.name) throw new ZkmlError('USAGE', `ceremony ${sub} needs --name NAME`);
    const given = values.name;
    asUsage(() => checkContributorName(given));
    return given;
  };
  switch (sub) {
    case 'init': {
      const s = await initCeremony(dir(), { ptauPath: values.ptau, cacheDir: cliEnv().cacheDir, allowUnknownPtau: values['allow-unknown-ptau'] });
      console.log(`ceremony opened in ${path.join(dir(), 'ceremony')}: initial key ${s.initialZkey.file} (sha256 ${s.initialZkey.sha256.slice(0, 16)}…), circuit hash ${s.circuitHash.slice(0, 16)}…`);
      printPtauTrust(s.ptau);
      return;
    }
    case 'export': {
      if (!values.out) throw new ZkmlError('USAGE', 'ceremony export needs --out FILE');
      const r = exportCurrentZkey(dir(), values.out);
      console.log(`wrote ${values.out} (sha256 ${r.sha256}, ${r.contributions} contribution(s) so far): hand it to the next contributor`);
      return;
    }
    case 'contribute': {
      if (positionals.length !== 2) throw new ZkmlError('USAGE', 'ceremony contribute takes IN.zkey OUT.zkey');
      const r = await contributeZkey(positionals[0], positionals[1], { name: name(), entropy: values.entropy, onProgress: progressPrinter('ceremony contribute') });
      console.log(`wrote ${positionals[1]}; your contribution hash (check it appears in the published transcript):\n${r.hash}`);
      return;
    }
    case 'accept': {
      const file = requirePositional(positionals, 'the contributed zkey');
      const c = await acceptContribution(dir(), file, { name: name() });
      console.log(`accepted contribution #${c.index} from ${c.name}: ${c.hash}`);
      return;
    }
    case 'finish': {
      if (!values.beacon || !values.iterations) throw new ZkmlError('USAGE', 'ceremony finish needs --beacon HEX and --iterations N');
      const beacon = { beaconHex: values.beacon, iterationsExp: intOption(values.iterations, 'iterations')! };
      asUsage(() => checkBeacon(beacon));
      const s = await finishCeremony(dir(), beacon);
      console.log(`ceremony finished: ${s.contributions.length} contribution(s) + beacon; wrote circuit.zkey, verification_key.json, Verifier.sol, setup.json, ceremony-transcript.json`);
      printPtauTrust(s.ptau);
      return;
    }
    case 'status': {
      const s = readCeremony(dir());
      console.log(`ceremony ${s.status}, ptau power ${s.power}${s.ptau.pinned ? ` (${s.ptau.pinnedFile})` : s.ptau.devSingleContributor ? ' (dev ptau)' : ' (unpinned ptau)'}`);
      for (const c of s.contributions) console.log(`#${c.index} ${c.name}: ${c.hash}`);
      if (s.beacon) console.log(`beacon ${s.beacon.hash} 2^${s.beacon.iterationsExp}: ${s.beacon.contributionHash}`);
      return;
    }
    default:
      throw new ZkmlError('USAGE', `unknown ceremony step '${sub ?? ''}'\n${USAGE}`);
  }
}
