/**
 * @module protocols/steps/agent
 * `agent:` steps: an agent loop. The model (OpenAI chat completions) is called
 * with `tools`; the tool calls it streams are assembled exactly, each is run by
 * a tool the test declares (simulated: latency, failure rate, timeout, a result
 * text; or a real HTTP request to a tool service), the results go back as
 * `tool` messages, until a final answer or `max_steps`. Each model call and
 * HTTP tool call is recorded as a request of its own (TTFT, ITL, TPOT as any
 * chat step); the step's own record is the task (`record.agent`). Why a kind:
 * agents overload a system their own way (timeouts turn into retries, retries
 * into more model calls), which only a loop under load shows.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { type AgentEnd, type AgentToolCall, durationMs, roundMs } from '../../core/index.js';
import { createRng, createSampler, DistributionSchema, type Rng, type Sampler } from '../../random/index.js';
import { OpenAISink } from '../openai-sink.js';
import { sendStep } from '../send-step.js';
import type {
  CompiledStep,
  OwnStepTransport,
  SendOptions,
  StepContext,
  StepDefaults,
  StepKindEntry,
  StepMeasurement,
} from '../step-kind.js';
import type { ToolCall } from '../tool-calls.js';
import { type ChatBody, chatStep } from './chat.js';
import { Headers, Message, modelParams, positiveInt, stepCommon } from './fields.js';
import { httpStep } from './http.js';
import { openAITransport, warmReplies } from './model.js';
import { ToolRowsSchema, toolRows } from './tool-rows.js';
import { WARM_TOOL, warmAgentReplies } from './warm-apis.js';

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

export const AgentBodySchema = z.strictObject({
  ...stepCommon,
  ...modelParams,
  messages: z.array(Message).min(1, { error: 'expected at least one message' }),
  tools: z.array(AgentToolSchema).min(1, { error: 'expected at least one tool' }),
  /** Model turns at most; a task still calling tools then has failed. */
  max_steps: positiveInt().default(10),
  /** Failed model calls sent again (each is one more model call of the task). */
  model_retries: z.number().int().min(0).max(10).default(0),
});
export type AgentBody = z.output<typeof AgentBodySchema>;

/** A compiled agent step: the loop's plan beside what every step has. */
interface AgentStep extends CompiledStep {
  agent: { body: AgentBody; defaults: StepDefaults; tools: Map<string, CompiledTool> };
}

