/**
 * @module sim/mock-worker
 * Worker-thread entry of `startMockInThread`: runs the mock server on its own
 * event loop, posts its URL back, and closes it when told to.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { MockProfile } from './mock-profile.js';
import { startMockServer } from './mock-server.js';

/** Messages between `mock-thread.ts` and this worker. */
export type MockWorkerMessage =
  | { type: 'listening'; url: string }
  | { type: 'failed'; message: string }
  | { type: 'closed' };

const port = parentPort;
if (port === null) throw new Error('mock-worker.js must run in a worker thread');

try {
  const server = await startMockServer({
    profile: (workerData as { profile: MockProfile }).profile,
    warmUp: true,
  });
  port.on('message', (message: unknown) => {
    if (message !== 'close') return;
    server.close().then(
      () => port.postMessage({ type: 'closed' } satisfies MockWorkerMessage),
      () => port.postMessage({ type: 'closed' } satisfies MockWorkerMessage),
    );
  });
  port.postMessage({ type: 'listening', url: server.url } satisfies MockWorkerMessage);
} catch (err) {
  port.postMessage({
    type: 'failed',
    message: err instanceof Error ? err.message : String(err),
  } satisfies MockWorkerMessage);
}
