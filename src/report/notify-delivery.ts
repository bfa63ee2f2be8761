/**
 * @module report/notify-delivery
 * Sends a run's notifications (report/notify builds them): one POST per event
 * kind and webhook, retried with backoff inside a hard deadline, never
 * throwing: a dead or hanging webhook costs at most `totalMs` and changes no
 * verdict. A webhook URL is a credential (a Slack hook's path is its token):
 * it is shown only through {@link webhookLabel}.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  genericPayload,
  NOTIFY_EVENTS,
  type NotifyContext,
  type NotifyEvent,
  type NotifyFormat,
  type NotifyItem,
  type NotifySummary,
  type NotifyTarget,
  notifyItems,
  slackPayload,
} from './notify.js';

/** A delivery, as summary.json → `notifications` keeps it (the webhook by its label only). */
export interface NotificationResult {
  /** The entry of `notify:` (its URL may be redacted whole). */
  index: number;
  webhook: string;
  format: NotifyFormat;
  event: NotifyEvent;
  items: number;
  delivered: boolean;
  attempts: number;
  /** The webhook's last HTTP status, when it answered. */
  status?: number;
  /** Why the last attempt failed. */
  error?: string;
}

export interface DeliveryOptions {
  /** Tries per POST; default 3. */
  attempts?: number;
  /** One attempt's limit; default 2000 ms. */
  timeoutMs?: number;
  /** Every POST of the run ends by then; default 5000 ms. */
  totalMs?: number;
  /** Wait before the second try, doubled each time; default 250 ms. */
  backoffMs?: number;
  log?: (line: string) => void;
}

const TOKEN_LIKE = /^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_.~-]{8,}$|^[A-Za-z0-9_-]{20,}$/;
const TOKEN_PATH_HOSTS = /(^|\.)(hooks\.slack\.com|discord(app)?\.com|webhook\.office\.com)$/i;

/**
 * A webhook URL safe to show: userinfo and every query value replaced, and the
 * path after its first segment when the host keeps its token there (Slack,
 * Discord, Teams) or a segment looks like a token.
 */
export function webhookLabel(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '[redacted]';
  }
  const user = u.username !== '' || u.password !== '' ? '[redacted]@' : '';
  const segments = u.pathname.split('/').filter((s) => s !== '');
  const allAfterFirst = TOKEN_PATH_HOSTS.test(u.hostname);
  let hidden = false;
  const shown: string[] = [];
  segments.forEach((s, i) => {
    if (hidden) return;
    if ((allAfterFirst && i > 0) || TOKEN_LIKE.test(decodeURIComponentSafe(s))) {
      shown.push('[redacted]');
      hidden = true;
    } else shown.push(s);
  });
  const query = [...u.searchParams.keys()].map((k) => `${encodeURIComponent(k)}=[redacted]`).join('&');
  return `${u.protocol}//${user}${u.host}/${shown.join('/')}${query === '' ? '' : `?${query}`}`;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The secret parts of a webhook URL (the URL, its hidden path, query values, userinfo), to scrub verbatim. */
export function webhookSecrets(url: string): string[] {
  const out = [url];
  try {
    const u = new URL(url);
    if (u.username !== '') out.push(decodeURIComponentSafe(u.username));
    if (u.password !== '') out.push(decodeURIComponentSafe(u.password));
    for (const v of u.searchParams.values()) out.push(v);
    const segments = u.pathname.split('/').filter((s) => s !== '');
    const label = webhookLabel(url);
    const kept = label.split('?')[0]?.split('/').slice(3) ?? [];
    const first = kept.indexOf('[redacted]');
    if (first >= 0) {
      out.push(`/${segments.slice(first).join('/')}`);
      for (const s of segments.slice(first)) out.push(decodeURIComponentSafe(s));
    }
  } catch {
    // Not a URL: the whole string is all there is to scrub.
  }
  return out.filter((s) => s.length >= 8);
}

