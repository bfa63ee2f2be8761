/**
 * @module config/schema
 * The one source of a test's shape: YAML files and `defineTest()` are both
 * validated by `TestSchema`; TypeScript types and the editor JSON Schema are
 * derived from it. It composes schemas owned by their features: each step
 * kind's (protocols/steps/), each executor's (load/executors.ts) and the
 * scenario's (workload/schema.ts).
 */
import { z } from 'zod';
import {
  COMPARE_FIGURE_HELP,
  isCompareFigure,
  parseThreshold,
  parseThresholdMetric,
} from '../analysis/index.js';
import { durationMs } from '../core/index.js';
import { LoadSchema } from '../load/index.js';
import { SloSchema } from '../metrics/index.js';
import {
  chatStep,
  completionStep,
  HeadersSchema,
  httpStep,
  StepSchema,
  stepSchemaOf,
} from '../protocols/index.js';
import { redirectCount } from '../protocols/steps/fields.js';
// The profile's schema alone: the sim/ barrel would load the whole mock into every thread that parses a test.
import { MockProfileSchema } from '../sim/mock-profile.js';
import { checkTemplateNames, ScenarioSchema } from '../workload/index.js';
import { BudgetSchema, PlanSchema, PricingSchema } from './cost-schema.js';
import { NotifySchema } from './notify-schema.js';
import { QualityTestSchema } from './quality-schema.js';
import { checkThresholdSelectors } from './threshold-selectors.js';
import {
  checkTimeline,
  EventsSchema,
  ProxiesSchema,
  RecoverySchema,
  TelemetrySchema,
} from './timeline-schema.js';

/**
 * Owned by protocols/: one schema per step kind of its list (protocols/steps/index.ts), each
 * beside the code that sends it; a step is `{ <kind>: <body> }`.
 */
export const ChatStepSchema = stepSchemaOf(chatStep);
export const CompletionStepSchema = stepSchemaOf(completionStep);
export const HttpStepSchema = stepSchemaOf(httpStep);
export { StepSchema };

/** Scenario names label records, reports and thresholds, so each is used once; the mix needs a positive weight. */
function checkScenarios(scenarios: readonly { name: string; weight: number }[], ctx: z.RefinementCtx): void {
  const first = new Map<string, number>();
  scenarios.forEach((scenario, i) => {
    const seen = first.get(scenario.name);
    if (seen === undefined) first.set(scenario.name, i);
    else {
      ctx.addIssue({
        code: 'custom',
        path: [i, 'name'],
        input: scenario.name,
        message: `duplicate scenario name "${scenario.name}" (scenarios[${seen}] has it); expected a unique name`,
      });
    }
  });
  if (scenarios.length > 0 && scenarios.every((s) => s.weight === 0)) {
    ctx.addIssue({
      code: 'custom',
      path: scenarios.length === 1 ? [0, 'weight'] : [],
      input: undefined,
      message: 'every scenario has weight 0; expected at least one weight above 0',
    });
  }
}

const ThresholdEntry = z.union([
  z.string(),
  z
    .strictObject({
      threshold: z.string(),
      blocking: z.boolean().default(true),
      /** k6's: evaluated during the run; a failure stops it cleanly (exit 98). */
      abortOnFail: z.boolean().optional(),
      /** k6's: how long after the start before `abortOnFail` is evaluated (samples accumulate first). */
      delayAbortEval: durationMs({ allowZero: true }).optional(),
    })
    .refine((e) => e.delayAbortEval === undefined || e.abortOnFail === true, {
      message: 'delayAbortEval applies with abortOnFail: true only',
      path: ['delayAbortEval'],
    }),
]);

/** `metric[{scenario:NAME}]: [expressions]`; each checked against its metric at load time. */
export const ThresholdsSchema = z
  .record(z.string(), z.array(ThresholdEntry))
  .superRefine((thresholds, ctx) => {
    for (const [metric, entries] of Object.entries(thresholds)) {
      try {
        parseThresholdMetric(metric);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message, path: [metric], input: metric });
        continue;
      }
      entries.forEach((entry, i) => {
        const expr = typeof entry === 'string' ? entry : entry.threshold;
        try {
          parseThreshold(metric, expr);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message, path: [metric, i], input: expr });
        }
      });
    }
  });

const figure = (extra: string[] = []) =>
  z.string().refine((name) => extra.includes(name) || isCompareFigure(name), {
    error: `expected ${extra.length > 0 ? `${extra.map((e) => `"${e}"`).join(', ')} or ` : ''}${COMPARE_FIGURE_HELP}`,
  });

/** `compare:`: at the end of `tokenstorm run`, the run is compared with a baseline from the run history (docs/compare.md). */
export const CompareSchema = z
  .strictObject({
    baseline: z
      .string()
      .min(1, { error: 'expected "rolling" or the name of a baseline (tokenstorm baseline set NAME RUN)' })
      .describe(
        '"rolling": the last passing runs of this test, target and tags in the run history (no verdict until there are 5); or the name given to a run by `tokenstorm baseline set NAME RUN`.',
      ),
    fail_on: z
      .array(figure(['regression']))
      .default([])
      .describe(
        'Figures whose regression fails the run (exit 99), e.g. [ttft_ms.p99, error_rate]; "regression": any figure. Names as `tokenstorm compare --band` takes them. Empty: the verdict is advisory.',
      ),
    bands: z
      .record(figure(), z.number().nonnegative())
      .optional()
      .describe(
        'Practical-significance bands, as `tokenstorm compare --band`: relative for latencies and tokens/s (p99: 0.2 is 20%), points for error_rate (0.01) and goodput_pct.',
      ),
  })
  .describe(
    'Compare the finished run with a baseline from the run history: console verdict, summary.json "compare", exit 99 when a fail_on figure regressed.',
  );

