/**
 * @module store/redact
 * Secrets out of everything tokenstorm writes (run.json, records, events,
 * summary, reports, console and log lines), applied to copies: by name (a
 * credential-like header at any depth; a field or query parameter with a
 * word such as key, token, secret, sig), by place (`user:pass@` in a URL),
 * by shape (Bearer/Basic, `sk-`, `AIza…`, JWTs, …), and by value: what the
 * name rules found in the test is remembered per thread and scrubbed
 * verbatim wherever it appears (a key a server echoes back).
 * Why one module: every writer applies the same rules (docs/limits.md#secrets).
 */

/** What stands in for a secret. */
export const REDACTED = '[redacted]';

/** Header names whose value is a credential (the name alone decides). */
const SECRET_HEADER =
  /^(?:authorization|proxy-authorization|cookie|set-cookie)$|key|token|secret|passw|auth|session|credential|signature/i;

/** Words of a field or query-parameter name that make its value a secret (`api_key`, `accessToken`, `X-Amz-Signature`). */
const SECRET_WORDS = new Set([
  'key',
  'apikey',
  'token',
  'secret',
  'password',
  'passwd',
  'pwd',
  'sig',
  'signature',
  'credential',
  'credentials',
  'auth',
  'authorization',
  'session',
  'sessionid',
  'jwt',
  'webhook',
]);

/** True when a field or query parameter named `name` holds a secret (`max_tokens` does not: `tokens` is no secret word). */
export function isSecretName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/);
  for (const word of words) if (SECRET_WORDS.has(word)) return true;
  return false;
}

/** True when a header named `name` carries a credential. */
export function isSecretHeader(name: string): boolean {
  return SECRET_HEADER.test(name);
}

