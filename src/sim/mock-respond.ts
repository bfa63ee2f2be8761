/**
 * @module sim/mock-respond
 * What the mock does with one valid completion request: the fault schedule,
 * rate limits and cache decide first; then the answer is generated either by
 * the continuous-batching engine (`engine` profile section) or by the simple
 * per-request timing (`ttft_ms`, `itl_ms`).
 */
import type { ServerResponse } from 'node:http';
import { tokenizer } from '../core/index.js';
import { createRng, createSampler, deriveSeed } from '../random/index.js';
import { createFaultSchedule } from './fault-schedule.js';
import { type EngineTicket, InferenceEngine } from './inference-engine.js';
import { createAgentPlanner, type MockToolCall, toolCallPieces } from './mock-agent.js';
import { apiErrorBody } from './mock-apis.js';
import type { MockServerStats } from './mock-metrics.js';
import type { MockRequest, MockUsage } from './mock-openai.js';
import { createMockOutput, type MockOutput } from './mock-output.js';
import type { MockProfile } from './mock-profile.js';
import { degradeAnswer, drawDegradation, isDegraded, referenceAnswer, referenceSet } from './mock-quality.js';
import { countPromptTokens, createAnswer, type MockAnswer, withReasoning } from './mock-text.js';
import { PromptCache } from './prefix-cache.js';
import { RateLimiter } from './rate-limiter.js';

/** Sub-streams of the profile seed; answers use the prompt hash instead. */
const TIMING_STREAM = 0x71;
const FAULT_STREAM = 0x72;
const DEGRADE_STREAM = 0x73;

const ID_PREFIX = { chat: 'chatcmpl', completion: 'cmpl', messages: 'msg', responses: 'resp' } as const;

/** Answers completion requests; `stop` ends everything in progress (server close). */
export interface MockResponder {
  respond(req: MockRequest, res: ServerResponse, arrival: number): void;
  /** Updates the engine gauges in `counters`. */
  refreshGauges(): void;
  stop(): void;
}

