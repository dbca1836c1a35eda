// Start-up of the `zkml` CLI: `zkml --help` and `zkml verify` (no arguments: it loads its modules,
// then refuses the missing receipt) for a reference checkout against this one, alternately
// (A B A B ...), wall-clock and CPU per run, medians and ratios.
//
//   node dist/bench/cli-startup.js --before DIR [--runs N]
//
// DIR is another checkout's root with its dist/ built (e.g. the main branch before lazy loading).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ROOT } from './lib/report';

interface Run {
  wallMs: number;
  cpuMs: number;
}

function once(root: string, args: string[]): Run {
  // The child reports its own CPU time at exit: what loading the modules cost, without the spawn.
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(path.join(root, 'dist/src/cli/main.js'))}).main(${JSON.stringify(args)}).then(()=>{const u=process.cpuUsage();process.stderr.write('\\nBENCH '+Number(process.hrtime.bigint()-t)/1e6+' '+(u.user+u.system)/1000+'\\n');process.exit(0)})`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  const m = /BENCH ([\d.]+) ([\d.]+)/.exec(r.stderr);
  if (!m) throw new Error(`no timing from ${root} ${args.join(' ')}: ${r.stderr}`);
  return { wallMs: Number(m[1]), cpuMs: Number(m[2]) };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function main(): void {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--before');
  if (at < 0 || !argv[at + 1]) throw new Error('usage: node dist/bench/cli-startup.js --before DIR [--runs N]');
  const before = path.resolve(argv[at + 1]);
  const runsAt = argv.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(argv[runsAt + 1]) : 10;
  console.log('| command | before: wall / CPU (median) | after: wall / CPU (median) | CPU after / before |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const args of [['--help'], ['verify']]) {
    const a: Run[] = [];
    const b: Run[] = [];
    for (let i = 0; i < runs; i++) {
      a.push(once(before, args));
      b.push(once(ROOT, args));
    }
    const f = (xs: Run[]): string => `${median(xs.map((x) => x.wallMs)).toFixed(0)} ms / ${median(xs.map((x) => x.cpuMs)).toFixed(0)} ms`;
    const ratio = median(b.map((x) => x.cpuMs)) / median(a.map((x) => x.cpuMs));
    console.log(`| zkml ${args.join(' ')} | ${f(a)} | ${f(b)} | ${ratio.toFixed(2)} |`);
  }
}

main();
