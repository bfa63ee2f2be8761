/**
 * @module sim/mock-text
 * Deterministic answers for the mock server. Every vocabulary entry is exactly
 * one gpt-tokenizer token, and a generated sequence of N entries encodes to
 * exactly N tokens, so a client counting output tokens with gpt-tokenizer agrees
 * with the server's `usage` on the mock.
 */
import { tokenizer } from '../core/index.js';
import { createRng, deriveSeed, type Rng, type Sampler } from '../random/index.js';

const WORDS = [
  'the a an of to and in is it that for on with as by at from this be are was will can may not or but if',
  'then when so each every some many more most all our their its system server request response token',
  'load test time first last next queue batch model user client stream data memory cache network rate',
  'limit error retry budget cost price speed fast slow high low long short small large new good better',
  'simple clear ready steady stable busy idle quiet early late soon now here there today always never',
  'often again also only just still very about after before during under over into through between',
  'across within without near far up down out back work run send read write wait start stop open close',
  'keep hold take make give find show tell ask answer call measure report check count grow drop rise',
  'change help build learn plan use need know think look come go see turn move serve handle value',
  'number level point part case way day week year line page word text note idea question reason result',
  'method service team people engineer machine cluster node worker thread task job window second minute',
  'hour peak traffic burst spike wave signal graph chart table file record metric target goal path route',
].join(' ');

/** The sentence end; never emitted twice in a row, so `..` cannot merge into one token. */
const SENTENCE_END = '.';
const words: readonly string[] = WORDS.split(' ').map((w) => ` ${w}`);

/** Every token the mock can emit: lowercase words with a leading space, and ".". */
export const MOCK_VOCABULARY: readonly string[] = [...words, SENTENCE_END];

/** FNV-1a over UTF-16 code units: cheap, stable across runs and platforms. */
export function hashText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Tokens in a prompt by gpt-tokenizer's default encoding. For chat this is the
 * message contents joined with newlines: chat-template overhead (role markers,
 * separators) is not counted. Special-token text such as `<|endoftext|>` is
 * counted as plain text instead of rejected.
 */
export function countPromptTokens(text: string): number {
  return tokenizer().count(text);
}

/** Draws `count` tokens: sentences of 6 to 14 words, each closed by ".". */
export function generateTokens(rng: Rng, count: number): string[] {
  const out: string[] = new Array(count);
  let sentenceLeft = 6 + Math.floor(rng() * 9);
  for (let i = 0; i < count; i++) {
    if (sentenceLeft === 0) {
      out[i] = SENTENCE_END;
      sentenceLeft = 6 + Math.floor(rng() * 9);
    } else {
      out[i] = words[Math.floor(rng() * words.length)] as string;
      sentenceLeft--;
    }
  }
  return out;
}

/** What the mock answers to one prompt. */
export interface MockAnswer {
  /** One entry per output token; their concatenation is the answer text. */
  tokens: string[];
  /** `length` when `maxTokens` cut the answer short, `tool_calls` for an agent's tool-call turn, else `stop`. */
  finishReason: 'stop' | 'length' | 'tool_calls';
  /** A tool-call turn: the calls, and which call each token (a piece of its arguments) belongs to. */
  toolCalls?: {
    calls: { id: string; name: string; arguments: string }[];
    pieces: { call: number; first: boolean }[];
  };
  /** How many of the first `tokens` are reasoning (streamed before the answer); 0 for most models. */
  reasoning?: number;
}

/** Sub-stream of the answer's generator for its reasoning. */
const REASONING_STREAM = 0x5e;

/**
 * The answer with a reasoning phase before it: `reasoningTokens` drawn (seeded by the prompt,
 * like the answer) and prepended. The answer's own length and `max_tokens` cap are unchanged.
 */
export function withReasoning(
  answer: MockAnswer,
  seed: number,
  prompt: string,
  reasoningTokens: Sampler,
): MockAnswer {
  const rng = createRng(deriveSeed(deriveSeed(seed, hashText(prompt)), REASONING_STREAM));
  const n = Math.max(0, Math.round(reasoningTokens(rng)));
  if (n === 0) return answer;
  return { ...answer, tokens: [...generateTokens(rng, n), ...answer.tokens], reasoning: n };
}

/**
 * The answer to a prompt: its length and words come from a generator seeded by
 * the profile seed and a hash of the prompt, so the same prompt and seed give
 * the same answer whatever the arrival order (like a model at temperature 0).
 * A `maxTokens` cap keeps a prefix of the uncapped answer.
 */
export function createAnswer(
  seed: number,
  prompt: string,
  outputTokens: Sampler,
  maxTokens?: number,
): MockAnswer {
  const rng = createRng(deriveSeed(seed, hashText(prompt)));
  const natural = Math.max(1, Math.round(outputTokens(rng)));
  const capped = maxTokens !== undefined && maxTokens < natural;
  return {
    tokens: generateTokens(rng, capped ? maxTokens : natural),
    finishReason: capped ? 'length' : 'stop',
  };
}