/** `scheme://user:pass@` (anything up to `@` before the host). */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@"'<>]+)@/gi;
/** `name=value` after `?`, `&`, `;` or a space: query parameters, form fields, cookies. */
const PARAM = /(^|[?&;\s])([^=&#?;\s"'<>]+)=([^&#;\s"'<>]*)/g;
/** `"name": "value"` in JSON text (an echoed request body, a gateway config header). */
const JSON_FIELD = /("([^"\\]{1,100})"\s*:\s*)"((?:[^"\\]|\\.)*)"/g;
/** `Authorization: …` and other credential headers quoted in text, to the end of the line. */
const HEADER_LINE =
  /\b((?:proxy-)?authorization|(?:set-)?cookie|[a-z0-9-]*api-key|x-[a-z0-9-]*(?:key|token|secret))(\s*:\s*)([^\r\n"]+)/gi;
/** A whole value that is a credential with its scheme (`Bearer abc`, nothing after it). */
const SCHEME_VALUE = /^(bearer|basic)\s+\S+$/i;
/** A credential after its scheme inside text: the token has a digit or a sign, so `Basic questions` stays. */
const SCHEME_TOKEN = /\b(bearer|basic)(\s+)(?=[A-Za-z0-9._~+/-]*[0-9._~+/=-])[A-Za-z0-9._~+/-]{6,}=*/gi;
/** Well-known token shapes: OpenAI/Anthropic `sk-…`, Google `AIza…`, JWTs, GitHub, Slack, AWS, Hugging Face, Groq. */
const TOKEN_SHAPES =
  /(?<![A-Za-z0-9])(?:sk-[A-Za-z0-9_-]{8,}|AIza[0-9A-Za-z_-]{20,}|eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|hf_[A-Za-z0-9]{20,}|gsk_[A-Za-z0-9]{20,})/g;

/** Webhook hosts that keep the token in the path (Slack, Discord): everything after the fixed prefix is the secret. */
const WEBHOOK_PATH =
  /\b((?:hooks\.slack\.com\/(?:services|workflows|triggers)|discord(?:app)?\.com\/api\/webhooks)\/)[^\s"'<>?#]+/gi;

/** Values shorter than this are not scrubbed verbatim (they would match ordinary text). */
const MIN_REMEMBERED = 8;
/** Secret values seen in this thread's test, longest first. */
let remembered: string[] = [];

/**
 * Adds values to scrub verbatim from every text this thread redacts (those
 * shorter than 8 characters are ignored: "12345" would eat numbers).
 */
export function rememberSecrets(values: Iterable<string>): void {
  const all = new Set(remembered);
  for (const v of values) if (v.length >= MIN_REMEMBERED && !v.includes(REDACTED)) all.add(v);
  remembered = [...all].sort((a, b) => b.length - a.length);
}

/** Forgets the remembered values (tests). */
export function forgetSecrets(): void {
  remembered = [];
}

/** Collects the parts of a secret worth scrubbing verbatim: the whole value, the token after a scheme, cookie values. */
function collect(value: string, found: Set<string> | undefined): void {
  if (found === undefined) return;
  found.add(value);
  for (const part of value.split(/[\s;,]+/)) {
    const eq = part.indexOf('=');
    found.add(eq >= 0 ? part.slice(eq + 1) : part);
  }
}

function textWith(text: string, found: Set<string> | undefined): string {
  if (text.length === 0) return text;
  let out = text;
  for (const secret of remembered) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  if (SCHEME_VALUE.test(out)) {
    collect(out.replace(/^\S+\s+/, ''), found);
    return out.replace(/^(\S+)\s+\S+$/, `$1 ${REDACTED}`);
  }
  if (out.includes('://'))
    out = out.replace(USERINFO, (_m, scheme: string, info: string) => {
      collect(info, found);
      const colon = info.indexOf(':');
      if (colon >= 0) collect(info.slice(colon + 1), found);
      return `${scheme}${REDACTED}@`;
    });
  if (out.includes('='))
    out = out.replace(PARAM, (m, lead: string, name: string, value: string) => {
      if (value === '' || value === REDACTED || !isSecretName(safeDecode(name))) return m;
      collect(safeDecode(value), found);
      return `${lead}${name}=${REDACTED}`;
    });
  if (out.includes('"'))
    out = out.replace(JSON_FIELD, (m, head: string, name: string, value: string) => {
      if (value === '' || value === REDACTED || !isSecretName(name)) return m;
      collect(value, found);
      return `${head}"${REDACTED}"`;
    });
  if (out.includes(':'))
    out = out.replace(HEADER_LINE, (m, name: string, colon: string, value: string) => {
      if (value.startsWith(REDACTED)) return m;
      collect(value.trim(), found);
      return `${name}${colon}${REDACTED}`;
    });
  if (out.includes('.com/')) out = out.replace(WEBHOOK_PATH, `$1${REDACTED}`);
  out = out.replace(SCHEME_TOKEN, (_m, scheme: string, space: string) => `${scheme}${space}${REDACTED}`);
  return out.replace(TOKEN_SHAPES, REDACTED);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * A copy of `text` safe to show: remembered secrets, URL credentials, secret
 * query parameters and JSON fields, credential headers quoted in text, and
 * token shapes replaced by `[redacted]`. Ordinary text comes back unchanged.
 */
export function redactText(text: string): string {
  return textWith(text, undefined);
}

function walk(value: unknown, key: string | undefined, inHeaders: boolean, found?: Set<string>): unknown {
  if (typeof value === 'string') {
    if (key !== undefined && value !== '' && (inHeaders ? isSecretHeader(key) : isSecretName(key))) {
      collect(value, found);
      return REDACTED;
    }
    return textWith(value, found);
  }
  if (Array.isArray(value)) return value.map((item) => walk(item, undefined, false, found));
  if (value !== null && typeof value === 'object') {
    // The fields of a `headers` object are header names.
    const headers = key?.toLowerCase() === 'headers';
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = walk(v, k, headers, found);
    return out;
  }
  return value;
}

/**
 * A copy of a structured value (a test, a request) safe for files and logs:
 * every rule above, headers and secret-named fields at any depth included.
 */
export function redactSecrets(value: unknown): unknown {
  return walk(value, undefined, false);
}

/**
 * A copy of output data (a summary, an event) with {@link redactText} applied
 * to every string and object key; names decide nothing here (a summary's
 * `max_tokens`-like fields are figures, not secrets).
 */
export function redactStrings<T>(value: T): T {
  if (typeof value === 'string') return redactText(value) as T;
  if (Array.isArray(value)) return value.map((item) => redactStrings(item)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[redactText(k)] = redactStrings(v);
    return out as T;
  }
  return value;
}

/**
 * The secret values of a test that a rule found (header and field values,
 * URL credentials, query-parameter values), for {@link rememberSecrets}:
 * values from `${VAR}` or `-e` in those places are found this way too.
 */
export function secretsOf(value: unknown): string[] {
  const found = new Set<string>();
  walk(value, undefined, false, found);
  return [...found].filter((v) => v.length >= MIN_REMEMBERED && !v.includes(REDACTED));
}
