/**
 * @module workload/session
 * A multi-turn conversation: each turn sends the conversation so far plus a
 * new user message and appends the assistant's actual reply, so the context
 * grows as it does in production. Records carry the turn and context tokens.
 */
import type { Step } from '../protocols/index.js';
import type { Checks } from '../protocols/steps/checks-schema.js';
import { createSampler, type Distribution, type Rng, type Sampler } from '../random/index.js';
import { type CompiledCapture, compileCaptures } from './capture.js';
import { type CompiledChecks, compileChecks } from './checks.js';
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
  turns?: number | Distribution | undefined;
  user_messages_from?: string | undefined;
  system?: string | undefined;
  user_messages?: string[] | undefined;
  chat: Record<string, unknown> & {
    synthetic?: SyntheticSpec;
    capture?: unknown;
    checks?: Checks;
    name?: string;
  };
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
  private readonly turns: Sampler | undefined;
  /** The feeder column holding a whole conversation's user messages, when each row is one. */
  private readonly from: string | undefined;
  private readonly system: Template | undefined;
  private readonly users: Template[];
  private readonly chat: TemplatedValue;
  private readonly synth: PromptSynth | undefined;
  private readonly captures: CompiledCapture[];
  private readonly checks: CompiledChecks | undefined;

  constructor(spec: SessionSpec, seed: number) {
    this.turns = spec.turns === undefined ? undefined : createSampler(spec.turns);
    this.from = spec.user_messages_from;
    this.system = spec.system === undefined ? undefined : compileTemplate(spec.system);
    this.users = (spec.user_messages ?? []).map(compileTemplate);
    const { capture, checks, tags: _t, synthetic, ...fields } = spec.chat;
    this.checks = compileChecks(checks);
    this.name = spec.chat.name ?? 'chat';
    this.chat = compileValue(fields);
    this.synth = synthetic === undefined ? undefined : new PromptSynth(synthetic, seed);
    this.captures = compileCaptures(capture as Parameters<typeof compileCaptures>[0]);
  }

  /** Turns of one conversation, drawn from `rng` (at least 1); unbounded when the row's conversation decides. */
  turnCount(rng: Rng): number {
    return this.turns === undefined ? Number.POSITIVE_INFINITY : Math.max(1, Math.round(this.turns(rng)));
  }

  /** The user messages of the row's conversation (`user_messages_from`), as text. */
  private conversationOf(row: Row | undefined | null): string[] {
    const value = row?.[this.from as string];
    if (!Array.isArray(value)) {
      throw new TemplateError(
        `user_messages_from: the feeder row's "${this.from}" is not a list of messages`,
      );
    }
    return value.map((m) => (typeof m === 'string' ? m : JSON.stringify(m)));
  }

  private userMessage(turn: number, scope: TemplateScope, conversation?: string[]): string {
    if (conversation !== undefined) return conversation[turn - 1] as string;
    if (this.users.length > 0)
      return renderTemplate(this.users[(turn - 1) % this.users.length] as Template, scope);
    const p = (this.synth as PromptSynth).draw(scope.rng);
    return p.text;
  }

  /** Runs the conversation; ends early at a turn that fails or is cancelled. */
  async run(run: IterationRun, hooks: SessionHooks): Promise<void> {
    let turns = this.turnCount(run.rng);
    const history: Message[] = [];
    // One row per conversation: the first turn's row holds every user message of it.
    let conversation: string[] | undefined;
    for (let turn = 1; turn <= turns; turn++) {
      if (run.ctx.signal?.aborted) return;
      if (turn > 1) {
        await hooks.think();
        run.scheduled = run.ctx.clock();
      }
      const row = conversation === undefined ? await hooks.nextRow(turn) : hooks.scope.row;
      if (row === undefined) return;
      const scope: TemplateScope = { ...hooks.scope, turn, row: row ?? hooks.scope.row };
      let step: Step;
      let user: Message;
      try {
        if (this.from !== undefined && conversation === undefined) {
          conversation = this.conversationOf(row);
          turns = Math.min(turns, conversation.length);
          if (turns === 0) return;
        }
        if (turn === 1 && this.system !== undefined) {
          history.push({ role: 'system', content: renderTemplate(this.system, scope) });
        }
        user = { role: 'user', content: this.userMessage(turn, scope, conversation) };
        const fields = this.chat.render(scope) as Record<string, unknown>;
        step = { chat: { ...fields, messages: [...history, user] } } as unknown as Step;
      } catch (err) {
        if (!(err instanceof TemplateError)) throw err;
        failBeforeSend(run, { index: turn - 1, name: this.name }, err.message, { turn });
        return;
      }
      const result = await sendRequest(run, step, turn - 1, this.captures, { turn }, this.checks);
      if (!result.ok) return;
      history.push(user, { role: 'assistant', content: result.body });
    }
  }
}
