/**
 * @module protocols/steps
 * Turns a test step into a ready-to-send request once, before the run (no JSON
 * work per request), and runs it into a measurement. What differs by kind
 * (chat, completion, http, a plugin's) is its entry's in protocols/steps/;
 * this resolves the entry once, at compile time.
 */
import { sendStep } from './send-step.js';
import type { CompiledStep, StepContext, StepDefaults, StepMeasurement } from './step-kind.js';
import { type Step, stepKindOf, unknownStepMessage } from './steps/index.js';

/**
 * Prepares one step of a scenario against the test's target and defaults, by
 * its kind's entry (protocols/steps/), which the compiled step keeps: the
 * send path asks it, never the list. A templated step is compiled for every
 * iteration, so each kind builds each object once, without spreads (they
 * showed as a third of a chat iteration's own CPU with the garbage they left).
 * `inputTokens`, when the caller knows the prompt's count (a synthetic prompt
 * is exact by construction), is the record's client count instead of
 * tokenizing the prompt on every request.
 * @throws Error when the step is of no listed kind.
 */
export function compileStep(
  step: Step | object,
  index: number,
  defaults: StepDefaults,
  inputTokens?: number,
): CompiledStep {
  const entry = stepKindOf(step);
  if (entry === undefined) throw new Error(unknownStepMessage());
  return entry.compile((step as Record<string, unknown>)[entry.name], index, defaults, inputTokens);
}

/** Sends a compiled step and measures it; never throws for a failed request. */
export async function runStep(step: CompiledStep, ctx: StepContext): Promise<StepMeasurement> {
  return (await sendStep(step, ctx)).measurement;
}

export { sendStep };
