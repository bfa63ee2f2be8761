/**
 * @module sim/mock-thread
 * The mock server in a worker thread, so its timers never share an event loop
 * with the load generator that measures it.
 */
import { Worker } from 'node:worker_threads';
import { type MockProfileInput, parseMockProfile } from './mock-profile.js';
import type { MockWorkerMessage } from './mock-worker.js';

/** A mock server running in a worker thread. */
export interface MockThread {
  /** `http://127.0.0.1:PORT`; the OpenAI base URL is `${url}/v1`. */
  readonly url: string;
  /** Closes the server and terminates the thread. */
  close(): Promise<void>;
}

export interface MockThreadOptions {
  /** The thread's young generation (MB); V8's default when absent (a light load needs less). */
  youngGenerationMb?: number | undefined;
}

/** How long `close` waits for the server to close before terminating the thread anyway. */
const CLOSE_GRACE_MS = 2000;

/**
 * Starts the mock server on a free loopback port in a worker thread. Loads the
 * compiled `mock-worker.js` next to this file, so it runs from `dist/`.
 * @throws ConfigError when the profile is invalid (checked before the thread starts).
 */
export async function startMockInThread(
  profile?: MockProfileInput,
  options: MockThreadOptions = {},
): Promise<MockThread> {
  const parsed = parseMockProfile(profile);
  const worker = new Worker(new URL('./mock-worker.js', import.meta.url), {
    workerData: { profile: parsed },
    ...(options.youngGenerationMb === undefined
      ? {}
      : { resourceLimits: { maxYoungGenerationSizeMb: options.youngGenerationMb } }),
  });
  let url: string;
  let onMessage: (message: MockWorkerMessage) => void = () => {};
  let onError: (err: Error) => void = () => {};
  let onExit: (code: number) => void = () => {};
  try {
    url = await new Promise<string>((resolve, reject) => {
      onMessage = (message) => {
        if (message.type === 'listening') resolve(message.url);
        else
          reject(
            new Error(`mock server thread: ${message.type === 'failed' ? message.message : message.type}`),
          );
      };
      onError = reject;
      onExit = (code) => reject(new Error(`mock server thread exited with code ${code}`));
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    });
  } catch (err) {
    await worker.terminate();
    throw err;
  } finally {
    // Only our own listeners: removeAllListeners would also drop the Worker's internal ones.
    worker.off('message', onMessage).off('error', onError).off('exit', onExit);
  }
  // A thread error after start must not crash the host process; the next request will fail instead.
  worker.on('error', () => {});

  let closing: Promise<void> | undefined;
  return {
    url,
    close: () => {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, CLOSE_GRACE_MS);
          worker.once('message', () => {
            clearTimeout(timer);
            resolve();
          });
          worker.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          worker.postMessage('close');
        });
        await worker.terminate();
      })();
      return closing;
    },
  };
}
