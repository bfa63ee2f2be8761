/**
 * @module metrics/agents
 * Agent task figures (`summary.json.agents`) from task records (records with
 * `agent`, one per `agent:` step run): steps, model calls and tool calls per
 * task, success rate, task latency, per-tool latency and error rate, over the
 * run and per stage, and the amplification: model calls per task in a stage
 * over those in the lightest stage. Mergeable like the request tallies
 * (exact counters and histograms), so workers' parts and a report rebuilt
 * from records.jsonl agree.
 */
import type { AgentTask, RequestRecord } from '../core/index.js';
import { type HistogramTransfer, MetricHistogram, type MetricStats } from './histogram.js';

/** A stage as this needs it (the shape of summary-core's `StageSpan`, which imports this module's types). */
interface StageSpan {
  name: string;
  startMs: number;
  endMs: number;
  target?: number;
  warmup?: boolean;
}

/** One tool's calls: calls, errors, timeouts, retries (attempts after the first), and their latency. */
interface ToolTally {
  counts: number[];
  latency: MetricHistogram;
}

/** A group of tasks (the run, or one stage) as plain data. */
export interface AgentGroupState {
  /** tasks, successes */
  counts: number[];
  ends: [string, number][];
  steps: HistogramTransfer;
  modelCalls: HistogramTransfer;
  toolCalls: HistogramTransfer;
  latency: HistogramTransfer;
  tools: [string, number[], HistogramTransfer][];
}

/** Everything counted, for another thread: the run's group and each stage's (by start time). */
export interface AgentsState {
  all: AgentGroupState;
  stages: [number, AgentGroupState][];
}

class AgentGroup {
  tasks = 0;
  success = 0;
  readonly ends = new Map<string, number>();
  readonly steps = new MetricHistogram('count');
  readonly modelCalls = new MetricHistogram('count');
  readonly toolCalls = new MetricHistogram('count');
  readonly latency = new MetricHistogram('ms');
  readonly tools = new Map<string, ToolTally>();

  add(task: AgentTask, latencyMs: number): void {
    this.tasks++;
    if (task.success) this.success++;
    this.ends.set(task.end, (this.ends.get(task.end) ?? 0) + 1);
    this.steps.record(task.steps);
    this.modelCalls.record(task.modelCalls);
    this.toolCalls.record(task.tools.length);
    this.latency.record(latencyMs);
    for (const call of task.tools) {
      const t = this.#tool(call.tool);
      (t.counts[0] as number)++;
      if (call.outcome === 'error') (t.counts[1] as number)++;
      if (call.outcome === 'timeout') (t.counts[2] as number)++;
      if (call.attempt > 1) (t.counts[3] as number)++;
      t.latency.record(call.ms);
    }
  }

  #tool(name: string): ToolTally {
    let t = this.tools.get(name);
    if (t === undefined) {
      t = { counts: [0, 0, 0, 0], latency: new MetricHistogram('ms') };
      this.tools.set(name, t);
    }
    return t;
  }

  encode(): AgentGroupState {
    return {
      counts: [this.tasks, this.success],
      ends: [...this.ends],
      steps: this.steps.toTransfer(),
      modelCalls: this.modelCalls.toTransfer(),
      toolCalls: this.toolCalls.toTransfer(),
      latency: this.latency.toTransfer(),
      tools: [...this.tools].map(([name, t]) => [name, [...t.counts], t.latency.toTransfer()]),
    };
  }

  merge(s: AgentGroupState): void {
    this.tasks += s.counts[0] ?? 0;
    this.success += s.counts[1] ?? 0;
    for (const [end, n] of s.ends) this.ends.set(end, (this.ends.get(end) ?? 0) + n);
    this.steps.addTransfer(s.steps);
    this.modelCalls.addTransfer(s.modelCalls);
    this.toolCalls.addTransfer(s.toolCalls);
    this.latency.addTransfer(s.latency);
    for (const [name, counts, latency] of s.tools) {
      const t = this.#tool(name);
      for (let i = 0; i < t.counts.length; i++) (t.counts[i] as number) += counts[i] ?? 0;
      t.latency.addTransfer(latency);
    }
  }
}

/** Per-tool figures in `summary.json.agents.tools`. */
export interface AgentToolSummary {
  calls: number;
  errors: number;
  timeouts: number;
  /** Calls that were the runtime's own retries of a failed call. */
  retries: number;
  /** (errors + timeouts) / calls. */
  error_rate: number;
  latency_ms: MetricStats;
}

