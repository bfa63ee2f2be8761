/**
 * Bad input through the real CLI: exit 2 with the file (or flag), the field and
 * what was expected, never exit 1 with a stack trace. The in-process fuzz test
 * (src/config/fuzz.test.ts) covers the many cases; these check the exit code.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/cli.js';

const dir = tempDir('tokenstorm-bad-input-');
const chat = '{ chat: { model: m, max_tokens: 4, messages: [{ role: user, content: hi }] } }';
const valid = `target: mock
scenarios:
  - name: a
    steps: [${chat}]
load: { executor: constant-vus, vus: 1, duration: 1s }
`;

function laughs(): string {
  const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i < 10; i++)
    lines.push(
      `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  return `${lines.join('\n')}\nscenarios: *a9\n`;
}

const CASES: { name: string; text: string; args?: string[]; stderr: RegExp }[] = [
  {
    name: 'weights all 0',
    text: valid.replace('- name: a', '- name: a\n    weight: 0'),
    stderr: /^FILE: scenarios\[0\]\.weight: every scenario has weight 0/,
  },
  {
    name: 'header with CR/LF',
    text: `headers: { X-Bad: "a\\r\\nInjected: yes" }\n${valid}`,
    stderr: /^FILE: headers\.X-Bad: expected a header value without CR, LF or NUL/,
  },
  {
    name: 'billion laughs',
    text: laughs(),
    stderr: /^FILE: invalid YAML: aliases expand to too much data/,
  },
  {
    name: 'row.* without a feeder',
    text: valid.replace('content: hi', 'content: "{{ row.q }}"'),
    stderr:
      /^FILE: scenarios\[0\]\.steps\[0\]\.chat\.messages\[0\]\.content: \{\{ row\.q \}\}: scenario "a" has no feeder/,
  },
  {
    name: 'stream: "yes"',
    text: valid.replace('max_tokens: 4', 'max_tokens: 4, stream: "yes"'),
    stderr: /^FILE: scenarios\[0\]\.steps\[0\]\.chat\.stream: expected boolean, got "yes"/,
  },
  {
    // Found when the plan is built (before any worker), not in each worker as it draws the arrivals.
    name: 'too many arrivals',
    text: valid.replace(
      '{ executor: constant-vus, vus: 1, duration: 1s }',
      '{ executor: constant-arrival-rate, rate: 100000, duration: 24h }',
    ),
    stderr: /^FILE: load: the schedule plans 8\.64e\+9 arrivals; expected at most 50,000,000/,
  },
  {
    name: '--vus on a ramping executor',
    text: valid.replace(
      '{ executor: constant-vus, vus: 1, duration: 1s }',
      '{ executor: ramping-vus, stages: [{ target: 2, duration: 1s }] }',
    ),
    args: ['--vus', '3'],
    stderr: /^--vus: cannot apply to load\.executor "ramping-vus"/,
  },
];

describe('bad input through the CLI', () => {
  for (const c of CASES) {
    it(`exits 2 naming the field: ${c.name}`, async () => {
      const file = join(dir, `${c.name.replace(/\W+/g, '-')}.yaml`);
      writeFileSync(file, c.text);
      const result = await runCli(['run', file, '--quiet', '--out', join(dir, 'out'), ...(c.args ?? [])]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr.replaceAll(file, 'FILE')).toMatch(c.stderr);
      expect(result.stderr).not.toContain('internal error');
      expect(result.stderr).not.toMatch(/^\s+at /m);
      expect(result.stdout).toBe('');
    });
  }
});
