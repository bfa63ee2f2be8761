/**
 * @module cli/commands/bench
 * `tokenstorm bench <base-url>`: a benchmark without a test file, for users
 * of `vllm bench serve`, GuideLLM and AIPerf. The flags build an ordinary
 * test in memory (cli/bench-test), validated by the same `prepareTest` as a
 * file and run by the same `runLoaded` as `run` (same run directory, report,
 * CI files); `--print-test` prints it as YAML instead. The console leads with
 * the figures those tools lead with, under tokenstorm's metric names.
 */
import { Command } from 'commander';
import { stringify } from 'yaml';
import { prepareTest } from '../../config/index.js';
import { ConfigError } from '../../core/index.js';
import { executorFor } from '../../load/index.js';
import { renderConsoleSummary } from '../../report/index.js';
import { redactSecrets } from '../../store/index.js';
import { type BenchFlags, baseUrlOf, benchTest } from '../bench-test.js';
import type { RunSummary } from '../run-outputs.js';
import { addRunOutputOptions, type RunOutputFlags, runLoaded } from './run.js';

type Flags = BenchFlags & RunOutputFlags & { printTest?: boolean };

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The test as a YAML file a user can keep: secret header values become `${VARIABLES}`. */
export function benchYaml(test: Record<string, unknown>): string {
  const headers = test.headers as Record<string, string> | undefined;
  const redacted = redactSecrets(headers ?? {}) as Record<string, string>;
  const kept: Record<string, string> = {};
  const notes: string[] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (redacted[name] === value) kept[name] = value;
    else {
      const variable = name.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
      kept[name] = `\${${variable}}`;
      notes.push(`# ${name}: set ${variable} to its value (-e ${variable}=…); it is not written here`);
    }
  }
  const body = headers === undefined ? test : { ...test, headers: kept };
  return `# Written by tokenstorm bench --print-test; run it with: tokenstorm run FILE\n${notes.map((n) => `${n}\n`).join('')}${stringify(body)}`;
}

const f = (n: number | undefined, digits = 2) => (n === undefined ? '-' : n.toFixed(digits));

/** The figures vLLM's, GuideLLM's and AIPerf's benchmarks lead with, from the summary. */
export function renderBenchHeader(summary: RunSummary, target: string): string {
  const m = summary.metrics as Record<string, Record<string, number> | undefined>;
  const r = summary.rates as unknown as Record<string, number | undefined>;
  const lines = [
    `tokenstorm bench  ${target === 'mock' ? 'the embedded mock' : target}  (${summary.counts.ok} ok, ${summary.counts.errors} errors in ${f(summary.durationS, 1)} s)`,
    '',
    `request throughput   ${f(r.requests_per_s)} req/s`,
    `output throughput    ${f(r.output_tokens_per_s, 1)} tokens/s`,
    `total throughput     ${f((r.output_tokens_per_s ?? 0) + (r.input_tokens_per_s ?? 0), 1)} tokens/s (input + output)`,
    `goodput              ${f(r.goodput_per_s)} req/s (${f(r.goodput_pct, 1)}% of requests ${summary.slo === undefined || Object.keys(summary.slo).length === 0 ? 'ok; no --slo given' : 'met every --slo'})`,
  ];
  const sweep = (
    summary as {
      sweep?: {
        capacity?: number | null;
        capacityBound?: string;
        knee?: number | null;
        unit?: string;
        steps?: unknown[];
      };
    }
  ).sweep;
  if (sweep !== undefined) {
    const bound = sweep.capacityBound === 'at_least' ? 'at least ' : '';
    lines.push(
      `capacity             ${sweep.capacity == null ? 'none found' : `${bound}${sweep.capacity} ${sweep.unit ?? 'req/s'}`} (the highest step that met ${Object.keys(summary.slo ?? {}).length > 0 ? 'the SLOs' : 'its success rate (no --slo given)'}; ${sweep.steps?.length ?? 0} steps)${sweep.knee == null ? '' : `, knee at ${sweep.knee}`}`,
    );
  }
  lines.push('', `${'ms'.padEnd(20)}${['mean', 'p50', 'p90', 'p99'].map((h) => h.padStart(10)).join('')}`);
  const rows: [string, string][] = [
    ['TTFT  ttft_ms', 'ttft_ms'],
    ['TPOT  tpot_ms', 'tpot_ms'],
    ['ITL   itl_ms', 'itl_ms'],
    ['E2E   e2e_ms', 'e2e_ms'],
  ];
  for (const [label, key] of rows) {
    const s = m[key];
    lines.push(
      `${label.padEnd(20)}${[s?.mean, s?.p50, s?.p90, s?.p99].map((v) => f(v).padStart(10)).join('')}`,
    );
  }
  lines.push(
    '',
    'note: GuideLLM\'s and AIPerf\'s "ITL" (mean time per output token after the first, per request) is',
    "      tokenstorm's TPOT; tokenstorm's ITL is the gap between consecutive tokens (vLLM's ITL).",
    '',
  );
  return lines.join('\n');
}

