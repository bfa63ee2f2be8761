/**
 * The RAG example (examples/rag.yaml) with its retrieval app
 * (examples/apps/vector-search.mjs) as a process of its own, against the
 * embedded mock: every step succeeds, the embedding step's records carry
 * their vectors and input tokens, and as arrivals rise the retrieval step's
 * latency climbs (its queue) while the embedding step's stays low: the
 * per-step breakdown names the step that saturates first.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, stderrProblems, tempDir } from '../support/cli.js';
import { type ServedProcess, serveProcess } from '../support/servers.js';

let app: ServedProcess | undefined;
afterAll(async () => {
  await app?.stop();
});

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

describe('RAG example', () => {
  it('embeds, retrieves and answers with no errors; retrieval saturates first', {
    timeout: 60_000,
  }, async () => {
    app = await serveProcess(['examples/apps/vector-search.mjs']);
    const out = join(tempDir(), 'run');
    const result = await runCli([
      'run',
      'examples/rag.yaml',
      '-e',
      `RETRIEVAL=${app.url}`,
      '--out',
      out,
      '--quiet',
    ]);
    expect(stderrProblems(result.stderr)).toEqual([]);
    expect(result.code).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.counts.errors).toBe(0);
    const { embed, retrieve, answer } = summary.steps;
    expect(embed.kind).toBe('embedding');
    expect(embed.counts.ok).toBeGreaterThan(100);
    expect(retrieve.counts.ok).toBe(embed.counts.ok);
    expect(answer.counts.ok).toBe(embed.counts.ok);
    // One input per request: as many vectors as embedding requests.
    expect(embed.rates.vectors_per_s).toBeCloseTo(embed.rates.ok_per_s, 6);
    expect(summary.rates.embedding_tokens_per_s).toBeGreaterThan(0);
    const records = readFileSync(join(out, 'records.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const embeds = records.filter((r) => r.stepName === 'embed');
    for (const r of embeds) {
      expect(r.vectors).toBe(1);
      expect(r.inputTokens).toBeGreaterThan(0);
      expect(r.inputTokens).toBe(r.inputTokensClient);
    }
    // Light stage (the first 2 s) against the second half of the heavy one (from 3.5 s).
    const e2e = (step: string, from: number, to: number) =>
      p50(
        records
          .filter((r) => r.stepName === step && r.outcome === 'ok' && r.sent >= from && r.sent < to)
          .map((r) => r.e2eMs),
      );
    const light = { retrieve: e2e('retrieve', 0, 2000), embed: e2e('embed', 0, 2000) };
    const heavy = { retrieve: e2e('retrieve', 3500, 1e9), embed: e2e('embed', 3500, 1e9) };
    // The index runs 2 searches of 15 ms at once: ~130/s; the heavy stage offers up to 250/s.
    expect(heavy.retrieve).toBeGreaterThan(light.retrieve * 3);
    expect(heavy.retrieve).toBeGreaterThan(heavy.embed * 2);
    const stats = await (await fetch(`${app.url}/__app/stats`)).json();
    expect(stats.maxQueue).toBeGreaterThan(10);
    console.log('rag p50 e2e ms', JSON.stringify({ light, heavy }));
  });
});
