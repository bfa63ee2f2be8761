/**
 * @module protocols/steps/agent-tools
 * The tools of an `agent:` step: their schema, their compiled form, and one
 * call of one (simulated: latency, load, failures, timeout, a result text,
 * function or file row; or a real HTTP request), with the tool's own
 * retries. Why apart from the loop: what a tool is and does is one concern,
 * how the agent drives the model and its tools another.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { type AgentToolCall, durationMs, roundMs } from '../../core/index.js';
import { createSampler, DistributionSchema, type Rng, type Sampler } from '../../random/index.js';
import { sendStep } from '../send-step.js';
import type { CompiledStep, SendOptions, StepContext, StepDefaults } from '../step-kind.js';
import type { ToolCall } from '../tool-calls.js';
import { Headers } from './fields.js';
import { httpStep } from './http.js';
import { ToolRowsSchema, toolRows } from './tool-rows.js';

const ToolHttpSchema = z.strictObject({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
  /** A path under the target or an absolute http(s) URL. */
  url: z.string().min(1),
  headers: Headers.optional(),
});

/** A simulated tool's result computed by the test: `args` is the call's arguments parsed (undefined when not JSON). */
export type ToolResultFunction = (args: unknown, call: ToolCall) => unknown;

export const AgentToolSchema = z
  .strictObject({
    /** The function's name, as the model calls it. */
    name: z
      .string()
      .regex(/^[a-zA-Z0-9_-]{1,64}$/, { error: 'expected a function name (letters, digits, _ and -)' }),
    description: z.string().optional(),
    /** The arguments' JSON Schema, sent to the model as is. */
    parameters: z.record(z.string(), z.unknown()).optional(),
    /** Simulated tool: milliseconds per call, drawn per call. */
    latency_ms: DistributionSchema.default(0),
    /** Simulated tool: milliseconds added per call of this tool already in flight (on this worker): a tool that slows under load. */
    load_ms: z.number().min(0).default(0),
    /** Simulated tool: share of calls that fail (0 to 1). */
    failure_rate: z.number().min(0).max(1).default(0),
    /** A call taking longer ends at this time as a timeout (reported to the model as an error). */
    timeout: durationMs().optional(),
    /**
     * Simulated tool: the result text, `$ARGS` in it replaced by the call's arguments; in a
     * TypeScript test also a function of the parsed arguments (a string is sent as is, another
     * value as JSON; a throw is a failed call).
     */
    result: z
      .union([
        z.string(),
        z.custom<ToolResultFunction>((v) => typeof v === 'function', {
          error: 'expected a string, or a function (TypeScript tests only)',
        }),
      ])
      .default('{"ok":true}'),
    /**
     * Simulated tool: the result is a row of a CSV or JSONL file (one column's value, or the
     * row as JSON), in file order or drawn at random, instead of `result` (tool-rows.ts).
     */
    result_from: ToolRowsSchema.optional(),
    /** A real tool: each call is this HTTP request, the call's arguments as its body. */
    http: ToolHttpSchema.optional(),
    /** Failed calls (error or timeout) the agent runtime retries itself before telling the model. */
    retries: z.number().int().min(0).max(10).default(0),
  })
  .refine((t) => t.http === undefined || t.result_from === undefined, {
    message: 'expected "http" (a real tool) or "result_from" (a simulated one), not both',
    path: ['result_from'],
  });
export type AgentTool = z.output<typeof AgentToolSchema>;

export interface CompiledTool {
  def: AgentTool;
  latency: Sampler;
  /** The HTTP request of a real tool (its body set per call). */
  http: CompiledStep | undefined;
  /** Result texts from `result_from`, and where its circular order stands (shared by the step's tasks). */
  rows: { texts: readonly string[]; random: boolean; key: string } | undefined;
}

/** Calls in flight per tool (by step and tool name), for `load_ms`. */
const inFlight = new Map<string, number>();
/** The next row of each `result_from` tool in circular order (by step and tool name). */
const nextRow = new Map<string, number>();

/** The result of a `result_from` tool's call: the next row, or one drawn. */
function rowResult(rows: NonNullable<CompiledTool['rows']>, rng: Rng): string {
  const { texts } = rows;
  if (rows.random) return texts[Math.floor(rng() * texts.length)] as string;
  const at = nextRow.get(rows.key) ?? 0;
  nextRow.set(rows.key, (at + 1) % texts.length);
  return texts[at] as string;
}

/** The tools as the model is told of them (OpenAI function definitions). */
export function toolDefs(tools: readonly AgentTool[]): unknown[] {
  return tools.map((t) => ({
    type: 'function',
    function: {
      name: t.name,
      ...(t.description === undefined ? {} : { description: t.description }),
      parameters: t.parameters ?? { type: 'object', properties: {} },
    },
  }));
}

