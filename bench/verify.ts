// Off-chain verification of one receipt, many times in one process: each call building its own
// curve (withSnarkjsCurve alone, as a one-shot `zkml verify` does) against calls sharing a held one
// (holdSnarkjsCurve, as the service does), alternately A B A B; medians and the ratio. Verifies the
// MNIST MLP's receipt (built into build/bench-verify-mnist-mlp, reused while its manifest matches).
//
//   node dist/bench/verify.js [--rounds N] [--fresh]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Prover } from '../src/prover/prover';
import { artifactPath, readJson } from '../src/formats/artifacts';
import { holdSnarkjsCurve } from '../src/snark/curve';
import { verifyOffchain } from '../src/verifier/offchain';
import { compileOrReuse, setupOrReuse } from './lib/build';
import { loadAverage, ROOT } from './lib/report';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed(fn: () => Promise<boolean>): Promise<number> {
  const t = performance.now();
  if (!(await fn())) throw new Error('the receipt did not verify');
  return performance.now() - t;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const rounds = argv.includes('--rounds') ? Number(argv[argv.indexOf('--rounds') + 1]) : 9;
  const fresh = argv.includes('--fresh');
  const dir = path.join(ROOT, 'models', 'mnist-mlp');
  const buildDir = path.join(ROOT, 'build', 'bench-verify-mnist-mlp');
  await compileOrReuse(path.join(dir, 'model.onnx'), path.join(dir, 'calibration.json'), buildDir, fresh);
  await setupOrReuse(buildDir, fresh);
  const prover = new Prover();
  const receipt = await prover.prove(buildDir, JSON.parse(fs.readFileSync(path.join(dir, 'input.json'), 'utf8')));
  await prover.close();
  const vk = readJson(artifactPath(buildDir, 'vk')) as object;
  const verify = async (): Promise<boolean> => (await verifyOffchain(receipt, vk)).valid;

  const own: number[] = [];
  const held: number[] = [];
  await verify(); // warm-up: module loads and JIT before the timed rounds
  for (let i = 0; i < rounds; i++) {
    own.push(await timed(verify));
    const hold = holdSnarkjsCurve();
    await verify(); // the first call of a hold builds the curve, as the first call of the service does
    held.push(await timed(verify));
    await hold();
  }
  const fmt = (xs: number[]): string => xs.map((x) => x.toFixed(0)).join(', ');
  console.log(`MNIST MLP receipt, off-chain verification, ${rounds} rounds A B A B, load ${loadAverage()}`);
  console.log(`| verification | median | runs |\n| --- | ---: | --- |`);
  console.log(`| a curve per call (withSnarkjsCurve) | ${median(own).toFixed(0)} ms | ${fmt(own)} |`);
  console.log(`| a held curve (holdSnarkjsCurve) | ${median(held).toFixed(0)} ms | ${fmt(held)} |`);
  console.log(`| ratio | ${(median(own) / median(held)).toFixed(1)}× | |`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
