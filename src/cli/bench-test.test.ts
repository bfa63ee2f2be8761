/**
 * cli/bench-test: `tokenstorm bench` flags become a test that the test schema
 * accepts, each flag where a test file would put it; a flag that cannot be
 * mapped is a ConfigError naming it.
 */
import { describe, expect, it } from 'vitest';
import { parseTest } from '../config/index.js';
import { ConfigError } from '../core/index.js';
import {
  type BenchFlags,
  baseUrlOf,
  benchTest,
  datasetFormatOf,
  headersFlag,
  sloFlag,
  tokenCountFlag,
} from './bench-test.js';

const flags = (more: Partial<BenchFlags>): BenchFlags => ({
  api: 'chat',
  arrival: 'poisson',
  header: [],
  ...more,
});

describe('bench flags', () => {
  it('maps --rate, --concurrency and --sweep to the three load models, and validates', () => {
    const open = parseTest(
      benchTest('mock', flags({ rate: '12', arrival: 'gamma:0.5', requests: '100' })),
      'bench',
    );
    expect(open.load).toMatchObject({
      executor: 'constant-arrival-rate',
      rate: 12,
      iterations: 100,
      arrival: { gamma: { burstiness: 0.5 } },
    });
    const closed = parseTest(benchTest('mock', flags({ concurrency: '8', duration: '1m' })), 'bench');
    expect(closed.load).toMatchObject({ executor: 'constant-vus', vus: 8, duration: 60_000 });
    const sweep = parseTest(
      benchTest('mock', flags({ sweep: true, sweepMax: '32', slo: 'ttft_ms=500' })),
      'bench',
    );
    expect(sweep.load).toMatchObject({ executor: 'sweep', start: 1, max: 32 });
    expect(sweep.slo).toEqual({ ttft_ms: 500 });
  });

  it('makes synthetic prompts of exact or normally distributed lengths, and sends ignore_eos when asked', () => {
    const test = parseTest(
      benchTest(
        'http://h:8000/v1',
        flags({
          model: 'm',
          api: 'completions',
          rate: '1',
          promptTokens: '1000,100',
          outputTokens: '64',
          ignoreEos: true,
        }),
      ),
      'bench',
    );
    const step = test.scenarios[0]?.steps?.[0] as { completion: Record<string, unknown> };
    expect(step.completion).toMatchObject({
      model: 'm',
      synthetic: { prompt_tokens: { dist: 'normal', mean: 1000, stddev: 100, min: 1 }, max_tokens: 64 },
      body: { ignore_eos: true },
    });
    expect(tokenCountFlag('--prompt-tokens', '256')).toBe(256);
  });

  it('reads the flags users of other tools type', () => {
    expect(baseUrlOf('http://127.0.0.1:8000')).toBe('http://127.0.0.1:8000/v1');
    expect(baseUrlOf('http://127.0.0.1:8000/v1/')).toBe('http://127.0.0.1:8000/v1');
    expect(sloFlag('ttft_ms=500, tpot_ms=50')).toEqual({ ttft_ms: 500, tpot_ms: 50 });
    expect(headersFlag(['Authorization: Bearer x: y'])).toEqual({ Authorization: 'Bearer x: y' });
    expect(datasetFormatOf('a.json', undefined)).toBe('sharegpt');
    expect(datasetFormatOf('a.jsonl', undefined)).toBe('prompts');
    expect(datasetFormatOf('a.csv', undefined)).toBe('trace');
  });

  it('refuses what it cannot map, naming the flag', () => {
    const bad: [Partial<BenchFlags>, RegExp][] = [
      [{}, /expected one of --rate R/],
      [{ rate: '1', concurrency: '2' }, /expected one of --rate R/],
      [{ rate: '0' }, /--rate: expected a positive number/],
      [{ rate: '1', arrival: 'uniform' }, /--arrival: expected poisson, constant or gamma/],
      [{ rate: '1', slo: 'latency=5' }, /--slo: expected METRIC=MS pairs/],
      [{ rate: '1', promptTokens: '10,-1' }, /--prompt-tokens: expected a standard deviation/],
      [
        { rate: '1', dataset: 'x.json', api: 'completions' },
        /ShareGPT conversations are sent as chat sessions/,
      ],
      [{ rate: '1', dataset: 'x.txt' }, /--dataset: cannot tell the format/],
      [{ rate: '1', api: 'responses' }, /--api: expected chat or completions/],
    ];
    for (const [more, message] of bad) {
      expect(() => benchTest('mock', flags(more))).toThrow(ConfigError);
      expect(() => benchTest('mock', flags(more))).toThrow(message);
    }
    expect(() => benchTest('http://h/v1', flags({ rate: '1' }))).toThrow(/--model: expected the model name/);
    expect(() => headersFlag(['no colon'])).toThrow(/-H: expected 'Name: value'/);
  });
});
