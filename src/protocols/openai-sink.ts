/**
 * @module protocols/openai-sink
 * Reads an OpenAI-compatible chat or completion response, streamed (SSE) or
 * not, and times the output-bearing chunks (docs/architecture.md#metric-definitions).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser';
import { ChunkShape } from './chunk-shape.js';
import type { Failure } from './errors.js';
import { kindOfStatus } from './errors.js';
import type { ResponseSink } from './exchange.js';
import { responseLimits } from './limits.js';
import { GapList, OutputText } from './stream-buffers.js';
import { countTokens, countTokensYielding, TokenCounter } from './tokens.js';
import { ToolCallAssembler } from './tool-calls.js';

const MAX_ERROR_BODY_CHARS = 300;
/** Output units a stream gathers before its client count goes on (~1,000 one-token chunks, ~0.4 ms of counting). */
const COUNT_BATCH_UNITS = 4096;
/** Longest stretch of counting a stream's output on one chunk's read (ms); the rest goes on at the next batch. */
const COUNT_SLICE_MS = 1;
/**
 * Output units that, arriving at once (one SSE event, a JSON answer), leave the client count for
 * the end of the answer (64K characters, ~16K tokens, 5-10 ms of counting): counted as they come,
 * they would hold the reads, and the TTFT, of every other stream. At the end the count is skipped
 * when the server's `usage` gives the completion tokens.
 */
const COUNT_AT_ONCE_UNITS = 65_536;

