/**
 * @module sim/mock-output
 * Writes one answer to its client as tokens are generated: SSE chunks when
 * streaming, one JSON body at the end otherwise, and the stream faults (stall:
 * stop sending and hold the connection; cut: drop it mid-answer).
 */
import type { ServerResponse } from 'node:http';
import { anthropicWire, apiErrorBody, type MockWire, responsesWire } from './mock-apis.js';
import { completionBody, createStreamEncoder, type MockRequest, type MockUsage } from './mock-openai.js';
import type { MockAnswer } from './mock-text.js';

/** A stream fault to play on this answer. */
export interface StreamFault {
  kind: 'stall' | 'cut' | 'error_event';
  afterTokens: number;
}

/** One answer being delivered. */
export interface MockOutput {
  /** Token `index` was generated. */
  token(index: number): void;
  /** The last token was generated. */
  finish(): void;
  /** Tokens generated so far (sent or not). */
  readonly generated: number;
  /** A stall or cut fault ended this answer (so its close is not the client's abort). */
  readonly faulted: boolean;
}

export interface OutputOptions {
  res: ServerResponse;
  req: MockRequest;
  answer: MockAnswer;
  usage: MockUsage;
  id: string;
  created: number;
  fault?: StreamFault | undefined;
}

/** The OpenAI chat and completions format as a {@link MockWire}. */
function openAIWire(o: OutputOptions): MockWire {
  const { req } = o;
  const encoder = createStreamEncoder(req, o.id, o.created);
  return {
    // The role-only chunk goes out with the headers: clients must not take it for the first token.
    start: () => (req.endpoint === 'chat' ? encoder.role() : ''),
    token: encoder.token,
    reasoning: encoder.reasoning,
    end: (finish, usage) =>
      encoder.finish(finish) + (req.includeUsage ? encoder.usage(usage) : '') + encoder.done(),
    // As vLLM and OpenAI-compatible servers report a failure inside a stream.
    error: () =>
      `data: ${JSON.stringify({ error: { message: 'The server is overloaded.', type: 'server_error', param: null, code: null } })}\n\n`,
    body: (text, reasoning, finish, usage, toolCalls) =>
      completionBody(req, o.id, o.created, text, finish, usage, reasoning, toolCalls),
    toolCallStart: encoder.toolCallStart,
    toolCallArguments: encoder.toolCallArguments,
  };
}

function wireOf(o: OutputOptions): MockWire {
  switch (o.req.endpoint) {
    case 'messages':
      return anthropicWire(o.req, o.id, o.usage, (o.answer.reasoning ?? 0) > 0);
    case 'responses':
      return responsesWire(o.req, o.id, o.created, o.usage);
    default:
      return openAIWire(o);
  }
}

/** Starts the answer: a streaming response sends its headers (and the API's opening events) now. */
export function createMockOutput(o: OutputOptions): MockOutput {
  const { res, req, answer, fault } = o;
  const tokens = answer.tokens;
  const reasoning = answer.reasoning ?? 0;
  const wire = wireOf(o);
  const encoder = req.stream ? wire : undefined;
  let generated = 0;
  let faulted = false;
  // Stall: nothing more is written and the response never ends; cut: the socket is destroyed.
  const strike = (): boolean => {
    if (faulted) return true;
    if (fault === undefined || generated < fault.afterTokens) return false;
    faulted = true;
    if (fault.kind === 'error_event') {
      // The server gives up mid-answer and says so: the API's error event ends the stream; an
      // answer not streamed gets the error status instead (Anthropic: 529 overloaded).
      if (encoder !== undefined) res.end(wire.error());
      else {
        const status = req.endpoint === 'messages' ? 529 : 500;
        const body = apiErrorBody(req.endpoint, status, { message: 'Overloaded', type: 'server_error' });
        res.writeHead(status, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        });
        res.end(body);
      }
      return true;
    }
    // End the socket rather than destroy it, so the tokens already written reach the client first.
    if (fault.kind === 'cut') {
      if (res.socket) res.socket.end();
      else res.destroy();
    }
    return true;
  };
  if (encoder !== undefined) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const head = encoder.start();
    if (head !== '') res.write(head);
    else res.flushHeaders();
  }
  return {
    get generated() {
      return generated;
    },
    get faulted() {
      return faulted;
    },
    token(index) {
      if (encoder !== undefined && !strike() && !res.destroyed) {
        const text = tokens[index] as string;
        const tool = answer.toolCalls;
        if (
          tool !== undefined &&
          encoder.toolCallStart !== undefined &&
          encoder.toolCallArguments !== undefined
        ) {
          const piece = tool.pieces[index] as { call: number; first: boolean };
          const call = tool.calls[piece.call] as { id: string; name: string };
          const start = piece.first ? encoder.toolCallStart(piece.call, call.id, call.name) : '';
          res.write(start + encoder.toolCallArguments(piece.call, text));
        } else res.write(index < reasoning ? encoder.reasoning(text) : encoder.token(text));
      }
      generated++;
    },
    finish() {
      if (strike() || res.destroyed) return;
      if (encoder === undefined) {
        const body = wire.body(
          tokens.slice(reasoning).join(''),
          tokens.slice(0, reasoning).join(''),
          answer.finishReason,
          o.usage,
          answer.toolCalls?.calls,
        );
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      res.end(encoder.end(answer.finishReason, o.usage, tokens.slice(reasoning).join('')));
    },
  };
}
