/**
 * Notifications against real webhook receivers on 127.0.0.1: the payloads
 * carry every triage field, retries happen with backoff and are logged, and a
 * dead or hanging webhook ends within the deadline without throwing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { deadUrl, startWebhook, type WebhookServer } from '../../test/support/webhook-server.js';
import { redactText } from '../store/index.js';
import { type NotifyContext, type NotifyItem, type NotifySummary, notifyItems } from './notify.js';
import { deliverNotifications, webhookLabel, webhookSecrets } from './notify-delivery.js';

const ctx: NotifyContext = {
  test: 'chat-api',
  target: 'http://127.0.0.1:9/v1',
  git: { commit: '0123456789abcdef0123456789abcdef01234567', branch: 'main', dirty: false },
  runDir: '/tmp/runs/r1',
  report: '/tmp/runs/r1/report.html',
  passed: false,
  startedAt: '2026-12-07T19:00:00.000Z',
};

const summary: NotifySummary = {
  thresholds: [
    { metric: 'ttft_ms{scenario:chat}', expr: 'p99 < 100', blocking: true, value: 180, passed: false },
    { metric: 'error_rate', expr: '< 0.01', blocking: true, value: 0, passed: true },
  ],
  anomalies: [
    {
      metric: 'ttft_ms.p99',
      windows: [10, 13],
      kind: 'spike',
      size: 3,
      baseline: 100,
      peak: 300,
      causes: [{ label: 'fault slow-upstream' }],
      generator_limited: false,
    },
  ],
  compare: {
    verdict: 'regression',
    rows: [
      {
        scenario: 'chat',
        metric: 'ttft_ms',
        stat: 'p95',
        baseline: 100,
        candidate: 140,
        delta: 40,
        relative: 0.4,
        ci: { low: 30, high: 52 },
        verdict: 'regression',
      },
      {
        scenario: 'all',
        metric: 'e2e_ms',
        stat: 'p50',
        baseline: 1,
        candidate: 1,
        delta: 0,
        verdict: 'no significant change',
      },
    ],
  },
};

const ITEM_FIELDS: (keyof NotifyItem)[] = [
  'scenario',
  'metric',
  'percentile',
  'value',
  'baseline',
  'limit',
  'delta',
  'relative',
  'interval',
  'detail',
];

const servers: WebhookServer[] = [];
async function webhook(options?: Parameters<typeof startWebhook>[0]): Promise<WebhookServer> {
  const s = await startWebhook(options);
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('notifyItems', () => {
  it('turns failed thresholds, regression rows and anomalies into items', () => {
    const items = notifyItems(summary);
    expect(items.threshold).toEqual([
      expect.objectContaining({
        scenario: 'chat',
        metric: 'ttft_ms',
        percentile: 'p99',
        value: 180,
        limit: 100,
        delta: 80,
      }),
    ]);
    expect(items.regression).toEqual([
      expect.objectContaining({
        scenario: 'chat',
        metric: 'ttft_ms',
        percentile: 'p95',
        value: 140,
        baseline: 100,
        delta: 40,
        interval: { low: 30, high: 52 },
      }),
    ]);
    expect(items.anomaly).toEqual([
      expect.objectContaining({
        metric: 'ttft_ms',
        percentile: 'p99',
        value: 300,
        baseline: 100,
        delta: 200,
      }),
    ]);
    expect(items.anomaly[0]?.detail).toContain('fault slow-upstream');
    // A compare section nested as { comparison } is read the same way.
    expect(notifyItems({ compare: { comparison: summary.compare } }).regression).toHaveLength(1);
    expect(
      notifyItems({ compare: [summary.compare, { comparison: summary.compare }] }).regression,
    ).toHaveLength(2);
    expect(notifyItems({ compare: { verdict: 'collecting baseline (3 of 5)' } }).regression).toEqual([]);
  });
});

describe('webhook URLs', () => {
  it('are shown without their tokens', () => {
    expect(webhookLabel('https://hooks.slack.com/services/T0001/B0002/abcdefSECRETxyz')).toBe(
      'https://hooks.slack.com/services/[redacted]',
    );
    expect(webhookLabel('https://user:pw@example.com/hook?token=s3cr3t&x=1')).toBe(
      'https://[redacted]@example.com/hook?token=[redacted]&x=[redacted]',
    );
    expect(webhookLabel('http://127.0.0.1:8080/hooks/9f8e7d6c5b4a')).toBe(
      'http://127.0.0.1:8080/hooks/[redacted]',
    );
    // Everything tokenstorm writes goes through redactText: a Slack hook's path token is a shape it knows.
    expect(redactText('POST https://hooks.slack.com/services/T0001/B0002/abcdefSECRETxyz failed')).toBe(
      'POST https://hooks.slack.com/services/[redacted] failed',
    );
    expect(webhookSecrets('https://hooks.slack.com/services/T0001/B0002/abcdefSECRETxyz')).toContain(
      'abcdefSECRETxyz',
    );
  });
});

describe('deliverNotifications', () => {
  it('POSTs one generic payload per event kind with every triage field', async () => {
    const hook = await webhook();
    const results = await deliverNotifications(
      [
        {
          webhook: `${hook.url}/hook?token=tok-123456789`,
          format: 'generic',
          on: ['threshold', 'regression', 'anomaly'],
        },
      ],
      summary,
      ctx,
    );
    expect(results.map((r) => [r.event, r.delivered, r.attempts])).toEqual([
      ['threshold', true, 1],
      ['regression', true, 1],
      ['anomaly', true, 1],
    ]);
    expect(hook.posts).toHaveLength(3);
    for (const post of hook.posts) {
      const body = post.body as Record<string, unknown>;
      expect(body).toMatchObject({
        schema: 'tokenstorm.notification/v1',
        test: 'chat-api',
        target: 'http://127.0.0.1:9/v1',
        commit: ctx.git?.commit,
        branch: 'main',
        run_dir: '/tmp/runs/r1',
        report: '/tmp/runs/r1/report.html',
      });
      const items = body.items as Record<string, unknown>[];
      expect(items.length).toBeGreaterThan(0);
      for (const item of items) for (const field of ITEM_FIELDS) expect(item).toHaveProperty(field);
    }
    const regression = hook.posts.find((p) => (p.body as { event: string }).event === 'regression');
    expect((regression?.body as { items: NotifyItem[] } | undefined)?.items[0]).toMatchObject({
      baseline: 100,
      value: 140,
      delta: 40,
      interval: { low: 30, high: 52 },
    });
    expect(results.every((r) => r.webhook === `${hook.url}/hook?token=[redacted]`)).toBe(true);
  });

  it('sends only the kinds a webhook asked for, as a Slack message', async () => {
    const hook = await webhook();
    await deliverNotifications(
      [{ webhook: `${hook.url}/services/T1/B2/XYZsecret99`, format: 'slack', on: ['anomaly'] }],
      summary,
      ctx,
    );
    expect(hook.posts).toHaveLength(1);
    expect(hook.posts[0]?.path).toBe('/services/T1/B2/XYZsecret99');
    const body = hook.posts[0]?.body as { text: string; blocks: { type: string; text?: { text: string } }[] };
    expect(body.text).toContain('chat-api');
    expect(body.text).toContain('0123456789ab (main)');
    expect(body.blocks[0]?.type).toBe('header');
    expect(body.blocks.every((b) => ['header', 'section', 'context'].includes(b.type))).toBe(true);
    const all = JSON.stringify(body.blocks);
    for (const needle of [
      'ttft_ms p99',
      'baseline 100',
      'value 300',
      'delta 200',
      '/tmp/runs/r1/report.html',
      'fault slow-upstream',
    ])
      expect(all).toContain(needle);
  });

  it('retries a failing webhook with backoff and logs each try', async () => {
    const hook = await webhook({ failFirst: 2, failStatus: 503 });
    const lines: string[] = [];
    const results = await deliverNotifications(
      [{ webhook: `${hook.url}/hooks/abc123def456`, format: 'generic', on: ['threshold'] }],
      summary,
      ctx,
      { backoffMs: 20, log: (l) => lines.push(l) },
    );
    expect(results[0]).toMatchObject({ delivered: true, attempts: 3, status: 200 });
    expect(hook.arrivals).toBe(3);
    expect(lines.filter((l) => l.includes('retrying in'))).toHaveLength(2);
    expect(lines.join('\n')).toContain('HTTP 503');
    expect(lines.join('\n')).not.toContain('abc123def456');
    expect(lines.join('\n')).toContain('/hooks/[redacted]');
  });

  it('gives up on a dead webhook after its tries, without throwing', async () => {
    const lines: string[] = [];
    const results = await deliverNotifications(
      [{ webhook: `${await deadUrl()}/hook`, format: 'generic', on: ['threshold'] }],
      summary,
      ctx,
      { backoffMs: 10, log: (l) => lines.push(l) },
    );
    expect(results[0]).toMatchObject({ delivered: false, attempts: 3, error: 'connection refused' });
    expect(lines.at(-1)).toContain('not delivered after 3 attempt(s)');
  });

  it('stops at the deadline when a webhook never answers', async () => {
    const hook = await webhook({ hang: true });
    const results = await deliverNotifications(
      [{ webhook: `${hook.url}/hook`, format: 'generic', on: ['threshold', 'anomaly'] }],
      summary,
      ctx,
      { timeoutMs: 200, totalMs: 600, backoffMs: 50 },
    );
    expect(results).toHaveLength(2);
    for (const r of results) expect(r.delivered).toBe(false);
    expect(hook.arrivals).toBeGreaterThanOrEqual(2);
  });
});
