/**
 * Agent tasks end to end through the CLI against the embedded mock answering
 * as an agent model: the loop takes the planned number of steps and succeeds;
 * `max_steps` is enforced and counted as failure; and a tool that slows with
 * concurrency (a 127.0.0.1 server this test starts) makes tasks take more
 * model calls in the heavy stage, which the amplification figure shows.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createClock } from '../../src/core/index.js';
import { HttpClient } from '../../src/protocols/http1/index.js';
import { sendStep } from '../../src/protocols/send-step.js';
import type { StepMeasurement } from '../../src/protocols/step-kind.js';
import { agentStep } from '../../src/protocols/steps/agent.js';
import { startMockServer } from '../../src/sim/index.js';
import { runCli, stderrProblems, tempDir } from '../support/cli.js';

function readJson(path: string) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function records(out: string): Record<string, unknown>[] {
  return readFileSync(join(out, 'records.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

/** A test file: one agent step against the mock, whose plan is `agent`. */
function agentTest(agent: string, step: string, load: string): string {
  const dir = tempDir();
  const file = join(dir, 'agent.yaml');
  writeFileSync(
    file,
    `name: agents
target: mock
mock:
  ttft_ms: 20
  itl_ms: 2
  output_tokens: 8
  agent: ${agent}
scenarios:
  - name: agent
    steps:
      - agent:
          name: task
          model: mock-model
          messages: [{ role: user, content: "task {{vu}}-{{iteration}}" }]
${step}
load: ${load}
`,
  );
  return file;
}

let server: Server | undefined;
afterEach(async () => {
  const s = server;
  server = undefined;
  if (s !== undefined) await new Promise((resolve) => s.close(resolve));
});

