import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseTest, TestSchema } from '../../config/index.js';
import { isModelKind } from '../../core/index.js';
import type { StepKindEntry } from '../step-kind.js';
import { compileStep } from '../steps.js';
import { httpTransport } from './http.js';
import {
  BUILTIN_STEP_KINDS,
  registerStepKind,
  StepSchema,
  stepKindOf,
  stepKinds,
  stepKindsTable,
  unknownStepMessage,
} from './index.js';

/** A kind as a plugin would define it: a GET of `{target}/echo/<word>`. */
function echoKind(model: boolean): StepKindEntry<{ word: string }> {
  const entry: StepKindEntry<{ word: string }> = {
    name: 'echo',
    schema: z.strictObject({ word: z.string().min(1) }),
    summary: 'GET an echo',
    model,
    defaultName: (body) => `echo ${body.word}`,
    compile: (body, index, defaults) => ({
      index,
      name: `echo ${body.word}`,
      kind: 'echo',
      via: entry,
      origin: new URL(defaults.target).origin,
      path: `/echo/${body.word}`,
      method: 'GET',
      headers: {},
      body: undefined,
      timeoutMs: defaults.timeoutMs,
      maxRedirects: 0,
      expectStatus: undefined,
      stream: false,
      inputTokensClient: undefined,
      inputTokensPending: undefined,
    }),
    transport: httpTransport,
  };
  return entry;
}

const test = (steps: unknown[]) => ({
  target: 'http://127.0.0.1:9/v1',
  scenarios: [{ name: 's', steps }],
  load: { executor: 'constant-vus', vus: 1, iterations: 1 },
});

describe('the list of step kinds', () => {
  it('lists the built-in kinds first; their model kinds are the ones metrics count as model records', () => {
    expect(BUILTIN_STEP_KINDS.map((e) => e.name)).toEqual([
      'chat',
      'completion',
      'http',
      'agent',
      'messages',
      'response',
      'embedding',
    ]);
    expect(stepKinds().slice(0, BUILTIN_STEP_KINDS.length)).toEqual([...BUILTIN_STEP_KINDS]);
    for (const entry of stepKinds()) expect(isModelKind(entry.name)).toBe(entry.model);
    expect(isModelKind('script')).toBe(false);
  });

  it('names every kind when a step is none of them', () => {
    expect(unknownStepMessage()).toMatch(
      /^expected a step: \{ chat: … \}, \{ completion: … \}, \{ http: … \}, \{ agent: … \}, \{ messages: … \}, \{ response: … \} or \{ embedding: … \}/,
    );
    const parsed = TestSchema.safeParse(test([{ nope: {} }]));
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain('expected a step: { chat: … }');
  });

  it('takes a registered kind into the step schema, the test schema, compile and the model kinds', () => {
    expect(TestSchema.safeParse(test([{ echo: { word: 'hi' } }])).success).toBe(false);
    registerStepKind(echoKind(true));
    expect(StepSchema.safeParse({ echo: { word: 'hi' } }).success).toBe(true);
    expect(StepSchema.safeParse({ echo: { word: '' } }).success).toBe(false);
    const parsed = parseTest(test([{ echo: { word: 'hi' } }]), 'test');
    const step = parsed.scenarios[0]?.steps?.[0] as object;
    expect(stepKindOf(step)?.name).toBe('echo');
    const compiled = compileStep(step, 0, { target: 'http://127.0.0.1:9/v1', headers: {}, timeoutMs: 1000 });
    expect(compiled).toMatchObject({ kind: 'echo', path: '/echo/hi', origin: 'http://127.0.0.1:9' });
    expect(isModelKind('echo')).toBe(true);
    expect(unknownStepMessage()).toContain('{ embedding: … } or { echo: … }');
    // Registered again (a test file loaded again): replaced, not listed twice.
    registerStepKind(echoKind(true));
    expect(stepKinds().filter((e) => e.name === 'echo')).toHaveLength(1);
    expect(StepSchema.def.options.length).toBe(stepKinds().length);
  });

  it('refuses to replace a built-in kind or take a reserved or malformed name', () => {
    expect(() => registerStepKind({ ...echoKind(false), name: 'chat' })).toThrow(
      'step kind "chat" is built in',
    );
    expect(() => registerStepKind({ ...echoKind(false), name: 'script' })).toThrow('reserved');
    expect(() => registerStepKind({ ...echoKind(false), name: 'Echo!' })).toThrow(
      'expected a lower-case name',
    );
  });

  it('is the table of steps in docs/workload.md', () => {
    const builtins = stepKindsTable()
      .split('\n')
      .slice(0, 2 + BUILTIN_STEP_KINDS.length)
      .join('\n');
    expect(readFileSync(new URL('../../../docs/workload.md', import.meta.url), 'utf8')).toContain(builtins);
  });
});