interface Usage {
  prompt_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  completion_tokens?: number;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

interface Choice {
  delta?: {
    content?: string | null;
    reasoning_content?: string | null;
    reasoning?: string | null;
    tool_calls?: { function?: { arguments?: string } }[];
  };
  message?: { content?: string | null; reasoning_content?: string | null; tool_calls?: unknown[] };
  text?: string;
  finish_reason?: string | null;
}

interface Payload {
  model?: unknown;
  choices?: Choice[];
  usage?: Usage | null;
  error?: { message?: string } | string;
}

/** The output text a chunk or message carries (content, reasoning, tool-call arguments). */
function outputOf(choice: Choice | undefined): string {
  if (choice === undefined) return '';
  if (typeof choice.text === 'string') return choice.text;
  const part = choice.delta ?? choice.message;
  if (part === undefined) return '';
  let out = '';
  if (typeof part.content === 'string') out += part.content;
  if (typeof part.reasoning_content === 'string') out += part.reasoning_content;
  if ('reasoning' in part && typeof part.reasoning === 'string') out += part.reasoning;
  const calls = part.tool_calls;
  if (Array.isArray(calls)) {
    for (const call of calls) {
      const args = (call as { function?: { arguments?: string } }).function?.arguments;
      out += typeof args === 'string' && args !== '' ? args : ' ';
    }
  }
  return out;
}

/** Whether a chunk's output is reasoning only (no visible content, no tool call): it does not end the reasoning phase. */
function isReasoningOnly(choice: Choice | undefined): boolean {
  const part = choice?.delta ?? choice?.message;
  if (part === undefined || typeof choice?.text === 'string') return false;
  return (
    (typeof part.content !== 'string' || part.content === '') &&
    !Array.isArray(part.tool_calls) &&
    ((typeof part.reasoning_content === 'string' && part.reasoning_content !== '') ||
      ('reasoning' in part && typeof part.reasoning === 'string' && part.reasoning !== ''))
  );
}

/** The key of a choice's only output field when it is `output`, else undefined. */
function outputKey(choice: Choice, output: string): string | undefined {
  if (typeof choice.text === 'string') return choice.text === output ? 'text' : undefined;
  const part = choice.delta;
  if (part === undefined) return undefined;
  if (part.content === output) return 'content';
  if (part.reasoning_content === output) return 'reasoning_content';
  if (part.reasoning === output) return 'reasoning';
  return undefined;
}

/** The output of a chunk that carries nothing else the reader uses (finish reason, usage, error). */
function plainOutput(data: string): string | undefined {
  let payload: Payload;
  try {
    payload = JSON.parse(data) as Payload;
  } catch {
    return undefined;
  }
  if (payload === null || typeof payload !== 'object' || payload.error !== undefined || payload.usage) {
    return undefined;
  }
  const choice = payload.choices?.[0];
  return choice === undefined || choice.finish_reason ? undefined : outputOf(choice);
}

/** Chunks a stream may learn a {@link ChunkShape} from (each costs two more parses). */
const LEARNS_PER_STREAM = 2;
/**
 * Output units above which a chunk teaches no shape (the next, shorter one does): learning
 * encodes and looks for the whole output, ~4 ms for a 1 MiB SSE event, which held the reads of
 * every other stream.
 */
const LEARN_MAX_UNITS = 4096;

function errorText(payload: Payload): string {
  const e = payload.error;
  return typeof e === 'string' ? e : (e?.message ?? JSON.stringify(e));
}

/**
 * An SSE parser, its UTF-8 decoder and the shape of the last stream's content
 * chunks, handed from one streamed response to the next when the first ends.
 * A parser is nine closures and a decoder a native object: made per request,
 * every stream in flight kept its own through each young-generation GC,
 * which copies what is alive (at 250 streams ~10 KB a stream, a 4-5 ms stop
 * every ~450 ms). `StringDecoder` rather than `TextDecoder`: 0.10 against
 * 0.27 µs for a 190-byte chunk.
 */
class StreamReader {
  sink: OpenAISink | undefined;
  /** The SSE line and event limit its parser enforces (a reader made under another limit is not reused). */
  readonly maxEvent = responseLimits.maxSseEventBytes;
  readonly decoder = new StringDecoder('utf8');
  /** The stream's output text so far. */
  readonly output = new OutputText();
  /** The gaps between its output chunks so far. */
  readonly gaps = new GapList();
  /** The content chunks' shape, learned from a parsed one (the next stream often has the same). */
  shape: ChunkShape | undefined;
  /** Whether the chunks of {@link StreamReader.shape} carry reasoning (its output key is a reasoning field). */
  shapeIsReasoning = false;
  readonly parser: EventSourceParser = createParser({
    onEvent: (event) => (this.sink as OpenAISink).readEvent(event),
    // The parser compares what it buffers (an unfinished line, an event's data) with this as it
    // feeds: a line that never ends costs this much, not all the server sends.
    maxBufferSize: this.maxEvent,
    onError: (error) => {
      if ((error as { type?: string }).type === 'max-buffer-size-exceeded')
        (this.sink as OpenAISink).eventTooLarge();
    },
  });
}

/** Readers of ended streams, for the next ones (at most {@link MAX_IDLE_READERS}). */
const idleReaders: StreamReader[] = [];
const MAX_IDLE_READERS = 4096;

/** Readers waiting for a stream (for tests). */
export function idleReaderCount(): number {
  return idleReaders.length;
}

/** Collects what a model response says about its output and timing. */
export class OpenAISink implements ResponseSink {
  status = 0;
  /** Response headers (captures read them). */
  headers: IncomingHttpHeaders = {};
  /** First output of any kind, reasoning included (TTFT). */
  firstTokenAt: number | undefined;
  lastTokenAt: number | undefined;
  /** First visible content (or tool call) after any reasoning (TTFC). */
  firstContentAt: number | undefined;
  /** Last reasoning-only chunk, and how many there were. */
  lastReasoningAt: number | undefined;
  reasoningChunks = 0;
  /** The gaps once the stream has ended; while it is read, its reader holds them. */
  private finalItlMs: number[] = [];
  chunks = 0;
  /**
   * The output text once the stream has ended, or of a body read whole; while a stream is
   * read, its reader's {@link OutputText} holds it (see stream-buffers.ts for why).
   */
  private finalText = '';
  usage: Usage | undefined;
  /** The response's `model` field (the first chunk that names one). */
  model: string | undefined;
  finishReason: string | undefined;
  /** The answer's tool calls, assembled from their deltas (only when asked for: an agent step). */
  readonly toolCalls: ToolCallAssembler | undefined;
  private streaming = false;
  private sawDone = false;
  private bodyBytes = 0;
  private body = '';
  /** A non-streamed answer's bytes so far. */
  private parts: Buffer[] = [];
  private at = 0;
  private failure: Failure | undefined;
  /** A streamed response's parser and decoder, from {@link idleReaders}. */
  private reader: StreamReader | undefined;
  /** The decoder of an error answer's body (only its start is kept). */
  private decoder: StringDecoder | undefined;
  /** Output tokens counted so far, only when a cancellation after N tokens is planned. */
  private tokensSeen = 0;
  /** Chunks of this stream that may still teach its reader a shape. */
  private learnsLeft = LEARNS_PER_STREAM;
  /**
   * A stream's client token count, made as the output arrives (so no long count is left for its
   * end, when the next request of a closed loop waits for the record); undefined once finished.
   */
  private counter: TokenCounter | undefined;
  /** Code units of the output handed to {@link OpenAISink.counter}. */
  private counted = 0;
  /** Output arrived faster than it is counted along: the count waits for the end of the answer. */
  private countAtEnd = false;

