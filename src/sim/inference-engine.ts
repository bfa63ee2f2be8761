/**
 * @module sim/inference-engine
 * A continuous-batching scheduler like a GPU inference server's: one timer
 * drives engine steps; each step emits one token for every running request and
 * prefills the requests admitted at its start. Work per step is proportional to
 * the batch, never a timer per token per request, so many streams stay cheap.
 */
import type { EngineProfile } from './mock-profile.js';

/** One request as the engine sees it. */
export interface EngineJob {
  /** Prompt tokens held in the KV cache. */
  readonly promptTokens: number;
  /** Prompt tokens computed at prefill (fewer after a prefix-cache hit). */
  readonly prefillTokens: number;
  /** Tokens to generate, at least 1. */
  readonly outputTokens: number;
  /** Token `index` (from 0) was generated, at the end of its step. */
  onToken(index: number): void;
  /** The last token was generated; the slot and its KV are free again. */
  onDone(): void;
}

/** Why `submit` refused a job: the waiting queue is at its maximum, or the job can never fit the KV cache. */
export type EngineRefusal = 'queue_full' | 'too_large';

/** A submitted job's place in the engine; pass it back to `cancel`. */
export interface EngineTicket {
  readonly job: EngineJob;
  state: 'waiting' | 'running' | 'done';
  generated: number;
  /** KV tokens this job holds now. */
  kv: number;
  /** Preempted: its next prefill recomputes prompt and generated tokens. */
  recompute: boolean;
}

/** Gauges and counters, as `/metrics` reports them. */
export interface EngineState {
  running: number;
  waiting: number;
  kvUsedTokens: number;
  /** Used share of the KV budget, 0 to 1 (0 when the budget is unlimited). */
  kvUsage: number;
  preemptions: number;
  steps: number;
}

/** A step that starts this late (timer starved) restarts from now instead of catching up. */
const MAX_CATCH_UP_MS = 100;

/** The scheduler; `now` is a monotonic millisecond clock (performance.now in the server). */
export class InferenceEngine {
  private readonly waiting: EngineTicket[] = [];
  private running: EngineTicket[] = [];
  private kvUsed = 0;
  private preemptions = 0;
  private steps = 0;
  private timer: NodeJS.Timeout | undefined;
  /** When the step in progress ends, on the engine's virtual timeline. */
  private stepEnd = 0;
  private closed = false;

  constructor(
    private readonly profile: EngineProfile,
    private readonly now: () => number,
  ) {}

  /** The status a request refused for a full queue gets. */
  get queueFullStatus(): 429 | 503 {
    return this.profile.queue_full_status;
  }

  /** Whether `submit` would refuse a job of this size now. */
  refusal(promptTokens: number, outputTokens: number): EngineRefusal | undefined {
    const budget = this.profile.kv_cache_tokens;
    // Like vLLM's max_model_len: a job must fit the cache alone, else preemption could never make room.
    if (budget !== undefined && promptTokens + outputTokens > budget) return 'too_large';
    // Arrivals that a free slot takes at the next step boundary do not count as waiting.
    const max = this.profile.max_waiting;
    const free = Math.max(0, this.profile.slots - this.running.length);
    if (max !== undefined && this.waiting.length >= max + free) return 'queue_full';
    return undefined;
  }

  /** Queues a job; it is admitted at the next step boundary when a slot and KV are free. */
  submit(job: EngineJob): EngineTicket | EngineRefusal {
    const refused = this.refusal(job.promptTokens, job.outputTokens);
    if (refused !== undefined) return refused;
    const ticket: EngineTicket = { job, state: 'waiting', generated: 0, kv: 0, recompute: false };
    this.waiting.push(ticket);
    if (this.timer === undefined && !this.closed) this.beginStep(this.now());
    return ticket;
  }