interface CompiledTool {
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
let seedCounter = 0;

function toolDefs(tools: readonly AgentTool[]): unknown[] {
  return tools.map((t) => ({
    type: 'function',
    function: {
      name: t.name,
      ...(t.description === undefined ? {} : { description: t.description }),
      parameters: t.parameters ?? { type: 'object', properties: {} },
    },
  }));
}

/** One model call of the loop: its record, its text and tool calls. */
async function callModel(
  step: AgentStep,
  messages: unknown[],
  ctx: StepContext,
  options: SendOptions,
): Promise<{ m: StepMeasurement; text: string; calls: ToolCall[] }> {
  const { body, defaults } = step.agent;
  const chat: ChatBody = {
    name: `${step.name}/model`,
    model: body.model,
    stream: body.stream,
    messages: messages as ChatBody['messages'],
    body: { ...body.body, tools: toolDefs(body.tools) },
  };
  for (const key of ['max_tokens', 'temperature', 'top_p', 'stop', 'seed', 'headers', 'timeout'] as const) {
    if (body[key] !== undefined) (chat as Record<string, unknown>)[key] = body[key];
  }
  const compiled = chatStep.compile(chat, step.index, defaults);
  let sink: OpenAISink | undefined;
  compiled.via = {
    ...chatStep,
    transport: {
      ...openAITransport,
      sink: () => {
        sink = new OpenAISink(undefined, true);
        return sink;
      },
    },
  } as typeof compiled.via;
  const sent = await sendStep(compiled, ctx);
  options.emit?.(compiled, sent.measurement);
  return { m: sent.measurement, text: sent.response.body, calls: sink?.toolCalls?.calls() ?? [] };
}

/** Runs one tool call, with the tool's own retries; returns the result text for the model. */
async function runTool(
  step: AgentStep,
  call: ToolCall,
  ctx: StepContext,
  options: SendOptions,
  rng: Rng,
  log: AgentToolCall[],
): Promise<string> {
  const tool = step.agent.tools.get(call.name);
  if (tool === undefined) return JSON.stringify({ error: 'unknown_tool', tool: call.name });
  let result = '';
  for (let attempt = 1; attempt <= tool.def.retries + 1; attempt++) {
    const start = ctx.clock();
    const outcome = await (tool.http !== undefined
      ? httpTool(tool, call, ctx, options)
      : simulatedTool(step, tool, call, rng, ctx));
    log.push({ tool: call.name, ms: roundMs(ctx.clock() - start), outcome: outcome.outcome, attempt });
    result = outcome.text;
    if (outcome.outcome === 'ok' || ctx.signal?.aborted) break;
  }
  return result;
}

async function simulatedTool(
  step: AgentStep,
  tool: CompiledTool,
  call: ToolCall,
  rng: Rng,
  ctx: StepContext,
): Promise<{ outcome: AgentToolCall['outcome']; text: string }> {
  const key = `${step.name}\n${tool.def.name}`;
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

/** The loop: model turn, tools, results back, until an answer or `max_steps`. */
async function runAgent(step: AgentStep, ctx: StepContext, options: SendOptions) {
  const { body } = step.agent;
  const rng = createRng(((body.seed ?? 0) * 7919 + ++seedCounter) >>> 0);
  const messages: unknown[] = body.messages.map((m) => ({ ...m }));
  const tools: AgentToolCall[] = [];
  const start = roundMs(ctx.clock());
  let steps = 0;
  let modelCalls = 0;
  let inputTokens = 0;
  let outputTokens = 0;
  let end: AgentEnd = 'max_steps';
  let answer = '';
  let failed: StepMeasurement | undefined;
  while (steps < body.max_steps && !ctx.signal?.aborted) {
    let turn: Awaited<ReturnType<typeof callModel>> | undefined;
    for (let attempt = 0; attempt <= body.model_retries; attempt++) {
      modelCalls++;
      turn = await callModel(step, messages, ctx, options);
      if (turn.m.outcome === 'ok' || ctx.signal?.aborted) break;
    }
    const t = turn as Awaited<ReturnType<typeof callModel>>;
    if (t.m.outcome !== 'ok') {
      end = 'model_error';
      failed = t.m;
      break;
    }
    steps++;
    inputTokens += t.m.inputTokens ?? t.m.inputTokensClient ?? 0;
    outputTokens += t.m.outputTokens ?? t.m.outputTokensClient ?? 0;
    if (t.calls.length === 0) {
      end = 'answer';
      answer = t.text;
      break;
    }
    messages.push({
      role: 'assistant',
      content: null,
      tool_calls: t.calls.map((c) => ({
        id: c.id,
        type: 'function',
        function: { name: c.name, arguments: c.arguments },
      })),
    });
    // Parallel calls run at once, as agent runtimes do.
    const results = await Promise.all(t.calls.map((c) => runTool(step, c, ctx, options, rng, tools)));
    for (const [i, c] of t.calls.entries())
      messages.push({ role: 'tool', tool_call_id: c.id, content: results[i] });
  }
  const endAt = roundMs(ctx.clock());
  const success = end === 'answer';
  const m: StepMeasurement = {
    outcome: success ? 'ok' : ctx.signal?.aborted ? 'cancelled' : 'error',
    sent: start,
    end: endAt,
    e2eMs: roundMs(endAt - start),
    agent: { steps, modelCalls, tools, end, success, inputTokens, outputTokens },
  };
  if (!success && m.outcome === 'error') {
    if (end === 'max_steps') {
      m.error = 'check_failed';
      m.message = `max_steps (${body.max_steps}) reached without a final answer`;
    } else {
      m.error = failed?.error ?? 'stream_error';
      m.message = `a model call failed: ${failed?.message ?? ''}`;
    }
  }
  return { measurement: m, response: { status: 200, headers: {}, body: answer } };
}

const warmReply = warmAgentReplies(warmReplies(true));

const agentTransport: OwnStepTransport = {
  type: 'own',
  send: (step, ctx, options) => runAgent(step as AgentStep, ctx, options),
};

export const agentStep: StepKindEntry<AgentBody, 'agent', typeof AgentBodySchema> = {
  name: 'agent',
  schema: AgentBodySchema,
  summary:
    'An agent loop: chat completions with `tools`, each tool call run by a simulated or HTTP tool, until an answer or `max_steps` (docs/agents.md)',
  model: false,
  defaultName: () => 'agent',
  compile(s, index, defaults) {
    const name = s.name ?? 'agent';
    const tools = new Map<string, CompiledTool>();
    for (const def of s.tools) {
      let http: CompiledStep | undefined;
      if (def.http !== undefined) {
        const body = {
          url: def.http.url,
          method: def.http.method,
          headers: { 'content-type': 'application/json', ...def.http.headers },
        };
        http = toolRequest(body, index, defaults, def.timeout);
        http.name = `${name}/tool:${def.name}`;
      }
      const from = def.result_from;
      const rows =
        from === undefined
          ? undefined
          : { texts: toolRows(from), random: from.strategy === 'random', key: `${name}\n${def.name}` };
      tools.set(def.name, { def, latency: createSampler(def.latency_ms), http, rows });
    }
    const compiled: AgentStep = {
      index,
      name,
      kind: 'agent',
      via: agentStep as StepKindEntry,
      origin: '',
      path: '',
      method: 'POST',
      headers: {},
      body: undefined,
      timeoutMs: s.timeout ?? defaults.timeoutMs,
      maxRedirects: 0,
      expectStatus: undefined,
      stream: false,
      inputTokensClient: undefined,
      inputTokensPending: undefined,
      agent: { body: s, defaults, tools },
    };
    return compiled;
  },
  transport: agentTransport,
  warmUp: {
    variant: (b) => (b.stream ? 'agent' : 'agent-json'),
    body: (variant) => ({
      model: 'warm',
      messages: [{ role: 'user', content: 'warm up' }],
      tools: [{ name: WARM_TOOL, parameters: { type: 'object', properties: { q: { type: 'string' } } } }],
      max_steps: 3,
      stream: variant === 'agent',
    }),
    answer: (method, url, b) =>
      method === 'POST' && url.endsWith('/chat/completions') && b.includes('"tools":')
        ? warmReply(b)
        : undefined,
  },
};

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
