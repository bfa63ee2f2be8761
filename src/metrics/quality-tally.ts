/**
 * @module metrics/quality-tally
 * The per-request quality samples of a run (records' `quality`), kept as rows
 * for analysis/quality to judge by stage and window. Merging is exact and
 * order-free: rows are a set keyed by record id, and which answers keep their
 * text (for consistency, embeddings and the judge) depends on a hash of the id
 * only, so a worker split or a rebuild from records.jsonl keeps the same ones.
 */
import { outputTokensOf, type QualitySample, type RequestRecord } from '../core/index.js';

export type { QualitySample };

/** A sample with where it sits in the run: the record's id, scheduled time (stage) and end (window). */
export interface QualityRow {
  id: number;
  scheduled: number;
  end: number;
  outputTokens?: number;
  q: QualitySample;
}

/** Characters of an answer or reference kept on a record. */
export const MAX_QUALITY_TEXT = 4000;
/** Answers whose text the tally keeps (the rest keep their scores only). */
export const MAX_KEPT_TEXTS = 4000;

/** Deterministic rank of a record id (an integer hash): the texts kept are the lowest ranks. */
export function rankOf(id: number): number {
  let h = Math.imul(id ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class QualityTally {
  readonly #rows = new Map<number, QualityRow>();
  #withText = 0;

  get size(): number {
    return this.#rows.size;
  }

  add(r: RequestRecord): void {
    if (r.quality === undefined) return;
    const row: QualityRow = { id: r.id, scheduled: r.scheduled, end: r.end, q: r.quality };
    const out = outputTokensOf(r);
    if (out !== undefined) row.outputTokens = out;
    this.#put(row);
  }

  #put(row: QualityRow): void {
    if (this.#rows.has(row.id)) return;
    this.#rows.set(row.id, row);
    if (row.q.text !== undefined) {
      this.#withText++;
      if (this.#withText > 2 * MAX_KEPT_TEXTS) this.#trimTexts();
    }
  }

  /** Keeps the texts of the MAX_KEPT_TEXTS lowest ranks (amortized: trimmed when twice over). */
  #trimTexts(): void {
    const withText = [...this.#rows.values()].filter((r) => r.q.text !== undefined);
    withText.sort((a, b) => rankOf(a.id) - rankOf(b.id) || a.id - b.id);
    for (const row of withText.slice(MAX_KEPT_TEXTS)) {
      const { text: _t, reference: _r, ...scores } = row.q;
      row.q = scores;
    }
    this.#withText = Math.min(withText.length, MAX_KEPT_TEXTS);
  }

  /** The rows as plain data (structured clone). */
  encode(): QualityRow[] {
    return [...this.#rows.values()];
  }

  merge(rows: readonly QualityRow[]): void {
    for (const row of rows) this.#put({ ...row, q: { ...row.q } });
  }

  /** Every row by id, the kept texts trimmed to the same set whatever the order of adds and merges. */
  rows(): QualityRow[] {
    if (this.#withText > MAX_KEPT_TEXTS) this.#trimTexts();
    return [...this.#rows.values()].sort((a, b) => a.id - b.id);
  }
}
