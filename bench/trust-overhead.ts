// What trust costs: the blake2b-512 pin check of a ptau (throughput, so any Hermez file's cost
// follows from its size), each step of a phase-2 ceremony with three contributors on the shipped
// MNIST MLP, and the artifact integrity check a prover runs at load (cold) and before each proof
// (warm, unchanged files are not re-read).
//
//   node dist/bench/trust-overhead.js [--build DIR] [--contributors N]
//
// The build folder (default: a temp folder) is compiled from models/mnist-mlp when it has no manifest.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { artifactPath } from '../src/formats/artifacts';
import { compileModel } from '../src/compiler/compile';
import { checkBuildIntegrity, HashCache } from '../src/prover/integrity';
import { acceptContribution, contributeZkey, exportCurrentZkey, finishCeremony, initCeremony } from '../src/setup/ceremony';
import { PINNED_PTAU } from '../src/setup/ptau-pins';
import { readSetupR1cs } from '../src/setup/groth16-setup';
import { hashFile, requiredPtauPower, resolvePtau } from '../src/setup/ptau-store';
import { packageRoot } from '../src/package-root';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const snarkjs = require('snarkjs');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function timed<T>(fn: () => Promise<T> | T): Promise<[T, number]> {
  const t = process.hrtime.bigint();
  const r = await fn();
  return [r, Number(process.hrtime.bigint() - t) / 1e9];
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zkml-bench-trust-'));
  const rows: Array<[string, string]> = [];
  try {
    // 1. Pin check throughput.
    const big = path.join(tmp, 'big.bin');
    const mib = 256;
    const chunk = Buffer.alloc(1 << 20, 7);
    const fd = fs.openSync(big, 'w');
    for (let i = 0; i < mib; i++) fs.writeSync(fd, chunk);
    fs.closeSync(fd);
    const [, hashS] = await timed(() => hashFile(big));
    const mibPerS = mib / hashS;
    rows.push(['ptau pin check (sha256 + blake2b-512, one pass)', `${mibPerS.toFixed(0)} MiB/s`]);
    for (const p of [14, 16, 20, 24]) {
      const pin = PINNED_PTAU.find((x) => x.power === p)!;
      rows.push([`  → ${pin.file} (${(pin.bytes / 2 ** 20).toFixed(0)} MiB)`, `≈ ${(pin.bytes / 2 ** 20 / mibPerS).toFixed(1)} s`]);
    }

    // 2. A ceremony on the MNIST MLP.
    const build = arg('--build') ?? path.join(tmp, 'build');
    if (!fs.existsSync(artifactPath(build, 'manifest'))) {
      const model = path.join(packageRoot(), 'models', 'mnist-mlp');
      const [r, s] = await timed(() => compileModel(path.join(model, 'model.onnx'), build, { calibration: path.join(model, 'calibration.json') }));
      console.log(`compiled mnist-mlp: ${r.constraints} constraints in ${s.toFixed(1)} s`);
    }
    const n = Number(arg('--contributors') ?? 3);
    await snarkjs.curves.getCurveFromName('bn128'); // one curve for all steps, as a long-running service would hold
    // The dev ptau is generated once per power and cached; time that apart from the ceremony itself.
    const r1cs = readSetupR1cs(artifactPath(build, 'r1cs'));
    const [, ptauS] = await timed(() => resolvePtau({ requiredPower: requiredPtauPower(r1cs) }));
    rows.push([`dev ptau (cached per power in ZKML_CACHE_DIR, or generated)`, `${ptauS.toFixed(1)} s`]);
    const [state, initS] = await timed(() => initCeremony(build));
    rows.push([`ceremony init (zkey new, power ${state.power}, ${state.constraints} constraints)`, `${initS.toFixed(1)} s`]);
    const contribS: number[] = [];
    const acceptS: number[] = [];
    for (let i = 1; i <= n; i++) {
      const handed = path.join(tmp, `in${i}.zkey`);
      const back = path.join(tmp, `out${i}.zkey`);
      exportCurrentZkey(build, handed);
      contribS.push((await timed(() => contributeZkey(handed, back, { name: `contributor ${i}` })))[1]);
      acceptS.push((await timed(() => acceptContribution(build, back, { name: `contributor ${i}` })))[1]);
    }
    const mean = (xs: number[]): string => `${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(1)} s`;
    rows.push([`ceremony contribute (contributor side, mean of ${n})`, mean(contribS)]);
    rows.push([`ceremony accept (structure + snarkjs verifyFromInit, mean of ${n})`, mean(acceptS)]);
    const [, finishS] = await timed(() => finishCeremony(build, { beaconHex: '00'.repeat(32), iterationsExp: 10 }));
    rows.push(['ceremony finish (beacon 2^10, verifyFromR1cs, vk + Verifier.sol)', `${finishS.toFixed(1)} s`]);
    rows.push(['zkey size', `${(fs.statSync(artifactPath(build, 'zkey')).size / 2 ** 20).toFixed(1)} MiB`]);

    // 3. Integrity checks.
    const cache = new HashCache();
    const [, coldS] = await timed(() => checkBuildIntegrity(build, undefined, cache));
    const warm: number[] = [];
    for (let i = 0; i < 20; i++) warm.push((await timed(() => checkBuildIntegrity(build, undefined, cache)))[1]);
    rows.push(['integrity check at load (hash all 7 artifacts)', `${(coldS * 1000).toFixed(1)} ms`]);
    rows.push(['integrity check before each proof (unchanged files, median of 20)', `${(warm.sort((a, b) => a - b)[10] * 1000).toFixed(2)} ms`]);
  } finally {
    await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const table = ['| step | measured |', '|---|---|', ...rows.map(([a, b]) => `| ${a} | ${b} |`)].join('\n');
  console.log(
    `\n${new Date().toISOString()}, ${os.cpus()[0]?.model ?? 'cpu'} × ${os.availableParallelism()}, load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}\n`,
  );
  console.log(table);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
