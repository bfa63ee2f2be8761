/**
 * @module cli/run-notify
 * The end of `tokenstorm run`: the test's `notify:` webhooks are told what
 * happened, from summary.json as it is on disk by then (so a `compare`
 * section written after the analysis is read too), and the deliveries are
 * added to it as `notifications`. Bounded in time and never fails the run.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Test } from '../config/index.js';
import { deliverNotifications, type NotifySummary, webhookSecrets } from '../report/index.js';
import { RUN_FILES, type RunInfo, redactStrings, rememberSecrets } from '../store/index.js';

/** Sends the run's notifications and records their delivery in summary.json; only ever logs a failure. */
export async function notifyRun(
  test: Test,
  dir: string,
  info: RunInfo,
  log: (line: string) => void,
): Promise<void> {
  const targets = test.notify;
  if (targets === undefined || targets.length === 0) return;
  // The whole URL is remembered already (its field is secret-named); its path and query parts too.
  rememberSecrets(targets.flatMap((t) => webhookSecrets(t.webhook)));
  try {
    const file = join(dir, RUN_FILES.summary);
    const summary = JSON.parse(readFileSync(file, 'utf8')) as NotifySummary & {
      passed?: boolean;
      startedAt?: string;
      notifications?: unknown;
    };
    const runDir = resolve(dir);
    const results = await deliverNotifications(
      targets,
      summary,
      {
        test: info.name,
        target: info.target,
        git: info.labels?.git,
        runDir,
        report: join(runDir, RUN_FILES.report),
        passed: summary.passed === true,
        startedAt: summary.startedAt ?? info.startedAt,
      },
      { log },
    );
    summary.notifications = redactStrings(results);
    writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
  } catch (err) {
    log(`warning: notifications not sent: ${(err as Error).message}`);
  }
}
