/**
 * @module metrics/slowest
 * The N slowest request attempts of a run (by `end − sent`, whatever their
 * outcome), kept in bounded memory so the report can name them. Ties go to
 * the earlier record, so a rebuild from records.jsonl picks the same ones.
 */
import { outputTokensOf, type RequestRecord } from './record.js';

/** One of the slowest requests, as the report lists it. */
export interface SlowRequest {
  id: number;
  scenario: string;
  /** Step index and label within the scenario (the turn of a multi-step flow). */
  step: number;
  stepName: string;
  vu: number;
  iteration: number;
  /** Turn of a multi-turn session, when the record has one. */
  turn?: number;
  outcome: RequestRecord['outcome'];
  error?: string;
  status?: number;
  /** Seconds after the run started that the request was sent. */
  sent_s: number;
  duration_ms: number;
  ttft_ms?: number;
  input_tokens?: number;
  output_tokens?: number;
}

function durationOf(r: RequestRecord): number {
  return r.e2eMs ?? r.end - r.sent;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Keeps the `limit` slowest records seen by `add`. */
export class SlowestRequests {
  readonly #limit: number;
  // Sorted slowest first; small (tens), so insertion into an array is cheapest.
  readonly #kept: { ms: number; record: RequestRecord }[] = [];

  constructor(limit = 20) {
    this.#limit = limit;
  }

  add(r: RequestRecord): void {
    const ms = durationOf(r);
    if (!Number.isFinite(ms)) return;
    const kept = this.#kept;
    if (kept.length >= this.#limit && ms <= (kept[kept.length - 1]?.ms ?? 0)) return;
    let i = kept.length;
    while (i > 0 && (kept[i - 1]?.ms ?? 0) < ms) i--;
    kept.splice(i, 0, { ms, record: r });
    if (kept.length > this.#limit) kept.pop();
  }

  /** Slowest first. */
  list(): SlowRequest[] {
    return this.#kept.map(({ ms, record: r }) => {
      const out: SlowRequest = {
        id: r.id,
        scenario: r.scenario,
        step: r.step,
        stepName: r.stepName,
        vu: r.vu,
        iteration: r.iteration,
        outcome: r.outcome,
        sent_s: round3(r.sent / 1000),
        duration_ms: round3(ms),
      };
      // Records of multi-turn sessions carry their turn; read it without depending on that field's type.
      const turn = (r as { turn?: unknown }).turn;
      if (typeof turn === 'number') out.turn = turn;
      if (r.error !== undefined) out.error = r.error;
      if (r.status !== undefined) out.status = r.status;
      if (r.ttftMs !== undefined) out.ttft_ms = r.ttftMs;
      const input = r.inputTokens ?? r.inputTokensClient;
      if (input !== undefined) out.input_tokens = input;
      const output = outputTokensOf(r);
      if (output !== undefined) out.output_tokens = output;
      return out;
    });
  }
}
