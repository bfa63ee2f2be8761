import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetryScraper, parsePrometheusText } from './telemetry.js';

describe('parsePrometheusText', () => {
  it('sums each metric over its labels and skips comments and junk', () => {
    const text = [
      '# HELP vllm:request_success_total Requests finished, by reason.',
      '# TYPE vllm:request_success_total counter',
      'vllm:request_success_total{finished_reason="stop",model_name="m"} 3',
      'vllm:request_success_total{finished_reason="length",model_name="m"} 4',
      'vllm:num_requests_waiting{model_name="m"} 2 1700000000000',
      'up 1',
      'broken{',
      'nan_metric NaN',
    ].join('\n');
    const values = parsePrometheusText(text);
    expect(values.get('vllm:request_success_total')).toBe(7);
    expect(values.get('vllm:num_requests_waiting')).toBe(2);
    expect(values.get('up')).toBe(1);
    expect(values.has('broken')).toBe(false);
    expect(values.has('nan_metric')).toBe(false);
  });
});

describe('createTelemetryScraper', () => {
  let waiting = 0;
  let url = '';
  const server = createServer((req, res) => {
    if (req.url === '/fail') {
      res.writeHead(500).end();
      return;
    }
    waiting += 1;
    res.end(`vllm:num_requests_waiting{model_name="m"} ${waiting}\nvllm:gpu_cache_usage_perc 0.5\n`);
  });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('scrapes named targets on the given clock, names series by target, and counts failed scrapes', async () => {
    let t = 0;
    const scraper = createTelemetryScraper({
      targets: { A: `${url}/metrics`, B: `${url}/fail` },
      intervalMs: 50,
      metrics: ['vllm:num_requests_waiting', 'vllm:gpu_cache_usage_perc', 'absent_metric'],
      now: () => {
        t += 0.05;
        return t;
      },
    });
    scraper.start();
    await new Promise((r) => setTimeout(r, 180));
    const series = await scraper.stop();
    expect(series.map((s) => s.name)).toEqual(['A vllm:num_requests_waiting', 'A vllm:gpu_cache_usage_perc']);
    const points = series[0]?.points ?? [];
    expect(points.length).toBeGreaterThanOrEqual(3);
    expect(points.length).toBeLessThanOrEqual(6);
    // Values in order, times from the clock given.
    expect(points.map((p) => p[1])).toEqual(points.map((_, i) => i + 1));
    expect(points.every(([s], i) => i === 0 || s > (points[i - 1] as [number, number])[0])).toBe(true);
    expect(series[1]).toMatchObject({ unit: 'fraction' });
    expect(scraper.failures().B).toBe(points.length);
    // Stopping again takes no further scrape.
    expect(await scraper.stop()).toBe(series);
  });
});
