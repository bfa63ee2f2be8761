/**
 * @module engine/heavy-load
 * A thread's share of a plan's peak load, and the share from which the load is
 * heavy: the coordinator sizes the young generation of the workers and of the
 * embedded mock by it, each worker its warm-up. Why a module of its own: the
 * coordinator must not load the warm-up's code (protocols, workload) to read
 * a few numbers.
 */
import type { ExecutionPlan } from '../load/index.js';

/**
 * A worker's share of the peak (requests/s) from which the warm-up is a whole second of it, and
 * the worker gets its large young generation (worker-pool). Below it the warm-up shrinks with
 * the square of the share: the pile-up a cold worker causes (arrivals due faster than cold code
 * sends them) belongs to heavy loads, and a light one pays for cold code only on its first
 * requests, while a second of its load in warm-up delayed its start (10 VUs: ~0.5 s of CPU).
 */
export const HEAVY_SHARE_PER_S = 2000;

/** A worker's share of the plan's peak, in requests per second. */
export function peakShare(plan: ExecutionPlan, workers: number): number {
  // A reduce, not Math.max(...series): a day-long soak has 86,400 points, too many arguments.
  const peak = (plan.offered?.series ?? [{ value: plan.maxConcurrency }]).reduce(
    (m, p) => Math.max(m, p.value),
    0,
  );
  // A closed model's VU sends many requests a second to a fast target: count 50 each.
  const perSecond = plan.offered?.unit === 'iterations_per_s' ? peak : peak * 50;
  return perSecond / workers;
}

/**
 * The young generation (MB) of a thread whose share of the peak is `share` (requests/s).
 * Heavy: 64 MB. With V8's default (a 32 MB new space; asking for 48 gives the same) scavenges
 * came often enough at 10,000-20,000 requests/s that objects living a few hundred milliseconds
 * were promoted: the old generation grew ~6 MB/s and a mark-compact every second or so stopped
 * the worker for 30-40 ms (lag p99 spikes, `--trace-gc`). At 64 MB promotion all but stops
 * (45 MB old space flat over the run) and scavenges still take about a millisecond.
 * Light loads get less, for memory: start-up alone grew V8's default new space to ~34 MB in the
 * worker and the mock alike. From {@link MODERATE_SHARE_PER_S} 16 MB; below it 8 MB, ~8 MB less
 * peak RSS for the quickstart (147-148 MB against 153-157). At 1,000 arrivals/s 8 MB doubled the
 * scavenges (worker and mock: ~+140 ms of GC over 8 s, ~2 % of a core) and the mark-compacts
 * (9 against 5), so moderate loads keep 16 MB.
 */
export function youngGenerationMb(share: number): number {
  if (share >= HEAVY_SHARE_PER_S) return 64;
  return share >= MODERATE_SHARE_PER_S ? 16 : 8;
}

/** A thread's share (requests/s) from which a light load's young generation is 16 MB, not 8. */
export const MODERATE_SHARE_PER_S = 1000;
