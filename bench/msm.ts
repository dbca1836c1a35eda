// The prover's MSM and FFT pieces, each against what it replaced, in one process, alternately
// A B A B on the same inputs (results checked equal), medians of wall and CPU time over all threads:
// - H with the fixed-base table at 2^15 (the corpus conv model's domain): the previous unsigned
//   batch-affine window (c = 16, the 32 MiB budget) against signed digits at the same c (the same
//   table) and at the cost model's c (15, within 36 MiB);
// - the windowed multiexp (H above the table budget) at 2^17 (the MNIST CNN's domain): unsigned
//   against signed windows;
// - one vector to the odd coset at 2^15: wasmcurves's ifft, batchApplyKey, fft against our one pass.
//
//   node dist/bench/msm.js [--rounds N]
//
// Prints a markdown table (for docs/prover.md); writes nothing.
import * as os from 'node:os';
import { BN254_R } from '../src/formats/field';
import { buildFixedBaseTable, fixedBaseMultiExp, tableWindowBits } from '../src/prover/fixed-base-msm';
import { multiExp } from '../src/prover/groth16';
import { cosetFftScratchBytes, ODD_COSET_FFT } from '../src/snark/coset-fft-wasm';
import { curveWithThreads } from '../src/snark/curve';
import { snarkjs, SnarkjsCurve } from '../src/snark/snarkjs';
import { loadAverage, machine } from './lib/report';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; wallMs: number; cpuMs: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { value, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** n distinct affine points (multiples of the generator) and n scalars below r, pseudo-random. */
async function inputs(curve: SnarkjsCurve, n: number): Promise<{ points: Uint8Array; scalars: Uint8Array }> {
  const G = curve.G1;
  const jac = new Uint8Array(n * 96);
  let p = G.timesScalar(G.g, 12345);
  const step = G.timesScalar(G.g, 0x1234567);
  for (let i = 0; i < n; i++) {
    jac.set(p, i * 96);
    p = G.add(p, step);
  }
  const scalars = new Uint8Array(n * 32);
  let x = 0x9e3779b97f4a7c15n;
  for (let i = 0; i < n; i++) {
    x = (x * 6364136223846793005n + 1442695040888963407n) % (1n << 256n);
    const v = (x * x) % BN254_R;
    for (let b = 0; b < 32; b++) scalars[i * 32 + b] = Number((v >> BigInt(8 * b)) & 0xffn);
  }
  return { points: await G.batchToAffine(jac), scalars };
}

interface Variant {
  name: string;
  run: () => Promise<Uint8Array>;
}

/** Runs the variants alternately for `rounds` rounds after one warm-up each; checks they agree. */
async function compare(curve: SnarkjsCurve, title: string, variants: Variant[], rounds: number, eq: (a: Uint8Array, b: Uint8Array) => boolean): Promise<string[]> {
  const first = await Promise.all(variants.map((v) => v.run()));
  for (let i = 1; i < first.length; i++) if (!eq(first[0], first[i])) throw new Error(`${title}: ${variants[i].name} differs from ${variants[0].name}`);
  const times = variants.map(() => [] as Array<{ wallMs: number; cpuMs: number }>);
  for (let r = 0; r < rounds; r++) for (let i = 0; i < variants.length; i++) times[i].push(await timed(variants[i].run));
  const base = median(times[0].map((t) => t.cpuMs));
  const baseWall = median(times[0].map((t) => t.wallMs));
  const out = variants.map((v, i) => {
    const wall = median(times[i].map((t) => t.wallMs));
    const cpu = median(times[i].map((t) => t.cpuMs));
    return `| ${title} | ${v.name} | ${wall.toFixed(0)} ms | ${cpu.toFixed(0)} ms | ${(baseWall / wall).toFixed(2)}× / ${(base / cpu).toFixed(2)}× |`;
  });
  console.log(out.join('\n'));
  return out;
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--rounds');
  const rounds = i > 0 ? Number(process.argv[i + 1]) : 7;
  const curve = await curveWithThreads(snarkjs, os.availableParallelism());
  const parts = curve.tm.concurrency;
  const G = curve.G1;
  const eq = (a: Uint8Array, b: Uint8Array): boolean => G.eq(a, b);
  const rows: string[] = [];

  const h = await inputs(curve, 2 ** 15);
  const c = tableWindowBits(2 ** 15, parts, 'signed') ?? 15;
  const unsigned16 = await buildFixedBaseTable(curve, h.points, parts, 16, 'batchAffine');
  const signed16 = { ...unsigned16, kind: 'signed' as const };
  const signedC = await buildFixedBaseTable(curve, h.points, parts, c, 'signed');
  rows.push(
    ...(await compare(
      curve,
      'H, fixed-base table, 2^15',
      [
        { name: 'unsigned, c = 16 (previous)', run: () => fixedBaseMultiExp(curve, unsigned16, h.scalars) },
        { name: 'signed, c = 16 (same table)', run: () => fixedBaseMultiExp(curve, signed16, h.scalars) },
        { name: `signed, c = ${c} (cost model)`, run: () => fixedBaseMultiExp(curve, signedC, h.scalars) },
      ],
      rounds,
      eq,
    )),
  );

  const big = await inputs(curve, 2 ** 17);
  rows.push(
    ...(await compare(
      curve,
      'windowed multiexp, 2^17',
      [
        { name: 'unsigned batch-affine, c = 13 (previous)', run: () => multiExp(curve, 'G1', big.points, big.scalars, parts, undefined, 'batchAffine') },
        { name: 'signed, cost model', run: () => multiExp(curve, 'G1', big.points, big.scalars, parts, undefined, 'signed') },
      ],
      rounds,
      eq,
    )),
  );

  const Fr = curve.Fr;
  const n = 2 ** 15;
  const values = new Uint8Array(n * 32);
  for (let k = 0; k < n; k++) values.set(Fr.e(BigInt(k) * 7919n + 3n), k * 32);
  const inc = Fr.w[16];
  const chain = async (): Promise<Uint8Array> =>
    (
      await curve.tm.queueAction([
        { cmd: 'ALLOCSET', var: 0, buff: values },
        { cmd: 'ALLOCSET', var: 1, buff: Fr.one },
        { cmd: 'ALLOCSET', var: 2, buff: inc },
        { cmd: 'ALLOC', var: 3, len: n * 32 },
        { cmd: 'CALL', fnName: 'frm_ifft', params: [{ var: 0 }, { val: n }] },
        { cmd: 'CALL', fnName: 'frm_batchApplyKey', params: [{ var: 0 }, { val: n }, { var: 1 }, { var: 2 }, { var: 3 }] },
        { cmd: 'CALL', fnName: 'frm_fft', params: [{ var: 3 }, { val: n }] },
        { cmd: 'GET', out: 0, var: 3, len: n * 32 },
      ])
    )[0];
  const onePass = async (): Promise<Uint8Array> =>
    (
      await curve.tm.queueAction([
        { cmd: 'ALLOCSET', var: 0, buff: values },
        { cmd: 'ALLOCSET', var: 1, buff: Fr.w[15] },
        { cmd: 'ALLOCSET', var: 2, buff: Fr.inv(Fr.e(n)) },
        { cmd: 'ALLOCSET', var: 3, buff: inc },
        { cmd: 'ALLOC', var: 4, len: cosetFftScratchBytes(n) },
        { cmd: 'CALL', fnName: ODD_COSET_FFT, params: [{ var: 0 }, { val: 15 }, { var: 1 }, { var: 2 }, { var: 3 }, { var: 4 }] },
        { cmd: 'GET', out: 0, var: 0, len: n * 32 },
      ])
    )[0];
  rows.push(
    ...(await compare(
      curve,
      'one vector to the odd coset, 2^15',
      [
        { name: "wasmcurves's ifft, batchApplyKey, fft (previous)", run: chain },
        { name: 'one pass (frm_oddCosetFft)', run: onePass },
      ],
      rounds,
      (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0,
    )),
  );
  await curve.terminate();

  const mc = machine();
  console.log(
    [
      '',
      `${mc.cpu}, ${mc.cores} cores, Node ${mc.node}, ${parts} curve threads, ${rounds} rounds A B A B, load at the end ${loadAverage()}`,
      '',
      '| what | variant | wall, median | CPU, median | speed-up wall / CPU |',
      '| --- | --- | ---: | ---: | ---: |',
      ...rows,
    ].join('\n'),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