/** One POST; resolves with the status, rejects on a network error, a timeout or the deadline. */
function post(url: string, body: string, timeoutMs: number, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    // No agent: no kept-alive socket outlives the POST and holds the process open.
    const req = send(u, {
      method: 'POST',
      agent: false,
      signal,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'user-agent': 'tokenstorm',
      },
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => {
        clearTimeout(timer);
        resolve(res.statusCode ?? 0);
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ECONNREFUSED') return 'connection refused';
  if (e?.name === 'AbortError') return 'the notification deadline passed';
  if (e?.code === 'ECONNRESET') return 'connection reset';
  if (e?.code === 'ENOTFOUND') return 'host not found';
  return e?.message ?? String(err);
}

/** 5xx, 429 and 408 are worth another try; other answers are final. */
const retryable = (status: number): boolean => status >= 500 || status === 429 || status === 408;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

async function deliverOne(
  index: number,
  target: NotifyTarget,
  event: NotifyEvent,
  items: readonly NotifyItem[],
  ctx: NotifyContext,
  options: Required<Omit<DeliveryOptions, 'log'>>,
  deadline: AbortSignal,
  endAt: number,
  log: (line: string) => void,
): Promise<NotificationResult> {
  const label = webhookLabel(target.webhook);
  const body = JSON.stringify(
    target.format === 'slack' ? slackPayload(event, items, ctx) : genericPayload(event, items, ctx),
  );
  const result: NotificationResult = {
    index,
    webhook: label,
    format: target.format,
    event,
    items: items.length,
    delivered: false,
    attempts: 0,
  };
  const name = `notify[${index}] ${event} (${target.format})`;
  const to = ` -> ${label}`;
  for (let attempt = 1; attempt <= options.attempts && !deadline.aborted; attempt++) {
    result.attempts = attempt;
    const left = endAt - Date.now();
    let outcome: string;
    try {
      const status = await post(
        target.webhook,
        body,
        Math.max(1, Math.min(options.timeoutMs, left)),
        deadline,
      );
      result.status = status;
      if (status >= 200 && status < 300) {
        result.delivered = true;
        delete result.error;
        log(`${name}: delivered (HTTP ${status}, attempt ${attempt})${to}`);
        return result;
      }
      outcome = `HTTP ${status}`;
      result.error = outcome;
      if (!retryable(status)) break;
    } catch (err) {
      outcome = reason(err);
      result.error = outcome;
    }
    const wait = options.backoffMs * 2 ** (attempt - 1);
    if (attempt < options.attempts && !deadline.aborted && Date.now() + wait < endAt) {
      log(
        `${name}: attempt ${attempt} of ${options.attempts} failed (${outcome}); retrying in ${wait} ms${to}`,
      );
      await sleep(wait, deadline);
    } else if (attempt < options.attempts) {
      log(`${name}: attempt ${attempt} failed (${outcome}); no time left to retry${to}`);
      break;
    }
  }
  log(
    `warning: ${name}: not delivered after ${result.attempts} attempt(s) (${result.error ?? 'no attempt'}); the run's result is unchanged${to}`,
  );
  return result;
}

/**
 * Sends what happened to every webhook that asked for it, all at once, each
 * POST retried with backoff; resolves within `totalMs` whatever the webhooks
 * do, and never rejects.
 */
export async function deliverNotifications(
  targets: readonly NotifyTarget[],
  summary: NotifySummary,
  ctx: NotifyContext,
  options: DeliveryOptions = {},
): Promise<NotificationResult[]> {
  const opts = {
    attempts: options.attempts ?? 3,
    timeoutMs: options.timeoutMs ?? 2000,
    totalMs: options.totalMs ?? 5000,
    backoffMs: options.backoffMs ?? 250,
  };
  const log = options.log ?? (() => undefined);
  const items = notifyItems(summary);
  const deadline = new AbortController();
  const endAt = Date.now() + opts.totalMs;
  const timer = setTimeout(() => deadline.abort(), opts.totalMs);
  try {
    const sends: Promise<NotificationResult>[] = [];
    for (const [index, target] of targets.entries()) {
      for (const event of NOTIFY_EVENTS) {
        const found = items[event];
        if (!target.on.includes(event) || found.length === 0) continue;
        sends.push(
          deliverOne(index, target, event, found, ctx, opts, deadline.signal, endAt, log).catch(
            (err: unknown) => ({
              index,
              webhook: webhookLabel(target.webhook),
              format: target.format,
              event,
              items: found.length,
              delivered: false,
              attempts: 0,
              error: reason(err),
            }),
          ),
        );
      }
    }
    return await Promise.all(sends);
  } finally {
    clearTimeout(timer);
  }
}
