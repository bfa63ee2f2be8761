/**
 * @module metrics/models
 * Aggregates by the model that answered (the record's `model`): counts,
 * latency, tokens and cost per model, and each stage's requests and cost per
 * model, so routing under load (a gateway sending more traffic to a dearer
 * model as load rises) shows. Mergeable like every other aggregate.
 */

import type { RequestRecord } from '../core/index.js';
import { billedTokensOf } from './cost.js';
import type { MetricName, ModelSummary, StageModels } from './summary-core.js';
import { Tally, type TallyState } from './tally.js';

export type { ModelSummary, StageModels } from './summary-core.js';

/** The histograms kept per model. */
export const MODEL_METRICS: readonly MetricName[] = ['ttft_ms', 'e2e_ms', 'output_tokens', 'cost_usd'];

/** Per model: [billable, estimated] beside its tally; per stage start: model → [requests, cost nano-USD]. */
export interface ModelsState {
  models: [string, TallyState, number, number][];
  stages: [number, [string, number, number][]][];
}

interface Extra {
  tally: Tally;
  billable: number;
  estimated: number;
}

function round(x: number, digits: number): number {
  const d = 10 ** digits;
  return Math.round(x * d) / d;
}

export class ModelTallies {
  readonly #models = new Map<string, Extra>();
  /** By stage start (run-clock ms), then model: [requests, cost in nano-USD]. */
  readonly #stages = new Map<number, Map<string, [number, number]>>();

  get empty(): boolean {
    return this.#models.size === 0;
  }

  /** Adds a record that has a model; `stageStartMs`: the start of the stage it was scheduled in, if any. */
  add(r: RequestRecord, good: boolean, stageStartMs: number | undefined): void {
    const model = r.model;
    if (model === undefined) return;
    const m = this.#model(model);
    m.tally.add(r, good);
    if (billedTokensOf(r) !== undefined) m.billable++;
    if (r.costEstimated === true) m.estimated++;
    if (stageStartMs === undefined) return;
    const cell = this.#cell(stageStartMs, model);
    cell[0]++;
    if (r.costUsd !== undefined) cell[1] += Math.round(r.costUsd * 1e9);
  }

  encode(): ModelsState {
    return {
      models: [...this.#models].map(([name, m]) => [name, m.tally.encode(), m.billable, m.estimated]),
      stages: [...this.#stages].map(([start, byModel]) => [
        start,
        [...byModel].map(([name, [n, cost]]) => [name, n, cost] as [string, number, number]),
      ]),
    };
  }

  merge(state: ModelsState): void {
    for (const [name, tally, billable, estimated] of state.models) {
      const m = this.#model(name);
      m.tally.mergeState(tally);
      m.billable += billable;
      m.estimated += estimated;
    }
    for (const [start, byModel] of state.stages) {
      for (const [name, n, cost] of byModel) {
        const cell = this.#cell(start, name);
        cell[0] += n;
        cell[1] += cost;
      }
    }
  }

  /** Per model, in order of traffic (most first, then by name). */
  summaries(): Record<string, ModelSummary> {
    let all = 0;
    for (const m of this.#models.values()) all += m.tally.requests;
    const entries = [...this.#models].sort(
      ([a, x], [b, y]) => y.tally.requests - x.tally.requests || (a < b ? -1 : a > b ? 1 : 0),
    );
    return Object.fromEntries(
      entries.map(([name, m]) => {
        const cost = m.tally.histogram('cost_usd');
        const summary: ModelSummary = {
          counts: m.tally.counts(),
          share: all > 0 ? round(m.tally.requests / all, 4) : 0,
          metrics: m.tally.metrics(),
          billable: m.billable,
          priced: cost?.count ?? 0,
          estimated: m.estimated,
          cost_usd: cost?.sum ?? 0,
        };
        return [name, summary];
      }),
    );
  }

  /** Each stage's traffic by model, for the stages given (name and span in ms), in their order. */
  byStage(spans: readonly { name: string; startMs: number; endMs: number }[]): StageModels[] {
    const out: StageModels[] = [];
    for (const span of spans) {
      const byModel = this.#stages.get(span.startMs);
      if (byModel === undefined) continue;
      let all = 0;
      for (const [n] of byModel.values()) all += n;
      const names = [...byModel.keys()].sort();
      out.push({
        stage: span.name,
        start: round(span.startMs / 1000, 3),
        end: round(span.endMs / 1000, 3),
        requests: Object.fromEntries(names.map((n) => [n, byModel.get(n)?.[0] ?? 0])),
        share: Object.fromEntries(
          names.map((n) => [n, all > 0 ? round((byModel.get(n)?.[0] ?? 0) / all, 4) : 0]),
        ),
        cost_usd: Object.fromEntries(names.map((n) => [n, round((byModel.get(n)?.[1] ?? 0) / 1e9, 9)])),
      });
    }
    return out;
  }

  #model(name: string): Extra {
    let m = this.#models.get(name);
    if (m === undefined) {
      m = { tally: new Tally(MODEL_METRICS), billable: 0, estimated: 0 };
      this.#models.set(name, m);
    }
    return m;
  }

  #cell(start: number, model: string): [number, number] {
    let byModel = this.#stages.get(start);
    if (byModel === undefined) {
      byModel = new Map();
      this.#stages.set(start, byModel);
    }
    let cell = byModel.get(model);
    if (cell === undefined) {
      cell = [0, 0];
      byModel.set(model, cell);
    }
    return cell;
  }
}
