import { afterEach, describe, expect, it } from 'vitest';
import { type FixtureServer, startFixtureServer } from '../../test/support/fixture-server.js';
import { runWorkload, workloadFor } from '../../test/support/run-workload.js';
import { DistributionSchema } from './index.js';
import { ThinkTime } from './think-time.js';

/** Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7). */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-x * x);
  return x >= 0 ? y : -y;
}
const phi = (z: number) => 0.5 * (1 + erf(z / Math.SQRT2));

/** Kolmogorov–Smirnov statistic of a sample against a CDF. */
function ks(sample: number[], cdf: (x: number) => number): number {
  const xs = [...sample].sort((a, b) => a - b);
  let d = 0;
  xs.forEach((x, i) => {
    const f = cdf(x);
    d = Math.max(d, Math.abs(f - i / xs.length), Math.abs((i + 1) / xs.length - f));
  });
  return d;
}

function moments(xs: number[]) {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, sd: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length) };
}

const N = 10_000;
// KS critical value at α = 0.001 for n = 10,000.
const KS_CRITICAL = 1.95 / Math.sqrt(N);

describe('think time distributions (10,000 draws each)', () => {
  const cases: [string, unknown, (x: number) => number, number, number][] = [
    [
      'uniform',
      { dist: 'uniform', min: 1000, max: 3000 },
      (x) => Math.min(1, Math.max(0, (x - 1000) / 2000)),
      2000,
      2000 / Math.sqrt(12),
    ],
    // Truncated at 0: P(x < 0) is 0.2% here, folded into a point mass at 0 that the CDF includes.
    [
      'normal',
      { dist: 'normal', mean: 2300, stddev: 800 },
      (x) => (x < 0 ? 0 : phi((x - 2300) / 800)),
      2300,
      800,
    ],
    [
      'lognormal',
      { dist: 'lognormal', median: 300, sigma: 0.5 },
      (x) => (x <= 0 ? 0 : phi(Math.log(x / 300) / 0.5)),
      300 * Math.exp(0.125),
      300 * Math.exp(0.125) * Math.sqrt(Math.exp(0.25) - 1),
    ],
    [
      'exponential',
      { dist: 'exponential', mean: 1000 },
      (x) => (x < 0 ? 0 : 1 - Math.exp(-x / 1000)),
      1000,
      1000,
    ],
  ];
  it.each(cases)('%s matches its CDF (KS) and its mean and σ within 5%%', (_name, dist, cdf, mean, sd) => {
    const think = new ThinkTime(DistributionSchema.parse(dist), 42, 3);
    const xs = Array.from({ length: N }, () => think.next());
    expect(ks(xs, cdf)).toBeLessThan(KS_CRITICAL);
    const m = moments(xs);
    expect(Math.abs(m.mean - mean) / mean).toBeLessThan(0.05);
    expect(Math.abs(m.sd - sd) / sd).toBeLessThan(0.05);
  });

  it('a constant is constant, and each VU has its own reproducible stream', () => {
    const c = new ThinkTime(1500, 1, 0);
    expect(new Set(Array.from({ length: 100 }, () => c.next()))).toEqual(new Set([1500]));
    const draw = (vu: number) => {
      const t = new ThinkTime({ dist: 'exponential', mean: 100 }, 9, vu);
      return Array.from({ length: 5 }, () => t.next());
    };
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
  });
});

describe('think time in a scenario', () => {
  let server: FixtureServer | undefined;
  afterEach(async () => {
    await server?.close();
  });

  it('pauses between steps for the drawn time', async () => {
    server = await startFixtureServer((_req, res) => res.end('ok'));
    const workload = workloadFor(
      {
        scenarios: [
          {
            name: 's',
            think_time: 150,
            steps: [{ http: { url: '/a' } }, { http: { url: '/b' } }, { http: { url: '/c' } }],
          },
        ],
      },
      server.url,
    );
    const records = await runWorkload(workload, { iterations: 1 });
    expect(records).toHaveLength(3);
    for (let i = 1; i < 3; i++) {
      const gap = (records[i]?.sent as number) - (records[i - 1]?.end as number);
      expect(gap).toBeGreaterThanOrEqual(149);
      expect(gap).toBeLessThan(400);
      // The step after a pause is wanted when the pause ends: reading time is not scheduling lag.
      expect(records[i]?.schedulingLagMs).toBeLessThan(50);
    }
  });
});
