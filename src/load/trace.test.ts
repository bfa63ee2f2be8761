import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TraceSchema, tracePlan } from './trace.js';
import { loadTrace } from './trace-file.js';

const ROOT = join(import.meta.dirname, '../..');
const azure = loadTrace(join(ROOT, 'examples/data/azure-conv-2023-slice.csv'));

/** Arrivals per second of a plan over the time it runs (n arrivals in [0, endMs)). */
function offeredPerS(plan: ReturnType<typeof tracePlan>): number {
  return plan.times.length / (plan.endMs / 1000);
}

describe('tracePlan with a target rate', () => {
  it('scales the slice capped by iterations to that rate (±2%), not the whole rest of the trace', () => {
    const load = TraceSchema.parse({ executor: 'trace', file: 'x.csv', rate: 20, iterations: 150 });
    const plan = tracePlan(azure, load);
    expect(plan.times.length).toBe(150);
    const span = (plan.times[149] as number) / 1000;
    expect(149 / span).toBeCloseTo(20, 6);
    expect(Math.abs(offeredPerS(plan) / 20 - 1)).toBeLessThan(0.02);
  });

  it('with an offset, scales the capped slice after it', () => {
    const load = TraceSchema.parse({
      executor: 'trace',
      file: 'x.csv',
      rate: 50,
      iterations: 300,
      offset: '20s',
    });
    const plan = tracePlan(azure, load);
    expect(plan.times.length).toBe(300);
    expect(Math.abs(offeredPerS(plan) / 50 - 1)).toBeLessThan(0.02);
  });

  it('under a duration cap, fits rate × duration arrivals in it', () => {
    const load = TraceSchema.parse({ executor: 'trace', file: 'x.csv', rate: 30, duration: '10s' });
    const plan = tracePlan(azure, load);
    expect(plan.endMs).toBe(10_000);
    expect(Math.abs(offeredPerS(plan) / 30 - 1)).toBeLessThan(0.02);
  });

  it('a speed is applied as given, whatever the caps', () => {
    const load = TraceSchema.parse({ executor: 'trace', file: 'x.csv', speed: 2, iterations: 10 });
    const plan = tracePlan(azure, load);
    expect(plan.speed).toBe(2);
    expect(plan.times[9]).toBeCloseTo(((azure.offsets[9] as number) - (azure.offsets[0] as number)) / 2, 6);
  });
});
