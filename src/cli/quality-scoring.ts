/**
 * @module cli/quality-scoring
 * The after-run quality scorers of a test's `quality:` block: cosine
 * similarity of each kept answer to its reference from an OpenAI-compatible
 * `/embeddings` endpoint, and a judge model grading a sample of answers with a
 * rubric (`/chat/completions`, its score parsed from the reply). They run once
 * the load has ended, from the samples the run kept, with bounded
 * concurrency: never requests of the test, never on its hot path. A failed
 * call is counted and its first error reported; scoring never fails a run.
 */
import type { QualityTest } from '../config/index.js';
import { cosine, type QualityRow, rankOf } from '../metrics/index.js';
import { redactText } from '../store/index.js';
import type { QualityScoresFile } from './run-outputs.js';

type Endpoint = NonNullable<QualityTest['embeddings']> | NonNullable<QualityTest['judge']>;

/** Inputs per embeddings request. */
const EMBED_BATCH = 32;

function baseUrl(endpoint: Endpoint, mockUrl: string | undefined): string {
  if (endpoint.url !== 'mock') return endpoint.url.replace(/\/+$/, '');
  if (mockUrl === undefined) throw new Error('url "mock" needs the embedded mock (target: mock)');
  return `${mockUrl}/v1`;
}

function headersOf(endpoint: Endpoint): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...endpoint.headers };
  if (endpoint.api_key_env !== undefined) {
    const key = process.env[endpoint.api_key_env];
    if (key === undefined || key === '')
      throw new Error(`environment variable ${endpoint.api_key_env} is not set`);
    headers.authorization = `Bearer ${key}`;
  }
  return headers;
}

async function postJson(url: string, endpoint: Endpoint, body: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: headersOf(endpoint),
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(endpoint.timeout),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`HTTP ${res.status} from ${url}: ${text.slice(0, 200)}`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`${url} answered with something other than JSON: ${text.slice(0, 200)}`);
  }
}

