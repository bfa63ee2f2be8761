import { describe, expect, it } from 'vitest';
import type { StepMeasurement } from '../protocols/index.js';
import { type IterationRun, type RecordLabels, recordOf } from './request.js';

const run = { scenario: 'chat', ctx: { vu: 3, iteration: 41 } } as unknown as IterationRun;
const step = { index: 1, name: 'chat', kind: 'chat' as const };

describe('recordOf', () => {
  it('carries every field of a measurement and of its labels into the record', () => {
    // Required<…>: a field added to StepMeasurement does not compile here until it is given a value.
    const m: Required<StepMeasurement> = {
      outcome: 'error',
      error: 'http_5xx',
      message: 'HTTP 503',
      status: 503,
      sent: 100.25,
      end: 900.5,
      ttfbMs: 10.001,
      ttftMs: 20.002,
      e2eMs: 800.25,
      tpotMs: 7.003,
      itlMs: [5, 6.5],
      chunks: 9,
      inputTokens: 120,
      outputTokens: 80,
      inputTokensClient: 119,
      outputTokensClient: 81,
      redirects: [{ status: 302, location: 'http://127.0.0.1:1/next', ms: 1.25 }],
      encoding: 'gzip',
      ttfcMs: 220.004,
      reasoningTokens: 20,
      reasoningMs: 200.002,
      tpotReasoningMs: 10.005,
      tpotContentMs: 9.006,
      quality: { key: 1, f1: 1, rougeL: 1, text: 't' },
      model: 'gpt-4o-mini-2024-07-18',
      cachedInputTokens: 64,
      vectors: 3,
      agent: {
        steps: 2,
        modelCalls: 3,
        tools: [{ tool: 'search', ms: 12.5, outcome: 'timeout', attempt: 1 }],
        end: 'answer',
        success: true,
        inputTokens: 40,
        outputTokens: 12,
      },
    };
    const labels: Required<RecordLabels> = {
      attempt: 2,
      logicalSent: 12.5,
      turn: 4,
      contextTokens: 2048,
      checks: { json: true, contains: false },
    };
    const record = recordOf(run, step, 99.5, m, labels);
    expect(record).toEqual({
      id: 0,
      scenario: 'chat',
      step: 1,
      stepName: 'chat',
      kind: 'chat',
      vu: 3,
      iteration: 41,
      scheduled: 99.5,
      schedulingLagMs: 0.75,
      ...labels,
      ...m,
    });
    expect(Object.keys(record)[0]).toBe('id');
  });

  it('leaves out what was not measured, and counts no lag for a request sent before it was due', () => {
    const m: StepMeasurement = { outcome: 'ok', sent: 10, end: 12, e2eMs: 2 };
    const record = recordOf(run, step, 10.5, m, {});
    expect(Object.keys(record).sort()).toEqual(
      [
        'id',
        'scenario',
        'step',
        'stepName',
        'kind',
        'vu',
        'iteration',
        'scheduled',
        'schedulingLagMs',
        'outcome',
        'sent',
        'end',
        'e2eMs',
      ].sort(),
    );
    expect(record.schedulingLagMs).toBe(0);
  });
});
