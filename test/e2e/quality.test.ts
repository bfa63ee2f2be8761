/**
 * Answer quality under load, end to end: the embedded mock answers from the
 * test's reference set and degrades its answers once enough are in flight; a
 * light stage then a heavy one must show the fall (similarity, truncation,
 * cosine from the mock's embeddings, a fixture judge's grades), name the
 * stage, and fail a quality.similarity threshold, while the light stage alone passes.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { runCli, stderrProblems, tempDir } from '../support/cli.js';
import { writeDegradingTest } from '../support/degrading-mock.js';

/** A judge on 127.0.0.1: 5 when the graded answer is the reference, else 1; counts its calls. */
let judge: Server;
let judgeUrl = '';
let judgeCalls = 0;

beforeAll(async () => {
  judge = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      judgeCalls++;
      const messages = (JSON.parse(body) as { messages: { content: string }[] }).messages;
      const m = /Reference answer:\n([\s\S]*)\n\nAnswer to grade:\n([\s\S]*)$/.exec(
        messages[1]?.content ?? '',
      );
      const score = m !== null && m[1]?.trim() === m[2]?.trim() ? 5 : 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: `Score: ${score}` } }] }));
    });
  });
  await new Promise<void>((resolve) => judge.listen(0, '127.0.0.1', resolve));
  judgeUrl = `http://127.0.0.1:${(judge.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  await new Promise((resolve) => judge.close(resolve));
});

const QA: [string, string][] = [
  [
    'What does time to first token measure?',
    'Time to first token measures how long a user waits for the first piece of the answer.',
  ],
  ['What is goodput?', 'Goodput counts only the requests that completed within every latency objective.'],
  [
    'What is a prefix cache?',
    'A prefix cache keeps the state of prompt prefixes seen before so repeated prefixes skip prefill.',
  ],
  [
    'Why use an open load model?',
    'An open load model sends arrivals on a schedule whatever the latency of the server.',
  ],
];

function writeQualityTest(dir: string): string {
  return writeDegradingTest(dir, {
    name: 'quality-e2e',
    qa: QA,
    degrade: ['refusal: 0.1', 'shorten: 0.2'],
    step: 'quality: { reference: "{{ row.answer }}" }',
    tail: `quality:
  min_samples: 5
  embeddings: { url: mock, model: embed }
  judge: { url: "${judgeUrl}", model: judge, sample: 1, max: 400, concurrency: 4 }
thresholds:
  quality.similarity: ["> 0.8"]
  error_rate: ["< 0.01"]
`,
  });
}

interface Stage {
  name: string;
  samples: number;
  similarity: number;
  truncation_rate: number;
  cosine: number;
  judge_score: number;
  length_ratio: number;
  falls: boolean;
}

describe('quality under load against the degrading mock', () => {
  it('shows the fall in the heavy stage, names it, and fails quality.similarity; the light stage alone passes', async () => {
    const dir = tempDir();
    const file = writeQualityTest(dir);
    const out = join(dir, 'run');
    const full = await runCli(['run', file, '--out', out, '--quiet']);
    expect(stderrProblems(full.stderr)).toEqual([]);
    expect(full.code).toBe(ExitCode.thresholdFailed);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.counts.errors).toBe(0);
    const q = summary.quality;
    const [light, heavy] = q.stages as Stage[];
    console.log(
      'quality light vs heavy:',
      JSON.stringify(
        (q.stages as Stage[]).map(
          ({ name, samples, similarity, truncation_rate, cosine, judge_score, length_ratio }) => ({
            name,
            samples,
            similarity,
            truncation_rate,
            cosine,
            judge_score,
            length_ratio,
          }),
        ),
      ),
    );
    expect(light?.name).toBe('light');
    expect(heavy?.name).toBe('heavy');
    expect(light?.samples).toBeGreaterThanOrEqual(5);
    // The mock answers from the reference set: an undegraded answer is the reference.
    expect(light?.similarity).toBe(1);
    expect(light?.truncation_rate).toBe(0);
    expect(heavy?.similarity).toBeLessThan(0.9);
    expect(heavy?.truncation_rate).toBeGreaterThan(0.1);
    expect(heavy?.length_ratio).toBeLessThan(1);
    // Cosine from the mock's embeddings and grades from the fixture judge fall too.
    expect(q.scoring.embeddings).toMatchObject({ failed: 0 });
    expect(q.scoring.embeddings.scored).toBe(q.samples);
    expect(light?.cosine).toBeCloseTo(1, 5);
    expect(heavy?.cosine).toBeLessThan(light?.cosine as number);
    expect(q.scoring.judge).toMatchObject({ failed: 0 });
    expect(q.scoring.judge.graded).toBe(q.samples);
    expect(judgeCalls).toBe(q.samples);
    expect(light?.judge_score).toBe(5);
    expect(heavy?.judge_score).toBeLessThan(4);
    // The judge's and the embeddings' calls are not requests of the test.
    expect(summary.counts.requests).toBe(q.samples);
    expect(q.verdict).toMatchObject({
      falls: true,
      baseline: 'light',
      starts_at: { stage: 'heavy', target: 70 },
    });
    const threshold = summary.thresholds.find((t: { metric: string }) => t.metric === 'quality.similarity');
    expect(threshold).toMatchObject({ passed: false });
    expect(threshold.value).toBe(q.similarity);
    expect(full.stdout).toContain(q.verdict.note);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<h2>Answer quality</h2>');
    expect(html).toContain(`data-metric="quality.stages.1.similarity" data-value="${heavy?.similarity}"`);
    expect(full.stdout).toMatch(/^heavy +\d+ +0\.\d+ /m);

    // The rebuild from records.jsonl and quality-scores.json gives the same section.
    await runCli(['report', out]);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).quality).toEqual(q);

    const lightOut = join(dir, 'light');
    const lightOnly = await runCli(['run', file, '--duration', '2s', '--out', lightOut, '--quiet']);
    expect(stderrProblems(lightOnly.stderr)).toEqual([]);
    expect(lightOnly.code).toBe(0);
    const lightSummary = JSON.parse(readFileSync(join(lightOut, 'summary.json'), 'utf8'));
    expect(lightSummary.quality.similarity).toBe(1);
    expect(lightSummary.quality.verdict.falls).toBe(false);
    expect(lightSummary.thresholds.every((t: { passed: boolean }) => t.passed)).toBe(true);
  });
});
