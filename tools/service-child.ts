/**
 * The service as a child process (`zkml serve` or `zkml worker` from bin/zkml.js) and plain HTTP calls
 * to it, with polling: shared by the service tests (test/helpers/service.ts) and the service benches.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { packageRoot } from '../src/package-root';

const REPO_ROOT = packageRoot();

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- callers read JSON bodies of many shapes
export interface HttpResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as HttpResult
export async function http<T = any>(base: string, method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult<T>> {
  const isBytes = body instanceof Uint8Array;
  const res = await fetch(base + route, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': isBytes ? 'application/octet-stream' : 'application/json' }), ...headers },
    body: body === undefined ? undefined : isBytes ? body : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (verifier.sol, metrics)
  }
  return { status: res.status, headers: res.headers, body: parsed as T };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 200): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface Child {
  proc: ChildProcess;
  /** The service URL (from its "listening" log line); empty for a worker. */
  url: string;
  logs: string[];
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `zkml serve` or `zkml worker` in a child process and waits until it says it is up. */
export async function startChild(command: 'serve' | 'worker' | 'start', env: Record<string, string>, timeoutMs = 60_000): Promise<Child> {
  // 'start' runs what `npm start` runs (package.json: node dist/src/service/main.js), without npm's extra process.
  const args = command === 'start' ? [path.join(REPO_ROOT, 'dist', 'src', 'service', 'main.js')] : [path.join(REPO_ROOT, 'bin', 'zkml.js'), command];
  const proc = spawn(process.execPath, args, {
    env: { ...process.env, ZKML_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolveUrl, rejectUrl) => {
    const timer = setTimeout(() => reject(new Error(`${command} did not start:\n${logs.join('\n')}`)), timeoutMs);
    const resolve = (u: string) => {
      clearTimeout(timer);
      resolveUrl(u);
    };
    const reject = (e: Error) => {
      clearTimeout(timer);
      proc.kill('SIGKILL');
      rejectUrl(e);
    };
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        logs.push(line);
        try {
          const j = JSON.parse(line);
          if (j.msg === 'zkml service listening') resolve(j.url);
          if (j.msg === 'zkml worker started') resolve('');
        } catch {
          // not a log line
        }
      }
    });
    proc.stderr!.on('data', (d: Buffer) => logs.push(d.toString()));
    void exited.then((code) => reject(new Error(`${command} exited with ${code}:\n${logs.join('\n')}`)));
  });
  return {
    proc,
    url,
    logs,
    exited,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

export interface HealthSample {
  ms: number;
  /** What the caller said was going on (a job's stage, say) when the poll was sent. */
  label: string;
}

/** Polls GET /health every `everyMs` until stop(), which resolves to every latency measured. */
export function pollHealth(base: string, everyMs: number, label: () => string = () => ''): { stop(): Promise<HealthSample[]> } {
  const samples: HealthSample[] = [];
  let polling = true;
  const loop = (async () => {
    while (polling) {
      const now = label();
      const t = performance.now();
      const r = await http(base, 'GET', '/health');
      if (r.status !== 200) throw new Error(`GET /health: ${r.status}`);
      samples.push({ ms: performance.now() - t, label: now });
      await new Promise((res) => setTimeout(res, everyMs));
    }
  })();
  return {
    async stop() {
      polling = false;
      await loop;
      return samples;
    },
  };
}