/** Runs `tasks` with at most `limit` at once; each failure is caught and counted. */
async function pool<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<{ failed: number; error?: string }> {
  let next = 0;
  let failed = 0;
  let error: string | undefined;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await task(item);
      } catch (err) {
        failed++;
        error ??= redactText(err instanceof Error ? err.message : String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return error === undefined ? { failed } : { failed, error };
}

/** Rows with an answer and a reference, spread over the run (by a hash of the id), at most `max`. */
function pick(rows: readonly QualityRow[], max: number, share = 1): QualityRow[] {
  return rows
    .filter((r) => r.q.text !== undefined && r.q.reference !== undefined)
    .filter((r) => share >= 1 || rankOf(r.id) / 2 ** 32 < share)
    .sort((a, b) => rankOf(a.id) - rankOf(b.id) || a.id - b.id)
    .slice(0, max);
}

function vectorsOf(body: unknown, n: number): number[][] {
  const data = (body as { data?: unknown })?.data;
  if (!Array.isArray(data) || data.length !== n) throw new Error(`expected ${n} embeddings in "data"`);
  const out: number[][] = new Array(n);
  for (const item of data as { index?: unknown; embedding?: unknown }[]) {
    const i = typeof item.index === 'number' ? item.index : -1;
    if (i < 0 || i >= n || !Array.isArray(item.embedding)) throw new Error('malformed embedding in "data"');
    out[i] = item.embedding as number[];
  }
  return out;
}

/** Cosine of each picked answer to its reference. */
export async function embedScores(
  rows: readonly QualityRow[],
  config: NonNullable<QualityTest['embeddings']>,
  mockUrl: string | undefined,
): Promise<{ cosine: [number, number][]; scored: number; failed: number; error?: string }> {
  const url = `${baseUrl(config, mockUrl)}/embeddings`;
  const picked = pick(rows, config.max);
  const batches: QualityRow[][] = [];
  for (let i = 0; i < picked.length; i += EMBED_BATCH / 2) batches.push(picked.slice(i, i + EMBED_BATCH / 2));
  const scores: [number, number][] = [];
  const result = await pool(batches, config.concurrency, async (batch) => {
    const input = batch.flatMap((r) => [r.q.text as string, r.q.reference as string]);
    const vectors = vectorsOf(await postJson(url, config, { model: config.model, input }), input.length);
    batch.forEach((r, i) => {
      scores.push([
        r.id,
        Math.round(cosine(vectors[2 * i] as number[], vectors[2 * i + 1] as number[]) * 1e4) / 1e4,
      ]);
    });
  });
  scores.sort((a, b) => a[0] - b[0]);
  // A failed batch counts each of its answers as failed.
  return { cosine: scores, scored: scores.length, ...result, failed: picked.length - scores.length };
}

/** The grade in a judge's reply: the number after "score", else the first number. */
export function parseJudgeScore(reply: string): number | undefined {
  const labelled = /score\s*[:=]?\s*\**\s*(\d+(?:\.\d+)?)/i.exec(reply);
  const any = labelled ?? /(\d+(?:\.\d+)?)/.exec(reply);
  return any === null ? undefined : Number(any[1]);
}

/** A judge's grade of each sampled answer. */
export async function judgeScores(
  rows: readonly QualityRow[],
  config: NonNullable<QualityTest['judge']>,
  mockUrl: string | undefined,
): Promise<{ judge: [number, number][]; sampled: number; graded: number; failed: number; error?: string }> {
  const url = `${baseUrl(config, mockUrl)}/chat/completions`;
  const picked = pick(rows, config.max, config.sample);
  const scores: [number, number][] = [];
  const result = await pool(picked, config.concurrency, async (row) => {
    const body = await postJson(url, config, {
      model: config.model,
      temperature: 0,
      max_tokens: 20,
      messages: [
        { role: 'system', content: config.rubric },
        {
          role: 'user',
          content: `Reference answer:\n${row.q.reference}\n\nAnswer to grade:\n${row.q.text}`,
        },
      ],
    });
    const reply = (body as { choices?: { message?: { content?: unknown } }[] })?.choices?.[0]?.message
      ?.content;
    if (typeof reply !== 'string') throw new Error('the judge reply has no choices[0].message.content');
    const score = parseJudgeScore(reply);
    if (score === undefined || score < 0 || score > config.scale) {
      throw new Error(`no score between 0 and ${config.scale} in the judge's reply: ${reply.slice(0, 80)}`);
    }
    scores.push([row.id, score]);
  });
  scores.sort((a, b) => a[0] - b[0]);
  return { judge: scores, sampled: picked.length, graded: scores.length, ...result };
}

/** Runs the scorers the test asked for; what failed is in `scoring`, never thrown. */
export async function scoreQuality(
  rows: readonly QualityRow[],
  config: QualityTest,
  mockUrl: string | undefined,
): Promise<QualityScoresFile | undefined> {
  if (config.embeddings === undefined && config.judge === undefined) return undefined;
  const out: QualityScoresFile = { scoring: {} };
  const scoring = out.scoring as NonNullable<QualityScoresFile['scoring']>;
  const failure = (err: unknown) => redactText(err instanceof Error ? err.message : String(err));
  if (config.embeddings !== undefined) {
    try {
      const { cosine: scores, ...how } = await embedScores(rows, config.embeddings, mockUrl);
      out.cosine = scores;
      scoring.embeddings = how;
    } catch (err) {
      scoring.embeddings = { scored: 0, failed: 0, error: failure(err) };
    }
  }
  if (config.judge !== undefined) {
    try {
      const { judge, ...how } = await judgeScores(rows, config.judge, mockUrl);
      out.judge = judge;
      scoring.judge = how;
    } catch (err) {
      scoring.judge = { sampled: 0, graded: 0, failed: 0, error: failure(err) };
    }
  }
  return out;
}
