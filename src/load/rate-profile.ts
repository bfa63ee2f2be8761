/**
 * @module load/rate-profile
 * A piecewise-linear curve of load over time (arrival rate, or VUs) and the
 * pure schedules computed from it: arrival times by time-rescaling a
 * unit-rate process with the cumulative rate, VU targets, and the per-second
 * plan the report draws against what was achieved.
 */
import { createRng, deriveSeed } from '../random/index.js';
import { type Arrival, unitGaps } from './arrival-process.js';

/** `value` at `atMs` (ms from the start of the load); linear in between, a jump where two points share a time. */
export interface ProfilePoint {
  atMs: number;
  value: number;
}

/** The curve; `points` sorted by time, the first at 0; the load ends at the last point. */
export type RateProfile = readonly ProfilePoint[];

/** A stage as users write it (k6): ramp linearly to `target` over `duration` ms. */
export interface StageInput {
  target: number;
  duration: number;
  name?: string | undefined;
}

/** A labelled span of the schedule, ms from the start of the load. */
export interface PlannedStage {
  name: string;
  startMs: number;
  endMs: number;
  /** The load at the end of the stage (rate or VUs). */
  target: number;
}

/** One second of the plan: the mean rate (or VUs) offered in `[start_s, start_s + 1)`. */
export interface PlanPoint {
  start_s: number;
  value: number;
}

/** The curve of a stage list starting from `start`. */
export function profileOf(start: number, stages: readonly StageInput[]): ProfilePoint[] {
  const points: ProfilePoint[] = [{ atMs: 0, value: start }];
  let t = 0;
  for (const stage of stages) {
    t += stage.duration;
    points.push({ atMs: t, value: stage.target });
  }
  return points;
}

/** Labelled spans of the stages (zero-length jumps have no span); unnamed ones are `stage N`. */
export function plannedStages(stages: readonly StageInput[]): PlannedStage[] {
  const out: PlannedStage[] = [];
  let t = 0;
  stages.forEach((stage, i) => {
    if (stage.duration > 0) {
      out.push({
        name: stage.name ?? `stage ${i + 1}`,
        startMs: t,
        endMs: t + stage.duration,
        target: stage.target,
      });
    }
    t += stage.duration;
  });
  return out;
}

/** Cuts a profile at `endMs` (the `duration` cap); the value there is interpolated. */
export function cutProfile(profile: RateProfile, endMs: number | undefined): ProfilePoint[] {
  if (endMs === undefined) return [...profile];
  const out: ProfilePoint[] = [];
  for (const p of profile) {
    if (p.atMs <= endMs) out.push(p);
    else {
      out.push({ atMs: endMs, value: valueAt(profile, endMs) });
      break;
    }
  }
  return out;
}

/** Cuts stage spans at `endMs`. */
export function cutStages(stages: readonly PlannedStage[], endMs: number | undefined): PlannedStage[] {
  if (endMs === undefined) return [...stages];
  return stages.filter((s) => s.startMs < endMs).map((s) => ({ ...s, endMs: Math.min(s.endMs, endMs) }));
}

export function endOf(profile: RateProfile): number {
  return profile[profile.length - 1]?.atMs ?? 0;
}

/** The load at time `t` (the later point of a jump wins). */
export function valueAt(profile: RateProfile, t: number): number {
  let value = profile[0]?.value ?? 0;
  for (let i = 1; i < profile.length; i++) {
    const a = profile[i - 1] as ProfilePoint;
    const b = profile[i] as ProfilePoint;
    if (t < a.atMs) break;
    if (t >= b.atMs) {
      value = b.value;
      continue;
    }
    const d = b.atMs - a.atMs;
    value = d > 0 ? a.value + ((b.value - a.value) * (t - a.atMs)) / d : b.value;
    break;
  }
  return value;
}

/** Expected arrivals in `[0, t)` for a rate profile in iterations per second. */
export function cumulativeAt(profile: RateProfile, t: number): number {
  let total = 0;
  for (let i = 1; i < profile.length; i++) {
    const a = profile[i - 1] as ProfilePoint;
    const b = profile[i] as ProfilePoint;
    if (t <= a.atMs) break;
    const d = b.atMs - a.atMs;
    if (d <= 0) continue;
    const tau = Math.min(t, b.atMs) - a.atMs;
    const slope = (b.value - a.value) / d;
    total += (a.value * tau + (slope * tau * tau) / 2) / 1000;
  }
  return total;
}

