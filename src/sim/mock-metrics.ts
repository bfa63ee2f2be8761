/**
 * @module sim/mock-metrics
 * The mock's counters and gauges, and their Prometheus text exposition under
 * vLLM's metric names, so telemetry code written against the mock also reads vLLM.
 */

/** Counters since the server started, and gauges now. */
export interface MockServerStats {
  /** Every HTTP request received, on any route. */
  requests: number;
  /** Completions answered in full. */
  completed: number;
  /** Completions whose client disconnected before the answer was sent. */
  aborted: number;
  streaming: number;
  nonStreaming: number;
  /** Completions accepted and not yet settled (waiting, delayed or running). */
  inFlight: number;
  /** Requests answered with an error status (4xx or 5xx, 429 included). */
  errors: number;
  /** Generating now (with no `engine` section, every accepted completion). */
  running: number;
  /** Waiting for a decode slot or KV cache. */
  waiting: number;
  kvUsedTokens: number;
  /** KV budget in tokens; 0 when unlimited. */
  kvBudgetTokens: number;
  preemptions: number;
  /** Refused with 429 by a rate limit. */
  rateLimited: number;
  /** Refused because the waiting queue was full or the request could never fit the KV cache. */
  rejected: number;
  /** Requests hit by a scheduled fault. */
  faulted: number;
  cacheHits: number;
  cacheMisses: number;
  /** Prompt tokens served from the prefix cache. */
  cachedPromptTokens: number;
  promptTokens: number;
  generationTokens: number;
  finishedStop: number;
  finishedLength: number;
}

/** Stats of several replicas as one server (`workers` > 1). */
export function sumStats(all: readonly MockServerStats[]): MockServerStats {
  const total = { ...(all[0] as MockServerStats) };
  for (const s of all.slice(1)) {
    for (const key of Object.keys(total) as (keyof MockServerStats)[]) total[key] += s[key];
  }
  return total;
}

function line(out: string[], name: string, type: 'gauge' | 'counter', help: string, samples: string[]) {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples);
}

/** Prometheus text format 0.0.4. */
export function prometheusText(s: MockServerStats, model: string): string {
  const l = `model_name=${JSON.stringify(model)}`;
  const out: string[] = [];
  const kvUsage = s.kvBudgetTokens > 0 ? s.kvUsedTokens / s.kvBudgetTokens : 0;
  line(out, 'vllm:num_requests_running', 'gauge', 'Requests in the batch now.', [
    `vllm:num_requests_running{${l}} ${s.running}`,
  ]);
  line(out, 'vllm:num_requests_waiting', 'gauge', 'Requests waiting for a slot.', [
    `vllm:num_requests_waiting{${l}} ${s.waiting}`,
  ]);
  line(out, 'vllm:gpu_cache_usage_perc', 'gauge', 'KV-cache usage, 1 means full.', [
    `vllm:gpu_cache_usage_perc{${l}} ${kvUsage}`,
  ]);
  line(out, 'vllm:kv_cache_usage_perc', 'gauge', 'KV-cache usage, 1 means full (vLLM V1 name).', [
    `vllm:kv_cache_usage_perc{${l}} ${kvUsage}`,
  ]);
  line(out, 'vllm:num_preemptions_total', 'counter', 'Preemptions.', [
    `vllm:num_preemptions_total{${l}} ${s.preemptions}`,
  ]);
  line(out, 'vllm:request_success_total', 'counter', 'Requests finished, by reason.', [
    `vllm:request_success_total{finished_reason="stop",${l}} ${s.finishedStop}`,
    `vllm:request_success_total{finished_reason="length",${l}} ${s.finishedLength}`,
  ]);
  line(out, 'vllm:prompt_tokens_total', 'counter', 'Prompt tokens processed.', [
    `vllm:prompt_tokens_total{${l}} ${s.promptTokens}`,
  ]);
  line(out, 'vllm:generation_tokens_total', 'counter', 'Tokens generated.', [
    `vllm:generation_tokens_total{${l}} ${s.generationTokens}`,
  ]);
  line(out, 'vllm:prefix_cache_hits_total', 'counter', 'Prompt tokens served from the prefix cache.', [
    `vllm:prefix_cache_hits_total{${l}} ${s.cachedPromptTokens}`,
  ]);
  line(out, 'tokenstorm:requests_aborted_total', 'counter', 'Requests whose client disconnected.', [
    `tokenstorm:requests_aborted_total{${l}} ${s.aborted}`,
  ]);
  line(out, 'tokenstorm:requests_rate_limited_total', 'counter', 'Requests refused with 429.', [
    `tokenstorm:requests_rate_limited_total{${l}} ${s.rateLimited}`,
  ]);
  line(out, 'tokenstorm:requests_rejected_total', 'counter', 'Requests refused: queue full or too large.', [
    `tokenstorm:requests_rejected_total{${l}} ${s.rejected}`,
  ]);
  line(out, 'tokenstorm:requests_faulted_total', 'counter', 'Requests hit by a scheduled fault.', [
    `tokenstorm:requests_faulted_total{${l}} ${s.faulted}`,
  ]);
  line(out, 'tokenstorm:response_cache_hits_total', 'counter', 'Requests answered from the cache.', [
    `tokenstorm:response_cache_hits_total{${l}} ${s.cacheHits}`,
  ]);
  return `${out.join('\n')}\n`;
}
