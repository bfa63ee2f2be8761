/**
 * Agent tasks against a scripted model on 127.0.0.1 (a tool-call turn, then
 * a final answer that quotes the tool results it was sent): tool results from
 * a data file (`result_from`, CSV or JSONL, in file order or drawn), checked
 * by what the model received; and a task whose final answer fails the step's
 * `checks` is not a success, in its record and in `summary.json.agents`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/cli.js';
import { type FixtureServer, readBody, startFixtureServer } from '../../test/support/fixture-server.js';
import { runWorkload, workloadFor } from '../../test/support/run-workload.js';
import { prepareTest } from '../config/index.js';
import { ConfigError, type RequestRecord } from '../core/index.js';
import { RunAggregator } from '../metrics/index.js';

let server: FixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

type Message = { role: string; content?: string | null; tool_call_id?: string };

/**
 * An agent's model: with no tool result yet, one streamed turn calling `search` and `lookup`
 * (arguments split over chunks); then the final answer `final: <search result> | <lookup result>`.
 * `seen` gets the tool results of every final turn.
 */
async function scriptedModel(seen: Record<string, string>[]): Promise<FixtureServer> {
  return startFixtureServer(async (req, res) => {
    const body = JSON.parse(await readBody(req)) as { messages: Message[] };
    const results = body.messages.filter((m) => m.role === 'tool');
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = (delta: unknown, finish: string | null = null) =>
      res.write(
        `data: ${JSON.stringify({ id: 'x', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`,
      );
    if (results.length === 0) {
      chunk({
        role: 'assistant',
        tool_calls: [
          { index: 0, id: 'c_search', type: 'function', function: { name: 'search', arguments: '{"q":' } },
          { index: 1, id: 'c_lookup', type: 'function', function: { name: 'lookup', arguments: '' } },
        ],
      });
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"x"}' } }] });
      chunk({ tool_calls: [{ index: 1, function: { arguments: '{}' } }] });
      chunk({}, 'tool_calls');
    } else {
      const byId = Object.fromEntries(results.map((m) => [m.tool_call_id, String(m.content)]));
      seen.push(byId);
      chunk({ role: 'assistant', content: `final: ${byId.c_search} | ${byId.c_lookup}` });
      chunk({}, 'stop');
    }
    res.end('data: [DONE]\n\n');
  });
}

function dataFiles(): { dir: string; jsonl: string; csv: string } {
  const dir = tempDir();
  const jsonl = join(dir, 'search.jsonl');
  writeFileSync(jsonl, '{"hits":"alpha","n":1}\n{"hits":"beta","n":2}\n\n{"hits":{"k":"gamma"},"n":3}\n');
  const csv = join(dir, 'lookup.csv');
  writeFileSync(csv, 'id,price\na1,10\nb2,20\n');
  return { dir, jsonl, csv };
}

function agentStep(jsonl: string, csv: string, extra: Record<string, unknown> = {}) {
  return {
    agent: {
      name: 'task',
      model: 'm',
      max_steps: 3,
      messages: [{ role: 'user' as const, content: 'go' }],
      tools: [
        { name: 'search', result_from: { file: jsonl, column: 'hits' } },
        { name: 'lookup', result_from: { file: csv, strategy: 'random' } },
      ],
      ...extra,
    },
  };
}

const tasks = (records: RequestRecord[]) => records.filter((r) => r.kind === 'agent');