/** A tag's key (`--tag KEY=VALUE`, `tags:`): a word, dots and dashes allowed after its first letter. */
export const TAG_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const TAG_KEY_ERROR = 'expected a tag name: a letter or _, then letters, digits, _, . or -';

export const TestSchema = z
  .strictObject({
    $schema: z.string().optional(),
    name: z.string().min(1).default('test'),
    /** Labels of the run in the run history, e.g. `profile: weekday`; rolling baselines compare runs with equal tags. */
    tags: z.record(z.string().regex(TAG_KEY, { error: TAG_KEY_ERROR }), z.string()).optional(),
    /** `mock` (the embedded mock server) or the API base URL, e.g. `http://127.0.0.1:8000/v1`. */
    target: z
      .union([z.literal('mock'), z.url({ protocol: /^https?$/, error: 'expected "mock" or an http(s) URL' })])
      .default('mock'),
    /** Profile of the embedded mock server (used when target is `mock`). */
    mock: MockProfileSchema.optional(),
    /** Headers sent with every request, e.g. `Authorization: Bearer ${OPENAI_API_KEY}`. */
    headers: HeadersSchema.default({}),
    /** Per-request timeout. */
    timeout: durationMs().default(60_000),
    /** Redirects a request follows (k6's default, 10); 0 records a redirect as `http_3xx`. */
    max_redirects: redirectCount().default(10),
    /** Seed for every random choice, so a run can be reproduced. */
    seed: z.number().int().default(1),
    /** What one response may hold in memory (docs/limits.md): past a limit it ends as an error. */
    limits: z
      .strictObject({
        /** Most bytes of a response body (a stream's output text: half as many characters); over it, `truncated`. */
        max_body_bytes: z
          .number()
          .int()
          .positive()
          .default(16 * 1024 * 1024),
        /** Most characters of one SSE line or event; over it, `stream_error`. */
        max_sse_event_bytes: z
          .number()
          .int()
          .positive()
          .default(8 * 1024 * 1024),
      })
      .prefault({}),
    scenarios: z
      .array(ScenarioSchema)
      .min(1, { error: 'expected at least one scenario' })
      .superRefine(checkScenarios),
    load: LoadSchema,
    /** Per-request SLOs: a request is good (goodput) when it completed and met every one. */
    slo: SloSchema.optional(),
    thresholds: ThresholdsSchema.default({}),
    /** Fault proxies, by name: started by the run (`upstream`) or running (`control`). */
    proxies: ProxiesSchema.optional(),
    /** Faults switched on and off at given times, and markers; recovery is measured after each. */
    events: EventsSchema.optional(),
    /** Prometheus metrics of the target scraped during the run. */
    telemetry: TelemetrySchema.optional(),
    /** When a window counts as recovered after an event. */
    recovery: RecoverySchema.optional(),
    /** Webhooks told about failed thresholds, regressions and anomalies when the run ends (docs/notify.md). */
    notify: NotifySchema.optional(),
    /** How answer quality is judged, and the after-run scorers (docs/quality.md). */
    quality: QualityTestSchema.optional(),
    /** Judge the run against a baseline from the run history at its end. */
    compare: CompareSchema.optional(),
    /** Prices by model, USD per million tokens, over the table shipped with tokenstorm (docs/cost.md). */
    pricing: PricingSchema.optional(),
    /** Caps that stop the run before they are crossed, requests in flight counted (exit 98). */
    budget: BudgetSchema.optional(),
    /** Capacity planning: replicas and cost for a target load, from a sweep's capacity or the run's goodput. */
    plan: PlanSchema.optional(),
    /** A response header naming the model that answered (a gateway's upstream), e.g. `x-upstream-model`. */
    model_header: z
      .string()
      .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, { error: 'expected an HTTP header name' })
      .optional(),
    /** Replaces the model of every model step (what `--model` sets). */
    model_override: z.string().min(1).optional(),
    /** Runs only this fraction of iterations, chosen by the seed (what `--sample` sets). */
    sample: z
      .number({ error: 'expected sample: a fraction, 0 < sample <= 1' })
      .gt(0, { error: 'expected sample: a fraction, 0 < sample <= 1' })
      .max(1, { error: 'expected sample: a fraction, 0 < sample <= 1' })
      .optional(),
  })
  .superRefine(checkTimeline)
  .superRefine(checkThresholdSelectors)
  .superRefine(checkTemplateNames);

/** What a user writes (YAML or `defineTest`): optional fields may be left out. */
export type TestInput = z.input<typeof TestSchema>;
/** A validated test with defaults applied and durations in milliseconds. */
export type Test = z.output<typeof TestSchema>;
export type Scenario = Test['scenarios'][number];
export type Step = NonNullable<Scenario['steps']>[number];
export type ChatStep = z.output<typeof ChatStepSchema>['chat'];
export type CompletionStep = z.output<typeof CompletionStepSchema>['completion'];
export type HttpStep = z.output<typeof HttpStepSchema>['http'];
export type ChatStepInput = z.input<typeof ChatStepSchema>['chat'];
export type CompletionStepInput = z.input<typeof CompletionStepSchema>['completion'];
export type HttpStepInput = z.input<typeof HttpStepSchema>['http'];
export type Load = Test['load'];
export type ThresholdEntry = z.output<typeof ThresholdEntry>;

/** JSON Schema of the test file, for YAML editors (`# yaml-language-server: $schema=…`). */
export function testJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(TestSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