  /** The gaps between output chunks so far (ms): inter-token latency. */
  get itlMs(): number[] {
    return this.reader !== undefined ? this.reader.gaps.toArray() : this.finalItlMs;
  }

  /** The first `max` gaps (a failed stream's record keeps no more; copying all first would cost what the cap saves). */
  itlMsUpTo(max: number): number[] {
    return this.reader !== undefined ? this.reader.gaps.toArray(max) : this.finalItlMs.slice(0, max);
  }

  /** The output text (content, reasoning and tool-call arguments) received so far. */
  get text(): string {
    // A stream that failed midway keeps its reader.
    return this.reader !== undefined ? this.reader.output.toString() : this.finalText;
  }

  /** `cancelAfterTokens`: a user who stops the answer after that many output tokens. */
  constructor(
    private readonly cancelAfterTokens: number | undefined = undefined,
    assembleToolCalls = false,
  ) {
    this.toolCalls = assembleToolCalls ? new ToolCallAssembler() : undefined;
  }

  onStart(status: number, headers: IncomingHttpHeaders, _at: number): void {
    this.status = status;
    this.headers = headers;
    const type = String(headers['content-type'] ?? '');
    this.streaming = status < 300 && type.includes('text/event-stream');
    if (this.streaming) {
      let reader = idleReaders.pop();
      if (reader === undefined || reader.maxEvent !== responseLimits.maxSseEventBytes)
        reader = new StreamReader();
      reader.sink = this;
      this.reader = reader;
      this.counter = new TokenCounter();
    }
  }

  onData(chunk: Buffer, at: number): Failure | undefined {
    this.bodyBytes += chunk.length;
    const reader = this.reader;
    if (reader !== undefined) {
      // A parser past its limit is terminated and throws if fed again.
      if (this.failure !== undefined) return this.failure;
      this.at = at;
      reader.parser.feed(reader.decoder.write(chunk));
      return this.failure;
    }
    const max = responseLimits.maxBodyBytes;
    if (this.bodyBytes > max) {
      // An error answer keeps its status kind; its body is only quoted.
      if (this.status >= 300)
        this.failure = this.statusFailure(`; body exceeds ${max} bytes, reading stopped`);
      else
        this.failure = { kind: 'truncated', message: `response body exceeds ${max} bytes; reading stopped` };
      return this.failure;
    }
    if (this.status >= 300) {
      this.decoder ??= new StringDecoder('utf8');
      if (this.body.length < MAX_ERROR_BODY_CHARS) this.body += this.decoder.write(chunk);
      return undefined;
    }
    // Copies of the bytes, decoded once at the end: off the JS heap while they arrive, and a body
    // cut at the limit is never decoded (as strings, a 200 MB answer's 16 MiB took ~200 MB of heap).
    this.parts.push(Buffer.from(chunk));
    return undefined;
  }

  /** The stream's parser met an SSE line or event over the limit (it has stopped). */
  eventTooLarge(): void {
    this.failure ??= {
      kind: 'stream_error',
      message: `an SSE line or event exceeds ${responseLimits.maxSseEventBytes} characters; reading stopped`,
    };
  }