describe('agent tool results from a data file', () => {
  it('answers each call with the next row of a JSONL column (wrapping), or a random CSV row as JSON', async () => {
    const seen: Record<string, string>[] = [];
    server = await scriptedModel(seen);
    const { jsonl, csv } = dataFiles();
    const workload = workloadFor(
      { seed: 5, scenarios: [{ name: 'a', steps: [agentStep(jsonl, csv) as never] }] },
      `${server.url}/v1`,
    );
    const records = await runWorkload(workload, { iterations: 5 });
    expect(tasks(records).map((r) => r.agent?.success)).toEqual([true, true, true, true, true]);
    // File order, the empty line skipped, a non-string value as JSON, then from the start again.
    expect(seen.map((s) => s.c_search)).toEqual(['alpha', 'beta', '{"k":"gamma"}', 'alpha', 'beta']);
    const rows = ['{"id":"a1","price":"10"}', '{"id":"b2","price":"20"}'];
    for (const s of seen) expect(rows).toContain(s.c_lookup);
    // The final answer is the task's response: it quotes the rows the model was sent.
    expect(tasks(records).every((r) => r.outcome === 'ok')).toBe(true);
  });

  it('resolves the file against the test file, and a missing file or column is a bad test naming the field', async () => {
    const { dir } = dataFiles();
    const test = (tool: Record<string, unknown>) => ({
      target: 'http://127.0.0.1:9/v1',
      scenarios: [
        {
          name: 'a',
          steps: [{ agent: { model: 'm', messages: [{ role: 'user', content: 'go' }], tools: [tool] } }],
        },
      ],
      load: { executor: 'constant-vus', vus: 1, iterations: 1 },
    });
    const ok = await prepareTest(
      test({ name: 'search', result_from: { file: 'search.jsonl', column: 'hits' } }),
      dir,
      't.yaml',
    );
    const steps = ok.scenarios[0]?.steps as { agent: { tools: { result_from: { file: string } }[] } }[];
    const tool = steps[0]?.agent.tools[0];
    expect(tool?.result_from.file).toBe(join(dir, 'search.jsonl'));
    await expect(
      prepareTest(test({ name: 'search', result_from: { file: 'nope.jsonl' } }), dir, 't.yaml'),
    ).rejects.toThrow(
      new ConfigError(
        't.yaml: scenarios[0].steps[0].agent.tools[0].result_from.file: cannot read data file "nope.jsonl"',
      ),
    );
    await expect(
      prepareTest(
        test({ name: 'lookup', result_from: { file: 'lookup.csv', column: 'cost' } }),
        dir,
        't.yaml',
      ),
    ).rejects.toThrow(
      `t.yaml: scenarios[0].steps[0].agent.tools[0].result_from: ${join(dir, 'lookup.csv')}: data row 1: no column "cost" (the row has "id", "price")`,
    );
  });
});

describe('agent task success and checks', () => {
  it("is not a success when the final answer fails the step's checks, in the record and summary.json agents", async () => {
    const seen: Record<string, string>[] = [];
    server = await scriptedModel(seen);
    const { jsonl, csv } = dataFiles();
    // The answer quotes the search row: the second of every three ("beta") fails the check.
    // A step of its own name: the circular order is kept per step and tool, across tasks.
    const step = agentStep(jsonl, csv, { name: 'checked', checks: { not_contains: 'beta' } });
    const workload = workloadFor(
      { seed: 5, scenarios: [{ name: 'a', steps: [step as never] }] },
      `${server.url}/v1`,
    );
    const records = await runWorkload(workload, { iterations: 6 });
    const done = tasks(records);
    expect(done.map((r) => r.agent?.success)).toEqual([true, false, true, true, false, true]);
    for (const r of done.filter((t) => t.agent?.success === false)) {
      // It reached its answer within max_steps; the answer failed its check.
      expect(r.agent).toMatchObject({ end: 'answer', steps: 2 });
      expect(r).toMatchObject({ outcome: 'error', error: 'check_failed', checks: { not_contains: false } });
    }
    const agg = new RunAggregator();
    for (const r of records) agg.add(r);
    const summary = agg.snapshot({ name: 't', startedAt: '', durationS: 1 }) as unknown as {
      agents: { tasks: number; success_rate: number; ends: Record<string, number> };
    };
    expect(summary.agents).toMatchObject({ tasks: 6, success_rate: round4(4 / 6), ends: { answer: 6 } });
  });
});

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
