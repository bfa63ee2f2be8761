/**
 * @module workload/prepared-step
 * A scenario step prepared once before the run: its templates compiled, its
 * synthetic prompt source built, its captures compiled, and, when nothing in
 * it varies, the request itself built once.
 */
import {
  type CompiledStep,
  compileStep,
  type Step,
  type StepKindEntry,
  stepKindOf,
  unknownStepMessage,
} from '../protocols/index.js';
import type { Rng } from '../random/index.js';
import { type CompiledCapture, compileCaptures } from './capture.js';
import { PromptSynth, type SyntheticSpec, type TraceRow } from './prompt-synth.js';
import { hasTemplate, TemplateError, type TemplateScope } from './template.js';
import { compileValue, type TemplatedValue } from './templated-value.js';

type StepBody = Record<string, unknown> & { synthetic?: SyntheticSpec; capture?: unknown; name?: string };

interface Defaults {
  target: string;
  headers: Record<string, string>;
  timeoutMs: number;
  maxRedirects?: number | undefined;
}

/** The entry of a step's kind (protocols/steps). */
function entryOf(step: Step | object): StepKindEntry {
  const entry = stepKindOf(step);
  if (entry === undefined) throw new Error(unknownStepMessage());
  return entry;
}

/**
 * A declarative step with its name: its own `name:`, else `<kind>:<index>`
 * (index in its scenario's steps, from 0). Metrics are kept per step by this
 * name (summary.json `steps`, thresholds' `{step:NAME}`), so it must not vary
 * by iteration as a templated URL would.
 */
export function namedStep(step: Step, index: number): Step {
  const kind = entryOf(step).name;
  const body = (step as Record<string, StepBody>)[kind] as StepBody;
  if (body.name !== undefined) return step;
  return { [kind]: { ...body, name: `${kind}:${index}` } } as unknown as Step;
}

/**
 * Adds a synthetic prompt (and its group's shared prefix, and drawn max_tokens) to a model step body,
 * as its kind places it (`withPrompt` of its entry). `tokens` is the prompt's count as the client's
 * tokenizer counts it, known by construction when the step gives no messages or prompt of its own
 * (else undefined, and the prompt is counted).
 */
export function withSynthetic(
  kind: string | StepKindEntry,
  body: StepBody,
  synth: PromptSynth,
  rng: Rng,
  trace?: TraceRow,
): { body: StepBody; tokens: number | undefined } {
  const entry = typeof kind === 'string' ? entryOf({ [kind]: body }) : kind;
  if (entry.withPrompt === undefined) throw new Error(`a ${entry.name} step takes no synthetic prompt`);
  const p = synth.draw(rng, trace);
  return entry.withPrompt(body, {
    text: p.text,
    tokens: p.tokens,
    prefix: p.prefix,
    prefixTokens: p.prefix === undefined ? 0 : synth.prefixTokens,
    maxTokens: p.maxTokens,
  }) as { body: StepBody; tokens: number | undefined };
}

export class PreparedStep {
  readonly index: number;
  readonly name: string;
  readonly kind: string;
  /** The entry of its kind (protocols/steps). */
  readonly entry: StepKindEntry;
  readonly captures: CompiledCapture[];
  private readonly templated: TemplatedValue;
  private readonly synth: PromptSynth | undefined;
  /** A header value is a template: checked once rendered (the schema checks literal ones). */
  private readonly templatedHeaders: boolean;
  /** Built once when neither templates nor synthesis vary it. */
  private readonly fixed: CompiledStep | undefined;
  private readonly defaults: Defaults;

  constructor(step: Step, index: number, defaults: Defaults, seed: number) {
    this.index = index;
    this.defaults = defaults;
    this.entry = entryOf(step);
    this.kind = this.entry.name;
    const body = (step as Record<string, StepBody>)[this.kind] as StepBody;
    this.name = body.name ?? this.entry.defaultName(body);
    this.captures = compileCaptures(body.capture as Parameters<typeof compileCaptures>[0]);
    // Capture patterns and synthesis settings are not request fields: never templated.
    const { capture: _c, synthetic, ...fields } = body;
    this.templated = compileValue(fields);
    const headers = fields.headers as Record<string, unknown> | undefined;
    this.templatedHeaders = Object.values(headers ?? {}).some((v) => typeof v === 'string' && hasTemplate(v));
    this.synth = synthetic === undefined ? undefined : new PromptSynth(synthetic, seed);
    if (!this.templated.dynamic && this.synth === undefined) {
      this.fixed = compileStep(step, index, defaults);
      // Sent as is by every iteration: frozen, so the client may reuse its request head.
      Object.freeze(this.fixed.headers);
    }
  }

  /**
   * The request of this step for one iteration: the prepared one, or one built
   * from rendered templates and a drawn prompt.
   * @throws TemplateError when a variable a template reads is not set.
   */
  build(scope: TemplateScope): Step | CompiledStep {
    if (this.fixed !== undefined) return this.fixed;
    const body = this.templated.render(scope) as StepBody;
    if (this.templatedHeaders) checkRenderedHeaders(body.headers);
    if (this.synth === undefined || this.entry.withPrompt === undefined)
      return { [this.kind]: body } as unknown as Step;
    const drawn = withSynthetic(this.entry, body, this.synth, scope.rng, scope.trace);
    const step = { [this.kind]: drawn.body } as unknown as Step;
    if (drawn.tokens === undefined) return step;
    // Compiled here with the prompt's known count: tokenizing a 128K-token prompt on every
    // request held the worker's event loop for hundreds of ms, late for every stream it read.
    // A step that cannot be compiled goes on as it is, to fail where every step does.
    try {
      return this.entry.compile(drawn.body, this.index, this.defaults, drawn.tokens);
    } catch {
      return step;
    }
  }
}

/**
 * A rendered header value with CR, LF or NUL could never be sent: the step fails
 * with `script_error` naming the header, instead of a `connection` error.
 */
function checkRenderedHeaders(headers: unknown): void {
  if (headers === null || typeof headers !== 'object') return;
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string' && /[\r\n\0]/.test(value)) {
      throw new TemplateError(`headers.${name}: the rendered value holds CR, LF or NUL and cannot be sent`);
    }
  }
}
