/** predict-check errors in the run history: per release, re-checks replace figures and keep the order. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openHistory } from './history.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tokenstorm-predict-history-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const row = (error: number, quantile = 'p95') => ({
  level: 'observed',
  endpoint: 'chat',
  quantile,
  rps: 12,
  predicted: 100,
  observed: 100 / (1 + error),
  error,
});

describe('predict checks in the history', () => {
  it('keeps errors per release, in the order releases were first checked, across reopenings', () => {
    const path = join(dir, 'history.db');
    let h = openHistory(path);
    h.addPredictChecks({ test: 't', target: 'mock', release: 'b-first', rows: [row(0.2), row(0.3, 'p99')] });
    h.addPredictChecks({ test: 't', target: 'mock', release: 'a-second', rows: [row(0.1)] });
    h.addPredictChecks({ test: 'other', target: 'mock', release: 'x', rows: [row(0.5)] });
    h.close();
    h = openHistory(path);
    try {
      // Checking b-first again replaces its figure and keeps its place.
      h.addPredictChecks({ test: 't', target: 'mock', release: 'b-first', rows: [row(-0.4)] });
      expect(h.predictChecks('t', 'mock').map((r) => [r.release, r.quantile, r.error])).toEqual([
        ['b-first', 'p95', -0.4],
        ['b-first', 'p99', 0.3],
        ['a-second', 'p95', 0.1],
      ]);
      expect(h.predictChecks('t', 'http://elsewhere')).toEqual([]);
      expect(h.integrity()).toBe('ok');
    } finally {
      h.close();
    }
  });
});
