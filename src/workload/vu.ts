/**
 * @module workload/vu
 * What a TypeScript flow gets: `flow: async (vu) => { … }` with a helper per
 * kind of step in the list (`vu.chat`, `vu.completion`, `vu.http`, and
 * `vu.step(kind, body)` for any kind, a plugin's too), variables, the feeder
 * row, think time and a seeded random source.
 */
import type { z } from 'zod';
import { formatZodError } from '../core/index.js';
import { type BUILTIN_STEP_KINDS, type Step, StepSchema, stepKinds } from '../protocols/index.js';
import type { Distribution } from '../random/index.js';
import { PreparedStep } from './prepared-step.js';
import type { PromptSynth } from './prompt-synth.js';
import { failBeforeSend, type IterationRun, type StepResult, sendRequest } from './request.js';
import type { Row } from './row-reader.js';
import { TemplateError, type TemplateScope } from './template.js';

/** `vu.<kind>(body)` for each built-in kind of step, typed by its schema. */
export type StepHelpers = {
  [E in (typeof BUILTIN_STEP_KINDS)[number] as E['name']]: (
    step: z.input<E['schema']>,
  ) => Promise<StepResult>;
};

/** The virtual user a flow drives. */
export interface Vu extends StepHelpers {
  /** The VU's number. */
  readonly id: number;
  readonly iteration: number;
  readonly scenario: string;
  /** Variables: captures land here; they persist across this VU's iterations. */
  readonly vars: Record<string, unknown>;
  /** The scenario feeder's row for this iteration, when it has a feeder. */
  readonly row: Row | undefined;
  /** Aborted when the run cancels in-flight work. */
  readonly signal: AbortSignal | undefined;
  /** A uniform number in [0, 1) from the iteration's seeded source. */
  random(): number;
  /** A step of any registered kind: `vu.step('chat', { … })` is `vu.chat({ … })`. */
  step(kind: string, body: unknown): Promise<StepResult>;
  /** Pauses for `ms` (a number or a distribution), or the scenario's `think_time` when omitted. */
  think(ms?: Distribution): Promise<void>;
  /** Another row from the scenario's feeder; undefined when it is exhausted or there is none. */
  nextRow(): Promise<Row | undefined>;
  /** A synthetic text of exactly `tokens` tokens (gpt-tokenizer), seeded. */
  prompt(tokens: number): string;
}

/** A TypeScript scenario: one call per iteration. */
export type Flow = (vu: Vu) => Promise<void>;

/** What the workload lends a flow. */
export interface FlowHooks {
  scope: TemplateScope;
  row: Row | undefined;
  think: (ms?: Distribution) => Promise<void>;
  nextRow: () => Promise<Row | undefined>;
  synth: PromptSynth;
  seed: number;
}

/** Builds the `vu` object of one iteration. */
export function createVu(run: IterationRun, hooks: FlowHooks): Vu {
  let index = 0;
  const send = async (kind: string, input: unknown): Promise<StepResult> => {
    const stepIndex = index++;
    const parsed = StepSchema.safeParse({ [kind]: input }, { reportInput: true });
    if (!parsed.success) {
      throw new Error(formatZodError(`flow of scenario "${run.scenario}": vu.${kind}()`, parsed.error));
    }
    const defaults = {
      target: run.target,
      headers: run.headers,
      timeoutMs: run.timeoutMs,
      maxRedirects: run.maxRedirects,
    };
    const prepared = new PreparedStep(parsed.data as Step, stepIndex, defaults, hooks.seed);
    let request: ReturnType<PreparedStep['build']>;
    try {
      request = prepared.build(hooks.scope);
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      return failBeforeSend(run, prepared, err.message);
    }
    return sendRequest(run, request, stepIndex, prepared.captures);
  };
  const vu = {
    id: run.ctx.vu,
    iteration: run.ctx.iteration,
    scenario: run.scenario,
    vars: run.vars,
    row: hooks.row,
    signal: run.ctx.signal,
    random: () => run.rng(),
    step: send,
    think: async (ms?: Distribution) => {
      await hooks.think(ms);
      run.scheduled = run.ctx.clock();
    },
    nextRow: hooks.nextRow,
    prompt: (tokens: number) => hooks.synth.text(tokens, run.rng),
  } as Record<string, unknown>;
  // A kind named as a member of the vu (`think`, `step`, …) is sent with `vu.step(kind, body)`.
  for (const entry of stepKinds()) {
    if (!(entry.name in vu)) vu[entry.name] = (input: unknown) => send(entry.name, input);
  }
  return vu as unknown as Vu;
}