  /** Stops a job (client gone): frees its slot and KV at once. */
  cancel(ticket: EngineTicket): void {
    if (ticket.state === 'waiting') {
      const i = this.waiting.indexOf(ticket);
      if (i !== -1) this.waiting.splice(i, 1);
    } else if (ticket.state === 'running') {
      this.running = this.running.filter((t) => t !== ticket);
      this.kvUsed -= ticket.kv;
      ticket.kv = 0;
    }
    ticket.state = 'done';
  }

  state(): EngineState {
    const budget = this.profile.kv_cache_tokens;
    return {
      running: this.running.length,
      waiting: this.waiting.length,
      kvUsedTokens: this.kvUsed,
      kvUsage: budget === undefined ? 0 : this.kvUsed / budget,
      preemptions: this.preemptions,
      steps: this.steps,
    };
  }

  /** Stops the loop; jobs in it get no more callbacks. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private beginStep(start: number): void {
    const p = this.profile;
    const budget = p.kv_cache_tokens ?? Number.POSITIVE_INFINITY;
    // Preemption mode: every running job grows by one KV token this step; make room by
    // sending the newest back to the front of the queue, as vLLM's recompute preemption does.
    let reserve = p.preemption ? this.running.length : 0;
    while (p.preemption && this.running.length > 0 && this.kvUsed + reserve > budget) {
      const victim = this.running.pop() as EngineTicket;
      this.kvUsed -= victim.kv;
      victim.kv = 0;
      victim.state = 'waiting';
      victim.recompute = true;
      this.waiting.unshift(victim);
      this.preemptions++;
      reserve--;
    }
    let prefill = 0;
    // First come, first served: a head that does not fit blocks the rest, as in vLLM.
    while (this.running.length < p.slots && this.waiting.length > 0) {
      const next = this.waiting[0] as EngineTicket;
      const job = next.job;
      const kv = p.preemption ? job.promptTokens + next.generated : job.promptTokens + job.outputTokens;
      if (this.kvUsed + reserve + kv + (p.preemption ? 1 : 0) > budget) break;
      this.waiting.shift();
      next.state = 'running';
      next.kv = kv;
      this.kvUsed += kv;
      if (p.preemption) reserve++;
      const computed = next.recompute ? job.promptTokens + next.generated : job.prefillTokens;
      prefill += p.prefill_ms + p.prefill_ms_per_token * computed;
      next.recompute = false;
      this.running.push(next);
    }
    if (this.running.length === 0) {
      // Unreachable with work waiting: a job alone always fits (submit refuses the rest).
      this.timer = undefined;
      return;
    }
    const duration = p.step_ms + p.step_ms_per_running * this.running.length + prefill;
    this.stepEnd = start + duration;
    this.timer = setTimeout(this.endStep, Math.max(0, this.stepEnd - this.now()));
  }

  private readonly endStep = (): void => {
    this.timer = undefined;
    this.steps++;
    const batch = this.running;
    const grow = this.profile.preemption;
    const still: EngineTicket[] = [];
    const finished: EngineTicket[] = [];
    for (const ticket of batch) {
      if (ticket.state !== 'running') continue;
      const index = ticket.generated++;
      if (grow) {
        ticket.kv++;
        this.kvUsed++;
      }
      ticket.job.onToken(index);
      if (ticket.generated >= ticket.job.outputTokens) finished.push(ticket);
      else still.push(ticket);
    }
    // Tickets cancelled during the callbacks are already out of the KV count.
    this.running = still.filter((t) => t.state === 'running');
    for (const ticket of finished) {
      if (ticket.state !== 'running') continue;
      ticket.state = 'done';
      this.kvUsed -= ticket.kv;
      ticket.kv = 0;
      ticket.job.onDone();
    }
    if (this.closed || (this.running.length === 0 && this.waiting.length === 0)) return;
    const now = this.now();
    this.beginStep(now - this.stepEnd > MAX_CATCH_UP_MS ? now : this.stepEnd);
  };
}
