/**
 * @module protocols/event-sink
 * Reads a model answer of an API whose stream is typed SSE events (Anthropic
 * Messages, OpenAI Responses), streamed or as one JSON body, and times its
 * output-bearing deltas exactly as `openai-sink.ts` does: each delta is timed
 * at the arrival of the bytes that complete it (docs/architecture.md#metric-definitions).
 * What an event means is the API's {@link EventDialect}; this file owns the
 * timing, the limits and the error statuses, so every API is measured alike.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceParser } from 'eventsource-parser';
import type { Failure } from './errors.js';
import { kindOfStatus } from './errors.js';
import type { ResponseSink } from './exchange.js';
import { responseLimits } from './limits.js';
import { GapList, OutputText } from './stream-buffers.js';
import { countTokens, countTokensYielding } from './tokens.js';

const MAX_ERROR_BODY_CHARS = 300;

/** Token counts in the shape the model metrics read (OpenAI's names, whatever the API calls them). */
export interface ModelUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
  prompt_tokens_details?: { cached_tokens?: number } | null;
}

/** What a dialect tells the sink while it reads one event or body. */
export interface EventTarget {
  /** An output delta: `reasoning` when it is thinking/reasoning text only. */
  output(text: string, reasoning: boolean): void;
  addUsage(usage: ModelUsage): void;
  finish(reason: string): void;
  /** The stream said it is complete (`message_stop`, `response.completed`). */
  done(): void;
  /** The server reported an error inside a 2xx answer: a `stream_error` unless the dialect knows its kind. */
  fail(message: string, kind?: Failure['kind']): void;
}

/** How one API's events and bodies are read. */
export interface EventDialect {
  /** Its name in messages ("an Anthropic Messages stream"). */
  name: string;
  /** One SSE event: its `event:` name (or undefined) and its parsed `data`. */
  event(type: string | undefined, data: Record<string, unknown>, to: EventTarget): void;
  /** A whole JSON answer (`stream: false`). */
  body(data: Record<string, unknown>, to: EventTarget): void;
}

/** Collects what a typed-event model answer says about its output and timing. */
export class EventSink implements ResponseSink, EventTarget {
  status = 0;
  headers: IncomingHttpHeaders = {};
  firstTokenAt: number | undefined;
  lastTokenAt: number | undefined;
  firstContentAt: number | undefined;
  lastReasoningAt: number | undefined;
  reasoningChunks = 0;
  chunks = 0;
  usage: ModelUsage | undefined;
  finishReason: string | undefined;
  private readonly out = new OutputText();
  private readonly gaps = new GapList();
  private finalGaps: number[] | undefined;
  private finalText: string | undefined;
  private streaming = false;
  private sawDone = false;
  private bodyBytes = 0;
  private errorBody = '';
  private parts: Buffer[] = [];
  private at = 0;
  private failure: Failure | undefined;
  private parser: EventSourceParser | undefined;
  private decoder: StringDecoder | undefined;
  private tokensSeen = 0;

  constructor(
    private readonly dialect: EventDialect,
    private readonly cancelAfterTokens: number | undefined = undefined,
  ) {}

  get itlMs(): number[] {
    return this.finalGaps ?? this.gaps.toArray();
  }

  itlMsUpTo(max: number): number[] {
    return this.finalGaps?.slice(0, max) ?? this.gaps.toArray(max);
  }

  get text(): string {
    return this.finalText ?? this.out.toString();
  }

  /** The client's count of the output, at the end (these APIs' answers are not counted as they arrive). */
  outputTokenCount(): number | Promise<number> {
    return countTokensYielding(this.text);
  }

  onStart(status: number, headers: IncomingHttpHeaders, _at: number): void {
    this.status = status;
    this.headers = headers;
    this.streaming = status < 300 && String(headers['content-type'] ?? '').includes('text/event-stream');
    if (!this.streaming) return;
    this.decoder = new StringDecoder('utf8');
    this.parser = createParser({
      onEvent: (event) => {
        if (this.failure !== undefined) return;
        let data: unknown;
        try {
          data = JSON.parse(event.data);
        } catch {
          this.fail(`malformed SSE data: ${event.data.slice(0, 80)}`);
          return;
        }
        if (data === null || typeof data !== 'object' || Array.isArray(data)) {
          this.fail(`unexpected SSE data: ${event.data.slice(0, 80)}`);
          return;
        }
        const record = data as Record<string, unknown>;
        this.dialect.event(event.event ?? (record.type as string | undefined), record, this);
      },
      maxBufferSize: responseLimits.maxSseEventBytes,
      onError: (error) => {
        if ((error as { type?: string }).type === 'max-buffer-size-exceeded') {
          this.failure ??= {
            kind: 'stream_error',
            message: `an SSE line or event exceeds ${responseLimits.maxSseEventBytes} characters; reading stopped`,
          };
        }
      },
    });
  }

