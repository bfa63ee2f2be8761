import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/index.js';
import { loadTest, parseTest } from './load-test.js';
import { testJsonSchema } from './schema.js';

const dir = mkdtempSync(join(tmpdir(), 'tokenstorm-config-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function errorOf(promise: Promise<unknown>): Promise<ConfigError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

const minimal = `
scenarios:
  - name: s
    steps:
      - chat: { model: m, messages: [{ role: user, content: hi }] }
load: { executor: constant-vus, vus: 2, duration: 5s }
`;

describe('loadTest', () => {
  it('reads the canonical quickstart exactly as DESIGN.md writes it', async () => {
    const test = await loadTest('examples/quickstart.yaml');
    expect(test).toMatchObject({
      name: 'chat-quickstart',
      target: 'mock',
      load: { executor: 'constant-vus', vus: 10, duration: 10_000, graceful_stop: 10_000 },
      thresholds: { ttft_ms: ['p99 < 2000'], error_rate: ['< 0.01'] },
    });
    expect(test.scenarios[0]?.steps).toHaveLength(2);
    expect(test.scenarios[0]?.steps?.[0]).toMatchObject({
      chat: { model: 'mock-model', stream: true, max_tokens: 64 },
    });
    expect(test.scenarios[0]?.steps?.[1]).toMatchObject({ http: { method: 'GET', url: '/models' } });
  });

  it('names the file, the field path and what was expected', async () => {
    const err = await errorOf(loadTest('examples/bad.yaml'));
    expect(err.message).toBe('examples/bad.yaml: load.rate: expected a positive number, got "fast"');
  });

  it('reports unknown fields, bad steps and bad thresholds with their paths', async () => {
    const path = file(
      'several.yaml',
      `${minimal.replace('vus: 2', 'vus: 2, vu: 3')}
thresholds:
  ttft_ms: ["p99 < soon"]
`,
    );
    const err = await errorOf(loadTest(path));
    expect(err.message).toContain('load: unknown field "vu"');
    expect(err.message).toContain('thresholds.ttft_ms[0]: invalid threshold "p99 < soon"');
    const steps = await errorOf(loadTest(file('step.yaml', minimal.replace('chat:', 'chatt:'))));
    expect(steps.message).toContain('scenarios[0].steps[0]: expected a step');
  });

  it('reports invalid YAML with its line', async () => {
    const err = await errorOf(loadTest(file('broken.yaml', 'name: [unclosed\nload: {')));
    expect(err.message).toMatch(/broken\.yaml:\d+:\d+: invalid YAML/);
  });

  it('substitutes ${VAR} and ${VAR:-default}, -e values winning', async () => {
    const path = file(
      'env.yaml',
      `target: \${TARGET:-mock}
headers: { Authorization: "Bearer \${KEY}" }
${minimal}`,
    );
    const test = await loadTest(path, { env: { KEY: 'sk-abc', TARGET: 'http://127.0.0.1:9/v1' } });
    expect(test.target).toBe('http://127.0.0.1:9/v1');
    expect(test.headers.Authorization).toBe('Bearer sk-abc');
    const fallback = await loadTest(path, { env: { KEY: 'k' } });
    expect(fallback.target).toBe('mock');
    const missing = await errorOf(loadTest(path, { env: {} }));
    expect(missing.message).toContain('headers.Authorization: environment variable KEY is not set');
  });

  it('applies --target, --vus, --rate and --duration', async () => {
    const path = file('over.yaml', minimal);
    const vus = await loadTest(path, {
      overrides: { vus: 7, duration: '1m30s', target: 'http://127.0.0.1:1/v1' },
    });
    expect(vus.load).toMatchObject({ executor: 'constant-vus', vus: 7, duration: 90_000 });
    expect(vus.target).toBe('http://127.0.0.1:1/v1');
    const rate = await loadTest(path, { overrides: { rate: 12.5 } });
    expect(rate.load).toMatchObject({ executor: 'constant-arrival-rate', rate: 12.5, duration: 5_000 });
  });

  it('loads a TypeScript test written with defineTest through the same schema', async () => {
    const test = await loadTest('examples/quickstart.ts');
    expect(test.name).toBe('chat-quickstart-ts');
    expect(test.load).toMatchObject({ executor: 'constant-vus', vus: 5, duration: 10_000 });
    const bad = file(
      'bad.ts',
      `export default { scenarios: [], load: { executor: 'constant-vus', vus: 0, duration: '1s' } };`,
    );
    const err = await errorOf(loadTest(bad));
    expect(err.message).toContain('scenarios: expected at least one scenario');
    expect(err.message).toContain('load.vus: expected a positive whole number, got 0');
  });

  it('requires a bound on the load', () => {
    expect(() =>
      parseTest(
        {
          scenarios: [{ name: 's', steps: [{ http: { url: '/' } }] }],
          load: { executor: 'constant-vus', vus: 1 },
        },
        'x',
      ),
    ).toThrow('load.duration: expected a duration and/or iterations');
  });
});

describe('JSON Schema for editors', () => {
  it('describes the test file and is the one shipped in schema/', () => {
    const schema = testJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['name', 'target', 'scenarios', 'load', 'thresholds']),
    );
    expect(schema.required).toEqual(expect.arrayContaining(['scenarios', 'load']));
    // npm run build emits it; a stale file would mislead editors.
    const shipped = JSON.parse(
      readFileSync(new URL('../../schema/test.schema.json', import.meta.url), 'utf8'),
    );
    expect(shipped).toEqual(JSON.parse(JSON.stringify(schema)));
  });
});