describe('agent tasks', () => {
  it('take the planned steps against the mock, succeed, and report rebuilds the same agents figures', async () => {
    const test = agentTest(
      '{ tool_turns: 2, parallel: 2 }',
      `          max_steps: 5
          tools:
            - { name: search, latency_ms: 5 }
            - { name: lookup, latency_ms: 5 }`,
      '{ executor: constant-vus, vus: 3, duration: 1s }',
    );
    const out = join(tempDir(), 'run');
    const result = await runCli(['run', test, '--out', out, '--quiet', '--workers', '2'], {
      timeoutMs: 60_000,
    });
    expect(stderrProblems(result.stderr)).toEqual([]);
    expect(result.code).toBe(0);
    const summary = readJson(join(out, 'summary.json'));
    const agents = summary.agents;
    expect(agents.tasks).toBeGreaterThan(3);
    expect(agents.success_rate).toBe(1);
    expect(agents.ends).toEqual({ answer: agents.tasks });
    // Two tool-call turns of two parallel calls, then the answer: 3 model calls, 4 tool calls, every task.
    expect(agents.steps).toMatchObject({ min: 3, max: 3 });
    expect(agents.model_calls).toMatchObject({ min: 3, max: 3 });
    expect(agents.tool_calls).toMatchObject({ min: 4, max: 4 });
    expect(agents.tools.search.calls + agents.tools.lookup.calls).toBe(4 * agents.tasks);
    // Every model call is a chat request of its own, with TTFT and ITL.
    const model = summary.steps['task/model'];
    expect(model.kind).toBe('chat');
    expect(model.counts.ok).toBeGreaterThanOrEqual(3 * agents.tasks);
    expect(model.metrics.ttft_ms.min).toBeGreaterThanOrEqual(19);
    expect(model.metrics.itl_ms.count).toBeGreaterThan(0);
    const tasks = records(out).filter((r) => r.kind === 'agent');
    expect(tasks).toHaveLength(agents.tasks);
    const rebuilt = await runCli(['report', out, '--quiet']);
    expect(rebuilt.code).toBe(0);
    expect(readJson(join(out, 'summary.json')).agents).toEqual(agents);
  });

  it('enforce max_steps: a task still calling tools then has failed', async () => {
    const test = agentTest(
      '{ tool_turns: 6 }',
      `          max_steps: 3
          tools: [{ name: search }]`,
      '{ executor: constant-vus, vus: 2, duration: 1s }',
    );
    const out = join(tempDir(), 'run');
    const result = await runCli(['run', test, '--out', out, '--quiet'], { timeoutMs: 60_000 });
    expect(result.code).toBe(0);
    const agents = readJson(join(out, 'summary.json')).agents;
    expect(agents.tasks).toBeGreaterThan(1);
    expect(agents.success_rate).toBe(0);
    expect(agents.ends).toEqual({ max_steps: agents.tasks });
    expect(agents.steps).toMatchObject({ min: 3, max: 3 });
    const task = records(out).find((r) => r.kind === 'agent' && r.outcome === 'error');
    expect(task).toMatchObject({
      error: 'check_failed',
      agent: { end: 'max_steps', success: false, steps: 3 },
    });
  });

  it('take more model calls when a tool times out under load: amplification in the heavy stage', async () => {
    // A tool service that slows with concurrency: 15 ms per request in flight.
    let inFlight = 0;
    let peak = 0;
    server = createServer((req, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      req.resume();
      setTimeout(() => {
        inFlight--;
        res.setHeader('content-type', 'application/json');
        res.end('{"hits":3}');
      }, 15 * inFlight);
    });
    await new Promise<void>((resolve) => (server as Server).listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/search`;
    const test = agentTest(
      '{ tool_turns: 2, parallel: 1, max_retries: 3 }',
      `          max_steps: 12
          tools: [{ name: search, timeout: 80ms, http: { url: "${url}" } }]`,
      `{ executor: ramping-vus, start_vus: 1, stages: [{ target: 1, duration: 1500ms, name: light }, { target: 10, duration: 0 }, { target: 10, duration: 1500ms, name: heavy }] }`,
    );
    const out = join(tempDir(), 'run');
    const result = await runCli(['run', test, '--out', out, '--quiet'], { timeoutMs: 60_000 });
    expect(stderrProblems(result.stderr)).toEqual([]);
    const summary = readJson(join(out, 'summary.json'));
    const stages = summary.agents.stages as {
      name: string;
      model_calls_mean: number;
      amplification: number;
    }[];
    const light = stages.find((s) => s.name === 'light');
    const heavy = stages.find((s) => s.name === 'heavy');
    // Alone, the tool answers in ~15 ms: (almost) no timeouts, about the planned 3 model calls.
    expect(light?.amplification).toBe(1);
    expect(light?.model_calls_mean).toBeGreaterThanOrEqual(3);
    expect(light?.model_calls_mean).toBeLessThan(4);
    // Ten at once: the tool takes up to 150 ms, times out at 80, and the model calls it again.
    expect(peak).toBeGreaterThan(5);
    expect(summary.agents.tools.search.timeouts).toBeGreaterThan(0);
    expect(heavy?.amplification).toBeGreaterThan(1.2);
    // The report draws steps and model calls per task against the stages' load, and tabulates them.
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('Agent tasks: steps and model calls per task against load');
    expect(html).toContain('data-metric="agents.stages.1.amplification"');
    // Each timeout is a tool record too (an HTTP request of the task).
    expect(summary.steps['task/tool:search'].counts.byError.timeout).toBe(
      summary.agents.tools.search.timeouts,
    );
    console.log(
      `agent amplification (heavy / light): ${heavy?.amplification}, model calls/task ${light?.model_calls_mean} -> ${heavy?.model_calls_mean}`,
    );
  });

  it('run in process: a TS function computes a result from the parsed arguments; each model call is emitted', async () => {
    const mock = await startMockServer({
      profile: { ttft_ms: 5, itl_ms: 1, output_tokens: 4, agent: { tool_turns: 2 } },
    });
    const dispatcher = new HttpClient();
    try {
      const seen: unknown[] = [];
      const body = agentStep.schema.parse({
        name: 'inproc',
        model: 'm',
        messages: [{ role: 'user', content: 'go' }],
        tools: [
          {
            name: 'search',
            result: (args: unknown) => {
              seen.push(args);
              return { found: (args as { query: string }).query.length };
            },
          },
        ],
      });
      const step = agentStep.compile(body, 0, { target: `${mock.url}/v1`, headers: {}, timeoutMs: 5000 });
      const emitted: { name: string; m: StepMeasurement }[] = [];
      const sent = await sendStep(
        step,
        { dispatcher, clock: createClock() },
        { emit: (s, m) => emitted.push({ name: s.name, m }) },
      );
      expect(sent.measurement.agent).toMatchObject({ steps: 3, modelCalls: 3, end: 'answer', success: true });
      expect(sent.measurement.agent?.tools.map((t) => t.outcome)).toEqual(['ok', 'ok']);
      expect(seen).toHaveLength(2);
      for (const a of seen) expect(typeof (a as { query: string }).query).toBe('string');
      expect(emitted.map((e) => e.name)).toEqual(['inproc/model', 'inproc/model', 'inproc/model']);
      for (const e of emitted) expect(e.m).toMatchObject({ outcome: 'ok', status: 200 });
      expect(sent.response.body.length).toBeGreaterThan(0);
    } finally {
      await dispatcher.close();
      await mock.close();
    }
  });
});
