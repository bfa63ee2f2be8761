/**
 * @module protocols/steps/embedding
 * `embedding:` steps: an OpenAI-compatible `POST {target}/embeddings` of one
 * input or a batch. Not a model step (no TTFT or tokens out): its records
 * carry the vectors returned and the input tokens (the server's `usage` and
 * the client's count), from which the summary's rates give vectors and
 * embedded tokens per second.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import type { Failure } from '../errors.js';
import type { ResponseSink } from '../exchange.js';
import { HttpSink } from '../http-sink.js';
import type { CompiledStep, HttpStepTransport, StepKindEntry } from '../step-kind.js';
import { countPromptTokens } from '../tokens.js';
import { endpointOf, maxRedirectsOf } from './compile.js';
import { positiveInt, stepCommon } from './fields.js';
import { withPromptCount } from './model.js';
import { warmEmbeddingsReply } from './warm-apis.js';

export const EmbeddingBodySchema = z.strictObject({
  ...stepCommon,
  model: z.string({ error: 'expected a model name' }).min(1),
  /** One text, or a batch (one vector each). */
  input: z.union([z.string(), z.array(z.string()).min(1, { error: 'expected at least one input' })]),
  dimensions: positiveInt().optional(),
  /** `float` (default) or `base64`. */
  encoding_format: z.enum(['float', 'base64']).optional(),
  /** Extra body fields sent as they are. */
  body: z.record(z.string(), z.unknown()).optional(),
});

export type EmbeddingBody = z.output<typeof EmbeddingBodySchema>;

/** Reads an embeddings answer: its status as an HTTP step's, then the vectors and usage of its JSON. */
export class EmbeddingSink implements ResponseSink {
  private readonly http = new HttpSink(undefined, false);
  private parts: Buffer[] = [];
  vectors: number | undefined;
  inputTokens: number | undefined;
  /** The body, when a capture reads it. */
  body = '';

  constructor(
    private readonly batch: number,
    private readonly keepBody = false,
  ) {}

  get headers(): IncomingHttpHeaders {
    return this.http.headers;
  }

  get status(): number {
    return this.http.status;
  }

  onStart(status: number, headers: IncomingHttpHeaders, at: number): void {
    this.http.onStart(status, headers, at);
  }

  onData(chunk: Buffer, at: number): Failure | undefined {
    const failure = this.http.onData(chunk, at);
    if (failure === undefined && this.http.status < 300) this.parts.push(Buffer.from(chunk));
    return failure;
  }

  onEnd(at: number): Failure | undefined {
    const failure = this.http.onEnd(at);
    if (failure !== undefined || this.http.status >= 300) return failure;
    const text = Buffer.concat(this.parts).toString('utf8');
    this.parts = [];
    if (this.keepBody) this.body = text;
    let body: { data?: unknown; usage?: { prompt_tokens?: unknown } } | null;
    try {
      body = JSON.parse(text);
    } catch {
      return { kind: 'stream_error', message: `malformed JSON body: ${text.slice(0, 80)}` };
    }
    if (body === null || typeof body !== 'object' || !Array.isArray(body.data)) {
      return { kind: 'stream_error', message: `expected an embeddings list ("data"): ${text.slice(0, 80)}` };
    }
    this.vectors = body.data.length;
    const tokens = body.usage?.prompt_tokens;
    if (typeof tokens === 'number') this.inputTokens = tokens;
    if (this.vectors !== this.batch) {
      return { kind: 'stream_error', message: `expected ${this.batch} vectors, got ${this.vectors}` };
    }
    return undefined;
  }
}

/** The batch size of a compiled step: how many inputs its body sends. */
const batches = new WeakMap<object, number>();

export const embeddingTransport: HttpStepTransport<EmbeddingSink> = {
  type: 'http',
  sink: (step, options) => new EmbeddingSink(batches.get(step) ?? 1, options.keepBody === true),
  read: (result, sink, step, m) => {
    if (sink.vectors !== undefined) m.vectors = sink.vectors;
    if (sink.inputTokens !== undefined) m.inputTokens = sink.inputTokens;
    if (step.inputTokensClient !== undefined) m.inputTokensClient = step.inputTokensClient;
    return { measurement: m, response: { status: result.status, headers: sink.headers, body: sink.body } };
  },
};

export const embeddingStep: StepKindEntry<EmbeddingBody, 'embedding', typeof EmbeddingBodySchema> = {
  name: 'embedding',
  schema: EmbeddingBodySchema,
  summary:
    'OpenAI-compatible embeddings (`POST {target}/embeddings`) of one input or a batch; vectors and input tokens per second',
  model: false,
  defaultName: () => 'embedding',
  compile(s, index, defaults) {
    const endpoint = endpointOf(defaults.target, '/embeddings');
    const inputs = typeof s.input === 'string' ? [s.input] : s.input;
    const body: Record<string, unknown> = { model: s.model, input: s.input };
    if (s.dimensions !== undefined) body.dimensions = s.dimensions;
    if (s.encoding_format !== undefined) body.encoding_format = s.encoding_format;
    if (s.body !== undefined) Object.assign(body, s.body);
    const compiled: CompiledStep = {
      index,
      name: s.name ?? 'embedding',
      kind: 'embedding',
      via: embeddingStep,
      origin: endpoint.origin,
      path: endpoint.path,
      method: 'POST',
      headers: Object.assign({ 'content-type': 'application/json' }, defaults.headers, s.headers),
      body: JSON.stringify(body),
      timeoutMs: s.timeout ?? defaults.timeoutMs,
      maxRedirects: maxRedirectsOf(s.max_redirects, defaults),
      expectStatus: undefined,
      stream: false,
      inputTokensClient: undefined,
      inputTokensPending: undefined,
    };
    batches.set(compiled, inputs.length);
    // Each input is embedded (and counted by the server) on its own: the client counts them so too.
    let sum = 0;
    for (const text of inputs) {
      const n = countPromptTokens(text);
      if (typeof n !== 'number') return withPromptCount(compiled, inputs.join('\n'));
      sum += n;
    }
    compiled.inputTokensClient = sum;
    return compiled;
  },
  transport: embeddingTransport,
  warmUp: {
    // A batch and a single input read the answer alike: one variant.
    variant: () => 'embedding',
    body: () => ({ model: 'warm', input: ['warm up', 'warm'] }),
    answer: (method, url, b) =>
      method === 'POST' && url.endsWith('/embeddings') ? warmEmbeddingsReply(b) : undefined,
  },
};
