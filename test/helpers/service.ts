/** Helpers for the service tests: HTTP calls, polling, and the service run as a child process. */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { calibrationFile, modelFile, REPO_ROOT } from './onnx-builders';

export interface HttpResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

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

/** Polls a batch until all n items are done; fails at once if any item failed. */
export async function waitForBatch(base: string, batchId: string, n: number, what = 'the batch', headers: Record<string, string> = {}): Promise<any> {
  return waitFor(
    what,
    async () => {
      const b = await http(base, 'GET', `/v1/batches/${batchId}?limit=100`, undefined, headers);
      if (b.body.counts.failed > 0) throw new Error(`${what}: failed items ${JSON.stringify(b.body.items.filter((i: any) => i.error))}`);
      return b.body.counts.done === n && b.body;
    },
    120_000,
    250,
  );
}

export const TINY_INPUT = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'models', 'tiny', 'input.json'), 'utf8'));
export const tinyOnnx = (): Uint8Array => fs.readFileSync(modelFile('tiny'));
export const tinyCalibration = (): unknown => JSON.parse(fs.readFileSync(calibrationFile('tiny'), 'utf8'));

/** Distinct valid inputs for the tiny model (values in [-1, 1)). */
export function tinyInputs(n: number): unknown[] {
  return Array.from({ length: n }, (_, i) => ({ input_data: [[((i % 17) - 8) / 10, ((i * 7) % 19 - 9) / 10, 0.25, -0.5 + (i % 5) / 10]] }));
}

/** Uploads and compiles the tiny model, waiting until it is ready; returns its id. */
export async function readyTiny(base: string, headers: Record<string, string> = {}, timeoutMs = 120_000): Promise<string> {
  const up = await http(base, 'POST', '/v1/models?name=tiny', tinyOnnx(), headers);
  if (up.status !== 201) throw new Error(`upload: ${up.status} ${JSON.stringify(up.body)}`);
  const c = await http(base, 'POST', `/v1/models/${up.body.id}/compile`, { calibration: tinyCalibration() }, headers);
  if (c.status !== 202) throw new Error(`compile: ${c.status} ${JSON.stringify(c.body)}`);
  await waitFor(
    'the model to be ready',
    async () => {
      const m = await http(base, 'GET', `/v1/models/${up.body.id}`, undefined, headers);
      if (m.body.status === 'failed') throw new Error(`compile failed: ${JSON.stringify(m.body.error)}`);
      return m.body.status === 'ready';
    },
    timeoutMs,
    250,
  );
  return up.body.id;
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
export async function startChild(command: 'serve' | 'worker', env: Record<string, string>, timeoutMs = 60_000): Promise<Child> {
  const proc = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'zkml.js'), command], {
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
