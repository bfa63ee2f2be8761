/** Production files in each format, the interpolation over a run's stages, and the drift rule. */
import { describe, expect, it } from 'vitest';
import {
  type CurvePoint,
  curveOf,
  driftOf,
  interpolate,
  ProductionFileError,
  parseProductionCsv,
  parseProductionJson,
  parsePrometheus,
  predictRows,
} from './predict.js';

const curve: CurvePoint[] = [
  { stage: 'a', rate: 10, p95: 100, p99: 150 },
  { stage: 'b', rate: 20, p95: 200, p99: 350 },
  { stage: 'c', rate: 40, p95: 600, p99: 1000 },
];

describe('interpolate', () => {
  it('is linear between stages and undefined outside them', () => {
    expect(interpolate(curve, 15, 'p95')).toBe(150);
    expect(interpolate(curve, 30, 'p99')).toBe(675);
    expect(interpolate(curve, 10, 'p95')).toBe(100);
    expect(interpolate(curve, 40, 'p99')).toBe(1000);
    expect(interpolate(curve, 9.9, 'p95')).toBeUndefined();
    expect(interpolate(curve, 41, 'p95')).toBeUndefined();
  });

  it('builds the curve from measured stages by achieved rate, warm-ups left out', () => {
    const stage = (name: string, rate: number, p95: number, warmup?: boolean) => ({
      name,
      warmup,
      counts: { requests: 10 },
      flow: { completed_per_s: rate },
      metrics: { e2e_ms: { p95, p99: p95 * 2, count: 10 } },
    });
    expect(curveOf([stage('hi', 30, 300), stage('w', 5, 1, true), stage('lo', 10, 100)], 'e2e_ms')).toEqual([
      { stage: 'lo', rate: 10, p95: 100, p99: 200 },
      { stage: 'hi', rate: 30, p95: 300, p99: 600 },
    ]);
  });
});

describe('production files', () => {
  it('reads CSV rows with times, or with named traffic levels', () => {
    const rows = parseProductionCsv(
      'endpoint,timestamp,rps,p95_ms,p99_ms\nchat,2026-12-07T10:00:00Z,12,140,210\nchat,1765101660,14,160,230\n',
      'prod.csv',
    );
    expect(rows).toEqual([
      {
        endpoint: 'chat',
        level: 'observed',
        at: Date.parse('2026-12-07T10:00:00Z') / 1000,
        rps: 12,
        p95Ms: 140,
        p99Ms: 210,
      },
      { endpoint: 'chat', level: 'observed', at: 1765101660, rps: 14, p95Ms: 160, p99Ms: 230 },
    ]);
    expect(parseProductionCsv('level,requests_per_s,p95_s\npeak,30,0.5\n', 'p.csv')).toEqual([
      { endpoint: 'all', level: 'peak', rps: 30, p95Ms: 500 },
    ]);
  });

  it('reads JSON rows and a Prometheus range query (quantile label, seconds)', () => {
    expect(parseProductionJson('[{"endpoint":"chat","rps":12,"p95_ms":140}]', 'p.json')).toEqual([
      { endpoint: 'chat', level: 'observed', rps: 12, p95Ms: 140 },
    ]);
    const prom = {
      status: 'success',
      data: {
        resultType: 'matrix',
        result: [
          {
            metric: { handler: '/v1/chat' },
            values: [
              [1000, '12'],
              [1060, '14'],
            ],
          },
          {
            metric: { handler: '/v1/chat', quantile: '0.95' },
            values: [
              [1000, '0.14'],
              [1060, '0.16'],
            ],
          },
          {
            metric: { handler: '/v1/chat', quantile: '0.99' },
            values: [
              [1000, '0.21'],
              [1060, 'NaN'],
            ],
          },
          { metric: { handler: '/v1/chat', quantile: '0.5' }, values: [[1000, '0.05']] },
        ],
      },
    };
    const rows = parseProductionJson(JSON.stringify(prom), 'prom.json');
    expect(rows).toEqual([
      { endpoint: '/v1/chat', level: 'observed', at: 1000, rps: 12, p95Ms: 140, p99Ms: 210 },
      { endpoint: '/v1/chat', level: 'observed', at: 1060, rps: 14, p95Ms: 160 },
    ]);
    expect(parsePrometheus(prom, 'prom.json', { unit: 'ms' })[0]?.p95Ms).toBe(0.14);
  });

  it('names what is wrong with a bad file', () => {
    expect(() => parseProductionCsv('endpoint,p95_ms\nchat,100\n', 'prod.csv')).toThrow(
      /prod\.csv: no requests\/s/,
    );
    expect(() => parseProductionCsv('rps,p95_ms\nfast,100\n', 'prod.csv')).toThrow(
      /prod\.csv: line 2: rps: expected a number >= 0, got "fast"/,
    );
    expect(() =>
      parseProductionJson('{"status":"success","data":{"resultType":"scalar"}}', 'q.json'),
    ).toThrow(ProductionFileError);
    expect(() => parseProductionJson('{"x":1}', 'q.json')).toThrow(/expected a list of rows/);
  });
});

describe('predictRows', () => {
  it('predicts at the summed median rate of the endpoints and gives the relative error', () => {
    const rows = predictRows(curve, [
      { endpoint: 'chat', level: 'observed', rps: 8, p95Ms: 200 },
      { endpoint: 'chat', level: 'observed', rps: 10, p95Ms: 240 },
      { endpoint: 'search', level: 'observed', rps: 6, p99Ms: 500 },
    ]);
    // chat's median rate 9 + search's 6 = 15 req/s: p95 150, p99 250.
    expect(rows).toEqual([
      {
        level: 'observed',
        endpoint: 'chat',
        quantile: 'p95',
        rps: 15,
        predicted: 150,
        observed: 220,
        error: -0.3182,
      },
      {
        level: 'observed',
        endpoint: 'search',
        quantile: 'p99',
        rps: 15,
        predicted: 250,
        observed: 500,
        error: -0.5,
      },
    ]);
  });

  it('gives no prediction outside the run, and says why', () => {
    const [row] = predictRows(curve, [{ endpoint: 'all', level: 'peak', rps: 80, p95Ms: 900 }]);
    expect(row).toMatchObject({ predicted: null, error: null });
    expect(row?.note).toContain('outside the run');
  });
});

describe('driftOf', () => {
  const e = (release: string, error: number, quantile = 'p95') => ({
    release,
    level: 'observed',
    endpoint: 'chat',
    quantile,
    error,
  });
  it('flags a series off by more than ±15% in each of the last three releases', () => {
    expect(driftOf([e('r1', 0.2), e('r2', -0.16), e('r3', 0.3)]).drifted).toBe(true);
    expect(driftOf([e('r1', 0.2), e('r2', 0.1), e('r3', 0.3)]).drifted).toBe(false);
    expect(driftOf([e('r1', 0.2), e('r2', 0.3)]).drifted).toBe(false);
    expect(
      driftOf([e('r0', 0.01), e('r1', 0.2), e('r2', 0.16), e('r3', -0.2), e('r3', 0.01, 'p99')]),
    ).toMatchObject({
      drifted: true,
      series: [
        {
          quantile: 'p95',
          drifted: true,
          releases: [{ release: 'r1' }, { release: 'r2' }, { release: 'r3' }],
        },
        { quantile: 'p99', drifted: false },
      ],
    });
  });
});
