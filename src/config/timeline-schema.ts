/**
 * @module config/timeline-schema
 * The test's timeline: fault proxies (started by the run or already running),
 * events that switch their faults on and off at given times, target telemetry
 * scraped during the run, and how recovery after an event is judged.
 */
import { z } from 'zod';
import { durationMs } from '../core/index.js';
import { ProxyFaultSchema, ProxyFaultSetSchema } from '../sim/proxy/proxy-faults.js';

const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const NAME_ERROR = 'expected a name of letters, digits, "-" or "_", starting with a letter';
const httpUrl = (what: string) => z.url({ protocol: /^https?$/, error: `expected ${what} (an http(s) URL)` });

/** Fault kinds that need no parameter, usable by name: `fault: outage`. */
const NAMED_FAULTS = ['outage', 'error', 'rate_limit', 'reset', 'stall', 'cut'] as const;

/** A proxy the run starts (`upstream`) or one already running (`control`). */
export const ProxyRefSchema = z.union(
  [
    z.strictObject({
      /** Where the proxy forwards, e.g. `http://127.0.0.1:8000`. */
      upstream: httpUrl('the upstream URL'),
      /** Port to listen on (127.0.0.1); a free one when absent. */
      port: z.number().int().min(0).max(65535).optional(),
      /** Faults active from the start. */
      faults: ProxyFaultSetSchema.optional(),
    }),
    z.strictObject({
      /** URL of a running `tokenstorm proxy` (its control API is under it). */
      control: httpUrl('the proxy URL'),
    }),
  ],
  {
    error:
      'expected { upstream: URL, port?: N } (a proxy this run starts) or { control: URL } (a running proxy)',
  },
);

/** `outage` (a kind by name), one fault rule, or a list of them. */
export const EventFaultSchema = z.union(
  [
    z.enum(NAMED_FAULTS, {
      error: `expected a fault kind (${NAMED_FAULTS.join(', ')}), a fault rule { kind: … } or a list of rules`,
    }),
    ProxyFaultSchema,
    z.array(ProxyFaultSchema).min(1, { error: 'expected at least one fault rule' }),
  ],
  {
    error: `expected a fault kind (${NAMED_FAULTS.join(', ')}), a fault rule { kind: … } or a list of rules`,
  },
);

/** Measure failover between two scraped telemetry targets (`telemetry.prometheus` names). */
const FailoverSchema = z.strictObject({
  /** The target that fails (served before the event). */
  from: z.string().regex(NAME, { error: NAME_ERROR }),
  /** The target that takes over. */
  to: z.string().regex(NAME, { error: NAME_ERROR }),
  /** A counter of served requests on each target. */
  metric: z.string().default('vllm:request_success_total'),
});

export const TimelineEventSchema = z
  .strictObject({
    /** When it starts, from the start of the run. */
    at: durationMs({ allowZero: true }),
    /** How long it lasts; the proxy's previous faults come back after it. Absent: until the end. */
    for: durationMs().optional(),
    /** A name in `proxies`. Without proxy and fault the event is a marker (e.g. "load drops"). */
    proxy: z.string().optional(),
    fault: EventFaultSchema.optional(),
    /** Shown in the report; the fault kinds when absent. */
    label: z.string().min(1).optional(),
    failover: FailoverSchema.optional(),
  })
  .refine((e) => (e.proxy === undefined) === (e.fault === undefined), {
    message: 'expected both "proxy" and "fault" (a fault event) or neither (a marker)',
    path: ['fault'],
  });

export const ProxiesSchema = z.record(z.string().regex(NAME, { error: NAME_ERROR }), ProxyRefSchema);
export const EventsSchema = z.array(TimelineEventSchema);

/** `mock` (the embedded mock) or a `/metrics` URL, or several named. */
const ScrapeTarget = z.union([z.literal('mock'), httpUrl('"mock" or a Prometheus /metrics URL')]);

export const TelemetrySchema = z.strictObject({
  prometheus: z.union([ScrapeTarget, z.record(z.string().regex(NAME, { error: NAME_ERROR }), ScrapeTarget)], {
    error: 'expected "mock", a /metrics URL, or { name: URL, … }',
  }),
  /** Time between scrapes. */
  interval: durationMs()
    .default(1000)
    .refine((ms) => ms >= 50, { message: 'expected an interval of at least 50ms' }),
  /** Metric names kept (summed over their labels); the vLLM set when absent. */
  metrics: z.array(z.string().min(1)).min(1).optional(),
});

/** When a window counts as recovered after an event. */
export const RecoverySchema = z.strictObject({
  /** Errors ÷ requests of a window at most this. */
  max_error_rate: z.number().min(0).max(1).default(0.01),
  /** p95 E2E and TTFT at most this many times their pre-event value. */
  band: z.number().min(1, { error: 'expected a factor of at least 1' }).default(1.5),
});

export type ProxyRef = z.output<typeof ProxyRefSchema>;
export type TimelineEvent = z.output<typeof TimelineEventSchema>;
export type TelemetryConfig = z.output<typeof TelemetrySchema>;
export type RecoveryConfig = z.output<typeof RecoverySchema>;

/** Cross-field checks: every event's proxy and failover targets exist. */
export function checkTimeline(
  test: {
    target: string;
    proxies?: Record<string, unknown> | undefined;
    events?: TimelineEvent[] | undefined;
    telemetry?: TelemetryConfig | undefined;
  },
  ctx: z.RefinementCtx,
): void {
  const prom = test.telemetry?.prometheus;
  const scrapesMock = prom === 'mock' || (typeof prom === 'object' && Object.values(prom).includes('mock'));
  if (scrapesMock && test.target !== 'mock') {
    ctx.addIssue({
      code: 'custom',
      path: ['telemetry', 'prometheus'],
      input: prom,
      message: '"mock" scrapes the embedded mock, which runs only with target: mock; give a /metrics URL',
    });
  }
  const proxies = Object.keys(test.proxies ?? {});
  const prometheus = test.telemetry?.prometheus;
  const targets = typeof prometheus === 'object' ? Object.keys(prometheus) : [];
  test.events?.forEach((event, i) => {
    if (event.proxy !== undefined && !proxies.includes(event.proxy)) {
      ctx.addIssue({
        code: 'custom',
        path: ['events', i, 'proxy'],
        input: event.proxy,
        message: `expected one of the names in "proxies" (${proxies.join(', ') || 'none defined'})`,
      });
    }
    if (event.failover === undefined) return;
    for (const end of ['from', 'to'] as const) {
      if (targets.includes(event.failover[end])) continue;
      ctx.addIssue({
        code: 'custom',
        path: ['events', i, 'failover', end],
        input: event.failover[end],
        message: `expected a name in telemetry.prometheus (${targets.join(', ') || 'none: give it { name: URL, … }'})`,
      });
    }
  });
}
