/**
 * @module metrics/telemetry
 * Target telemetry: scrapes Prometheus `/metrics` endpoints (the mock's, or a
 * real vLLM's, which uses the same names) at an interval during the run and
 * keeps each wanted metric, summed over its labels, as `[seconds, value]`.
 */
import { undici } from '../core/index.js';

/** The vLLM metrics kept when the test names none: queue, batch, KV cache, outcomes. */
export const DEFAULT_TELEMETRY_METRICS: readonly string[] = [
  'vllm:num_requests_running',
  'vllm:num_requests_waiting',
  'vllm:gpu_cache_usage_perc',
  'vllm:num_preemptions_total',
  'vllm:request_success_total',
  'tokenstorm:requests_aborted_total',
];

/** One scraped metric: `points` are `[seconds from the start, value]`. */
export interface TelemetrySeries {
  name: string;
  unit?: string;
  points: [number, number][];
}

/**
 * Sums each metric of a Prometheus text exposition over its labels.
 * Comments, blank lines and unparsable values are skipped.
 */
export function parsePrometheusText(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const space = line.indexOf(' ');
    let name: string;
    let rest: string;
    if (brace !== -1 && (space === -1 || brace < space)) {
      const close = line.indexOf('}', brace);
      if (close === -1) continue;
      name = line.slice(0, brace);
      rest = line.slice(close + 1).trim();
    } else {
      if (space === -1) continue;
      name = line.slice(0, space);
      rest = line.slice(space + 1).trim();
    }
    const value = Number(rest.split(/\s+/)[0]);
    if (!Number.isFinite(value)) continue;
    out.set(name, (out.get(name) ?? 0) + value);
  }
  return out;
}

export interface TelemetryOptions {
  /** `/metrics` URLs by target name; one unnamed target (`''`) gives bare metric names. */
  targets: Record<string, string>;
  intervalMs: number;
  metrics?: readonly string[] | undefined;
  /** Seconds on the run clock, for the points' times. */
  now: () => number;
}

export interface TelemetryScraper {
  /** Scrapes once at once, then every interval. */
  start(): void;
  /** Stops, takes a last scrape if it started, and returns the series (empty ones left out); once. */
  stop(): Promise<TelemetrySeries[]>;
  /** Scrapes that failed (unreachable target, bad status), by target. */
  failures(): Record<string, number>;
}

/** The series name of a metric of a target: `A vllm:num_requests_waiting`, or the bare name. */
export function telemetrySeriesName(target: string, metric: string): string {
  return target === '' ? metric : `${target} ${metric}`;
}

/** vLLM's `_perc` gauges are fractions (0 to 1); the rest are counts. */
const unitOf = (metric: string): string => (metric.endsWith('_perc') ? 'fraction' : 'count');

/** A scraper over the given targets; a failed scrape is counted, never thrown. */
export function createTelemetryScraper(options: TelemetryOptions): TelemetryScraper {
  const wanted = options.metrics ?? DEFAULT_TELEMETRY_METRICS;
  const series = new Map<string, TelemetrySeries>();
  const failed: Record<string, number> = {};
  for (const target of Object.keys(options.targets)) {
    for (const metric of wanted) {
      const name = telemetrySeriesName(target, metric);
      series.set(name, { name, unit: unitOf(metric), points: [] });
    }
  }
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  let stopped: Promise<TelemetrySeries[]> | undefined;

  const scrapeOne = async (target: string, url: string): Promise<void> => {
    try {
      const res = await undici().request(url, {
        headersTimeout: options.intervalMs * 4,
        bodyTimeout: options.intervalMs * 4,
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
      const at = Math.round(options.now() * 1000) / 1000;
      const values = parsePrometheusText(text);
      for (const metric of wanted) {
        const value = values.get(metric);
        if (value !== undefined) series.get(telemetrySeriesName(target, metric))?.points.push([at, value]);
      }
    } catch {
      failed[target] = (failed[target] ?? 0) + 1;
    }
  };
  // Scrapes never overlap: a slow target delays the next tick rather than piling requests up.
  const scrapeAll = (): Promise<void> => {
    inFlight = inFlight.then(() =>
      Promise.all(Object.entries(options.targets).map(([t, url]) => scrapeOne(t, url))).then(() => undefined),
    );
    return inFlight;
  };

  return {
    start() {
      void scrapeAll();
      timer = setInterval(() => void scrapeAll(), options.intervalMs);
      timer.unref();
    },
    stop() {
      stopped ??= (async () => {
        if (timer !== undefined) clearInterval(timer);
        if (timer !== undefined) await scrapeAll();
        return [...series.values()].filter((s) => s.points.length > 0);
      })();
      return stopped;
    },
    failures: () => ({ ...failed }),
  };
}
