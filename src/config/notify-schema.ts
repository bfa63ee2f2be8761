/**
 * @module config/notify-schema
 * The test's `notify:` list: webhooks told, at the end of a run, about failed
 * thresholds, regressions against a baseline and anomalies (sent by
 * report/notify). The URL may come from `${ENV}`; it is a credential and is
 * redacted wherever it would be written. Descriptions reach the editor schema.
 */
import { z } from 'zod';

export const NotifySchema = z
  .array(
    z
      .strictObject({
        webhook: z
          .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
          .describe('The webhook to POST to, e.g. ${SLACK_WEBHOOK_URL}; a secret: redacted in every output.'),
        format: z
          .enum(['generic', 'slack'])
          .default('generic')
          .describe(
            'generic: a JSON document (tokenstorm.notification/v1); slack: a Slack incoming-webhook message (text and blocks).',
          ),
        on: z
          .array(z.enum(['threshold', 'regression', 'anomaly']))
          .min(1, { error: 'expected at least one of threshold, regression, anomaly' })
          .default(['threshold', 'regression', 'anomaly'])
          .describe(
            "What is worth a message: a failed threshold, a regression verdict of the run's comparison, an in-run anomaly.",
          ),
      })
      .describe('A webhook told about the run when it ends (docs/notify.md).'),
  )
  .min(1, { error: 'expected at least one webhook' })
  .describe(
    'Webhooks told about failed thresholds, regressions and anomalies when the run ends; retried, bounded, never failing the run (docs/notify.md).',
  );
