/**
 * @module workload/session
 * A multi-turn conversation: each turn sends the conversation so far plus a
 * new user message and appends the assistant's actual reply, so the context
 * grows as it does in production. Records carry the turn and context tokens.
 */
import type { Step } from '../protocols/index.js';
import { createSampler, type Distribution, type Rng, type Sampler } from '../random/index.js';
import { type CompiledCapture, compileCaptures } from './capture.js';
import { PromptSynth, type SyntheticSpec } from './prompt-synth.js';
import { failBeforeSend, type IterationRun, sendRequest } from './request.js';
import type { Row } from './row-reader.js';
import {
  compileTemplate,
  renderTemplate,
  type Template,
  TemplateError,
  type TemplateScope,
} from './template.js';
import { compileValue, type TemplatedValue } from './templated-value.js';

/** The `session` block of a scenario, as validated. */
export interface SessionSpec {
  turns: number | Distribution;
  system?: string | undefined;
  user_messages?: string[] | undefined;
  chat: Record<string, unknown> & { synthetic?: SyntheticSpec; capture?: unknown; name?: string };
}

interface Message {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** What a session needs from its iteration besides the request state. */
export interface SessionHooks {
  scope: TemplateScope;
  /** The feeder row for a turn (the first turn gets the iteration's row); undefined when none is left. */
  nextRow: (turn: number) => Promise<Row | undefined | null>;
  /** Think time between turns. */
  think: () => Promise<void>;
}

export class PreparedSession {
  readonly name: string;
  private readonly turns: Sampler;
  private readonly system: Template | undefined;
  private readonly users: Template[];
  private readonly chat: TemplatedValue;
  private readonly synth: PromptSynth | undefined;
  private readonly captures: CompiledCapture[];

  constructor(spec: SessionSpec, seed: number) {
    this.turns = createSampler(spec.turns);
    this.system = spec.system === undefined ? undefined : compileTemplate(spec.system);
    this.users = (spec.user_messages ?? []).map(compileTemplate);
    const { capture, synthetic, ...fields } = spec.chat;
    this.name = spec.chat.name ?? 'chat';
    this.chat = compileValue(fields);
    this.synth = synthetic === undefined ? undefined : new PromptSynth(synthetic, seed);
    this.captures = compileCaptures(capture as Parameters<typeof compileCaptures>[0]);
  }

  /** Turns of one conversation, drawn from `rng` (at least 1). */
  turnCount(rng: Rng): number {
    return Math.max(1, Math.round(this.turns(rng)));
  }

  private userMessage(turn: number, scope: TemplateScope): string {
    if (this.users.length > 0)
      return renderTemplate(this.users[(turn - 1) % this.users.length] as Template, scope);
    const p = (this.synth as PromptSynth).draw(scope.rng);
    return p.text;
  }

  /** Runs the conversation; ends early at a turn that fails or is cancelled. */
  async run(run: IterationRun, hooks: SessionHooks): Promise<void> {
    const turns = this.turnCount(run.rng);
    const history: Message[] = [];
    for (let turn = 1; turn <= turns; turn++) {
      if (run.ctx.signal?.aborted) return;
      if (turn > 1) {
        await hooks.think();
        run.scheduled = run.ctx.clock();
      }
      const row = await hooks.nextRow(turn);
      if (row === undefined) return;
      const scope: TemplateScope = { ...hooks.scope, turn, row: row ?? hooks.scope.row };
      let step: Step;
      let user: Message;
      try {
        if (turn === 1 && this.system !== undefined) {
          history.push({ role: 'system', content: renderTemplate(this.system, scope) });
        }
        user = { role: 'user', content: this.userMessage(turn, scope) };
        const fields = this.chat.render(scope) as Record<string, unknown>;
        step = { chat: { ...fields, messages: [...history, user] } } as unknown as Step;
      } catch (err) {
        if (!(err instanceof TemplateError)) throw err;
        failBeforeSend(run, { index: turn - 1, name: this.name }, err.message, { turn });
        return;
      }
      const result = await sendRequest(run, step, turn - 1, this.captures, { turn });
      if (!result.ok) return;
      history.push(user, { role: 'assistant', content: result.body });
    }
  }
}
