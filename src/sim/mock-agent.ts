/**
 * @module sim/mock-agent
 * The mock as an agent's model: a chat request that offers `tools` is answered
 * with tool calls following a plan (tool-call turns per task and calls per
 * turn drawn from the profile's `agent` distributions, seeded by the task's
 * first user message), then a final answer; a tool result that reports an
 * error or a timeout makes it call that tool again, up to `max_retries`. The
 * plan is read from the conversation alone (the call ids say which turn and
 * attempt they were), so any replica answers any turn the same way and retry
 * amplification under load is reproducible.
 */
import { z } from 'zod';
import { tokenizer } from '../core/index.js';
import { createRng, createSampler, DistributionSchema, deriveSeed, type Sampler } from '../random/index.js';
import { generateTokens, hashText } from './mock-text.js';

export const AgentProfileSchema = z.strictObject({
  /** Tool-call turns before the final answer (rounded, 0 or more), drawn per task. */
  tool_turns: DistributionSchema.default(2),
  /** Calls in one turn (rounded, at least 1): more than 1 are parallel calls. */
  parallel: DistributionSchema.default(1),
  /** A failed tool call (its result reports an error or a timeout) is made again at most this many times. */
  max_retries: z.number().int().min(0).max(20).default(2),
  /** Words in each call's `query` argument. */
  argument_words: z.number().int().min(1).max(200).default(6),
});
export type AgentProfile = z.output<typeof AgentProfileSchema>;

/** One tool call the mock makes. */
export interface MockToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** The planner of one profile's agent answers. */
export interface AgentPlanner {
  /** The calls to answer with, or undefined for a final answer (no tools offered, or the plan is done). */
  turn(messages: unknown, tools: readonly string[]): MockToolCall[] | undefined;
}

const PLAN_STREAM = 0xa9;
/** `call_<turn>_<i>_<attempt>`: what the plan reads back from the conversation. */
const CALL_ID = /^call_(\d+)_(\d+)_(\d+)$/;

interface Msg {
  role?: unknown;
  content?: unknown;
  tool_calls?: unknown;
  tool_call_id?: unknown;
}

/** Whether a tool message's content reports a failure: JSON with an `error` key, or text starting "error". */
export function reportsFailure(content: unknown): boolean {
  if (typeof content !== 'string') return false;
  const text = content.trimStart();
  if (/^(error|timeout|timed out)\b/i.test(text)) return true;
  if (!text.startsWith('{')) return false;
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null && 'error' in parsed;
  } catch {
    return false;
  }
}

export function createAgentPlanner(seed: number, profile: AgentProfile | undefined): AgentPlanner {
  const p = profile ?? AgentProfileSchema.parse({});
  const turns: Sampler = createSampler(p.tool_turns);
  const parallel: Sampler = createSampler(p.parallel);
  return {
    turn(messages, tools) {
      if (tools.length === 0 || !Array.isArray(messages)) return undefined;
      const list = messages as Msg[];
      const first = list.find((m) => m?.role === 'user');
      const taskSeed = deriveSeed(deriveSeed(seed, PLAN_STREAM), hashText(String(first?.content ?? '')));
      const planned = Math.max(0, Math.round(turns(createRng(taskSeed))));
      // The calls made so far, and which of them failed.
      const results = new Map<string, boolean>();
      for (const m of list) {
        if (m?.role === 'tool' && typeof m.tool_call_id === 'string')
          results.set(m.tool_call_id, reportsFailure(m.content));
      }
      let done = 0;
      let lastCalls: MockToolCall[] = [];
      for (const m of list) {
        if (m?.role !== 'assistant' || !Array.isArray(m.tool_calls)) continue;
        lastCalls = [];
        for (const c of m.tool_calls as {
          id?: unknown;
          function?: { name?: unknown; arguments?: unknown };
        }[]) {
          const id = String(c?.id ?? '');
          const match = CALL_ID.exec(id);
          if (match !== null) done = Math.max(done, Number(match[1]) + 1);
          lastCalls.push({
            id,
            name: String(c?.function?.name ?? ''),
            arguments: String(c?.function?.arguments ?? ''),
          });
        }
      }
      const retries: MockToolCall[] = [];
      for (const call of lastCalls) {
        const match = CALL_ID.exec(call.id);
        if (match === null || results.get(call.id) !== true) continue;
        const attempt = Number(match[3]);
        if (attempt > p.max_retries) continue;
        retries.push({ ...call, id: `call_${match[1]}_${match[2]}_${attempt + 1}` });
      }
      if (retries.length > 0) return retries;
      if (done >= planned) return undefined;
      const rng = createRng(deriveSeed(taskSeed, done + 1));
      const n = Math.max(1, Math.round(parallel(rng)));
      const calls: MockToolCall[] = [];
      for (let i = 0; i < n; i++) {
        const name = tools[Math.floor(rng() * tools.length)] as string;
        const query = generateTokens(rng, p.argument_words).join('').trim();
        calls.push({ id: `call_${done}_${i}_1`, name, arguments: JSON.stringify({ query }) });
      }
      return calls;
    },
  };
}

/**
 * A turn's calls as the pieces their arguments stream in (one token each): `call` is the call a
 * piece belongs to, `first` marks its first piece (the chunk before it carries the id and name).
 * A piece is whole characters: a token that ends inside a character gives the characters it
 * completes, and the rest of that one comes with the next piece.
 */
export function toolCallPieces(
  calls: readonly MockToolCall[],
): { text: string; call: number; first: boolean }[] {
  const out: { text: string; call: number; first: boolean }[] = [];
  const own = tokenizer();
  for (const [k, call] of calls.entries()) {
    const texts = own.tokenTexts(own.encode(call.arguments));
    if (texts.length === 0) out.push({ text: '', call: k, first: true });
    for (const [i, text] of texts.entries()) out.push({ text, call: k, first: i === 0 });
  }
  return out;
}
