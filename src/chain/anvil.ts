/**
 * A throw-away local chain: the anvil binary shipped in node_modules (@foundry-rs/anvil-<os>-<arch>),
 * on 127.0.0.1 and a free port, killed on stop() or when this process exits, even by SIGKILL: on
 * POSIX a tiny shell watches a pipe from this process and kills anvil when the pipe closes.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { ZkmlError } from '../errors';

/** anvil's first well-known dev account (from its default mnemonic); funded on every fresh anvil. */
export const ANVIL_DEV_PRIVATE_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

const READY_TIMEOUT_MS = 20_000;
/**
 * Runs anvil ("$0" "$@") in the background and stops it when told (TERM, INT) or when stdin, a pipe
 * from the parent, reaches end of file: the parent ended, however it ended.
 */
const WATCHDOG = [
  'exec 3<&0', // the pipe; a background job's own stdin is /dev/null
  '"$0" "$@" & pid=$!',
  '(read _ <&3; kill $pid 2>/dev/null) & w=$!',
  "trap 'kill $pid $w 2>/dev/null; wait $pid; exit 0' TERM INT",
  'wait $pid',
  'kill $w 2>/dev/null',
].join('\n');
const STOP_TIMEOUT_MS = 5_000;
const START_ATTEMPTS = 3;

export interface LocalChain {
  rpcUrl: string;
  privateKey: string;
  stop(): Promise<void>;
}

export interface AnvilOptions {
  /** Path to an anvil binary; by default the one in node_modules. */
  binary?: string;
  readyTimeoutMs?: number;
}

export async function startAnvil(opts: AnvilOptions = {}): Promise<LocalChain> {
  const binary = opts.binary ?? anvilBinary();
  let lastError: ZkmlError | undefined;
  // The free port is picked before anvil binds it, so another process may grab it in between: retry.
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(binary, await freePort(), opts.readyTimeoutMs ?? READY_TIMEOUT_MS);
    } catch (err) {
      if (!(err instanceof ZkmlError) || err.details?.exitedEarly !== true) throw err;
      lastError = err;
    }
  }
  throw lastError!;
}

/** Locates the platform package's binary (the @foundry-rs/anvil wrapper does the same). */
export function anvilBinary(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}`;
  let dir: string;
  try {
    dir = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch (err) {
    throw new ZkmlError('CHAIN_ERROR', `the anvil binary package ${pkg} is not installed (npm install @foundry-rs/anvil)`, undefined, { cause: err });
  }
  const file = path.join(dir, 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
  if (!fs.existsSync(file)) throw new ZkmlError('CHAIN_ERROR', `${file} is missing`);
  return file;
}

async function startOnce(binary: string, port: number, readyTimeoutMs: number): Promise<LocalChain> {
  const rpcUrl = `http://127.0.0.1:${port}`;
  const args = ['--host', '127.0.0.1', '--port', String(port), '--quiet'];
  // A killed process runs no exit hook: the watchdog sees its end of the pipe close and stops anvil.
  const child =
    process.platform === 'win32' ? spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] }) : spawn('/bin/sh', ['-c', WATCHDOG, binary, ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  let exited = false;
  let spawnError: Error | undefined;
  child.on('exit', () => (exited = true));
  child.on('error', (err) => {
    spawnError = err;
    exited = true;
  });

  // If the caller forgets stop(), or the process ends on an error, anvil must not outlive it.
  const killOnExit = (): void => {
    if (!exited) child.kill(process.platform === 'win32' ? 'SIGKILL' : 'SIGTERM');
  };
  process.on('exit', killOnExit);
  // Do not keep the event loop alive just for anvil: the exit hook cleans it up.
  child.unref();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();

  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    await killAndWait(child, () => exited);
  };

  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (exited) {
      process.off('exit', killOnExit);
      const why = spawnError?.message ?? (stderr.trim().split('\n').pop() || `exit code ${child.exitCode}`);
      throw new ZkmlError('CHAIN_ERROR', `anvil exited during start-up: ${why}`, { exitedEarly: true });
    }
    if (await answersChainId(rpcUrl)) return { rpcUrl, privateKey: ANVIL_DEV_PRIVATE_KEY, stop };
    await sleep(100);
  }
  await stop();
  throw new ZkmlError('CHAIN_ERROR', `anvil did not answer on ${rpcUrl} within ${Math.round(readyTimeoutMs / 1000)} s`);
}

async function answersChainId(rpcUrl: string): Promise<boolean> {
  try {
    const res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(1000),
    });
    const body = (await res.json()) as { result?: unknown };
    return typeof body.result === 'string';
  } catch {
    return false;
  }
}

async function killAndWait(child: ChildProcess, exited: () => boolean): Promise<void> {
  if (exited()) return;
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await done;
  clearTimeout(timer);
}

/** Asks the OS for a free port by binding port 0, then releases it for anvil. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
