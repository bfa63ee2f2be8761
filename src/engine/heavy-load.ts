/**
 * @module engine/heavy-load
 * A worker's share of a plan's peak load, and the share from which the load is
 * heavy: the coordinator sizes the workers' heaps by it, each worker its
 * warm-up. Why a module of its own: the coordinator must not load the warm-up's
 * code (protocols, workload) to read two numbers.
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
