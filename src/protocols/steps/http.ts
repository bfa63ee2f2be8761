/**
 * @module protocols/steps/http
 * `http:` steps: any HTTP request (a path under the target or an absolute
 * URL), checked against `expect_status`; not a model step.
 */
import { z } from 'zod';
import { HttpSink } from '../http-sink.js';
import type { HttpStepTransport, StepKindEntry } from '../step-kind.js';
import { endpointOf, hasHeader, maxRedirectsOf } from './compile.js';
import { stepCommon } from './fields.js';

export const HttpBodySchema = z.strictObject({
  ...stepCommon,
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']).default('GET'),
  /** A path (appended to the target) or an absolute http(s) URL. */
  url: z.string().min(1),
  /** A string is sent as is; anything else as JSON. */
  body: z.unknown().optional(),
  /** Expected status codes; a different one fails the step with `check_failed`. 2xx when absent. */
  expect_status: z.union([z.number().int(), z.array(z.number().int())]).optional(),
});

export type HttpBody = z.output<typeof HttpBodySchema>;

/** The response's body is kept only when a capture reads it. */
export const httpTransport: HttpStepTransport<HttpSink> = {
  type: 'http',
  sink: (step, options) => new HttpSink(step.expectStatus, options.keepBody === true),
  read: (result, sink, _step, m) => ({
    measurement: m,
    response: { status: result.status, headers: sink.headers, body: sink.body() },
  }),
};

export const httpStep: StepKindEntry<HttpBody, 'http', typeof HttpBodySchema> = {
  name: 'http',
  schema: HttpBodySchema,
  summary: 'Any HTTP request (a path under the target or an absolute URL), checked against `expect_status`',
  model: false,
  defaultName: (body) => `${String(body.method)} ${String(body.url)}`,
  compile(s, index, defaults) {
    const endpoint = endpointOf(defaults.target, s.url);
    const headers = Object.assign({}, defaults.headers, s.headers);
    let body: string | undefined;
    if (s.body !== undefined) {
      body = typeof s.body === 'string' ? s.body : JSON.stringify(s.body);
      if (typeof s.body !== 'string' && !hasHeader(headers, 'content-type'))
        headers['content-type'] = 'application/json';
    }
    const expect = s.expect_status;
    return {
      index,
      name: s.name ?? `${s.method} ${s.url}`,
      kind: 'http',
      via: httpStep,
      origin: endpoint.origin,
      path: endpoint.path,
      method: s.method,
      headers,
      body,
      timeoutMs: s.timeout ?? defaults.timeoutMs,
      maxRedirects: maxRedirectsOf(s.max_redirects, defaults),
      expectStatus: expect === undefined ? undefined : Array.isArray(expect) ? expect : [expect],
      stream: false,
      inputTokensClient: undefined,
      inputTokensPending: undefined,
    };
  },
  transport: httpTransport,
  warmUp: {
    variant: () => 'http',
    body: () => ({ url: '/' }),
    // The warm-up server answers every GET itself (engine/warm-up.ts).
    answer: () => undefined,
  },
};
