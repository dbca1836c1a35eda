// Phase-2 setup, old path against new on the same r1cs and ptau: snarkjs 0.7.6 `zKey.newZKey` and ours
// (src/setup/zkey-new.ts), alternately A B A B, checking every pair of keys is byte-identical; then a
// contribution + beacon 2^10 on that key, snarkjs's `zkey contribute` + `zkey beacon` against ours
// (src/setup/zkey-contribute.ts, one pass), A B A B, ours checked by `snarkjs zkey verify`; then one
// full `zkml setup` (runSetup: our zkey new, contribution and beacon; snarkjs's exports) with its split.
//
//   npm run bench:setup -- [--build DIR] [--rounds N] [--snarkjs-rounds N] [--no-full]
//
// DIR is a compiled build folder (`zkml compile … --out DIR`); without it models/mnist-mlp is compiled
// into a temp folder. The dev ptau of the right power comes from the ptau cache (generated once).
// --snarkjs-rounds (default: --rounds) lets a big circuit run snarkjs once (or not at all: 0, then the
// keys are not compared) and ours several times.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { artifactPath } from '../src/formats/artifacts';
import { compileModel } from '../src/compiler/compile';
import { readSetupR1cs, runSetup } from '../src/setup/groth16-setup';
import { requiredPtauPower, resolvePtau } from '../src/setup/ptau-store';
import { contributePhase2 } from '../src/setup/zkey-contribute';
import { newZkey } from '../src/setup/zkey-new';
import { packageRoot } from '../src/package-root';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const snarkjs = require('snarkjs');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const seconds = (ms: number): string => (ms / 1000).toFixed(1);

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zkml-bench-setup-'));
  const rounds = Number(arg('--rounds') ?? 3);
  const snarkjsRounds = Number(arg('--snarkjs-rounds') ?? rounds);
  try {
    let build = arg('--build');
    if (!build) {
      build = path.join(tmp, 'build');
      const model = path.join(packageRoot(), 'models', 'mnist-mlp');
      await compileModel(path.join(model, 'model.onnx'), build, { calibration: path.join(model, 'calibration.json') });
    }
    const r1csFile = artifactPath(build, 'r1cs');
    const r1cs = readSetupR1cs(r1csFile);
    const power = requiredPtauPower(r1cs);
    const ptau = await resolvePtau({ requiredPower: power });
    console.log(`${build}: ${r1cs.nConstraints} constraints, ${r1cs.nVars} wires, power ${power}, ptau ${ptau.path}`);
    console.log(`machine: ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)} at start`);

    const curve = await snarkjs.curves.getCurveFromName('bn128');
    const quiet = (): void => undefined;
    const log = { debug: quiet, info: quiet, warn: quiet, error: (m: unknown) => console.error(String(m)) };
    const theirs: number[] = [];
    const ours: number[] = [];
    const split: Array<Record<string, number>> = [];
    for (let i = 0; i < Math.max(rounds, snarkjsRounds); i++) {
      const a = path.join(tmp, `snarkjs-${i}.zkey`);
      const b = path.join(tmp, `ours-${i}.zkey`);
      if (i < snarkjsRounds) {
        const t = Date.now();
        const h = await snarkjs.zKey.newZKey(r1csFile, ptau.path, a, log);
        if (!(h instanceof Uint8Array)) throw new Error('snarkjs zkey new failed');
        theirs.push(Date.now() - t);
        console.log(`round ${i + 1}: snarkjs zkey new ${seconds(theirs[theirs.length - 1])} s`);
      }
      if (i < rounds) {
        const t = Date.now();
        const r = await newZkey(curve, r1csFile, ptau.path, b);
        ours.push(Date.now() - t);
        split.push(r.timings);
        console.log(`round ${i + 1}: ours ${seconds(ours[ours.length - 1])} s (${r.shortenedTerms} of ${r.terms} terms shortened by row factors)`);
      }
      const snarkjsKey = path.join(tmp, `snarkjs-${Math.min(i, snarkjsRounds - 1)}.zkey`);
      if (i < rounds && snarkjsRounds > 0 && !fs.readFileSync(b).equals(fs.readFileSync(snarkjsKey))) throw new Error(`round ${i + 1}: the zkeys differ`);
      if (i > 0) fs.rmSync(b, { force: true });
    }

    console.log('\n| step | median | runs |');
    console.log('| --- | --- | --- |');
    if (theirs.length > 0) console.log(`| snarkjs zkey new | ${seconds(median(theirs))} s | ${theirs.map(seconds).join(', ')} |`);
    console.log(`| ours (src/setup/zkey-new.ts) | ${seconds(median(ours))} s | ${ours.map(seconds).join(', ')} |`);
    const ratio = median(theirs) / median(ours);
    const verdict = ratio >= 10 ? 'met' : `missed by ${(100 * (1 - ratio / 10)).toFixed(0)} %`;
    if (theirs.length > 0) console.log(`| ratio snarkjs / ours | ${ratio.toFixed(1)}× | target ≥ 10×: ${verdict} |`);
    else console.log('| snarkjs zkey new | not run (--snarkjs-rounds 0) | |');
    console.log('\nours, median per step (ms):');
    for (const k of Object.keys(split[0])) console.log(`  ${k.padEnd(14)} ${median(split.map((s) => s[k])).toFixed(0)}`);

    // Contribution + beacon on the same initial key: snarkjs's two steps against our one pass.
    const initial = path.join(tmp, 'ours-0.zkey');
    const sjPhase2: number[] = [];
    const ourPhase2: number[] = [];
    const beacon = '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20';
    for (let i = 0; i < rounds; i++) {
      const mid = path.join(tmp, 'sj-contributed.zkey');
      const sjOut = path.join(tmp, 'sj-final.zkey');
      let t = Date.now();
      if (!((await snarkjs.zKey.contribute(initial, mid, 'c1', 'entropy', log)) instanceof Uint8Array)) throw new Error('snarkjs contribute failed');
      if (!((await snarkjs.zKey.beacon(mid, sjOut, 'b', beacon, 10, log)) instanceof Uint8Array)) throw new Error('snarkjs beacon failed');
      sjPhase2.push(Date.now() - t);
      const ourOut = path.join(tmp, 'ours-final.zkey');
      t = Date.now();
      await contributePhase2(curve, initial, ourOut, [
        { kind: 'contribution', name: 'c1' },
        { kind: 'beacon', name: 'b', beaconHash: Buffer.from(beacon, 'hex'), iterationsExp: 10 },
      ]);
      ourPhase2.push(Date.now() - t);
      console.log(`round ${i + 1}: contribution + beacon: snarkjs ${seconds(sjPhase2[i])} s, ours ${seconds(ourPhase2[i])} s`);
      if (i === 0 && (await snarkjs.zKey.verifyFromR1cs(r1csFile, ptau.path, ourOut, log)) !== true) throw new Error('snarkjs zkey verify refuses our contribution');
    }
    console.log('\n| contribution + beacon 2^10 | median | runs |');
    console.log('| --- | --- | --- |');
    console.log(`| snarkjs zkey contribute + zkey beacon | ${seconds(median(sjPhase2))} s | ${sjPhase2.map(seconds).join(', ')} |`);
    console.log(`| ours, one pass (src/setup/zkey-contribute.ts) | ${seconds(median(ourPhase2))} s | ${ourPhase2.map(seconds).join(', ')} |`);
    console.log(`| ratio | ${(median(sjPhase2) / median(ourPhase2)).toFixed(1)}× | our key verified by snarkjs zkey verify |`);

    if (!process.argv.includes('--no-full')) {
      // The whole `zkml setup` on a copy of the build (it rewrites the keys of the folder it is given).
      const copy = path.join(tmp, 'setup-build');
      fs.cpSync(build, copy, { recursive: true });
      const r = await runSetup(copy);
      const tm = r.timings;
      const share = (ms: number): string => `${((100 * ms) / tm.totalMs).toFixed(0)} %`;
      console.log('\nzkml setup (dev ptau cached, 1 contribution + beacon 2^10):');
      console.log('| phase | time | share |');
      console.log('| --- | --- | --- |');
      for (const [name, ms] of [
        ['ptau (cached)', tm.ptauMs],
        ['zkey new (ours)', tm.zkeyNewMs],
        ['contribution + beacon (ours, one pass)', tm.phase2Ms],
        ['export vk + Verifier.sol (snarkjs)', tm.exportMs],
        ['total', tm.totalMs],
      ] as const) {
        console.log(`| ${name} | ${seconds(ms)} s | ${share(ms)} |`);
      }
    }
    await curve.terminate();
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
