import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../config/errors.js';
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
