/**
 * @module metrics/context-stats
 * TTFT against context length for multi-turn sessions: by turn and by
 * power-of-two context buckets, so a report can show how prefill time grows
 * as a conversation does.
 */

import type { RequestRecord } from '../core/index.js';
import { type HistogramTransfer, MetricHistogram } from './histogram.js';
import { isModelStep } from './samples.js';
import type { ContextBucketStats, ContextStats } from './summary-core.js';

/** The smallest bucket holds contexts under 256 tokens; each next one doubles. */
const FIRST_BUCKET_TOKENS = 256;

/** A group as plain data: [key, requests, contextSum, contextMax, encoded TTFT histogram]. */
type GroupState = [number, number, number, number, HistogramTransfer];

/** A {@link ContextTally} as plain data, for another thread: by turn and by context bucket. */
export interface ContextState {
  turns: GroupState[];
  buckets: GroupState[];
}

class Group {
  requests = 0;
  contextSum = 0;
  contextMax = 0;
  readonly ttft = new MetricHistogram('ms');

  encode(key: number): GroupState {
    return [key, this.requests, this.contextSum, this.contextMax, this.ttft.toTransfer()];
  }

  merge([, requests, contextSum, contextMax, ttft]: GroupState): void {
    this.requests += requests;
    this.contextSum += contextSum;
    if (contextMax > this.contextMax) this.contextMax = contextMax;
    this.ttft.addTransfer(ttft);
  }

  add(r: RequestRecord, context: number): void {
    this.requests++;
    this.contextSum += context;
    if (context > this.contextMax) this.contextMax = context;
    if (r.outcome === 'ok' && r.ttftMs !== undefined) this.ttft.record(r.ttftMs);
  }

  stats(): ContextStats {
    const t = this.ttft.stats();
    return {
      requests: this.requests,
      context_tokens: {
        mean: this.requests > 0 ? Math.round((this.contextSum / this.requests) * 10) / 10 : 0,
        max: this.contextMax,
      },
      ttft_ms: { count: t.count, mean: t.mean, p50: t.p50, p95: t.p95, p99: t.p99 },
    };
  }
}

/** Lower bound of the bucket holding `tokens`: 0, 256, 512, 1024, … */
export function contextBucketOf(tokens: number): number {
  if (tokens < FIRST_BUCKET_TOKENS) return 0;
  return 2 ** Math.floor(Math.log2(tokens));
}

/** Session records grouped by turn and by context bucket. */
export class ContextTally {
  readonly #turns = new Map<number, Group>();
  readonly #buckets = new Map<number, Group>();

  /** Adds a record when it is a model request of a session turn; ignores others. */
  add(r: RequestRecord): void {
    if (r.turn === undefined || !isModelStep(r)) return;
    const context = r.contextTokens ?? r.inputTokensClient ?? 0;
    group(this.#turns, r.turn).add(r, context);
    group(this.#buckets, contextBucketOf(context)).add(r, context);
  }

  /** This tally as plain data; {@link ContextTally.merge} adds it to another exactly. */
  encode(): ContextState {
    return {
      turns: [...this.#turns].map(([turn, g]) => g.encode(turn)),
      buckets: [...this.#buckets].map(([min, g]) => g.encode(min)),
    };
  }

  /** Adds what another tally counted (from {@link ContextTally.encode}). */
  merge(state: ContextState): void {
    for (const g of state.turns) group(this.#turns, g[0]).merge(g);
    for (const g of state.buckets) group(this.#buckets, g[0]).merge(g);
  }

  get empty(): boolean {
    return this.#turns.size === 0;
  }

  /** Stats by turn, keyed `"1"`, `"2"`, … in turn order. */
  byTurn(): Record<string, ContextStats> {
    const turns = [...this.#turns.keys()].sort((a, b) => a - b);
    return Object.fromEntries(turns.map((t) => [String(t), (this.#turns.get(t) as Group).stats()]));
  }

  /** Stats by context bucket, smallest first. */
  byContext(): ContextBucketStats[] {
    const starts = [...this.#buckets.keys()].sort((a, b) => a - b);
    return starts.map((min) => ({
      min_tokens: min,
      max_tokens: min === 0 ? FIRST_BUCKET_TOKENS : min * 2,
      ...(this.#buckets.get(min) as Group).stats(),
    }));
  }
}

function group(map: Map<number, Group>, key: number): Group {
  let g = map.get(key);
  if (g === undefined) {
    g = new Group();
    map.set(key, g);
  }
  return g;
}