  onData(chunk: Buffer, at: number): Failure | undefined {
    this.bodyBytes += chunk.length;
    if (this.parser !== undefined) {
      if (this.failure !== undefined) return this.failure;
      this.at = at;
      this.parser.feed((this.decoder as StringDecoder).write(chunk));
      return this.failure;
    }
    const max = responseLimits.maxBodyBytes;
    if (this.bodyBytes > max) {
      this.failure =
        this.status >= 300
          ? this.statusFailure(`; body exceeds ${max} bytes, reading stopped`)
          : { kind: 'truncated', message: `response body exceeds ${max} bytes; reading stopped` };
      return this.failure;
    }
    if (this.status >= 300) {
      this.decoder ??= new StringDecoder('utf8');
      if (this.errorBody.length < MAX_ERROR_BODY_CHARS) this.errorBody += this.decoder.write(chunk);
      return undefined;
    }
    this.parts.push(Buffer.from(chunk));
    return undefined;
  }

  private statusFailure(note = ''): Failure {
    const kind = kindOfStatus(this.status) ?? 'http_3xx';
    const snippet = this.errorBody.slice(0, MAX_ERROR_BODY_CHARS).replace(/\s+/g, ' ');
    return { kind, message: `HTTP ${this.status}${snippet ? `: ${snippet}` : ''}${note}` };
  }

  output(text: string, reasoning: boolean): void {
    if (text === '') return;
    const at = this.at;
    if (this.firstTokenAt === undefined) this.firstTokenAt = at;
    else this.gaps.push(at - (this.lastTokenAt as number));
    this.lastTokenAt = at;
    if (reasoning) {
      this.reasoningChunks++;
      this.lastReasoningAt = at;
    } else this.firstContentAt ??= at;
    this.chunks++;
    this.out.append(text);
    if (this.out.length > responseLimits.maxBodyBytes / 2) {
      this.failure ??= {
        kind: 'truncated',
        message: `the stream's output exceeds ${responseLimits.maxBodyBytes / 2} characters; reading stopped`,
      };
    }
    if (this.cancelAfterTokens !== undefined) {
      this.tokensSeen += countTokens(text, this.cancelAfterTokens - this.tokensSeen);
      if (this.tokensSeen >= this.cancelAfterTokens) {
        this.failure = {
          kind: 'cancelled',
          message: `cancelled by the user after ${this.tokensSeen} output tokens`,
        };
      }
    }
  }

  addUsage(u: ModelUsage): void {
    this.usage = { ...this.usage, ...u };
  }

  finish(reason: string): void {
    this.finishReason = reason;
  }

  done(): void {
    this.sawDone = true;
  }

  fail(message: string, kind: Failure['kind'] = 'stream_error'): void {
    this.failure ??= { kind, message };
  }

  onEnd(at: number): Failure | undefined {
    if (this.parser !== undefined) {
      this.finalText = this.out.toString();
      this.finalGaps = this.gaps.toArray();
      this.out.reset();
      this.gaps.reset();
    }
    if (this.failure !== undefined) return this.failure;
    if (this.status >= 300) {
      this.errorBody += this.decoder?.end() ?? '';
      return this.statusFailure();
    }
    if (this.streaming) {
      if (!this.sawDone)
        return { kind: 'stream_error', message: `${this.dialect.name} stream ended before its end event` };
      return undefined;
    }
    return this.readBody(at);
  }

  private readBody(at: number): Failure | undefined {
    const parts = this.parts;
    const body =
      parts.length === 1 ? (parts[0] as Buffer).toString('utf8') : Buffer.concat(parts).toString('utf8');
    this.parts = [];
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      return { kind: 'stream_error', message: `malformed JSON body: ${body.slice(0, 80)}` };
    }
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
      return { kind: 'stream_error', message: `unexpected JSON body: ${body.slice(0, 80)}` };
    }
    this.at = at;
    this.dialect.body(payload as Record<string, unknown>, this);
    // The whole answer arrived at once: one chunk, TTFT equals E2E.
    if (this.chunks > 1) {
      this.chunks = 1;
      this.gaps.reset();
    }
    this.finalText = this.out.toString();
    this.finalGaps = [];
    return this.failure;
  }
}
