/**
 * The test file the answer-quality e2e tests share: the embedded mock answers
 * from a reference set (qa.jsonl) and degrades its answers once 5 requests are
 * in flight; a light stage (5/s for 2 s) then a heavy one (70/s for 1.5 s).
 * Each test adds what it measures: its step's `quality:` or `checks:`, its
 * top-level sections, and the mock's other degradations.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DegradingTest {
  name: string;
  /** `[prompt, answer]` rows written to qa.jsonl. */
  qa: readonly (readonly [string, string])[];
  /** Lines under `mock.degrade` besides `when` and `truncate: 0.4`, e.g. `refusal: 0.1`. */
  degrade: string[];
  /** YAML of the chat step's own section, indented under the step (e.g. `quality: {...}`). */
  step: string;
  /** Top-level YAML after the load (quality:, thresholds:). */
  tail: string;
}

/** Writes qa.jsonl and `<name>.yaml` into `dir`; returns the test file's path. */
export function writeDegradingTest(dir: string, t: DegradingTest): string {
  writeFileSync(
    join(dir, 'qa.jsonl'),
    `${t.qa.map(([prompt, answer]) => JSON.stringify({ prompt, answer })).join('\n')}\n`,
  );
  const file = join(dir, `${t.name}.yaml`);
  writeFileSync(
    file,
    `name: ${t.name}
target: mock
mock:
  ttft_ms: 40
  itl_ms: 5
  answers: { file: qa.jsonl }
  degrade:
    when: { in_flight: 5 }
    truncate: 0.4
${t.degrade.map((l) => `    ${l}\n`).join('')}scenarios:
  - name: qa
    feeder: { file: qa.jsonl }
    steps:
      - chat:
          name: answer
          model: m
          max_tokens: 100
          messages: [{ role: user, content: "{{ row.prompt }}" }]
${t.step
  .trim()
  .split('\n')
  .map((l) => `          ${l}\n`)
  .join('')}load:
  executor: ramping-arrival-rate
  max_vus: 200
  stages:
    - { target: 5, duration: 0, name: start }
    - { target: 5, duration: 2s, name: light }
    - { target: 70, duration: 0, name: jump }
    - { target: 70, duration: 1500ms, name: heavy }
${t.tail}`,
  );
  return file;
}
