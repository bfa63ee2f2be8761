import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../core/index.js';
import { loadMockProfile, MockProfileSchema, parseMockProfile } from './mock-profile.js';

describe('MockProfileSchema', () => {
  it('fills every default from {}', () => {
    expect(MockProfileSchema.parse({})).toEqual({
      seed: 42,
      ttft_ms: 50,
      itl_ms: 10,
      output_tokens: 64,
      models: ['mock-model'],
    });
  });

  it('accepts distributions', () => {
    const profile = parseMockProfile({ ttft_ms: { dist: 'lognormal', median: 200, sigma: 0.4 } });
    expect(profile.ttft_ms).toEqual({ dist: 'lognormal', median: 200, sigma: 0.4 });
  });

  it('rejects unknown fields', () => {
    expect(() => parseMockProfile({ ttft: 5 }, 'inline')).toThrow(/inline: \(root\): unknown field "ttft"/);
  });
});

describe('loadMockProfile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tokenstorm-mock-profile-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads YAML', async () => {
    const file = join(dir, 'profile.yaml');
    await writeFile(file, 'seed: 7\nitl_ms: { dist: uniform, min: 5, max: 15 }\nmodels: [a, b]\n');
    const profile = await loadMockProfile(file);
    expect(profile.seed).toBe(7);
    expect(profile.itl_ms).toEqual({ dist: 'uniform', min: 5, max: 15 });
    expect(profile.models).toEqual(['a', 'b']);
    expect(profile.ttft_ms).toBe(50);
  });

  it('reads JSON and an empty file', async () => {
    const json = join(dir, 'profile.json');
    await writeFile(json, '{"output_tokens": 12}');
    expect((await loadMockProfile(json)).output_tokens).toBe(12);
    const empty = join(dir, 'empty.yaml');
    await writeFile(empty, '');
    expect((await loadMockProfile(empty)).seed).toBe(42);
  });

  it('names the file and the field path of a bad value', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'ttft_ms:\n  dist: uniform\n  min: 50\n  max: 10\nmodels: [ok, 3]\n');
    const err = await loadMockProfile(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as ConfigError).message;
    expect(message).toContain(`${file}: ttft_ms.max: expected max >= min`);
    expect(message).toContain(`${file}: models[1]: expected string, got 3`);
  });

  it('reports a missing file and broken YAML as ConfigError', async () => {
    const missing = join(dir, 'nope.yaml');
    await expect(loadMockProfile(missing)).rejects.toMatchObject({
      code: 'TS_CONFIG_NOT_FOUND',
      message: expect.stringContaining(missing),
    });
    const broken = join(dir, 'broken.yaml');
    await writeFile(broken, 'seed: [1, 2\n');
    await expect(loadMockProfile(broken)).rejects.toThrow(ConfigError);
  });
});

describe('inference and provider sections', () => {
  it('validates every example profile and proxy fault set', async () => {
    const { readdirSync } = await import('node:fs');
    const { loadProxyFaults } = await import('./proxy/index.js');
    const root = new URL('../../examples/', import.meta.url);
    const profiles = readdirSync(new URL('profiles/', root)).filter((f) => f.endsWith('.yaml'));
    expect(profiles.length).toBeGreaterThanOrEqual(3);
    for (const f of profiles) await loadMockProfile(new URL(`profiles/${f}`, root).pathname);
    for (const f of readdirSync(new URL('proxy-faults/', root))) {
      await loadProxyFaults(new URL(`proxy-faults/${f}`, root).pathname);
    }
  });

  it('names the field of a bad engine, rate limit or fault', () => {
    expect(() => parseMockProfile({ engine: { slots: 0 } }, 'p.yaml')).toThrow(
      'p.yaml: engine.slots: expected a positive whole number, got 0',
    );
    expect(() => parseMockProfile({ engine: { queue_full_status: 500 } }, 'p.yaml')).toThrow(
      'p.yaml: engine.queue_full_status: expected 429 or 503, got 500',
    );
    expect(() => parseMockProfile({ rate_limits: { window: '1m' } }, 'p.yaml')).toThrow(
      'p.yaml: rate_limits.requests: expected "requests" or "tokens" (or both)',
    );
    expect(() => parseMockProfile({ faults: [{ at: 'soon', for: '5s', kind: 'cut' }] }, 'p.yaml')).toThrow(
      /p\.yaml: faults\[0\]\.at: expected a duration such as "30s"/,
    );
    expect(() => parseMockProfile({ faults: [{ at: 1, for: 1, kind: 'boom' }] }, 'p.yaml')).toThrow(
      'p.yaml: faults[0].kind: expected one of "error_rate", "latency", "stall", "cut", "error_event", "outage"',
    );
  });

  it('re-parses a parsed profile to itself (it crosses a thread boundary parsed)', () => {
    const once = parseMockProfile({
      faults: [{ at: '10s', for: 5, kind: 'outage' }],
      rate_limits: { requests: 5 },
    });
    expect(parseMockProfile(structuredClone(once))).toEqual(once);
  });
});