function sendJson(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** A tool-call turn as an answer: one token per piece of the calls' arguments. */
function toolCallAnswer(calls: MockToolCall[]): MockAnswer {
  const pieces = toolCallPieces(calls);
  return {
    tokens: pieces.map((p) => p.text),
    finishReason: 'tool_calls',
    toolCalls: { calls, pieces: pieces.map((p) => ({ call: p.call, first: p.first })) },
  };
}

/** `origin` is the server start on `now`'s clock: fault times and rate windows count from it. */
export function createResponder(
  profile: MockProfile,
  counters: MockServerStats,
  origin: number,
  now: () => number,
): MockResponder {
  const ttft = createSampler(profile.ttft_ms);
  const itl = createSampler(profile.itl_ms);
  const outputTokens = createSampler(profile.output_tokens);
  const reasoningTokens =
    profile.reasoning_tokens === undefined ? undefined : createSampler(profile.reasoning_tokens);
  const timingRng = createRng(deriveSeed(profile.seed, TIMING_STREAM));
  const faultRng = createRng(deriveSeed(profile.seed, FAULT_STREAM));
  const faults = createFaultSchedule(profile.faults ?? []);
  const limiter = profile.rate_limits && new RateLimiter(profile.rate_limits, origin);
  const cache = profile.cache && new PromptCache(profile.cache);
  const engine = profile.engine && new InferenceEngine(profile.engine, now);
  const reference = referenceSet(profile.answers);
  const degrade = profile.degrade;
  const degradeRng = createRng(deriveSeed(profile.seed, DEGRADE_STREAM));
  const agent = createAgentPlanner(profile.seed, profile.agent);
  counters.kvBudgetTokens = profile.engine?.kv_cache_tokens ?? 0;
  let completions = 0;
  /** Settles each answer in progress; run once per answer. */
  const active = new Set<() => void>();

  function refuse(
    req: MockRequest,
    res: ServerResponse,
    status: number,
    message: string,
    type: string,
    code: string | null,
  ) {
    counters.errors++;
    sendJson(res, status, apiErrorBody(req.endpoint, status, { message, type, code }));
  }

  /** The load a request arrives to: answers in progress, the engine's queue and KV use. */
  function loadNow() {
    if (engine === undefined) return { inFlight: counters.inFlight, waiting: undefined, kvUse: undefined };
    const state = engine.state();
    const budget = profile.engine?.kv_cache_tokens;
    return {
      inFlight: counters.inFlight,
      waiting: state.waiting,
      kvUse: budget === undefined ? undefined : state.kvUsedTokens / budget,
    };
  }

  function respond(req: MockRequest, res: ServerResponse, arrival: number): void {
    const known = reference?.(req.prompt);
    let plain =
      known === undefined
        ? createAnswer(profile.seed, req.prompt, outputTokens, req.maxTokens)
        : referenceAnswer(known, req.maxTokens);
    if (degrade !== undefined && isDegraded(degrade.when, loadNow())) {
      const how = drawDegradation(degrade, degradeRng);
      if (how !== undefined) {
        plain = degradeAnswer(plain, how, degrade);
        res.setHeader('x-mock-degraded', how);
      }
    }
    // Reasoning is a chat model's: completions answer without it.
    const calls = req.tools === undefined ? undefined : agent.turn(req.messages, req.tools);
    const answer =
      calls !== undefined
        ? toolCallAnswer(calls)
        : reasoningTokens !== undefined && (req.endpoint === 'chat' || req.endpoint === 'messages')
          ? withReasoning(plain, profile.seed, req.prompt, reasoningTokens)
          : plain;
    const tokens = answer.tokens;
    const promptIds = cache?.mode === 'prefix' ? tokenizer().encode(req.prompt) : undefined;
    const promptTokens = promptIds?.length ?? countPromptTokens(req.prompt);
    const fault = faults.effect(arrival - origin, faultRng);
    if (fault.kinds.length > 0) counters.faulted++;
    if (fault.status !== undefined) {
      const overloaded = fault.status === 503 || fault.status === 529;
      if (fault.retryAfterS !== undefined) res.setHeader('retry-after', String(fault.retryAfterS));
      refuse(
        req,
        res,
        fault.status,
        fault.status === 529
          ? 'Overloaded'
          : overloaded
            ? 'The server is overloaded or not ready yet.'
            : 'The server had an error while processing your request.',
        'server_error',
        null,
      );
      return;
    }
    let delayMs = fault.delayMs;
    if (limiter !== undefined) {
      const verdict = limiter.check(arrival, promptTokens + tokens.length);
      for (const [name, value] of Object.entries(verdict.headers)) res.setHeader(name, value);
      if (!verdict.allowed) {
        counters.rateLimited++;
        refuse(
          req,
          res,
          429,
          'Rate limit reached for requests. Please try again later.',
          'requests',
          'rate_limit_exceeded',
        );
        return;
      }
      delayMs += verdict.delayMs;
    }
    let cachedTokens = 0;
    let responseHit = false;
    if (cache !== undefined) {
      if (promptIds !== undefined) cachedTokens = cache.prefix(promptIds);
      else responseHit = cache.response(`${req.endpoint}\n${req.model}\n${req.maxTokens}\n${req.prompt}`);
      const hit = responseHit || cachedTokens > 0;
      if (hit) counters.cacheHits++;
      else counters.cacheMisses++;
      counters.cachedPromptTokens += cachedTokens;
      res.setHeader('x-mock-cache', hit ? 'hit' : 'miss');
      if (promptIds !== undefined) res.setHeader('x-mock-cached-tokens', String(cachedTokens));
    }

    const usage: MockUsage = {
      prompt_tokens: promptTokens,
      completion_tokens: tokens.length,
      total_tokens: promptTokens + tokens.length,
    };
    if (answer.reasoning) usage.completion_tokens_details = { reasoning_tokens: answer.reasoning };
    if (cachedTokens > 0) usage.prompt_tokens_details = { cached_tokens: cachedTokens };
    completions++;
    const id = `${ID_PREFIX[req.endpoint]}-mock-${completions}`;
    const created = Math.floor(Date.now() / 1000);
    // Created when generation is accepted: a refusal after a delay still gets a clean status.
    let out: MockOutput | undefined;
    const startOutput = (): MockOutput => {
      out = createMockOutput({ res, req, answer, usage, id, created, fault: fault.stream });
      return out;
    };
    let timer: NodeJS.Timeout | undefined;
    let ticket: EngineTicket | undefined;
    let finished = false;
    counters.inFlight++;
    if (req.stream) counters.streaming++;
    else counters.nonStreaming++;
    const settle = (): void => {
      if (!active.delete(settle)) return;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      if (ticket !== undefined && engine !== undefined) engine.cancel(ticket);
      counters.inFlight--;
      counters.generationTokens += out?.generated ?? 0;
      if (out?.faulted) return;
      if (finished) {
        counters.completed++;
        if (answer.finishReason !== 'length') counters.finishedStop++;
        else counters.finishedLength++;
      } else counters.aborted++;
    };
    active.add(settle);
    // 'close' comes after a finished response and after a client disconnect alike.
    res.on('close', settle);
    const done = (): void => {
      finished = true;
      out?.finish();
    };

    if (responseHit) {
      counters.promptTokens += promptTokens;
      const o = startOutput();
      for (let i = 0; i < tokens.length; i++) o.token(i);
      done();
      return;
    }
    if (engine !== undefined) {
      const submit = (): void => {
        timer = undefined;
        const refused = engine.refusal(promptTokens, tokens.length);
        if (refused !== undefined) {
          counters.rejected++;
          active.delete(settle);
          counters.inFlight--;
          if (refused === 'too_large') {
            refuse(
              req,
              res,
              400,
              "This model's maximum context length is exceeded.",
              'invalid_request_error',
              'context_length_exceeded',
            );
            return;
          }
          const status = engine.queueFullStatus;
          const limited = status === 429;
          refuse(
            req,
            res,
            status,
            'The server is overloaded: too many requests are waiting.',
            limited ? 'requests' : 'server_error',
            limited ? 'rate_limit_exceeded' : null,
          );
          return;
        }
        counters.promptTokens += promptTokens;
        const o = startOutput();
        ticket = engine.submit({
          promptTokens,
          prefillTokens: promptTokens - cachedTokens,
          outputTokens: tokens.length,
          onToken: (i) => o.token(i),
          onDone: done,
        }) as EngineTicket;
      };
      if (delayMs > 0) timer = setTimeout(submit, delayMs);
      else submit();
      return;
    }

    counters.promptTokens += promptTokens;
    const o = startOutput();
    // Simple timing: absolute target times, so a late timer delays one token, never the ones after it.
    // libuv's clock is in whole ms, so a timer can fire a little early; then it waits again.
    const uncached = promptTokens > 0 ? 1 - cachedTokens / promptTokens : 1;
    let due = arrival + delayMs + ttft(timingRng) * uncached;
    if (!req.stream) {
      for (let i = 1; i < tokens.length; i++) due += itl(timingRng);
      timer = setTimeout(() => {
        timer = undefined;
        for (let i = 0; i < tokens.length; i++) o.token(i);
        done();
      }, due - now());
      return;
    }
    let next = 0;
    const tick = (): void => {
      timer = undefined;
      const t = now();
      while (next < tokens.length && due <= t) {
        o.token(next);
        next++;
        if (next < tokens.length) due += itl(timingRng);
      }
      if (next < tokens.length) timer = setTimeout(tick, due - now());
      else done();
    };
    timer = setTimeout(tick, due - now());
  }

  return {
    respond,
    refreshGauges: () => {
      if (engine === undefined) {
        counters.running = counters.inFlight;
        return;
      }
      const state = engine.state();
      counters.running = state.running;
      counters.waiting = state.waiting;
      counters.kvUsedTokens = state.kvUsedTokens;
      counters.preemptions = state.preemptions;
    },
    stop: () => {
      engine?.close();
      for (const settle of active) settle();
    },
  };
}
