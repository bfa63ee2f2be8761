/**
 * @module sim/mock-quality
 * What the mock does for answer-quality tests: answers from a reference set
 * (a prompt's known answer), degrades answers under load at configured rates
 * (refusal, invalid JSON, truncation with `finish_reason: length`, shortened),
 * and answers `/v1/embeddings` with deterministic vectors: the input's words
 * hashed into a fixed number of signed dimensions (feature hashing), so equal
 * texts embed equally and texts that share words are close in cosine.
 */
import { readFileSync } from 'node:fs';
import { tokenizer } from '../core/index.js';
import type { Rng } from '../random/index.js';
import { MockRequestError } from './mock-openai.js';
import type { AnswersProfile, DegradeProfile } from './mock-profile.js';
import { countPromptTokens, hashText, type MockAnswer } from './mock-text.js';

/** A text as the tokens the mock streams: one gpt-tokenizer token each, so counts agree. */
export function tokensOfText(text: string): string[] {
  const own = tokenizer();
  return own.tokenTexts(own.encode(text));
}

/** The answer for a reference text, capped by `maxTokens` as a model's would be. */
export function referenceAnswer(text: string, maxTokens: number | undefined): MockAnswer {
  const tokens = tokensOfText(text);
  if (maxTokens !== undefined && tokens.length > maxTokens) {
    return { tokens: tokens.slice(0, maxTokens), finishReason: 'length' };
  }
  return { tokens, finishReason: 'stop' };
}

function readPairs(file: string): { prompt: string; answer: string }[] {
  const text = readFileSync(file, 'utf8');
  const trimmed = text.trimStart();
  const items: unknown[] = trimmed.startsWith('[')
    ? (JSON.parse(text) as unknown[])
    : text
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as unknown);
  return items.map((item, i) => {
    const p = item as { prompt?: unknown; answer?: unknown };
    if (typeof p?.prompt !== 'string' || typeof p.answer !== 'string') {
      throw new Error(`${file}: item ${i + 1}: expected { "prompt": string, "answer": string }`);
    }
    return { prompt: p.prompt, answer: p.answer };
  });
}

/**
 * Looks up a prompt's reference answer: the prompt itself, else its last line-separated
 * message (a chat's prompt is its messages joined by newlines, the question last).
 */
export function referenceSet(
  profile: AnswersProfile | undefined,
): ((prompt: string) => string | undefined) | undefined {
  if (profile === undefined) return undefined;
  const pairs = Array.isArray(profile) ? profile : readPairs(profile.file);
  const byPrompt = new Map<string, string>();
  for (const p of pairs) byPrompt.set(p.prompt.trim(), p.answer);
  return (prompt) => {
    const whole = byPrompt.get(prompt.trim());
    if (whole !== undefined) return whole;
    const last = prompt.lastIndexOf('\n');
    return last === -1 ? undefined : byPrompt.get(prompt.slice(last + 1).trim());
  };
}

export type Degradation = 'refusal' | 'invalid_json' | 'truncate' | 'shorten';

/** The server's load when a request arrives. */
export interface MockLoad {
  inFlight: number;
  /** Waiting for an engine slot (undefined without an engine). */
  waiting: number | undefined;
  /** Share of the KV budget in use (undefined without a budget). */
  kvUse: number | undefined;
}

/** Whether `load` is at or above any of the profile's levels. */
export function isDegraded(when: DegradeProfile['when'], load: MockLoad): boolean {
  if (when.in_flight !== undefined && load.inFlight >= when.in_flight) return true;
  if (when.queue_depth !== undefined && (load.waiting ?? load.inFlight) >= when.queue_depth) return true;
  return when.kv_use !== undefined && load.kvUse !== undefined && load.kvUse >= when.kv_use;
}

/** Which degradation a request under load gets (one draw of `rng`), or none. */
export function drawDegradation(d: DegradeProfile, rng: Rng): Degradation | undefined {
  const u = rng();
  let edge = d.refusal;
  if (u < edge) return 'refusal';
  edge += d.invalid_json;
  if (u < edge) return 'invalid_json';
  edge += d.truncate;
  if (u < edge) return 'truncate';
  edge += d.shorten;
  return u < edge ? 'shorten' : undefined;
}

/** The answer as degraded: a refusal, JSON that never closes, a cut answer, or a short one. */
export function degradeAnswer(answer: MockAnswer, how: Degradation, d: DegradeProfile): MockAnswer {
  const keep = (share: number) =>
    answer.tokens.slice(0, Math.max(1, Math.ceil(answer.tokens.length * share)));
  switch (how) {
    case 'refusal':
      return { tokens: tokensOfText(d.refusal_text), finishReason: 'stop' };
    case 'invalid_json':
      return { tokens: tokensOfText(`{"answer": "${answer.tokens.join('').trim()}`), finishReason: 'stop' };
    case 'truncate':
      return { tokens: keep(d.truncate_to), finishReason: 'length' };
    case 'shorten':
      return { tokens: keep(d.shorten_to), finishReason: 'stop' };
  }
}

/** Dimensions of the mock's embeddings unless the request asks for `dimensions`. */
export const MOCK_EMBEDDING_DIMENSIONS = 64;

/** A text's deterministic embedding: its lowercase words hashed into signed dimensions, unit length. */
export function mockEmbedding(text: string, dimensions = MOCK_EMBEDDING_DIMENSIONS): number[] {
  const v = new Array<number>(dimensions).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{M}\p{N}]+/gu) ?? []) {
    const h = hashText(word);
    v[h % dimensions] = (v[h % dimensions] as number) + (h >>> 31 === 1 ? -1 : 1);
  }
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return norm === 0 ? v : v.map((x) => Math.round((x / norm) * 1e6) / 1e6);
}

/**
 * The body of `POST /v1/embeddings` for a parsed request: one vector per input, in order.
 * @throws MockRequestError when `input` is not a string or an array of strings.
 */
export function embeddingsBody(body: unknown, defaultModel: string): string {
  const b = (body ?? {}) as {
    input?: unknown;
    model?: unknown;
    dimensions?: unknown;
    encoding_format?: unknown;
  };
  const inputs = typeof b.input === 'string' ? [b.input] : b.input;
  if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((x) => typeof x === 'string')) {
    throw new MockRequestError("'input' must be a string or a non-empty array of strings", 'input');
  }
  const dims = b.dimensions ?? MOCK_EMBEDDING_DIMENSIONS;
  if (typeof dims !== 'number' || !Number.isInteger(dims) || dims < 1 || dims > 4096) {
    throw new MockRequestError("'dimensions' must be a whole number from 1 to 4096", 'dimensions');
  }
  const format = b.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') {
    throw new MockRequestError('\'encoding_format\' must be "float" or "base64"', 'encoding_format');
  }
  let tokens = 0;
  const data = (inputs as string[]).map((text, index) => {
    tokens += countPromptTokens(text);
    const vector = mockEmbedding(text, dims);
    // base64: little-endian float32s, as OpenAI sends them (the openai SDK asks for it by default).
    const embedding =
      format === 'float' ? vector : Buffer.from(Float32Array.from(vector).buffer).toString('base64');
    return { object: 'embedding', index, embedding };
  });
  const model = typeof b.model === 'string' && b.model !== '' ? b.model : defaultModel;
  return JSON.stringify({
    object: 'list',
    data,
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
}