/** The step's tools by name: a real tool's HTTP request compiled, a simulated one's sampler and rows. */
export function compileTools(
  defs: readonly AgentTool[],
  stepName: string,
  index: number,
  defaults: StepDefaults,
): Map<string, CompiledTool> {
  const tools = new Map<string, CompiledTool>();
  for (const def of defs) {
    let http: CompiledStep | undefined;
    if (def.http !== undefined) {
      const body = {
        url: def.http.url,
        method: def.http.method,
        headers: { 'content-type': 'application/json', ...def.http.headers },
      };
      http = toolRequest(body, index, defaults, def.timeout);
      http.name = `${stepName}/tool:${def.name}`;
    }
    const from = def.result_from;
    const rows =
      from === undefined
        ? undefined
        : { texts: toolRows(from), random: from.strategy === 'random', key: `${stepName}\n${def.name}` };
    tools.set(def.name, { def, latency: createSampler(def.latency_ms), http, rows });
  }
  return tools;
}

/** Runs one tool call, with the tool's own retries; returns the result text for the model. */
export async function runTool(
  tools: ReadonlyMap<string, CompiledTool>,
  stepName: string,
  call: ToolCall,
  ctx: StepContext,
  options: SendOptions,
  rng: Rng,
  log: AgentToolCall[],
): Promise<string> {
  const tool = tools.get(call.name);
  if (tool === undefined) return JSON.stringify({ error: 'unknown_tool', tool: call.name });
  let result = '';
  for (let attempt = 1; attempt <= tool.def.retries + 1; attempt++) {
    const start = ctx.clock();
    const outcome = await (tool.http !== undefined
      ? httpTool(tool, call, ctx, options)
      : simulatedTool(stepName, tool, call, rng, ctx));
    log.push({ tool: call.name, ms: roundMs(ctx.clock() - start), outcome: outcome.outcome, attempt });
    result = outcome.text;
    if (outcome.outcome === 'ok' || ctx.signal?.aborted) break;
  }
  return result;
}

async function simulatedTool(
  stepName: string,
  tool: CompiledTool,
  call: ToolCall,
  rng: Rng,
  ctx: StepContext,
): Promise<{ outcome: AgentToolCall['outcome']; text: string }> {
  const key = `${stepName}\n${tool.def.name}`;
  const busy = inFlight.get(key) ?? 0;
  inFlight.set(key, busy + 1);
  try {
    const ms = tool.latency(rng) + tool.def.load_ms * busy;
    const fails = rng() < tool.def.failure_rate;
    const timeout = tool.def.timeout;
    const signal = ctx.signal;
    const wait = (t: number) =>
      sleep(t, undefined, signal === undefined ? {} : { signal }).catch(() => undefined);
    if (timeout !== undefined && ms > timeout) {
      await wait(timeout);
      return { outcome: 'timeout', text: JSON.stringify({ error: 'timeout', tool: tool.def.name }) };
    }
    await wait(ms);
    if (fails) return { outcome: 'error', text: JSON.stringify({ error: 'failed', tool: tool.def.name }) };
    if (tool.rows !== undefined) return { outcome: 'ok', text: rowResult(tool.rows, rng) };
    const result = tool.def.result;
    if (typeof result === 'string')
      return { outcome: 'ok', text: result.split('$ARGS').join(call.arguments) };
    return await resultOf(result, call, tool.def.name);
  } finally {
    inFlight.set(key, (inFlight.get(key) ?? 1) - 1);
  }
}

/** A result function's answer for the model; a throw is a failed call, its message the error. */
async function resultOf(
  fn: ToolResultFunction,
  call: ToolCall,
  name: string,
): Promise<{ outcome: AgentToolCall['outcome']; text: string }> {
  let args: unknown;
  try {
    args = JSON.parse(call.arguments);
  } catch {
    args = undefined;
  }
  try {
    const value = await fn(args, call);
    return { outcome: 'ok', text: typeof value === 'string' ? value : (JSON.stringify(value) ?? '') };
  } catch (err) {
    return {
      outcome: 'error',
      text: JSON.stringify({ error: String((err as Error)?.message ?? err), tool: name }),
    };
  }
}

async function httpTool(
  tool: CompiledTool,
  call: ToolCall,
  ctx: StepContext,
  options: SendOptions,
): Promise<{ outcome: AgentToolCall['outcome']; text: string }> {
  const compiled = { ...(tool.http as CompiledStep), body: call.arguments === '' ? '{}' : call.arguments };
  const sent = await sendStep(compiled, ctx, { keepBody: true });
  options.emit?.(compiled, sent.measurement);
  const m = sent.measurement;
  if (m.outcome === 'ok') return { outcome: 'ok', text: sent.response.body };
  const timedOut = m.error === 'timeout';
  return {
    outcome: timedOut ? 'timeout' : 'error',
    text: JSON.stringify({ error: timedOut ? 'timeout' : (m.error ?? 'failed'), tool: tool.def.name }),
  };
}

/** The HTTP request of a real tool, compiled by the `http` kind. */
function toolRequest(
  body: { url: string; method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; headers: Record<string, string> },
  index: number,
  defaults: StepDefaults,
  timeout: number | undefined,
): CompiledStep {
  return httpStep.compile(
    { ...body, ...(timeout === undefined ? {} : { timeout }) } as Parameters<typeof httpStep.compile>[0],
    index,
    defaults,
  );
}