async function bench(url: string | undefined, flags: Flags): Promise<number> {
  if ((url === undefined) === (flags.mock !== true)) {
    throw new ConfigError(
      url === undefined
        ? 'bench: expected a base URL such as http://127.0.0.1:8000/v1 (or --mock for the embedded mock)'
        : 'bench: expected a base URL or --mock, not both',
      'TS_ARGS_INVALID',
    );
  }
  const target = url === undefined ? 'mock' : baseUrlOf(url);
  const raw = benchTest(target, flags);
  // Validated as a file would be, so --print-test never prints a test that does not load.
  const test = await prepareTest(raw, process.cwd(), 'bench');
  if (flags.printTest) {
    process.stdout.write(benchYaml(raw));
    return 0;
  }
  return runLoaded(
    flags,
    process.cwd(),
    async () => ({ test, plan: executorFor(test.load).plan, source: { inline: raw } }),
    (summary) => `${renderBenchHeader(summary, target)}\n${renderConsoleSummary(summary)}`,
  );
}

export function benchCommand(): Command {
  const command = new Command('bench')
    .description(
      'benchmark an OpenAI-compatible server without a test file (as vllm bench serve, GuideLLM, AIPerf)',
    )
    .argument('[base-url]', 'the API base URL, e.g. http://127.0.0.1:8000/v1 (a bare host gets /v1)')
    .option('--mock', 'benchmark the embedded mock server instead (a first try, or tests)')
    .option('--model <name>', 'the model name the server serves')
    .option('--api <kind>', 'chat (/chat/completions) or completions (/completions)', 'chat')
    .option('--rate <r>', 'open model: R requests per second')
    .option('--arrival <kind>', 'with --rate or --sweep: poisson, constant or gamma:BURSTINESS', 'poisson')
    .option('--concurrency <n>', 'closed model: N requests in flight, each sent when the last ended')
    .option('--sweep', 'capacity search: step the rate up until the SLOs fail, then bisect')
    .option('--sweep-start <r>', 'with --sweep: first rate (default 1)')
    .option('--sweep-max <r>', 'with --sweep: highest rate to try (default 64)')
    .option('--step-duration <d>', 'with --sweep: measured length of each step (default 10s)')
    .option('--warmup <d>', 'with --sweep: unmeasured warm-up before each step (default 2s)')
    .option('--duration <d>', 'how long to send (default 30s); with --sweep, a cap')
    .option('--requests <n>', 'how many requests (conversations, with a ShareGPT dataset) to send')
    .option('--prompt-tokens <n[,stddev]>', 'synthetic prompts of exactly N tokens (default 256)')
    .option('--output-tokens <n[,stddev]>', 'max_tokens of each answer (default 128)')
    .option('--ignore-eos', 'send ignore_eos: true so a vLLM/SGLang server writes every max_tokens')
    .option(
      '--dataset <file>',
      'prompts from a file: ShareGPT .json (every turn, as sessions), .jsonl of {"prompt": …}, or an Azure-style trace .csv',
    )
    .option('--dataset-format <kind>', 'sharegpt, prompts or trace (default: by the file extension)')
    .option('--slo <list>', 'per-request SLOs for goodput, e.g. ttft_ms=500,tpot_ms=50')
    .option(
      '-H, --header <header>',
      "a header sent with every request, 'Name: value' (repeatable; redacted in outputs)",
      collect,
      [],
    )
    .option('--max-vus <n>', 'open models: most requests in flight (default 1000)')
    .option('--seed <n>', 'seed of every random choice (prompts, arrivals)')
    .option('--print-test', 'print the test as YAML (to keep as a file) and exit');
  return addRunOutputOptions(command).action(async (url: string | undefined, flags: Flags) => {
    process.exitCode = await bench(url, flags);
  });
}
