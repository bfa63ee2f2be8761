/**
 * Every bad input issue 34 lists is a ConfigError (exit 2) naming the file, the
 * field path (or the flag) and what was expected, in the words a user reads.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/index.js';
import { executorFor } from '../load/index.js';
import { loadTest, type Overrides, parseTest } from './load-test.js';

const dir = mkdtempSync(join(tmpdir(), 'tokenstorm-bad-input-'));
let n = 0;
function file(text: string, name = `t${n++}.yaml`): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function messageOf(text: string, overrides: Overrides = {}): Promise<string> {
  const path = file(text);
  const err = await loadTest(path, { overrides }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).message.replaceAll(`${path}`, 'FILE');
}

const chat = '{ chat: { model: m, messages: [{ role: user, content: hi }] } }';
const scenario = (name: string, extra = '') => `  - name: ${name}\n${extra}    steps: [${chat}]\n`;
const test = (scenarios: string, load = '{ executor: constant-vus, vus: 1, duration: 5s }') =>
  `scenarios:\n${scenarios}load: ${load}\n`;

describe('scenarios', () => {
  it('caps durations, stages and shapes at what a timer can wait', async () => {
    expect(await messageOf(test(scenario('a'), '{ executor: constant-vus, vus: 1, duration: 1e9 }'))).toBe(
      'FILE: load.duration: expected a duration of at most 24 days, got 1000000000',
    );
    const stages = '[{ target: 1, duration: 400h }, { target: 2, duration: 400h }]';
    expect(await messageOf(test(scenario('a'), `{ executor: ramping-vus, stages: ${stages} }`))).toBe(
      'FILE: load.stages: expected stages lasting at most 24 days in all',
    );
    const spike = '{ spike: { baseline: 1, before: 590h, hold: 590h, after: 590h } }';
    expect(await messageOf(test(scenario('a'), `{ executor: ramping-arrival-rate, shape: ${spike} }`))).toBe(
      'FILE: load.shape: expected a shape lasting at most 24 days, not 73.8 days',
    );
    const bursts = '{ burst: { baseline: 1, every: 1s, length: 1s, count: 1000000 } }';
    expect(await messageOf(test(scenario('a'), `{ executor: ramping-arrival-rate, shape: ${bursts} }`))).toBe(
      'FILE: load.shape: expected a shape of at most 100000 stages, not 4000000',
    );
  });

  it('rejects weights that are all 0, naming the field', async () => {
    expect(await messageOf(test(scenario('a', '    weight: 0\n')))).toBe(
      'FILE: scenarios[0].weight: every scenario has weight 0; expected at least one weight above 0',
    );
    expect(await messageOf(test(scenario('a', '    weight: 0\n') + scenario('b', '    weight: 0\n')))).toBe(
      'FILE: scenarios: every scenario has weight 0; expected at least one weight above 0',
    );
    await loadTest(file(test(scenario('a', '    weight: 0\n') + scenario('b'))));
  });

  it('rejects a duplicate scenario name', async () => {
    expect(await messageOf(test(scenario('a') + scenario('b') + scenario('a')))).toBe(
      'FILE: scenarios[2].name: duplicate scenario name "a" (scenarios[0] has it); expected a unique name',
    );
  });
});

describe('schedules the plan cannot hold', () => {
  const planOf = async (load: string) => {
    const loaded = await loadTest(file(test(scenario('a'), load)));
    try {
      executorFor(loaded.load);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).message;
    }
    return undefined;
  };

  it('refuses over 1,000,000 VUs at once or 50,000,000 planned arrivals', async () => {
    expect(await planOf('{ executor: constant-vus, vus: 1e12, duration: 1s }')).toBe(
      'load: the schedule needs 1.00e+12 VUs at once (vus, max_vus, or the highest target); expected at most 1,000,000',
    );
    expect(
      await planOf('{ executor: constant-arrival-rate, rate: 1e6, max_vus: 1e7, duration: 1s }'),
    ).toMatch(/^load: the schedule needs 1\.00e\+7 VUs at once/);
    expect(await planOf('{ executor: sweep, mode: vus, start: 1, max: 1e9 }')).toMatch(
      /^load: the schedule needs 1\.00e\+9 VUs at once/,
    );
    expect(await planOf('{ executor: constant-arrival-rate, rate: 100000, duration: 24h }')).toBe(
      'load: the schedule plans 8.64e+9 arrivals; expected at most 50,000,000 (lower the rate or the duration, or set iterations)',
    );
    expect(await planOf('{ executor: constant-arrival-rate, rate: 1000, duration: 1h }')).toBeUndefined();
  });
});

describe('command-line overrides', () => {
  const spike = test(
    scenario('a'),
    '{ executor: ramping-arrival-rate, arrival: poisson, shape: { spike: { base: 1, peak: 5, at: 1s, duration: 1s } } }',
  );

  it('names the flag and the executor it cannot apply to, never the file', async () => {
    const vus = await messageOf(spike, { vus: 3 });
    expect(vus).toMatch(
      /^--vus: cannot apply to load\.executor "ramping-arrival-rate" \(its stages or shape/,
    );
    expect(vus).not.toContain('FILE');
    expect(await messageOf(spike, { rate: 3 })).toMatch(
      /^--rate: cannot apply to load\.executor "ramping-arrival-rate"/,
    );
    const sweep = test(scenario('a'), '{ executor: sweep, start: 1, max: 4 }');
    expect(await messageOf(sweep, { rate: 2 })).toMatch(/^--rate: cannot apply to load\.executor "sweep"/);
    const ramp = test(scenario('a'), '{ executor: ramping-vus, stages: [{ target: 2, duration: 1s }] }');
    expect(await messageOf(ramp, { vus: 2 })).toMatch(/^--vus: cannot apply to load\.executor "ramping-vus"/);
    expect(await messageOf(test(scenario('a')), { vus: 2, rate: 3 })).toMatch(/^--vus and --rate: /);
  });

  it('reports a bad --duration or --target as the flag, not as the file', async () => {
    expect(await messageOf(test(scenario('a')), { duration: '3x' })).toBe(
      '--duration: expected a duration such as "30s", "500ms", "2m" or a number of seconds (at most 24 days), got "3x"',
    );
    expect(await messageOf(test(scenario('a')), { target: 'ftp://h' })).toBe(
      '--target: expected "mock" or an http(s) URL, got "ftp://h"',
    );
  });

  it('applies the flags where they fit', async () => {
    const path = file(
      test(scenario('a'), '{ executor: constant-arrival-rate, rate: 5, arrival: poisson, duration: 5s }'),
    );
    // The open model's arrival process does not carry over to the closed one.
    expect((await loadTest(path, { overrides: { vus: 4 } })).load).toMatchObject({
      executor: 'constant-vus',
      vus: 4,
    });
    expect((await loadTest(path, { overrides: { duration: '30' } })).load).toMatchObject({
      duration: 30_000,
    });
    const perVu = file(test(scenario('a'), '{ executor: per-vu-iterations, vus: 1, iterations: 3 }'));
    expect((await loadTest(perVu, { overrides: { vus: 4 } })).load).toMatchObject({
      executor: 'per-vu-iterations',
      vus: 4,
      iterations: 3,
    });
  });
});

describe('messages', () => {
  it('shows a threshold or template problem once, without "got …, got …" or "got nothing"', async () => {
    const threshold = await messageOf(`${test(scenario('a'))}thresholds:\n  ttft_ms: ["p99 < soon", "<"]\n`);
    expect(threshold).toBe(
      [
        'FILE: thresholds.ttft_ms[0]: invalid threshold "p99 < soon": expected a number after "<", got "soon"',
        'FILE: thresholds.ttft_ms[1]: invalid threshold "<": expected a number after "<", got nothing',
      ].join('\n'),
    );
    const template = await messageOf(test(scenario('a')).replace('content: hi', 'content: "{{ nope.q }}"'));
    expect(template).toMatch(
      /^FILE: scenarios\[0\]\.steps\[0\]\.chat\.messages\[0\]\.content: \{\{ nope\.q \}\}: unknown variable "nope"; expected row\.\*, vars\.\*, vu, iteration, turn, scenario or random\.\*\(…\)$/,
    );
  });

  it('ends a YAML error with what is wrong, not a colon', async () => {
    const message = await messageOf('name: t\nscenarios:\n  - name: a\n    steps: [\n');
    expect(message).toMatch(/^FILE:\d+:\d+: invalid YAML: \S.*[^:]$/);
    expect(message).not.toContain('\n');
  });

  it('names the field inside a step instead of "expected a step"', async () => {
    const step = (body: string) => test(`  - name: a\n    steps: [{ chat: { ${body} } }]\n`);
    expect(await messageOf(step('model: m, stream: "yes", messages: [{ role: user, content: hi }]'))).toBe(
      'FILE: scenarios[0].steps[0].chat.stream: expected boolean, got "yes"',
    );
    expect(await messageOf(step('messages: [{ role: user, content: hi }]'))).toBe(
      'FILE: scenarios[0].steps[0].chat.model: missing, expected a model name',
    );
    expect(await messageOf(step('model: m, messages: [{ role: robot, content: hi }]'))).toBe(
      'FILE: scenarios[0].steps[0].chat.messages[0].role: expected one of "system", "user", "assistant", "tool", "developer", got "robot"',
    );
    // No key says which step it was meant to be: the step's own message.
    expect(await messageOf(test(`  - name: a\n    steps: [{ chatt: { model: m } }]\n`))).toMatch(
      /^FILE: scenarios\[0\]\.steps\[0\]: expected a step: \{ chat: … \}, \{ completion: … \}, \{ http: … \}, \{ agent: … \}, \{ messages: … \}, \{ response: … \} or \{ embedding: … \}/,
    );
  });

  it('rejects a header value with CR or LF and a header name with a space', async () => {
    const crlf = `headers:\n  X-Bad: "a\\r\\nInjected: yes"\n${test(scenario('a'))}`;
    expect(await messageOf(crlf)).toBe(
      'FILE: headers.X-Bad: expected a header value without CR, LF or NUL characters, got "a\\r\\nInjected: yes"',
    );
    const stepHeader = test(`  - name: a\n    steps: [{ http: { url: /x, headers: { "X Y": v } } }]\n`);
    expect(await messageOf(stepHeader)).toMatch(
      /^FILE: scenarios\[0\]\.steps\[0\]\.http\.headers\.X Y: expected a header name .*, got "X Y"$/,
    );
  });
});

describe('YAML limits', () => {
  it('stops an alias expanding exponentially ("billion laughs") with exit-2 error', async () => {
    const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < 10; i++)
      lines.push(
        `a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    const message = await messageOf(`${lines.join('\n')}\nscenarios: *a9\n`);
    expect(message).toMatch(/^FILE: invalid YAML: aliases expand to too much data/);
  });

  it('accepts a few ordinary aliases', async () => {
    const path = file(test(`  - name: a\n    steps: [&s ${chat}, *s, *s]\n`));
    expect((await loadTest(path)).scenarios[0]?.steps).toHaveLength(3);
  });

  it('reports nesting too deep for the parser', async () => {
    const deep = `scenarios: ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
    expect(await messageOf(deep)).toMatch(/^FILE:\d+:\d+: invalid YAML: nested too deeply$/);
  });
});

describe('template variables that can never be set', () => {
  const withContent = (content: string, extra = '', load?: string) =>
    test(
      `  - name: a\n${extra}    steps: [{ chat: { model: m, messages: [{ role: user, content: "${content}" }] } }]\n`,
      load,
    );
  const at = 'FILE: scenarios[0].steps[0].chat.messages[0].content';

  it('rejects row.* in a scenario without a feeder', async () => {
    expect(await messageOf(withContent('{{ row.q }}'))).toBe(
      `${at}: {{ row.q }}: scenario "a" has no feeder, so row.q is never set (add feeder: { file: … })`,
    );
  });

  it('rejects vars.* that no step captures, or only a later step of the same scenario', async () => {
    expect(await messageOf(withContent('{{ vars.token }}'))).toBe(
      `${at}: {{ vars.token }}: no step captures "token", so vars.token is never set (add capture: { token: … } to a step that runs before)`,
    );
    const later = test(
      `  - name: a\n    steps:\n      - http: { url: "/x?t={{ vars.t }}" }\n      - http: { url: /login, capture: { t: { header: x-t } } }\n`,
    );
    expect(await messageOf(later)).toMatch(
      /^FILE: scenarios\[0\]\.steps\[0\]\.http\.url: \{\{ vars\.t \}\}: vars\.t is captured only by steps\[1\], which runs after this step/,
    );
  });

  it('accepts vars captured by an earlier step, another scenario, a session or set by a flow', async () => {
    const earlier = test(
      `  - name: a\n    steps:\n      - http: { url: /login, capture: { t: { header: x-t } } }\n      - http: { url: "/x?t={{ vars.t }}" }\n`,
    );
    await loadTest(file(earlier));
    const other = test(
      `  - name: a\n    steps: [{ http: { url: "/x?t={{ vars.t }}" } }]\n  - name: b\n    steps: [{ http: { url: /login, capture: { t: { header: x-t } } } }]\n`,
    );
    await loadTest(file(other));
    const session = test(
      `  - name: a\n    session:\n      turns: 2\n      user_messages: [hi, "again {{ vars.id }}"]\n      chat: { model: m, capture: { id: { regex: "(\\\\w+)" } } }\n`,
    );
    await loadTest(file(session));
    const flow = async () => undefined;
    parseTest(
      {
        scenarios: [
          { name: 'a', steps: [{ http: { url: '/x?t={{ vars.t }}' } }] },
          { name: 'b', flow },
        ],
        load: { executor: 'constant-vus', vus: 1, duration: 1 },
      },
      'test.ts',
    );
  });

  it('rejects trace.* without the trace executor and turn outside a session', async () => {
    expect(await messageOf(withContent('{{ trace.input_tokens }}'))).toBe(
      `${at}: {{ trace.input_tokens }}: trace.input_tokens is set only by executor: trace (this test uses constant-vus)`,
    );
    expect(await messageOf(withContent('turn {{ turn }}'))).toBe(
      `${at}: {{ turn }}: turn is set only in a session`,
    );
  });

  it('checks row.NAME against the feeder header (CSV) or first row (JSONL)', async () => {
    file('q,answer\nhello,1\n', 'rows.csv');
    file('{"question":"x","n":1}\n', 'rows.jsonl');
    const csv = withContent('{{ row.q }} {{ row.qq }}', '    feeder: { file: rows.csv }\n');
    expect(await messageOf(csv)).toBe(
      `${at}: {{ row.qq }}: the feeder's header has no column "qq" (it has "q", "answer")`,
    );
    const jsonl = withContent('{{ row.q }}', '    feeder: { file: rows.jsonl }\n');
    expect(await messageOf(jsonl)).toBe(
      `${at}: {{ row.q }}: the feeder's first row has no column "q" (it has "question", "n")`,
    );
    await loadTest(file(withContent('{{ row.question }}', '    feeder: { file: rows.jsonl }\n')));
  });

  it('checks an empirical column and from: trace.* before the run', async () => {
    file('ContextTokens\n12\n', 'tokens.csv');
    const synth = (count: string, load?: string) =>
      test(
        `  - name: a\n    steps: [{ chat: { model: m, synthetic: { prompt_tokens: ${count} } } }]\n`,
        load,
      );
    expect(await messageOf(synth('{ dist: empirical, file: tokens.csv, column: Ctx }'))).toMatch(
      /^FILE: scenarios\[0\]\.steps\[0\]\.chat\.synthetic\.prompt_tokens\.column: .*tokens\.csv: no column "Ctx"$/,
    );
    await loadTest(file(synth('{ dist: empirical, file: tokens.csv, column: ContextTokens }')));
    expect(await messageOf(synth('{ from: trace.input_tokens }'))).toBe(
      'FILE: scenarios[0].steps[0].chat.synthetic.prompt_tokens.from: trace.input_tokens is set only by executor: trace (this test uses constant-vus)',
    );
  });

  it('asks for the feeder format when the file name does not tell it', async () => {
    file('q\nhello\n', 'rows.txt');
    expect(await messageOf(withContent('{{ row.q }}', '    feeder: { file: rows.txt }\n'))).toBe(
      'FILE: scenarios[0].feeder.format: cannot tell CSV from JSONL by the file name; expected format: csv, jsonl or sharegpt',
    );
    await loadTest(file(withContent('{{ row.q }}', '    feeder: { file: rows.txt, format: csv }\n')));
  });
});
