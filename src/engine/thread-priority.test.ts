import { existsSync, readdirSync } from 'node:fs';
import { getPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { HELPER_NICENESS, osThreadId, yieldHelperThreads } from './thread-priority.js';

const linux = existsSync('/proc/thread-self');

describe.skipIf(!linux)('thread priority (Linux)', () => {
  it('nices every thread but the main one and the kept ones', async () => {
    // A worker thread that reports its OS thread id, then waits to be told to end.
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       const { readlinkSync } = require('node:fs');
       parentPort.postMessage(Number(readlinkSync('/proc/thread-self').split('/').pop()));
       parentPort.once('message', () => process.exit(0));`,
      { eval: true },
    );
    const workerThread = await new Promise<number>((resolve) => worker.once('message', resolve));
    try {
      expect(osThreadId()).toBe(process.pid);
      // The suite may run under `nice`: what is asserted is relative to the caller's own priority.
      const own = getPriority(process.pid);
      const before = getPriority(workerThread);
      const changed = yieldHelperThreads([workerThread]);
      expect(changed).not.toContain(process.pid);
      expect(changed).not.toContain(workerThread);
      for (const tid of changed) expect(getPriority(tid)).toBe(HELPER_NICENESS);
      // Every other thread now runs at HELPER_NICENESS or lower priority (nothing was raised).
      for (const tid of readdirSync('/proc/self/task').map(Number)) {
        if (tid === process.pid || tid === workerThread) continue;
        try {
          expect(getPriority(tid)).toBeGreaterThanOrEqual(HELPER_NICENESS);
        } catch (err) {
          // A thread that ended between the listing and the reading.
          if (!String(err).includes('ESRCH')) throw err;
        }
      }
      // Node's own helper threads (V8's platform pool at least) were there to change, unless the
      // caller already runs at or below HELPER_NICENESS (they inherit its priority).
      if (own < HELPER_NICENESS) expect(changed.length).toBeGreaterThan(0);
      else expect(changed).toEqual([]);
      expect(getPriority(workerThread)).toBe(before);
      expect(getPriority(process.pid)).toBe(own);
      // Done once, a second call has nothing left to change.
      expect(yieldHelperThreads([workerThread])).toEqual([]);
    } finally {
      worker.postMessage('end');
      await new Promise((resolve) => worker.once('exit', resolve));
    }
  });
});
