/**
 * @module report/html/sections
 * Optional summary sections written by other parts of tokenstorm (load
 * stages, injected events, the capacity sweep, target telemetry). The report
 * reads them leniently: a section that is absent or of another shape is left
 * out of the page, never a crash. Times are seconds from the run's start.
 */
import { z } from 'zod';

const seconds = z.number().finite();

/** `{ name, start, end }` (or `start_s`/`end_s`), plus per-stage counts/metrics/rates when known. */
const StageSchema = z
  .object({
    name: z.string(),
    start: seconds.optional(),
    start_s: seconds.optional(),
    end: seconds.optional(),
    end_s: seconds.optional(),
    target: z.number().optional(),
    warmup: z.boolean().optional(),
    counts: z.record(z.string(), z.unknown()).optional(),
    metrics: z.record(z.string(), z.unknown()).optional(),
    rates: z.record(z.string(), z.unknown()).optional(),
    flow: z
      .object({
        offered_per_s: z.number(),
        sent_per_s: z.number(),
        completed_per_s: z.number(),
        ok_per_s: z.number(),
        goodput_per_s: z.number(),
      })
      .optional(),
  })
  .transform((s) => ({
    flow: s.flow,
    name: s.name,
    start: s.start ?? s.start_s ?? 0,
    end: s.end ?? s.end_s ?? s.start ?? s.start_s ?? 0,
    target: s.target,
    warmup: s.warmup,
    counts: s.counts,
    metrics: s.metrics,
    rates: s.rates,
  }));
export type StageSpan = z.infer<typeof StageSchema>;

/** `{ at, label }` (or `at_s`, `name`, `kind`/`fault`), optionally lasting `for_s`. */
const EventSchema = z
  .object({
    at: seconds.optional(),
    at_s: seconds.optional(),
    label: z.string().optional(),
    name: z.string().optional(),
    kind: z.string().optional(),
    fault: z.string().optional(),
    for_s: seconds.optional(),
  })
  .refine((e) => e.at !== undefined || e.at_s !== undefined, { message: 'expected at (seconds)' })
  .transform((e) => ({
    at: e.at ?? e.at_s ?? 0,
    label: e.label ?? e.name ?? e.fault ?? e.kind ?? 'event',
    for_s: e.for_s,
  }));
export type EventMark = z.infer<typeof EventSchema>;

const LatencyPoint = z
  .object({ p50: z.number(), p90: z.number(), p95: z.number(), p99: z.number() })
  .partial();
export type SweepLatency = z.infer<typeof LatencyPoint>;

const SweepPointSchema = z
  .object({
    offered: z.number().optional(),
    rate: z.number().optional(),
    offered_rate: z.number().optional(),
    offered_per_s: z.number().optional(),
    sent_per_s: z.number().optional(),
    throughput_per_s: z.number().optional(),
    ok_per_s: z.number().optional(),
    goodput_per_s: z.number().optional(),
    error_rate: z.number().optional(),
    ttft_ms: LatencyPoint.optional(),
    e2e_ms: LatencyPoint.optional(),
    tpot_ms: LatencyPoint.optional(),
  })
  .transform((p) => ({
    offered: p.offered ?? p.offered_rate ?? p.rate ?? Number.NaN,
    offeredPerS: p.offered_per_s,
    sentPerS: p.sent_per_s,
    throughput: p.throughput_per_s,
    okPerS: p.ok_per_s,
    goodput: p.goodput_per_s,
    errorRate: p.error_rate,
    ttft: p.ttft_ms,
    e2e: p.e2e_ms,
    tpot: p.tpot_ms,
  }))
  .refine((p) => Number.isFinite(p.offered), { message: 'expected offered (load of the step)' });

/** A rate, or `{ rate }`/`{ offered }` naming one. */
const RateMark = z
  .union([z.number(), z.object({ rate: z.number() }), z.object({ offered: z.number() })])
  .transform((m) => (typeof m === 'number' ? m : 'rate' in m ? m.rate : m.offered));

const SweepSchema = z
  .object({
    points: z.array(SweepPointSchema).optional(),
    curve: z.array(SweepPointSchema).optional(),
    knee: RateMark.nullable().optional(),
    capacity: RateMark.nullable().optional(),
    unit: z.string().optional(),
    degradedFirst: z.string().nullable().optional(),
    saturationThroughput: z.number().nullable().optional(),
  })
  .transform((s) => ({
    points: [...(s.points ?? s.curve ?? [])].sort((a, b) => a.offered - b.offered),
    knee: s.knee ?? undefined,
    capacity: s.capacity ?? undefined,
    saturationThroughput: s.saturationThroughput ?? undefined,
    unit: s.unit ?? 'req/s',
    degradedFirst: s.degradedFirst ?? undefined,
  }));
export type SweepCurve = z.infer<typeof SweepSchema>;

const TelemetrySeriesSchema = z.object({
  name: z.string(),
  unit: z.string().optional(),
  /** `[seconds, value]` pairs. */
  points: z.array(z.tuple([seconds, z.number()])),
});
export type TelemetrySeries = z.infer<typeof TelemetrySeriesSchema>;

/** An array of series, or `{ series: [...] }`. */
const TelemetrySchema = z
  .union([z.array(TelemetrySeriesSchema), z.object({ series: z.array(TelemetrySeriesSchema) })])
  .transform((t) => (Array.isArray(t) ? t : t.series));

/** The planned load per second (`value` holds in `[start_s, start_s + 1)`): arrivals/s or VUs. */
const PlanSchema = z.object({
  unit: z.enum(['iterations_per_s', 'vus']),
  series: z.array(z.object({ start_s: seconds, value: z.number() })),
});
export type OfferedPlan = z.infer<typeof PlanSchema>;

/** The optional sections the report draws, each undefined when absent or unreadable. */
export interface ReportSections {
  plan: OfferedPlan | undefined;
  stages: StageSpan[];
  events: EventMark[];
  sweep: SweepCurve | undefined;
  telemetry: TelemetrySeries[];
}

/** Reads the optional sections of a summary document. */
export function readSections(summary: object): ReportSections {
  const doc = summary as Record<string, unknown>;
  const stages = z.array(StageSchema).safeParse(doc.stages);
  const events = z.array(EventSchema).safeParse(doc.events);
  const sweep = SweepSchema.safeParse(doc.sweep);
  const telemetry = TelemetrySchema.safeParse(doc.telemetry);
  const plan = PlanSchema.safeParse(doc.plan);
  return {
    plan: plan.success && plan.data.series.length > 0 ? plan.data : undefined,
    stages: stages.success ? stages.data : [],
    events: events.success ? events.data.sort((a, b) => a.at - b.at) : [],
    sweep: sweep.success && sweep.data.points.length > 0 ? sweep.data : undefined,
    telemetry: telemetry.success ? telemetry.data.filter((t) => t.points.length > 0) : [],
  };
}
