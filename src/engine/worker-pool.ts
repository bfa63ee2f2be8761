/**
 * @module engine/worker-pool
 * The load workers of one run: started together, ready when all have loaded
 * the test, finished when all have reported the end of their load or been
 * terminated by the coordinator (a worker stuck in a synchronous loop never
 * reads a stop message, so stopping it is the coordinator's job).
 */
import { Worker } from 'node:worker_threads';
import { yieldHelperThreads } from './thread-priority.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol.js';

/** A worker that failed while loading or running its share; `configError` means a bad test (exit 2). */
export class WorkerFailure extends Error {
  constructor(
    message: string,
    readonly configError: boolean,
  ) {
    super(message);
  }
}

export interface WorkerPool {
  /** Resolves when every worker has loaded the test; rejects with the first failure. */
  ready: Promise<void>;
  /**
   * Each worker's end of load on the run clock (ms), undefined for a worker
   * terminated by {@link WorkerPool.terminateLate}; rejects with the first failure.
   */
  finished: Promise<(number | undefined)[]>;
  broadcast(message: ToWorker): void;
  /**
   * Starts terminating the workers that have not reported their end yet and
   * returns their indexes at once (before `finished` can resolve for them).
   */
  terminateLate(): number[];
  terminate(): Promise<void>;
}

/**
 * Starts `count` workers, each with a young generation of `youngGenerationMb` (engine/heavy-load);
 * every message other than ready/done/failed goes to `onMessage`.
 */
export function startWorkers(
  count: number,
  init: (index: number) => WorkerInit,
  onMessage: (index: number, message: FromWorker) => void,
  youngGenerationMb: number,
): WorkerPool {
  const workers: Worker[] = [];
  const ready: Promise<void>[] = [];
  /** The workers' OS thread ids, as they report ready. */
  const threads: number[] = [];
  const finished: Promise<number | undefined>[] = [];
  const done = new Set<number>();
  /** Workers being terminated on purpose: their exit ends them, it is no failure. */
  const stopped = new Set<number>();
  for (let i = 0; i < count; i++) {
    const worker = new Worker(new URL('./worker-main.js', import.meta.url), {
      workerData: init(i),
      resourceLimits: { maxYoungGenerationSizeMb: youngGenerationMb },
    });
    workers.push(worker);
    let markReady: () => void = () => undefined;
    let failReady: (err: Error) => void = () => undefined;
    ready.push(
      new Promise<void>((resolve, reject) => {
        markReady = resolve;
        failReady = reject;
      }),
    );
    finished.push(
      new Promise<number | undefined>((resolve, reject) => {
        const fail = (err: Error) => {
          failReady(err);
          reject(err);
        };
        worker.on('message', (message: FromWorker) => {
          if (message.type === 'ready') {
            if (message.thread !== undefined) threads.push(message.thread);
            markReady();
          } else if (message.type === 'done') {
            done.add(i);
            resolve(message.endMs);
          } else if (message.type === 'failed') fail(new WorkerFailure(message.message, message.configError));
          else onMessage(i, message);
        });
        worker.on('error', fail);
        // After `done` this rejects a settled promise, which is a no-op.
        worker.on('exit', (code) => {
          if (stopped.has(i)) resolve(undefined);
          else fail(new Error(`load worker ${i} exited with code ${code} before it finished`));
        });
      }),
    );
  }
  const all = Promise.all(finished);
  // A failure before the start is reported by `ready`; keep `finished` from raising unhandled rejections.
  all.catch(() => undefined);
  return {
    // Warmed up, the workers come first on a busy CPU (V8's compiles and GC helpers second).
    ready: Promise.all(ready).then(() => {
      yieldHelperThreads(threads);
    }),
    finished: all,
    broadcast: (message) => {
      for (const worker of workers) worker.postMessage(message);
    },
    terminateLate: () => {
      const late = workers.map((_, i) => i).filter((i) => !done.has(i) && !stopped.has(i));
      for (const i of late) {
        stopped.add(i);
        // Its exit resolves its `finished` entry; an error here changes nothing the coordinator does.
        workers[i]?.terminate().catch(() => undefined);
      }
      return late;
    },
    terminate: async () => {
      for (let i = 0; i < workers.length; i++) stopped.add(i);
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
