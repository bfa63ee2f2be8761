/**
 * @module sim/proxy/proxy-faults
 * The proxy's fault set: rules matched by route (path glob or regex), each
 * applied with a probability. Validated with zod so a bad file or control
 * request names the field; `decideFaults` is a pure function of the path and
 * the random source.
 */
import { z } from 'zod';
import { loadYamlWith, parseWith } from '../../core/index.js';
import type { Rng } from '../../random/index.js';
import { durationToMs, SimDurationSchema } from '../sim-duration.js';
import { compileRoute } from './proxy-route.js';

const nonNegative = z.number().nonnegative();
const probability = z.number().min(0).max(1).default(1);
const route = {
  /** Path glob (`*` within a segment, `**` across): `/v1/chat/*`. Default: every path. */
  match: z.string().min(1).default('**'),
  /** A regular expression on the path instead of a glob. */
  regex: z
    .string()
    .refine(
      (r) => {
        try {
          new RegExp(r);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'expected a valid regular expression' },
    )
    .optional(),
  probability,
};
/** Where a stream fault strikes: after N body bytes, N chunks or T since the response started. */
const strike = {
  after_bytes: z.number().int().nonnegative().optional(),
  after_chunks: z.number().int().nonnegative().optional(),
  after: SimDurationSchema.optional(),
};

export const PROXY_FAULT_KINDS = [
  'latency',
  'error',
  'rate_limit',
  'reset',
  'stall',
  'cut',
  'bandwidth',
  'outage',
] as const;

/** One fault rule. */
export const ProxyFaultSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('latency'),
      ...route,
      delay_ms: nonNegative,
      jitter_ms: nonNegative.default(0),
    }),
    z.strictObject({
      kind: z.literal('error'),
      ...route,
      status: z.number().int().min(400).max(599).default(500),
    }),
    z.strictObject({ kind: z.literal('rate_limit'), ...route, retry_after: SimDurationSchema.default(1) }),
    z.strictObject({ kind: z.literal('reset'), ...route }),
    z.strictObject({ kind: z.literal('stall'), ...route, ...strike }),
    z.strictObject({ kind: z.literal('cut'), ...route, ...strike }),
    z.strictObject({ kind: z.literal('bandwidth'), ...route, bytes_per_s: z.number().positive() }),
    z.strictObject({
      kind: z.literal('outage'),
      ...route,
      status: z.number().int().min(400).max(599).default(503),
    }),
  ],
  { error: `expected "kind" to be one of ${PROXY_FAULT_KINDS.map((k) => JSON.stringify(k)).join(', ')}` },
);

/** The faults a proxy applies, as written in `--faults FILE` or posted to `/__tokenstorm/faults`. */
export const ProxyFaultSetSchema = z.strictObject({
  /** Seeds the probability draws, so a run is repeatable. */
  seed: z.number().int().default(1),
  faults: z.array(ProxyFaultSchema).default(() => []),
});

export type ProxyFault = z.infer<typeof ProxyFaultSchema>;
export type ProxyFaultSet = z.infer<typeof ProxyFaultSetSchema>;
export type ProxyFaultSetInput = z.input<typeof ProxyFaultSetSchema>;

/**
 * Validates a fault set; `source` names it in error messages.
 * @throws ConfigError naming the source, the field path and what was expected.
 */
export function parseProxyFaults(input: unknown, source = 'proxy faults'): ProxyFaultSet {
  return parseWith(ProxyFaultSetSchema, input, source);
}

/** Reads a fault set from a YAML or JSON file. @throws ConfigError */
export async function loadProxyFaults(file: string): Promise<ProxyFaultSet> {
  return loadYamlWith(ProxyFaultSetSchema, file, 'the fault file');
}

/** Where a stall or cut strikes; all unset means at the first body byte. */
export interface StreamStrike {
  kind: 'stall' | 'cut';
  afterBytes?: number | undefined;
  afterChunks?: number | undefined;
  afterMs?: number | undefined;
}

/** What the fault set does to one request. */
export interface ProxyDecision {
  /** Added before the request is forwarded. */
  delayMs: number;
  /** Answer with this status instead of forwarding (error, rate_limit, outage). */
  status?: number;
  /** `Retry-After` seconds for a rate_limit answer. */
  retryAfterS?: number;
  /** Drop the connection without an answer. */
  reset?: boolean;
  stream?: StreamStrike;
  /** Pace the response body to this many bytes per second. */
  bytesPerS?: number;
  /** Kinds that hit, for counting. */
  kinds: ProxyFault['kind'][];
}

/** A fault set ready to decide requests. */
export interface CompiledFaults {
  readonly set: ProxyFaultSet;
  decide(path: string, rng: Rng): ProxyDecision;
}

export function compileFaults(set: ProxyFaultSet): CompiledFaults {
  const rules = set.faults.map((fault) => ({ fault, matches: compileRoute(fault.match, fault.regex) }));
  return {
    set,
    decide(path, rng) {
      const d: ProxyDecision = { delayMs: 0, kinds: [] };
      for (const { fault: f, matches } of rules) {
        if (!matches(path)) continue;
        // One draw per matching rule, so adding a rule does not shift the draws of the others.
        if (rng() >= f.probability) continue;
        d.kinds.push(f.kind);
        switch (f.kind) {
          case 'latency':
            d.delayMs += f.delay_ms + (f.jitter_ms > 0 ? (rng() * 2 - 1) * f.jitter_ms : 0);
            break;
          case 'error':
          case 'outage':
            d.status ??= f.status;
            break;
          case 'rate_limit':
            if (d.status === undefined) {
              d.status = 429;
              d.retryAfterS = Math.ceil(durationToMs(f.retry_after) / 1000);
            }
            break;
          case 'reset':
            d.reset = true;
            break;
          case 'stall':
          case 'cut':
            d.stream ??= {
              kind: f.kind,
              afterBytes: f.after_bytes,
              afterChunks: f.after_chunks,
              afterMs: f.after === undefined ? undefined : durationToMs(f.after),
            };
            break;
          case 'bandwidth':
            d.bytesPerS = Math.min(d.bytesPerS ?? Number.POSITIVE_INFINITY, f.bytes_per_s);
            break;
        }
      }
      d.delayMs = Math.max(0, d.delayMs);
      return d;
    },
  };
}
