/**
 * @module engine/telemetry-run
 * The coordinator's side of `telemetry:`: resolves the scrape targets (`mock`
 * is the embedded mock's `/metrics`) and builds the scraper on the run clock.
 */
import { performance } from 'node:perf_hooks';
import type { Test } from '../config/index.js';
import { createTelemetryScraper, type TelemetryScraper } from '../metrics/index.js';

/** The scraper the test asks for, or undefined; `origin()` is the run clock's 0 (epoch ms). */
export function telemetryFor(
  test: Pick<Test, 'telemetry'>,
  mockUrl: string | undefined,
  origin: () => number,
): TelemetryScraper | undefined {
  const config = test.telemetry;
  if (config === undefined) return undefined;
  const resolve = (target: string): string => {
    if (target !== 'mock') return target;
    if (mockUrl === undefined) throw new Error('telemetry.prometheus: "mock" needs target: mock');
    return `${mockUrl}/metrics`;
  };
  const targets: Record<string, string> =
    typeof config.prometheus === 'string'
      ? { '': resolve(config.prometheus) }
      : Object.fromEntries(Object.entries(config.prometheus).map(([name, t]) => [name, resolve(t)]));
  return createTelemetryScraper({
    targets,
    intervalMs: config.interval,
    metrics: config.metrics,
    now: () => (performance.timeOrigin + performance.now() - origin()) / 1000,
  });
}
