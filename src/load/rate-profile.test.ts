import { describe, expect, it } from 'vitest';
import { createClock } from '../core/index.js';
import type { ExecutorContext } from './executor.js';
import { RampingArrivalRate, RampingArrivalRateSchema } from './ramping-arrival-rate.js';
import { arrivalTimes, cumulativeAt, planSeries, profileOf, valueAt, vuTargets } from './rate-profile.js';
import { compileShape, ShapeSchema } from './shapes.js';

describe('rate profiles and stages', () => {
  it('a 10 → 100/s ramp over 30 s plans every second at its mean rate, and arrivals follow it', () => {
    const profile = profileOf(10, [{ target: 100, duration: 30_000 }]);
    const plan = planSeries(profile);
    expect(plan).toHaveLength(30);
    for (const [s, p] of plan.entries()) expect(p.value).toBeCloseTo(10 + 3 * s + 1.5, 6);
    const times = arrivalTimes(profile, 'constant', 1);
    expect(times.length).toBe(Math.ceil(cumulativeAt(profile, 30_000)));
    expect(times.length).toBe(1650);
    for (let s = 0; s < 30; s++) {
      const n = times.filter((t) => t >= s * 1000 && t < (s + 1) * 1000).length;
      expect(Math.abs(n - (plan[s]?.value ?? 0))).toBeLessThanOrEqual(1);
    }
    // Arrival k sits where the cumulative rate reaches k (time rescaling).
    for (const [k, t] of times.entries()) expect(cumulativeAt(profile, t)).toBeCloseTo(k, 6);
  });

  it('the ramping-arrival-rate plan carries labelled stages, a duration cap cuts it', () => {
    const load = RampingArrivalRateSchema.parse({
      executor: 'ramping-arrival-rate',
      start_rate: 5,
      stages: [
        { target: 50, duration: '10s', name: 'warm' },
        { target: 50, duration: '20s' },
      ],
    });
    const plan = RampingArrivalRate.plan(load);
    expect(plan.durationMs).toBe(30_000);
    expect(plan.stages).toEqual([
      { name: 'warm', startMs: 0, endMs: 10_000, target: 50 },
      { name: 'stage 2', startMs: 10_000, endMs: 30_000, target: 50 },
    ]);
    const cut = RampingArrivalRate.plan({ ...load, duration: 12_000 });
    expect(cut.durationMs).toBe(12_000);
    expect(cut.stages?.[1]).toMatchObject({ startMs: 10_000, endMs: 12_000 });
    expect(
      RampingArrivalRateSchema.safeParse({ executor: 'ramping-arrival-rate' }).error?.issues[0]?.message,
    ).toMatch(/either stages/);
  });

  it('segments partition the plan exactly: every arrival once, iteration numbers global', async () => {
    const load = RampingArrivalRateSchema.parse({
      executor: 'ramping-arrival-rate',
      arrival: 'poisson',
      stages: [{ target: 400, duration: '300ms' }],
    });
    const full = arrivalTimes(profileOf(0, [{ target: 400, duration: 300 }]), 'poisson', 9);
    const seen: { iteration: number; offset: number; segment: number }[] = [];
    const clock = createClock();
    await Promise.all(
      [0, 1, 2].map((index) => {
        const ctx: ExecutorContext = {
          clock,
          stop: new AbortController().signal,
          segment: { index, count: 3 },
          runIteration: async (_vu, iteration, scheduled) => {
            seen.push({ iteration, offset: scheduled, segment: index });
          },
          dropped: () => expect.unreachable('nothing to drop'),
        };
        return RampingArrivalRate.run(load, ctx, 9);
      }),
    );
    expect(seen.map((s) => s.iteration).sort((a, b) => a - b)).toEqual(Array.from(full, (_, i) => i));
    for (const s of seen) expect(s.iteration % 3).toBe(s.segment);
    expect(full.length).toBeGreaterThan(40);
  });

  it('plans the VU count over time of a closed ramp: up by one at each crossing, down the same way', () => {
    const profile = profileOf(0, [
      { target: 3, duration: 3000 },
      { target: 3, duration: 1000 },
      { target: 1, duration: 2000 },
    ]);
    expect(vuTargets(profile)).toEqual([
      { atMs: 0, vus: 0 },
      { atMs: 1000, vus: 1 },
      { atMs: 2000, vus: 2 },
      { atMs: 3000, vus: 3 },
      { atMs: 5000, vus: 2 },
      { atMs: 6000, vus: 1 },
    ]);
  });

  it('compiles shapes to stages: a spike goes baseline → ×N → baseline, a step is a staircase', () => {
    const spike = compileShape(
      ShapeSchema.parse({ spike: { baseline: 10, multiplier: 10, before: '2s', hold: '1s', after: '2s' } }),
    );
    const profile = profileOf(spike.start, spike.stages);
    expect(planSeries(profile).map((p) => p.value)).toEqual([10, 10, 100, 10, 10]);
    const step = compileShape(ShapeSchema.parse({ step: { start: 5, increment: 5, steps: 3, hold: '1s' } }));
    expect(planSeries(profileOf(step.start, step.stages)).map((p) => p.value)).toEqual([5, 10, 15]);
    const burst = compileShape(
      ShapeSchema.parse({ burst: { baseline: 2, multiplier: 5, every: '2s', length: '1s', count: 2 } }),
    );
    expect(planSeries(profileOf(burst.start, burst.stages)).map((p) => p.value)).toEqual([2, 10, 2, 10]);
    const day = compileShape(ShapeSchema.parse({ diurnal: { baseline: 10, multiplier: 4, period: '24s' } }));
    const curve = profileOf(day.start, day.stages);
    expect(valueAt(curve, 0)).toBe(10);
    expect(valueAt(curve, 12_000)).toBe(40);
    expect(valueAt(curve, 24_000)).toBeCloseTo(10, 6);
  });
});