  /** The failure of an answer with an error status, its body quoted. */
  private statusFailure(note = ''): Failure {
    const kind = kindOfStatus(this.status) ?? 'http_3xx';
    const snippet = (this.body + (this.decoder?.end() ?? ''))
      .slice(0, MAX_ERROR_BODY_CHARS)
      .replace(/\s+/g, ' ');
    return { kind, message: `HTTP ${this.status}${snippet ? `: ${snippet}` : ''}${note}` };
  }

  /** One SSE event of the stream (called by its reader). */
  readEvent(event: EventSourceMessage): void {
    if (this.failure !== undefined) return;
    const data = event.data;
    const reader = this.reader as StreamReader;
    const shape = reader.shape;
    const start = shape === undefined ? -1 : shape.outputStart(data);
    if (start >= 0) {
      const end = (shape as ChunkShape).outputEnd;
      if (end > start) this.addOutput(data, start, end, reader.shapeIsReasoning);
      return;
    }
    if (data === '[DONE]') {
      this.sawDone = true;
      return;
    }
    let payload: Payload;
    try {
      payload = JSON.parse(data) as Payload;
    } catch {
      this.failure = { kind: 'stream_error', message: `malformed SSE data: ${data.slice(0, 80)}` };
      return;
    }
    if (payload === null || typeof payload !== 'object') {
      this.failure = { kind: 'stream_error', message: `unexpected SSE data: ${data.slice(0, 80)}` };
      return;
    }
    if (payload.error !== undefined) {
      this.failure = { kind: 'stream_error', message: `error event in stream: ${errorText(payload)}` };
      return;
    }
    if (payload.usage) this.usage = payload.usage;
    if (this.model === undefined && typeof payload.model === 'string' && payload.model !== '')
      this.model = payload.model;
    const choice = payload.choices?.[0];
    if (choice?.finish_reason) this.finishReason = choice.finish_reason;
    if (this.toolCalls !== undefined && choice?.delta?.tool_calls !== undefined)
      this.toolCalls.add(choice.delta.tool_calls);
    const output = outputOf(choice);
    if (output === '') return;
    if (this.learnsLeft > 0 && !payload.usage && !choice?.finish_reason) {
      this.learnShape(reader, data, choice as Choice, output);
    }
    this.addOutput(output, 0, output.length, isReasoningOnly(choice));
  }

  /** Teaches the reader the shape of a content chunk that was parsed, when it has one. */
  private learnShape(reader: StreamReader, data: string, choice: Choice, output: string): void {
    if (output.length > LEARN_MAX_UNITS) return;
    const key = outputKey(choice, output);
    if (key === undefined) return;
    this.learnsLeft--;
    reader.shape = ChunkShape.learn(data, key, output, plainOutput);
    reader.shapeIsReasoning = key === 'reasoning_content' || key === 'reasoning';
  }

  /** A received output piece, `text.slice(from, to)`, timed at its read; `reasoning` when it is reasoning only. */
  private addOutput(text: string, from: number, to: number, reasoning: boolean): void {
    const at = this.at;
    const reader = this.reader as StreamReader;
    if (this.firstTokenAt === undefined) this.firstTokenAt = at;
    else reader.gaps.push(at - (this.lastTokenAt as number));
    this.lastTokenAt = at;
    if (reasoning) {
      this.reasoningChunks++;
      this.lastReasoningAt = at;
    } else this.firstContentAt ??= at;
    this.chunks++;
    reader.output.append(text, from, to);
    if (!this.countAtEnd && reader.output.length - this.counted >= COUNT_BATCH_UNITS) this.countOutput();
    // The text is held at 2 bytes a character: half the body limit in characters is the limit in bytes.
    if (reader.output.length > responseLimits.maxBodyBytes / 2) {
      this.failure ??= {
        kind: 'truncated',
        message: `the stream's output exceeds ${responseLimits.maxBodyBytes / 2} characters; reading stopped`,
      };
    }
    if (this.cancelAfterTokens !== undefined) {
      this.tokensSeen += countTokens(text.slice(from, to), this.cancelAfterTokens - this.tokensSeen);
      if (this.tokensSeen >= this.cancelAfterTokens) {
        this.failure = {
          kind: 'cancelled',
          message: `cancelled by the user after ${this.tokensSeen} output tokens`,
        };
      }
    }
  }

