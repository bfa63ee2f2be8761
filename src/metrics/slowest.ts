/**
 * @module metrics/slowest
 * The N slowest request attempts of a run (by `end − sent`, whatever their
 * outcome), kept in bounded memory so the report can name them. Ties go to
 * the lower record id, so the choice does not depend on the order records
 * arrive in: a rebuild from records.jsonl, or lists merged from several
 * workers, pick the same ones.
 */
import { outputTokensOf, type RequestRecord } from '../core/index.js';

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

/** Whether a record of `ms` and `id` ranks before `kept`: slower, or as slow with a lower id. */
function slower(ms: number, id: number, kept: { ms: number; record: RequestRecord }): boolean {
  return ms > kept.ms || (ms === kept.ms && id < kept.record.id);
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
    const last = kept[kept.length - 1];
    if (kept.length >= this.#limit && last !== undefined && !slower(ms, r.id, last)) return;
    let i = kept.length;
    while (i > 0 && slower(ms, r.id, kept[i - 1] as { ms: number; record: RequestRecord })) i--;
    kept.splice(i, 0, { ms, record: r });
    if (kept.length > this.#limit) kept.pop();
  }

  /** The kept records, for another thread; {@link SlowestRequests.merge} takes them. */
  encode(): RequestRecord[] {
    return this.#kept.map((k) => k.record);
  }

  /** Adds the slowest records kept elsewhere: the result is as if every record had been added here. */
  merge(records: readonly RequestRecord[]): void {
    for (const r of records) this.add(r);
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
