import { describe, expect, it } from 'vitest';
import { type ZodError, z } from 'zod';
import { parseTest } from './load-test.js';
import { checkThresholdSelectors, selectorTags, stepLabelsOf } from './threshold-selectors.js';

type Scenarios = Parameters<typeof checkThresholdSelectors>[0]['scenarios'];

const scenarios: Scenarios = [
  {
    name: 'chat',
    steps: [
      { chat: { model: 'm' } },
      { http: { method: 'GET', url: '/models' } },
      { completion: { model: 'm', name: 'summarise' } },
    ],
  },
  { name: 'talk', session: { chat: {} } },
];
const staged = {
  executor: 'ramping-arrival-rate',
  stages: [
    { target: 5, duration: 1000, name: 'warm' },
    { target: 9, duration: 1000 },
  ],
};

/** The issues the check raises for `thresholds`, as messages keyed by path. */
function issues(
  thresholds: Record<string, unknown>,
  load: Record<string, unknown> = staged,
  s: Scenarios = scenarios,
): string[] {
  const schema = z
    .unknown()
    .superRefine((_, ctx) =>
      checkThresholdSelectors({ scenarios: s, load: load as { executor: string }, thresholds }, ctx),
    );
  const r = schema.safeParse(1);
  return r.success ? [] : (r.error as ZodError).issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('threshold selectors checked at load', () => {
  it('reads the tags of a selector', () => {
    expect(selectorTags('e2e_ms{scenario: "chat", step:chat:0}')).toEqual([
      { tag: 'scenario', value: 'chat' },
      { tag: 'step', value: 'chat:0' },
    ]);
    expect(selectorTags('ttft_ms')).toEqual([]);
  });

  it('accepts selectors that name what the test has', () => {
    expect(
      issues({
        ttft_ms: [],
        'ttft_ms{scenario:chat}': [],
        'e2e_ms{scenario:chat,step:GET /models}': [],
        'e2e_ms{step:summarise}': [],
        'e2e_ms{step:completion:2}': [],
        'e2e_ms{scenario:talk,step:chat:7}': [],
        'e2e_ms{stage:warm}': [],
        'e2e_ms{stage:stage 2}': [],
      }),
    ).toEqual([]);
  });

  it('names the threshold and the scenarios that exist', () => {
    expect(issues({ 'e2e_ms{scenario:chta}': [] })).toEqual([
      'thresholds.e2e_ms{scenario:chta}: threshold "e2e_ms{scenario:chta}" names scenario "chta", which does not exist (expected one of: "chat", "talk")',
    ]);
  });

  it('names the steps of the scenario, and the stages', () => {
    const [step] = issues({ 'e2e_ms{scenario:chat,step:summarize}': [] });
    expect(step).toContain('names step "summarize" in scenario "chat", which does not exist');
    expect(step).toContain('"chat", "chat:0", "GET /models", "http:1", "summarise", "completion:2"');
    const [stage] = issues({ 'ttft_ms{stage:spike}': [] });
    expect(stage).toContain('names stage "spike", which does not exist (expected one of: "warm", "stage 2")');
    expect(issues({ 'ttft_ms{stage:spike}': [] }, { executor: 'constant-vus' })[0]).toContain(
      'this test has no stages',
    );
  });

  it("leaves names it cannot know ahead: a flow's steps, a sweep's stages", () => {
    const flow: Scenarios = [{ name: 'f', flow: () => undefined }];
    expect(issues({ 'e2e_ms{step:anything}': [] }, staged, flow)).toEqual([]);
    expect(issues({ 'e2e_ms{stage:sweep 1 (coarse): 5/s}': [] }, { executor: 'sweep' })).toEqual([]);
  });
});

describe('stage indexes, step labels and abortOnFail options', () => {
  it('takes a stage by its index from 0, and names the range otherwise', () => {
    expect(issues({ 'ttft_ms{stage:0}': [], 'ttft_ms{stage:1}': [] })).toEqual([]);
    expect(issues({ 'ttft_ms{stage:2}': [] })[0]).toContain('names stage "2", which does not exist');
  });

  it("reads each step's configured model and tags by the name records carry", () => {
    const labels = stepLabelsOf({
      scenarios: [
        {
          name: 'chat',
          steps: [
            { chat: { model: 'small', tags: ['fast'] } },
            { http: { url: '/models', tags: ['meta'] } },
            { completion: { model: 'big', name: 'summarise' } },
          ],
        },
        { name: 'talk', session: { chat: { model: 'mid' } } },
      ],
    });
    expect(labels('chat', 'chat:0')).toEqual({ model: 'small', tags: ['fast'] });
    expect(labels('chat', 'http:1')).toEqual({ model: undefined, tags: ['meta'] });
    expect(labels('chat', 'summarise')).toEqual({ model: 'big', tags: undefined });
    expect(labels('talk', 'chat')).toEqual({ model: 'mid', tags: undefined });
    expect(labels('chat', 'nope')).toBeUndefined();
  });

  it('takes abortOnFail with delayAbortEval, and refuses a delay without abortOnFail (exit 2 material)', () => {
    const test = (entry: unknown) => ({
      name: 't',
      target: 'mock',
      scenarios: [
        { name: 's', steps: [{ chat: { model: 'm', messages: [{ role: 'user', content: 'x' }] } }] },
      ],
      load: { executor: 'constant-vus', vus: 1, duration: '1s' },
      thresholds: { ttft_ms: [entry] },
    });
    const parsed = parseTest(
      test({ threshold: 'p99 < 100', abortOnFail: true, delayAbortEval: '10s' }),
      't.yaml',
    );
    expect(parsed.thresholds.ttft_ms).toEqual([
      { threshold: 'p99 < 100', blocking: true, abortOnFail: true, delayAbortEval: 10_000 },
    ]);
    expect(() => parseTest(test({ threshold: 'p99 < 100', delayAbortEval: '10s' }), 't.yaml')).toThrow(
      /thresholds\.ttft_ms\[0\]\.delayAbortEval.*applies with abortOnFail: true only/s,
    );
  });
});

describe('tag and check selectors checked at load', () => {
  const labelled: Scenarios = [
    {
      name: 'chat',
      steps: [
        { chat: { model: 'm', tags: ['rag'], checks: { json: true, custom: { polite: () => true } } } },
        { http: { url: '/models', tags: ['meta'] } },
      ],
    },
    { name: 'talk', session: { chat: { checks: { finish_reason: 'stop' } } } } as Scenarios[number],
  ];

  it('accepts the tags and checks the steps declare', () => {
    expect(
      issues(
        {
          'e2e_ms{tag:rag}': [],
          'e2e_ms{scenario:chat,tag:meta}': [],
          'checks{check:json}': [],
          'checks{check:polite}': [],
          'checks{check:finish_reason}': [],
        },
        staged,
        labelled,
      ),
    ).toEqual([]);
  });

  it('names the ones that exist for a typo, within a scenario when one is named', () => {
    expect(issues({ 'e2e_ms{tag:rga}': [] }, staged, labelled)).toEqual([
      'thresholds.e2e_ms{tag:rga}: threshold "e2e_ms{tag:rga}" names tag "rga", which no step has (expected one of: "rag", "meta")',
    ]);
    expect(issues({ 'checks{scenario:talk,check:json}': [] }, staged, labelled)[0]).toContain(
      'names check "json" in scenario "talk", which no step has (expected one of: "finish_reason")',
    );
    expect(issues({ 'checks{check:json}': [] })[0]).toContain('this test has no checks');
  });

  it("leaves a flow's tags and checks alone", () => {
    expect(
      issues({ 'checks{check:any}': [], 'e2e_ms{tag:any}': [] }, staged, [
        { name: 'f', flow: () => undefined },
      ]),
    ).toEqual([]);
  });
});
