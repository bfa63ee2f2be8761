/**
 * @module cli/bench-test
 * From `tokenstorm bench` flags to an ordinary test object (pure): the flags
 * of vLLM's `bench serve`, GuideLLM and AIPerf mapped onto tokenstorm's
 * executors, step kinds and feeders, so a file-less benchmark runs the same
 * engine as a test file and `--print-test` can hand the user that file.
 * Every value is validated afterwards by the test schema, as a file's would be;
 * a flag that cannot be mapped is a ConfigError naming the flag (exit 2).
 */
import { resolve } from 'node:path';
import { ConfigError } from '../core/index.js';
import { SLO_METRICS } from '../metrics/index.js';

export interface BenchFlags {
  model?: string;
  api: string;
  rate?: string;
  concurrency?: string;
  sweep?: boolean;
  sweepStart?: string;
  sweepMax?: string;
  stepDuration?: string;
  warmup?: string;
  arrival: string;
  duration?: string;
  requests?: string;
  promptTokens?: string;
  outputTokens?: string;
  dataset?: string;
  datasetFormat?: string;
  slo?: string;
  header: string[];
  ignoreEos?: boolean;
  maxVus?: string;
  seed?: string;
  mock?: boolean;
}

/** How a `--dataset` file is read. */
export type DatasetFormat = 'sharegpt' | 'prompts' | 'trace';

const DEFAULT_PROMPT_TOKENS = 256;
const DEFAULT_OUTPUT_TOKENS = 128;
const DEFAULT_DURATION = '30s';

function flagError(message: string): ConfigError {
  return new ConfigError(message, 'TS_ARGS_INVALID');
}

