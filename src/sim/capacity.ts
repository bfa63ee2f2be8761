/**
 * @module sim/capacity
 * The theoretical capacity of a mock profile: the arrival rate above which its
 * waiting queue grows without bound (docs/mock-server.md derives it).
 */
import type { MockProfile } from './mock-profile.js';

/** The request shape the capacity is computed for. */
export interface CapacityWorkload {
  /** Prompt tokens per request (the server's count). */
  promptTokens: number;
  /** Output tokens per request. */
  outputTokens: number;
  /** Prompt tokens served from the prefix cache, not prefilled (default 0). */
  cachedPromptTokens?: number;
}

/** Saturation figures; rates are per second, times in milliseconds. */
export interface Capacity {
  /** Slots usable at once: the profile's slots, or fewer when the KV budget holds fewer requests. */
  slots: number;
  /** Mean engine step with every usable slot busy. */
  stepMs: number;
  /** Time one request holds a slot at saturation: outputTokens steps. */
  serviceMs: number;
  /** Maximum sustainable arrival rate: slots / serviceMs. */
  requestsPerS: number;
  outputTokensPerS: number;
}

/**
 * With S usable slots, O output tokens and P prompt tokens, every request holds
 * a slot for O steps, so S/O requests finish (and start) per step, and a step
 * lasts `step_ms + step_ms_per_running·S + (S/O)·(prefill_ms + prefill_ms_per_token·P)`.
 * Capacity = (S/O) / step = S / (O·step). Without an `engine` section the mock
 * has no concurrency limit, and the capacity is infinite.
 */
export function theoreticalCapacity(profile: MockProfile, workload: CapacityWorkload): Capacity {
  const engine = profile.engine;
  const o = Math.max(1, Math.round(workload.outputTokens));
  const p = Math.max(0, workload.promptTokens);
  if (engine === undefined) {
    return {
      slots: Number.POSITIVE_INFINITY,
      stepMs: 0,
      serviceMs: 0,
      requestsPerS: Number.POSITIVE_INFINITY,
      outputTokensPerS: Number.POSITIVE_INFINITY,
    };
  }
  // Reservation holds prompt + output for the whole request; with preemption a
  // request holds on average prompt + half its output (an approximation).
  const perRequestKv = engine.preemption ? p + (o + 1) / 2 : p + o;
  const kvSlots =
    engine.kv_cache_tokens === undefined
      ? Number.POSITIVE_INFINITY
      : Math.floor(engine.kv_cache_tokens / perRequestKv);
  const slots = Math.max(1, Math.min(engine.slots, kvSlots));
  const prefill =
    engine.prefill_ms + engine.prefill_ms_per_token * Math.max(0, p - (workload.cachedPromptTokens ?? 0));
  const stepMs = engine.step_ms + engine.step_ms_per_running * slots + (slots / o) * prefill;
  const serviceMs = o * stepMs;
  const requestsPerS = (slots / serviceMs) * 1000;
  return { slots, stepMs, serviceMs, requestsPerS, outputTokensPerS: requestsPerS * o };
}
