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
import { z } from 'zod';
import { type AgentEnd, type AgentToolCall, roundMs } from '../../core/index.js';
import { createRng } from '../../random/index.js';
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
import { AgentToolSchema, type CompiledTool, compileTools, runTool, toolDefs } from './agent-tools.js';
import { type ChatBody, chatStep } from './chat.js';
import { Message, modelParams, positiveInt, stepCommon } from './fields.js';
import { openAITransport, warmReplies } from './model.js';
import { WARM_TOOL, warmAgentReplies } from './warm-apis.js';

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

let seedCounter = 0;

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
    const results = await Promise.all(
      t.calls.map((c) => runTool(step.agent.tools, step.name, c, ctx, options, rng, tools)),
    );
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
    const tools = compileTools(s.tools, name, index, defaults);
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
