/**
 * @module analysis/capacity-plan
 * summary.json `capacity_plan`: from what one replica sustains (the test's
 * `replica_rps`, else a sweep's capacity, else the run's measured goodput) and
 * a `plan: { target_rps, headroom, replica_cost_per_hour }`, the replicas a
 * target load needs with headroom, and what an hour and 1,000 requests cost
 * at that load (replicas, plus the tokens at the run's cost per request).
 */
import type { SweepAnalysis } from './sweep-analysis.js';

export interface PlanSpec {
  target_rps: number;
  headroom: number;
  replica_cost_per_hour?: number | undefined;
  replica_rps?: number | undefined;
}

export interface CapacityPlan {
  target_rps: number;
  headroom: number;
  /** Requests/s the plan provisions for: target × (1 + headroom). */
  provisioned_rps: number;
  /** Requests/s one replica sustains, and where that figure came from. */
  replica_rps: number | null;
  replica_rps_from: 'plan' | 'sweep_capacity' | 'sweep_saturation' | 'goodput' | 'none';
  /** Replicas needed: ceil(provisioned ÷ replica_rps); null when the replica's capacity is unknown. */
  replicas: number | null;
  /** Share of the replicas' capacity the target itself uses. */
  utilisation: number | null;
  replica_cost_per_hour?: number;
  /** USD an hour at the target load: replicas, tokens (the run's mean cost per request), and both. */
  cost_per_hour_usd: { replicas: number | null; tokens: number | null; total: number | null };
  /** USD per 1,000 requests at the target load, split the same way. */
  cost_per_1000_requests_usd: { replicas: number | null; tokens: number | null; total: number | null };
  notes: string[];
}

export interface PlanInput {
  plan: PlanSpec;
  sweep?: SweepAnalysis | undefined;
  /** The run's measured goodput (ok requests within every SLO per second). */
  goodputPerS: number;
  /** Mean USD of a priced request, when the run priced any. */
  costPerRequestUsd?: number | undefined;
}

function round(x: number, digits = 6): number {
  const d = 10 ** digits;
  return Math.round(x * d) / d;
}

function replicaCapacity({ plan, sweep, goodputPerS }: PlanInput): {
  rps: number | null;
  from: CapacityPlan['replica_rps_from'];
  note?: string;
} {
  if (plan.replica_rps !== undefined) return { rps: plan.replica_rps, from: 'plan' };
  if (sweep !== undefined) {
    if (sweep.unit === 'req/s' && sweep.capacity !== null) {
      return sweep.capacityBound === 'at_least'
        ? {
            rps: sweep.capacity,
            from: 'sweep_capacity',
            note: 'every sweep step passed: the capacity is a lower bound, so the replicas are an upper bound',
          }
        : { rps: sweep.capacity, from: 'sweep_capacity' };
    }
    if (sweep.saturationThroughput !== null && sweep.saturationThroughput > 0) {
      return {
        rps: sweep.saturationThroughput,
        from: 'sweep_saturation',
        note: 'no SLO-bounded capacity in req/s: planned on the saturation throughput, which has no headroom for latency',
      };
    }
  }
  if (goodputPerS > 0) {
    return {
      rps: goodputPerS,
      from: 'goodput',
      note: "planned on the run's measured goodput: unless the run saturated the system, a replica can do more",
    };
  }
  return { rps: null, from: 'none', note: 'no capacity measured: give plan.replica_rps or run a sweep' };
}

/** The capacity plan for a target load. */
export function capacityPlan(input: PlanInput): CapacityPlan {
  const { plan, costPerRequestUsd } = input;
  const provisioned = plan.target_rps * (1 + plan.headroom);
  const capacity = replicaCapacity(input);
  const notes: string[] = capacity.note === undefined ? [] : [capacity.note];
  const replicas =
    capacity.rps === null ? null : Math.max(1, Math.ceil(round(provisioned / capacity.rps, 9)));
  const requestsPerHour = plan.target_rps * 3600;
  const replicasPerHour =
    replicas === null || plan.replica_cost_per_hour === undefined
      ? null
      : replicas * plan.replica_cost_per_hour;
  const tokensPerHour = costPerRequestUsd === undefined ? null : costPerRequestUsd * requestsPerHour;
  if (costPerRequestUsd === undefined) notes.push('no priced requests: token cost unknown (see cost.notes)');
  const sum = (a: number | null, b: number | null) => (a === null && b === null ? null : (a ?? 0) + (b ?? 0));
  const per1000 = (perHour: number | null) =>
    perHour === null ? null : round((perHour / requestsPerHour) * 1000);
  const out: CapacityPlan = {
    target_rps: plan.target_rps,
    headroom: plan.headroom,
    provisioned_rps: round(provisioned, 3),
    replica_rps: capacity.rps === null ? null : round(capacity.rps, 3),
    replica_rps_from: capacity.from,
    replicas,
    utilisation:
      replicas === null || capacity.rps === null
        ? null
        : round(plan.target_rps / (replicas * capacity.rps), 4),
    cost_per_hour_usd: {
      replicas: replicasPerHour === null ? null : round(replicasPerHour),
      tokens: tokensPerHour === null ? null : round(tokensPerHour),
      total: (() => {
        const t = sum(replicasPerHour, tokensPerHour);
        return t === null ? null : round(t);
      })(),
    },
    cost_per_1000_requests_usd: {
      replicas: per1000(replicasPerHour),
      tokens: per1000(tokensPerHour),
      total: per1000(sum(replicasPerHour, tokensPerHour)),
    },
    notes,
  };
  if (plan.replica_cost_per_hour !== undefined) out.replica_cost_per_hour = plan.replica_cost_per_hour;
  return out;
}
