/**
 * load/describe: the forecast `tokenstorm validate` prints, for each kind of
 * load: exact for arrivals drawn with the seed (checked against the very
 * arrival times the executor draws), bounds for closed and adaptive models.
 */
import { describe, expect, it } from 'vitest';
import { parseTest } from '../config/index.js';
import { describeLoad } from './describe.js';
import { lookupExecutor } from './executors.js';

function loadOf(load: Record<string, unknown>) {
  const test = parseTest({ scenarios: [{ name: 's', steps: [{ http: { url: '/' } }] }], load }, 'test');
  return { load: test.load, seed: test.seed };
}

describe('describeLoad', () => {
  it('counts an open model exactly: the arrivals the run draws with the same seed', () => {
    for (const arrival of ['constant', 'poisson', { gamma: { burstiness: 0.5 } }]) {
      const { load, seed } = loadOf({ executor: 'constant-arrival-rate', rate: 40, duration: '3s', arrival });
      const d = describeLoad(load, seed);
      const drawn = lookupExecutor(load).arrivals?.(load, seed).length;
      expect(d).toMatchObject({ model: 'open', iterations: drawn, iterations_kind: 'exact', duration_s: 3 });
    }
    const constant = describeLoad(
      loadOf({ executor: 'constant-arrival-rate', rate: 40, duration: '3s', arrival: 'constant' }).load,
      1,
    );
    expect(constant.iterations).toBe(120);
  });

  it('tells the stages of a ramping load and counts its evenly spaced arrivals', () => {
    const { load, seed } = loadOf({
      executor: 'ramping-arrival-rate',
      start_rate: 0,
      arrival: 'constant',
      stages: [
        { name: 'up', target: 10, duration: '10s' },
        { name: 'hold', target: 10, duration: '5s' },
      ],
    });
    const d = describeLoad(load, seed);
    expect(d.stages).toEqual([
      { name: 'up', start_s: 0, end_s: 10, target: 10 },
      { name: 'hold', start_s: 10, end_s: 15, target: 10 },
    ]);
    // 50 arrivals on the ramp (the area under it) and 50 at 10/s for 5 s.
    expect(d.iterations).toBeGreaterThanOrEqual(99);
    expect(d.iterations).toBeLessThanOrEqual(101);
    expect(d.iterations_kind).toBe('exact');
  });

  it('bounds closed models: exact by count, at least one per VU by time, up to the count when both', () => {
    expect(
      describeLoad(loadOf({ executor: 'shared-iterations', vus: 4, iterations: 30 }).load, 1),
    ).toMatchObject({
      model: 'closed',
      iterations: 30,
    });
    expect(describeLoad(loadOf({ executor: 'constant-vus', vus: 7, duration: '5s' }).load, 1)).toMatchObject({
      model: 'closed',
      iterations: 7,
      iterations_kind: 'at_least',
      duration_s: 5,
    });
    expect(
      describeLoad(loadOf({ executor: 'constant-vus', vus: 7, duration: '5s', iterations: 50 }).load, 1),
    ).toMatchObject({ iterations: 50, iterations_kind: 'up_to' });
  });

  it('bounds a sweep by its longest search', () => {
    const { load } = loadOf({
      executor: 'sweep',
      start: 5,
      max: 40,
      factor: 2,
      refine: 2,
      step_duration: '4s',
      warmup: '1s',
    });
    const d = describeLoad(load, 1);
    // Coarse 5, 10, 20, 40, then up to 2 refining steps: 6 steps of 5 s.
    expect(d).toMatchObject({
      model: 'open',
      duration_s: 30,
      duration_kind: 'up_to',
      iterations_kind: 'up_to',
    });
    expect(d.iterations).toBe(Math.ceil((5 + 10 + 20 + 40 + 2 * 40) * 5));
    expect(d.note).toContain('up to 6 steps');
  });
});
