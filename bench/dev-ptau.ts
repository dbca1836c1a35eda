// Dev powers-of-tau: snarkjs's own sequence vs our fast generator, plus a validity check
// of each file (groth16 setup on a circuit that fills the whole 2^power domain, one
// proof, verify, and a tampered public signal that must fail).
//
//   node dist/bench/dev-ptau.js [power=14] [--fast-only] [--verify-ptau]
//
// --verify-ptau also runs `snarkjs powersoftau verify` on the fast file (slow at high powers).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateDevPtau } from '../src/setup/dev-ptau';
import { generateDevPtauWithSnarkjs } from '../src/setup/dev-ptau-snarkjs';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const snarkjs = require('snarkjs');

interface Check {
  zkeyS: number;
  proveS: number;
  valid: boolean;
  tamperedRejected: boolean;
  ptauVerified?: boolean;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const fastOnly = args.includes('--fast-only');
  const verifyPtau = args.includes('--verify-ptau');
  const power = Number(args.find((a) => /^\d+$/.test(a)) ?? 14);
  if (power < 3) throw new RangeError('the check circuit needs a power of at least 3');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zkml-bench-ptau-'));
  try {
    // Constraints + public signals just above 2^(power-1) make snarkjs use the full 2^power
    // domain, including the extra 2^(power+1) Lagrange block for the H query.
    const nMuls = 2 ** (power - 1) + 1;
    const t = Date.now();
    const circuit = compileChain(tmp, nMuls);
    console.log(`circuit: ${nMuls + 1} constraints (domain 2^${power}), compiled in ${seconds(t)} s`);

    // Wall time, plus CPU time of all threads (both generators run on worker threads of
    // this process), which stays meaningful when other jobs share the machine.
    const rows: { name: string; s: number; cpuS: number; check: Check }[] = [];
    const run = async (name: string, gen: (p: number, f: string) => Promise<void>, extraVerify: boolean) => {
      const file = path.join(tmp, `${name}.ptau`);
      const t0 = Date.now();
      const cpu0 = process.cpuUsage();
      await gen(power, file);
      const s = (Date.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const cpuS = (cpu.user + cpu.system) / 1e6;
      console.log(`${name}: generated in ${s.toFixed(1)} s, ${cpuS.toFixed(1)} s CPU (${(fs.statSync(file).size / 2 ** 20).toFixed(1)} MiB)`);
      const check = await checkPtau(file, circuit, extraVerify);
      console.log(`${name}: ${JSON.stringify(check)}`);
      rows.push({ name, s, cpuS, check });
    };
    if (!fastOnly) await run('snarkjs', generateDevPtauWithSnarkjs, false);
    await run('fast', generateDevPtau, verifyPtau);

    const slow = rows.find((r) => r.name === 'snarkjs');
    const fast = rows.find((r) => r.name === 'fast')!;
    const valid = rows.every((r) => r.check.valid && r.check.tamperedRejected && r.check.ptauVerified !== false);
    const cell = (r: typeof fast | undefined) => (r ? `${r.s.toFixed(1)} (${r.cpuS.toFixed(1)} CPU)` : '—');
    const speedUp = slow ? `${(slow.s / fast.s).toFixed(1)}× (${(slow.cpuS / fast.cpuS).toFixed(1)}× CPU)` : '—';
    console.log(
      `\nload average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${os.availableParallelism()} cores`,
    );
    console.log('| power | snarkjs sequence (s) | fast (s) | speed-up | valid |');
    console.log('|---|---|---|---|---|');
    console.log(`| ${power} | ${cell(slow)} | ${cell(fast)} | ${speedUp} | ${valid ? 'yes' : 'NO'} |`);
    if (!valid) process.exitCode = 1;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    await terminateSharedCurve();
  }
}

/** x_{i+1} = x_i² + b: one constraint per step; public signals c and b. */
function compileChain(dir: string, nMuls: number): { r1cs: string; wasm: string } {
  const source = `pragma circom 2.0.0;
template Chain(N) {
  signal input a;
  signal input b;
  signal output c;
  signal x[N + 1];
  x[0] <== a * b;
  for (var i = 0; i < N; i++) x[i + 1] <== x[i] * x[i] + b;
  c <== x[N];
}
component main {public [b]} = Chain(${nMuls});
`;
  fs.writeFileSync(path.join(dir, 'chain.circom'), source);
  // circom2 runs under WASI and can only open files below its working directory.
  execFileSync(process.execPath, [require.resolve('circom2/cli.js'), 'chain.circom', '--r1cs', '--wasm', '-o', '.'], { cwd: dir, stdio: 'pipe' });
  return { r1cs: path.join(dir, 'chain.r1cs'), wasm: path.join(dir, 'chain_js', 'chain.wasm') };
}

async function checkPtau(ptau: string, circuit: { r1cs: string; wasm: string }, verifyPtau: boolean): Promise<Check> {
  const zkey = `${ptau}.zkey`;
  let t = Date.now();
  await snarkjs.zKey.newZKey(circuit.r1cs, ptau, zkey);
  const zkeyS = (Date.now() - t) / 1000;
  t = Date.now();
  const { proof, publicSignals } = await snarkjs.groth16.fullProve({ a: 3, b: 5 }, circuit.wasm, zkey);
  const proveS = (Date.now() - t) / 1000;
  const vkey = await snarkjs.zKey.exportVerificationKey(zkey);
  const valid = await snarkjs.groth16.verify(vkey, publicSignals, proof);
  const tampered = [...publicSignals];
  tampered[1] = (BigInt(tampered[1]) + 1n).toString();
  const tamperedRejected = !(await snarkjs.groth16.verify(vkey, tampered, proof));
  const check: Check = { zkeyS, proveS, valid, tamperedRejected };
  if (verifyPtau) check.ptauVerified = await snarkjs.powersOfTau.verify(ptau);
  fs.rmSync(zkey, { force: true });
  return check;
}

/** snarkjs's groth16/zKey calls leave its shared multi-threaded curve alive; end it so Node exits. */
async function terminateSharedCurve(): Promise<void> {
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  if (g.curve_bn128) await g.curve_bn128.terminate();
}

function seconds(since: number): string {
  return ((Date.now() - since) / 1000).toFixed(1);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
