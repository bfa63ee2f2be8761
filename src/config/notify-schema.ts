/**
 * @module config/notify-schema
 * The test's `notify:` list: webhooks told, at the end of a run, about failed
 * thresholds, regressions against a baseline and anomalies (sent by
 * report/notify). The URL may come from `${ENV}`; it is a credential and is
 * redacted wherever it would be written.
 */
import { z } from 'zod';

export const NotifySchema = z
  .array(
    z.strictObject({
      /** The webhook to POST to, e.g. `${SLACK_WEBHOOK_URL}`; treated as a secret (redacted in every output). */
      webhook: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
      /** `generic`: a JSON document (tokenstorm.notification/v1); `slack`: a Slack incoming-webhook message. */
      format: z.enum(['generic', 'slack']).default('generic'),
      /** What is worth a message: a failed threshold, a regression verdict of the run's comparison, an anomaly. */
      on: z
        .array(z.enum(['threshold', 'regression', 'anomaly']))
        .min(1, { error: 'expected at least one of threshold, regression, anomaly' })
        .default(['threshold', 'regression', 'anomaly']),
    }),
  )
  .min(1, { error: 'expected at least one webhook' });