function positive(flag: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw flagError(
      `${flag}: expected a positive ${integer ? 'whole ' : ''}number, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** `N` or `N,STDDEV` token counts: a number, or a normal distribution around N. */
export function tokenCountFlag(
  flag: string,
  value: string | undefined,
): number | Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  const [mean, stddev, ...rest] = value.split(',').map((p) => p.trim());
  const n = positive(flag, mean, true) as number;
  if (rest.length > 0) throw flagError(`${flag}: expected N or N,STDDEV, got ${JSON.stringify(value)}`);
  if (stddev === undefined) return n;
  const sd = Number(stddev);
  if (!Number.isFinite(sd) || sd < 0) {
    throw flagError(
      `${flag}: expected a standard deviation >= 0 after the comma, got ${JSON.stringify(stddev)}`,
    );
  }
  return sd === 0 ? n : { dist: 'normal', mean: n, stddev: sd, min: 1 };
}

/** `poisson`, `constant` or `gamma:B` (vLLM's `--burstiness B`). */
export function arrivalFlag(value: string): unknown {
  if (value === 'poisson' || value === 'constant') return value;
  const gamma = /^gamma:(\d*\.?\d+)$/.exec(value);
  if (gamma !== null && Number(gamma[1]) > 0) return { gamma: { burstiness: Number(gamma[1]) } };
  throw flagError(
    `--arrival: expected poisson, constant or gamma:BURSTINESS (e.g. gamma:0.5), got ${JSON.stringify(value)}`,
  );
}

/** `ttft_ms=500,tpot_ms=50` → `{ ttft_ms: 500, tpot_ms: 50 }`. */
export function sloFlag(value: string | undefined): Record<string, number> | undefined {
  if (value === undefined) return undefined;
  const slo: Record<string, number> = {};
  for (const part of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [key, bound] = part.split('=').map((p) => p.trim());
    if (key === undefined || !(SLO_METRICS as readonly string[]).includes(key) || bound === undefined) {
      throw flagError(
        `--slo: expected METRIC=MS pairs with METRIC one of ${SLO_METRICS.join(', ')}, got ${JSON.stringify(part)}`,
      );
    }
    slo[key] = positive(`--slo ${key}`, bound, false) as number;
  }
  return slo;
}

/** `-H 'Name: value'` (repeatable) → headers. */
export function headersFlag(values: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const value of values) {
    const colon = value.indexOf(':');
    const name = colon > 0 ? value.slice(0, colon).trim() : '';
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
      throw flagError(`-H: expected 'Name: value', got a header without a name`);
    }
    headers[name] = value.slice(colon + 1).trim();
  }
  return headers;
}

/** The dataset's format: `--dataset-format`, else by extension (.json ShareGPT, .jsonl prompts, .csv a trace). */
export function datasetFormatOf(file: string, format: string | undefined): DatasetFormat {
  if (format !== undefined) {
    if (format === 'sharegpt' || format === 'prompts' || format === 'trace') return format;
    throw flagError(`--dataset-format: expected sharegpt, prompts or trace, got ${JSON.stringify(format)}`);
  }
  if (/\.json$/i.test(file)) return 'sharegpt';
  if (/\.(jsonl|ndjson)$/i.test(file)) return 'prompts';
  if (/\.csv$/i.test(file)) return 'trace';
  throw flagError(
    `--dataset: cannot tell the format of ${JSON.stringify(file)} by its name; expected .json (ShareGPT), .jsonl (one {"prompt": …} per line) or .csv (an Azure-style trace), or --dataset-format`,
  );
}

/** `http://host:8000` → `http://host:8000/v1` (the OpenAI-compatible base, as vLLM serves it). */
export function baseUrlOf(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw flagError(
      `<base-url>: expected an http(s) URL such as http://127.0.0.1:8000/v1, got ${JSON.stringify(url)}`,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw flagError(`<base-url>: expected an http(s) URL, got ${JSON.stringify(url)}`);
  }
  if (parsed.pathname === '/' || parsed.pathname === '') return `${url.replace(/\/+$/, '')}/v1`;
  return url.replace(/\/+$/, '');
}

function loadOf(flags: BenchFlags, format: DatasetFormat | undefined, datasetPath: string | undefined) {
  const modes = [flags.rate !== undefined, flags.concurrency !== undefined, flags.sweep === true];
  const rate = positive('--rate', flags.rate, false);
  const vus = positive('--concurrency', flags.concurrency, true);
  const requests = positive('--requests', flags.requests, true);
  const maxVus = positive('--max-vus', flags.maxVus, true);
  const arrival = arrivalFlag(flags.arrival);
  if (flags.duration !== undefined && requests !== undefined && flags.sweep) {
    throw flagError('--requests: a sweep steps its load by time; use --duration to cap it');
  }
  const bounds = {
    ...(flags.duration !== undefined ? { duration: flags.duration } : {}),
    ...(requests !== undefined ? { iterations: requests } : {}),
  };
  const bounded = Object.keys(bounds).length > 0 ? bounds : { duration: DEFAULT_DURATION };
  const vusCap = maxVus !== undefined ? { max_vus: maxVus } : {};
  if (format === 'trace') {
    if (vus !== undefined || flags.sweep) {
      throw flagError(
        '--dataset: a trace sets its own arrivals; use --rate to scale it (or neither to replay its times)',
      );
    }
    return {
      executor: 'trace',
      file: datasetPath,
      ...(rate !== undefined ? { rate } : {}),
      ...bounds,
      ...vusCap,
    };
  }
  if (modes.filter(Boolean).length !== 1) {
    throw flagError(
      'expected one of --rate R (open model), --concurrency N (closed model) or --sweep (capacity search)',
    );
  }
  if (rate !== undefined) return { executor: 'constant-arrival-rate', rate, arrival, ...bounded, ...vusCap };
  if (vus !== undefined) return { executor: 'constant-vus', vus, ...bounded };
  const start = positive('--sweep-start', flags.sweepStart ?? '1', false) as number;
  const max = positive('--sweep-max', flags.sweepMax ?? '64', false) as number;
  return {
    executor: 'sweep',
    start,
    max,
    step_duration: flags.stepDuration ?? '10s',
    warmup: flags.warmup ?? '2s',
    arrival,
    ...(flags.duration !== undefined ? { duration: flags.duration } : {}),
    ...vusCap,
  };
}

/**
 * The test `tokenstorm bench` runs. `target` is a base URL or `mock`; a
 * dataset path is made absolute (from `cwd`) so the printed test runs from anywhere.
 */
export function benchTest(target: string, flags: BenchFlags, cwd = process.cwd()): Record<string, unknown> {
  const api = flags.api;
  if (api !== 'chat' && api !== 'completions') {
    throw flagError(`--api: expected chat or completions, got ${JSON.stringify(api)}`);
  }
  const kind = api === 'chat' ? 'chat' : 'completion';
  const model = flags.model ?? (target === 'mock' ? 'mock-model' : undefined);
  if (model === undefined) throw flagError('--model: expected the model name the server serves');
  const format =
    flags.dataset === undefined ? undefined : datasetFormatOf(flags.dataset, flags.datasetFormat);
  const dataset = flags.dataset === undefined ? undefined : resolve(cwd, flags.dataset);
  const outputs = tokenCountFlag('--output-tokens', flags.outputTokens) ?? DEFAULT_OUTPUT_TOKENS;
  const prompts = tokenCountFlag('--prompt-tokens', flags.promptTokens);
  if (format !== undefined && format !== 'trace' && prompts !== undefined) {
    throw flagError('--prompt-tokens: the prompts come from --dataset; give one or the other');
  }
  const body = flags.ignoreEos ? { body: { ignore_eos: true } } : {};
  const common = { model, stream: true, ...body };
  let scenario: Record<string, unknown>;
  if (format === 'sharegpt') {
    if (kind !== 'chat')
      throw flagError('--dataset: ShareGPT conversations are sent as chat sessions; use --api chat');
    if (typeof outputs !== 'number') {
      throw flagError(
        '--output-tokens: with a dataset, expected one number (the max_tokens of every answer)',
      );
    }
    scenario = {
      name: 'sharegpt',
      feeder: { file: dataset, format: 'sharegpt', strategy: 'circular' },
      session: { user_messages_from: 'turns', chat: { ...common, max_tokens: outputs } },
    };
  } else if (format === 'prompts') {
    if (typeof outputs !== 'number') {
      throw flagError(
        '--output-tokens: with a dataset, expected one number (the max_tokens of every answer)',
      );
    }
    const prompt = '{{ row.prompt }}';
    const step =
      kind === 'chat'
        ? { ...common, max_tokens: outputs, messages: [{ role: 'user', content: prompt }] }
        : { ...common, max_tokens: outputs, prompt };
    scenario = {
      name: 'prompts',
      feeder: { file: dataset, format: 'jsonl', strategy: 'circular' },
      steps: [{ [kind]: step }],
    };
  } else if (format === 'trace') {
    // Each arrival's prompt and answer lengths are its trace row's.
    const synthetic = {
      prompt_tokens: prompts ?? { from: 'trace.input_tokens' },
      max_tokens: flags.outputTokens === undefined ? { from: 'trace.output_tokens' } : outputs,
    };
    scenario = { name: 'trace', steps: [{ [kind]: { ...common, synthetic } }] };
  } else {
    const synthetic = { prompt_tokens: prompts ?? DEFAULT_PROMPT_TOKENS, max_tokens: outputs };
    scenario = { name: 'synthetic', steps: [{ [kind]: { ...common, synthetic } }] };
  }
  const slo = sloFlag(flags.slo);
  const seed = flags.seed === undefined ? undefined : Number(flags.seed);
  if (seed !== undefined && !Number.isInteger(seed)) {
    throw flagError(`--seed: expected a whole number, got ${JSON.stringify(flags.seed)}`);
  }
  const headers = headersFlag(flags.header);
  return {
    name: 'bench',
    target,
    // The mock's answer length is the request's max_tokens, as a server with ignore_eos gives it.
    ...(target === 'mock' ? { mock: { output_tokens: 100_000 } } : {}),
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    ...(seed !== undefined ? { seed } : {}),
    scenarios: [scenario],
    load: loadOf(flags, format, dataset),
    ...(slo !== undefined ? { slo } : {}),
    thresholds: { error_rate: ['< 0.01'] },
  };
}
