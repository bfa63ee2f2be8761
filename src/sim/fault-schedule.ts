/**
 * @module sim/fault-schedule
 * The mock's fault schedule: which faults are active at a time since server
 * start, and what they do to one request (a pure function of time and random source).
 */
import { createSampler, type Rng, type Sampler } from '../random/index.js';
import type { MockFault } from './mock-profile.js';
import { durationToMs } from './sim-duration.js';

/** What the active faults do to one request. */
export interface FaultEffect {
  /** Answer at once with this status (outage, error_rate). */
  status?: number;
  /** The `Retry-After` header (seconds) sent with `status`, when the fault sets one. */
  retryAfterS?: number;
  /** Added before the first token (latency). */
  delayMs: number;
  /** Stop sending (stall), drop the connection (cut) or end with an error event after `afterTokens` output tokens. */
  stream?: { kind: 'stall' | 'cut' | 'error_event'; afterTokens: number };
  /** Kinds that hit this request, for counting. */
  kinds: MockFault['kind'][];
}

interface CompiledFault {
  fault: MockFault;
  from: number;
  to: number;
  delay: Sampler;
}

/** A compiled schedule: call `effect` per request. */
export interface FaultSchedule {
  /** Faults active at `elapsedMs` since server start. */
  active(elapsedMs: number): MockFault[];
  effect(elapsedMs: number, rng: Rng): FaultEffect;
}

export function createFaultSchedule(faults: readonly MockFault[]): FaultSchedule {
  const compiled: CompiledFault[] = faults.map((fault) => {
    const from = durationToMs(fault.at);
    return { fault, from, to: from + durationToMs(fault.for), delay: createSampler(fault.delay_ms) };
  });
  const live = (t: number) => compiled.filter((c) => t >= c.from && t < c.to);
  return {
    active: (t) => live(t).map((c) => c.fault),
    effect: (t, rng) => {
      const effect: FaultEffect = { delayMs: 0, kinds: [] };
      for (const c of live(t)) {
        const f = c.fault;
        // Draw for every active fault so one fault's rate does not shift another's draws.
        const hit = rng() < f.rate;
        if (!hit) continue;
        effect.kinds.push(f.kind);
        if (f.kind === 'outage' || f.kind === 'error_rate') {
          if (effect.status === undefined) {
            effect.status = f.status ?? (f.kind === 'outage' ? 503 : 500);
            if (f.retry_after !== undefined) effect.retryAfterS = durationToMs(f.retry_after) / 1000;
          }
        } else if (f.kind === 'latency') {
          effect.delayMs += c.delay(rng);
        } else {
          effect.stream ??= { kind: f.kind, afterTokens: f.after_tokens };
        }
      }
      return effect;
    },
  };
}