  /**
   * Hands the output received since the last time to the counter and counts it, for at most
   * {@link COUNT_SLICE_MS} (what is left goes on at the next batch); more than
   * {@link COUNT_AT_ONCE_UNITS} at once leaves the count for the end.
   */
  private countOutput(): void {
    const reader = this.reader;
    const counter = this.counter;
    if (reader === undefined || counter === undefined || this.failure !== undefined) return;
    const length = reader.output.length;
    if (length - this.counted > COUNT_AT_ONCE_UNITS) {
      this.countAtEnd = true;
      return;
    }
    counter.append(reader.output.slice(this.counted, length));
    this.counted = length;
    counter.advance(performance.now() + COUNT_SLICE_MS);
  }

  /**
   * The client's count of the output text (gpt-tokenizer): what was not counted as it arrived is
   * counted now, a number when that is quick, else the promise of it. Undefined (not counted)
   * when more than {@link COUNT_AT_ONCE_UNITS} of output arrived at once and the server's `usage`
   * gives the completion tokens.
   */
  outputTokenCount(): number | Promise<number> | undefined {
    const counter = this.counter;
    this.counter = undefined;
    const text = this.text;
    const atOnce = counter === undefined ? text.length > COUNT_AT_ONCE_UNITS : this.countAtEnd;
    if (atOnce && typeof this.usage?.completion_tokens === 'number') return undefined;
    if (counter === undefined) return countTokensYielding(text);
    counter.append(text.slice(this.counted));
    return counter.finish();
  }

  onEnd(at: number): Failure | undefined {
    this.releaseReader();
    if (this.failure !== undefined) return this.failure;
    if (this.status >= 300) return this.statusFailure();
    if (this.streaming) {
      if (!this.sawDone && this.finishReason === undefined) {
        return { kind: 'stream_error', message: 'stream ended before [DONE] or a finish_reason' };
      }
      return undefined;
    }
    return this.readBody(at);
  }

  /**
   * The stream ended: its reader, emptied, goes to the next stream. (A stream that fails
   * midway is not ended here; its reader goes with it.)
   */
  private releaseReader(): void {
    const reader = this.reader;
    if (reader === undefined) return;
    this.reader = undefined;
    this.finalText = reader.output.toString();
    reader.output.reset();
    this.finalItlMs = reader.gaps.toArray();
    reader.gaps.reset();
    reader.sink = undefined;
    reader.parser.reset();
    reader.decoder.end();
    if (idleReaders.length < MAX_IDLE_READERS) idleReaders.push(reader);
  }

  /** A non-streaming response: the whole answer arrives at once, so TTFT equals E2E. */
  private readBody(at: number): Failure | undefined {
    const parts = this.parts;
    this.body =
      parts.length === 1 ? (parts[0] as Buffer).toString('utf8') : Buffer.concat(parts).toString('utf8');
    this.parts = [];
    let payload: Payload;
    try {
      payload = JSON.parse(this.body) as Payload;
    } catch {
      return { kind: 'stream_error', message: `malformed JSON body: ${this.body.slice(0, 80)}` };
    }
    if (payload?.error !== undefined) return { kind: 'stream_error', message: errorText(payload) };
    if (payload?.usage) this.usage = payload.usage;
    if (typeof payload?.model === 'string' && payload.model !== '') this.model = payload.model;
    const choice = payload?.choices?.[0];
    if (choice?.finish_reason) this.finishReason = choice.finish_reason;
    if (this.toolCalls !== undefined && choice?.message?.tool_calls !== undefined)
      this.toolCalls.add(choice.message.tool_calls);
    const output = outputOf(choice);
    if (output !== '') {
      this.finalText = output;
      this.chunks = 1;
      this.firstTokenAt = at;
      this.lastTokenAt = at;
      if (!isReasoningOnly(choice)) this.firstContentAt = at;
    }
    return undefined;
  }
}
