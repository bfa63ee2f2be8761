import { describe, expect, it } from 'vitest';
import { assessGenerator } from './generator-health.js';

const healthy = {
  workers: 2,
  loopDelayP99Ms: [1.2, 3, 2.5],
  loopDelayMaxMs: 4,
  schedulingLagP99Ms: 0.8,
  schedulingLagCount: 5000,
  dropped: 0,
};

describe('assessGenerator', () => {
  it('finds nothing wrong with a prompt event loop, small lag and no drops', () => {
    expect(assessGenerator(healthy)).toEqual({
      workers: 2,
      event_loop_delay_p99_ms: 3,
      event_loop_delay_max_ms: 4,
      late_seconds: 0,
      scheduling_lag_p99_ms: 0.8,
      dropped: 0,
      cpu_s: null,
      cpu_cores: null,
      limited: false,
      reasons: [],
    });
  });

  it('reports the CPU the generator used and the cores that kept busy on average', () => {
    const h = assessGenerator({ ...healthy, cpuS: 15.5, durationS: 10 });
    expect(h).toMatchObject({ cpu_s: 15.5, cpu_cores: 1.55 });
    expect(assessGenerator({ ...healthy, cpuS: 2, durationS: 0 }).cpu_cores).toBeNull();
  });

  it('takes the worst second of a day-long soak (more seconds than a call takes arguments)', () => {
    const seconds = Array.from({ length: 300_000 }, (_, i) => (i === 123_456 ? 42 : 1));
    expect(assessGenerator({ ...healthy, loopDelayP99Ms: seconds }).event_loop_delay_p99_ms).toBe(42);
  });

  it('names each way the generator limited the run', () => {
    const h = assessGenerator({
      ...healthy,
      loopDelayP99Ms: [5, 45, 60],
      schedulingLagP99Ms: 25,
      dropped: 3,
    });
    expect(h.limited).toBe(true);
    expect(h.late_seconds).toBe(2);
    expect(h.reasons).toHaveLength(3);
    expect(h.reasons[0]).toContain('event loop late in 2 worker-second(s)');
    expect(h.reasons[1]).toContain('scheduling lag p99 25 ms');
    expect(h.reasons[2]).toContain('3 arrival(s) dropped');
  });

  it('respects custom limits', () => {
    const limits = { loopDelayP99Ms: 2, schedulingLagP99Ms: 0.5, schedulingLagMinCount: 1 };
    expect(assessGenerator(healthy, limits).reasons).toHaveLength(2);
  });

  it('gives no lag verdict on too few requests (connection set-up dominates a short run)', () => {
    expect(assessGenerator({ ...healthy, schedulingLagP99Ms: 30, schedulingLagCount: 24 }).limited).toBe(
      false,
    );
  });
});
