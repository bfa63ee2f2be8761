/**
 * `notify:` in a real run: webhooks on 127.0.0.1 receive the triage payload
 * (generic and Slack); a dead webhook (connection refused) and a hanging one
 * (accepts, never answers) leave the exit code as it was and the run ends;
 * retries are logged; the webhook tokens appear in no log, summary or run.json.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCli, tempDir } from '../support/cli.js';
import { chatTestYaml } from '../support/run-dir.js';
import { deadUrl, startWebhook, type WebhookServer } from '../support/webhook-server.js';

const dir = tempDir('tokenstorm-notify-');
const out = join(dir, 'run');
const SLACK_TOKEN = 'XyZsLaCkToKeN123456';
const QUERY_TOKEN = 'qUeRyToKeN98765';
let generic: WebhookServer;
let slack: WebhookServer;
let hanging: WebhookServer;
let result: CliResult;

beforeAll(async () => {
  generic = await startWebhook();
  slack = await startWebhook();
  hanging = await startWebhook({ hang: true });
  const dead = await deadUrl();
  // The test lives in a git checkout: the payload names its commit (without a run history too).
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: dir });
  git('init', '-q', '-b', 'release-7');
  git('commit', '-q', '--allow-empty', '-m', 'a release');
  const test = join(dir, 'test.yaml');
  writeFileSync(
    test,
    chatTestYaml('notify-e2e', {
      extra: `thresholds:
  # Fails, but advisory: the run passes, so any other exit code is the webhooks' doing.
  ttft_ms: [{ threshold: "p50 < 1", blocking: false }]
notify:
  - { webhook: "${generic.url}/hook?token=${QUERY_TOKEN}", format: generic, on: [threshold] }
  - { webhook: "\${SLACK_HOOK}", format: slack }
  - { webhook: "${dead}/hook", on: [threshold] }
  - { webhook: "${hanging.url}/hook", on: [threshold] }
`,
    }),
  );
  result = await runCli(['run', test, '--out', out, '--quiet', '--no-history'], {
    env: { SLACK_HOOK: `${slack.url}/services/T0001/B0002/${SLACK_TOKEN}` },
  });
}, 120_000);

afterAll(async () => {
  await Promise.all([generic, slack, hanging].map((s) => s?.close()));
});

describe('notify: in a run', () => {
  it('keeps exit 99 of a failed blocking threshold when the webhook is dead', async () => {
    const test = join(dir, 'blocking.yaml');
    writeFileSync(
      test,
      chatTestYaml('notify-blocking', {
        extra: `thresholds:
  ttft_ms: ["p50 < 1"]
notify:
  - { webhook: "${await deadUrl()}/hook", on: [threshold] }
`,
      }),
    );
    const blocking = await runCli(['run', test, '--out', join(dir, 'blocking'), '--quiet', '--no-history']);
    expect(blocking.code, blocking.stderr).toBe(99);
    expect(blocking.stderr).toContain('not delivered after 3 attempt(s) (connection refused)');
  }, 60_000);

  it('keeps the exit code and ends although one webhook is dead and one hangs', () => {
    expect(result.code, result.stderr).toBe(0);
    expect(hanging.arrivals).toBeGreaterThanOrEqual(1);
  });

  it('posts the triage payload to the generic webhook', () => {
    expect(generic.posts).toHaveLength(1);
    const body = generic.posts[0]?.body as Record<string, unknown>;
    expect(body).toMatchObject({ event: 'threshold', test: 'notify-e2e', target: 'mock', run_dir: out });
    expect(body.report).toBe(join(out, 'report.html'));
    expect(body.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(body.branch).toBe('release-7');
    for (const key of ['started_at', 'passed', 'dirty']) expect(body).toHaveProperty(key);
    const items = body.items as Record<string, unknown>[];
    expect(items[0]).toMatchObject({ scenario: 'all', metric: 'ttft_ms', percentile: 'p50', limit: 1 });
    expect(items[0]?.value as number).toBeGreaterThan(1);
  });

  it('posts a Slack message to the Slack webhook (its URL from ${ENV})', () => {
    expect(slack.posts.length).toBeGreaterThanOrEqual(1);
    expect(slack.posts[0]?.path).toBe(`/services/T0001/B0002/${SLACK_TOKEN}`);
    const body = slack.posts[0]?.body as { text: string; blocks: { type: string }[] };
    expect(body.text).toContain('notify-e2e');
    expect(body.blocks[0]?.type).toBe('header');
  });

  it('logs the retries and records the deliveries in summary.json, tokens redacted', () => {
    // The dead webhook's URL holds no token, yet it is redacted whole (a webhook field is a secret): its index names it.
    expect(result.stderr).toContain(
      'notify[2] threshold (generic): attempt 1 of 3 failed (connection refused); retrying in 250 ms -> [redacted]',
    );
    expect(result.stderr).toMatch(
      /notify\[3\] threshold \(generic\): attempt 1 of 3 failed \(no answer in \d+ ms\)/,
    );
    expect(result.stderr).toContain(
      `notify[0] threshold (generic): delivered (HTTP 200, attempt 1) -> ${generic.url}/hook?token=[redacted]`,
    );
    expect(result.stderr).toContain('not delivered after');
    const summaryText = readFileSync(join(out, 'summary.json'), 'utf8');
    const summary = JSON.parse(summaryText) as { notifications: { webhook: string; delivered: boolean }[] };
    expect(summary.notifications.filter((n) => n.delivered)).toHaveLength(1 + slack.posts.length);
    expect(summary.notifications.filter((n) => !n.delivered)).toHaveLength(2);
    expect(summary.notifications.map((n) => n.webhook)).toContain(`${generic.url}/hook?token=[redacted]`);
    const runJson = readFileSync(join(out, 'run.json'), 'utf8');
    for (const text of [result.stderr, result.stdout, summaryText, runJson]) {
      expect(text).not.toContain(SLACK_TOKEN);
      expect(text).not.toContain(QUERY_TOKEN);
    }
  });
});
