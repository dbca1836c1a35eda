/**
 * snarkjs for use inside a worker thread. ffjavascript starts its threads through the `web-worker`
 * package, which decides once, at load time, from `isMainThread` whether it is one of its own
 * workers; inside a Piscina thread it guesses wrong and crashes. Loading it while `isMainThread`
 * reads true gives the main-thread side, whose own workers then start normally.
 */
import type { Snarkjs } from './snarkjs';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const workerThreads = require('node:worker_threads');

function loadAsMainThread(): void {
  if (workerThreads.isMainThread) return;
  const descriptor = Object.getOwnPropertyDescriptor(workerThreads, 'isMainThread')!;
  Object.defineProperty(workerThreads, 'isMainThread', { ...descriptor, value: true, configurable: true });
  try {
    require('web-worker');
  } finally {
    Object.defineProperty(workerThreads, 'isMainThread', descriptor);
  }
}

loadAsMainThread();
// eslint-disable-next-line @typescript-eslint/no-var-requires
export const snarkjs: Snarkjs = require('snarkjs');