/** One stage's agent figures. */
export interface AgentStageSummary {
  name: string;
  /** The stage's load (arrivals/s or VUs), when known. */
  target?: number;
  tasks: number;
  success_rate: number;
  steps_mean: number;
  model_calls_mean: number;
  tool_calls_mean: number;
  task_latency_p50_ms: number;
  task_latency_p95_ms: number;
  /** model_calls_mean / that of the lightest stage (lowest target, else fewest tasks per second). */
  amplification: number;
}

/** `summary.json.agents`. */
export interface AgentsSummary {
  tasks: number;
  /** Tasks that reached a final answer within `max_steps`. */
  success_rate: number;
  /** Tasks by how they ended: `answer`, `max_steps`, `model_error`. */
  ends: Record<string, number>;
  steps: MetricStats;
  model_calls: MetricStats;
  tool_calls: MetricStats;
  task_latency_ms: MetricStats;
  tools: Record<string, AgentToolSummary>;
  /** Per stage of a staged load, with the amplification against the lightest stage. */
  stages?: AgentStageSummary[];
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

export class AgentTally {
  readonly #all = new AgentGroup();
  readonly #stages = new Map<number, AgentGroup>();

  get empty(): boolean {
    return this.#all.tasks === 0;
  }

  /** Adds a task record; `stage` is the start of the stage its `scheduled` time falls in, if any. */
  add(record: RequestRecord, stage: StageSpan | undefined): void {
    const task = record.agent;
    if (task === undefined) return;
    const latency = record.e2eMs ?? record.end - record.sent;
    this.#all.add(task, latency);
    if (stage !== undefined) this.#stage(stage.startMs).add(task, latency);
  }

  #stage(startMs: number): AgentGroup {
    let g = this.#stages.get(startMs);
    if (g === undefined) {
      g = new AgentGroup();
      this.#stages.set(startMs, g);
    }
    return g;
  }

  encode(): AgentsState {
    return { all: this.#all.encode(), stages: [...this.#stages].map(([at, g]) => [at, g.encode()]) };
  }

  merge(state: AgentsState): void {
    this.#all.merge(state.all);
    for (const [at, g] of state.stages) this.#stage(at).merge(g);
  }

  /** The summary; `spans` are the run's stages (none: no per-stage figures). */
  summary(spans: readonly StageSpan[]): AgentsSummary {
    const all = this.#all;
    const out: AgentsSummary = {
      tasks: all.tasks,
      success_rate: all.tasks === 0 ? 0 : round4(all.success / all.tasks),
      ends: Object.fromEntries(all.ends),
      steps: all.steps.stats(),
      model_calls: all.modelCalls.stats(),
      tool_calls: all.toolCalls.stats(),
      task_latency_ms: all.latency.stats(),
      tools: Object.fromEntries(
        [...all.tools].map(([name, t]) => {
          const [calls = 0, errors = 0, timeouts = 0, retries = 0] = t.counts;
          return [
            name,
            {
              calls,
              errors,
              timeouts,
              retries,
              error_rate: calls === 0 ? 0 : round4((errors + timeouts) / calls),
              latency_ms: t.latency.stats(),
            },
          ];
        }),
      ),
    };
    const staged = spans
      .filter((s) => !s.warmup)
      .map((span) => ({ span, g: this.#stages.get(span.startMs) }))
      .filter((x): x is { span: StageSpan; g: AgentGroup } => x.g !== undefined && x.g.tasks > 0);
    if (staged.length > 0) {
      const byLoad = staged.every((x) => x.span.target !== undefined);
      const load = (x: { span: StageSpan; g: AgentGroup }) =>
        byLoad ? (x.span.target as number) : x.g.tasks / Math.max(1e-9, x.span.endMs - x.span.startMs);
      const lightest = staged.reduce((a, b) => (load(b) < load(a) ? b : a));
      const base = lightest.g.modelCalls.mean;
      out.stages = staged.map(({ span, g }) => ({
        name: span.name,
        ...(span.target === undefined ? {} : { target: span.target }),
        tasks: g.tasks,
        success_rate: round4(g.success / g.tasks),
        steps_mean: g.steps.mean,
        model_calls_mean: g.modelCalls.mean,
        tool_calls_mean: g.toolCalls.mean,
        task_latency_p50_ms: g.latency.percentile(50),
        task_latency_p95_ms: g.latency.percentile(95),
        amplification: base > 0 ? round4(g.modelCalls.mean / base) : 0,
      }));
    }
    return out;
  }
}
