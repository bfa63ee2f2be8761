/**
 * Runs made in-process from the mock's own timing code (its profile schema,
 * samplers and seeded random source), for the compare statistics' rate checks:
 * what the statistics see of a mock run is the mock's drawn TTFT and ITL.
 */
import type { CompareRun } from '../../src/analysis/compare.js';
import { createRng, createSampler, deriveSeed } from '../../src/random/index.js';
import { type MockProfileInput, parseMockProfile } from '../../src/sim/mock-profile.js';

export interface MockRunOptions {
  profile: MockProfileInput;
  requests: number;
  /** Share of requests that fail (drawn per request). */
  errorRate?: number;
  /** Requests per second of the load, for the per-second windows. */
  rate?: number;
}

export function mockRun(label: string, seed: number, options: MockRunOptions): CompareRun {
  const profile = parseMockProfile({ ...options.profile, seed });
  const ttft = createSampler(profile.ttft_ms);
  const itl = createSampler(profile.itl_ms);
  const tokens = createSampler(profile.output_tokens);
  const rng = createRng(deriveSeed(profile.seed, 1));
  const rate = options.rate ?? 100;
  const requests: CompareRun['requests'][number][] = [];
  const windows: { start_s: number; output_tokens: number }[] = [];
  let errors = 0;
  let outputTokens = 0;
  for (let i = 0; i < options.requests; i++) {
    const w = Math.floor(i / rate);
    if (!windows[w]) windows[w] = { start_s: w, output_tokens: 0 };
    if (rng() < (options.errorRate ?? 0)) {
      errors++;
      requests.push({ scenario: 'chat', outcome: 'error' });
      continue;
    }
    const first = ttft(rng);
    const n = Math.max(1, Math.round(tokens(rng)));
    const gaps: number[] = [];
    for (let k = 1; k < n; k++) gaps.push(itl(rng));
    const decode = gaps.reduce((s, g) => s + g, 0);
    requests.push({
      scenario: 'chat',
      outcome: 'ok',
      ttftMs: first,
      itlMs: gaps,
      tpotMs: n > 1 ? decode / (n - 1) : undefined,
      e2eMs: first + decode,
    });
    (windows[w] as { output_tokens: number }).output_tokens += n;
    outputTokens += n;
  }
  const durationS = options.requests / rate;
  const counts = { requests: options.requests, errors, cancelled: 0 };
  const rates = {
    output_tokens_per_s: outputTokens / durationS,
    error_rate: errors / options.requests,
    goodput_pct: (100 * (options.requests - errors)) / options.requests,
  };
  windows.push({ start_s: windows.length, output_tokens: 0 });
  return {
    label,
    identity: { test: 'mock', target: 'mock', load: { rate } },
    summary: { counts, rates, scenarios: { chat: { counts, rates } }, windows },
    requests,
  };
}