/**
 * Arrival times (ms from the start) of a rate profile: the unit-rate process
 * of `arrival`, seeded, mapped through the inverse of the cumulative rate. The
 * first arrival is at the start (as vLLM's benchmark sends its first request
 * at once); at most `limit` arrivals.
 */
export function arrivalTimes(
  profile: RateProfile,
  arrival: Arrival,
  seed: number,
  limit = Number.POSITIVE_INFINITY,
): Float64Array {
  const gap = unitGaps(arrival, createRng(deriveSeed(seed, 0xa77)));
  const out: number[] = [];
  let u = 0;
  let segment = 1;
  let before = 0;
  while (out.length < limit && segment < profile.length) {
    const a = profile[segment - 1] as ProfilePoint;
    const b = profile[segment] as ProfilePoint;
    const d = b.atMs - a.atMs;
    const r0 = a.value;
    const r1 = b.value;
    // Rates per second, times in ms: whole-number rates give exact masses (no arrival on the end).
    const mass = d > 0 ? ((r0 + r1) * d) / 2000 : 0;
    if (u >= before + mass) {
      before += mass;
      segment++;
      continue;
    }
    // Solve (r0·τ + k·τ²/2) / 1000 = u − before for τ, in the form that is stable when k → 0.
    const need = 1000 * (u - before);
    const k = (r1 - r0) / d;
    const tau = need === 0 ? 0 : (2 * need) / (r0 + Math.sqrt(Math.max(0, r0 * r0 + 2 * k * need)));
    out.push(a.atMs + Math.min(d, tau));
    u += gap();
  }
  return Float64Array.from(out);
}

/** The offered load per second over `[0, end)`: mean rate or mean VUs of each second. */
export function planSeries(profile: RateProfile): PlanPoint[] {
  const end = endOf(profile);
  const out: PlanPoint[] = [];
  for (let s = 0; s * 1000 < end; s++) {
    const from = s * 1000;
    const to = Math.min(end, from + 1000);
    const width = (to - from) / 1000;
    // The integral of the curve over the second, per second: arrivals for a rate, VU-seconds for VUs.
    const value = (cumulativeAt(profile, to) - cumulativeAt(profile, from)) / width;
    out.push({ start_s: s, value: Math.round(value * 1000) / 1000 });
  }
  return out;
}

/**
 * VU count over time for a closed model: `{ atMs, vus }` at every change, the
 * count following the curve (floor on the way up, ceil on the way down, so
 * every target is reached exactly at the end of its stage).
 */
export function vuTargets(profile: RateProfile): { atMs: number; vus: number }[] {
  const out: { atMs: number; vus: number }[] = [];
  const push = (atMs: number, vus: number) => {
    const last = out[out.length - 1];
    if (last !== undefined && last.vus === vus) return;
    if (last !== undefined && last.atMs === atMs) last.vus = vus;
    else out.push({ atMs, vus });
  };
  push(0, Math.round(profile[0]?.value ?? 0));
  for (let i = 1; i < profile.length; i++) {
    const a = profile[i - 1] as ProfilePoint;
    const b = profile[i] as ProfilePoint;
    const d = b.atMs - a.atMs;
    if (d <= 0 || a.value === b.value) {
      push(b.atMs, Math.round(b.value));
      continue;
    }
    const up = b.value > a.value;
    const from = up ? Math.floor(a.value) + 1 : Math.ceil(a.value) - 1;
    const to = up ? Math.floor(b.value) : Math.ceil(b.value);
    for (let n = from; up ? n <= to : n >= to; n += up ? 1 : -1) {
      // The moment the line crosses n: the count becomes n there, going up or down.
      const at = a.atMs + (d * (n - a.value)) / (b.value - a.value);
      push(Math.round(at * 1000) / 1000, n);
    }
  }
  return out;
}
