/**
 * Drives a Workload directly (no engine): N iterations over real HTTP with a
 * bounded concurrency, collecting the records, for workload tests.
 */
import { parseTest, type TestInput } from '../../src/config/index.js';
import { createClock, type RequestRecord } from '../../src/core/index.js';
import { HttpClient } from '../../src/protocols/index.js';
import { Workload, type WorkloadOptions } from '../../src/workload/index.js';

export interface WorkloadRun {
  records: RequestRecord[];
  workload: Workload;
}

export function workloadFor(
  test: Omit<TestInput, 'load'> & Partial<Pick<TestInput, 'load'>>,
  target: string,
  options: WorkloadOptions = {},
): Workload {
  return new Workload(
    parseTest({ load: { executor: 'constant-vus', vus: 1, iterations: 1 }, ...test }, 'inline'),
    target,
    options,
  );
}

/** Runs iterations 0..n-1 (or `iterations`) on `vus` concurrent virtual users. */
export async function runWorkload(
  workload: Workload,
  options: { iterations: number; vus?: number; signal?: AbortSignal; firstIteration?: number },
): Promise<RequestRecord[]> {
  const dispatcher = new HttpClient();
  const clock = createClock();
  const records: RequestRecord[] = [];
  let next = options.firstIteration ?? 0;
  const last = next + options.iterations;
  const user = async (vu: number) => {
    while (next < last && !options.signal?.aborted) {
      const iteration = next++;
      await workload.runIteration({
        vu,
        iteration,
        scheduled: clock(),
        sink: (r) => {
          r.id = records.length;
          records.push(r);
        },
        dispatcher,
        clock,
        signal: options.signal,
      });
    }
  };
  try {
    await Promise.all(Array.from({ length: options.vus ?? 1 }, (_, vu) => user(vu)));
  } finally {
    await dispatcher.destroy().catch(() => undefined);
  }
  return records;
}
