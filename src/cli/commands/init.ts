/**
 * @module cli/commands/init
 * `tokenstorm init [DIR] [--ts] [--target URL]`: writes a commented starter
 * test (YAML, or TypeScript with `defineTest` and a tsconfig.json whose
 * `paths` give the editor tokenstorm's types), adds `runs/` to .gitignore and
 * prints the command that runs it. Never overwrites a file (exit 2). The
 * starter passes against the embedded mock as written, so a first run works.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { ConfigError, packageRoot } from '../../core/index.js';
import { ExitCode } from '../exit-codes.js';

interface InitFlags {
  ts?: boolean;
  target?: string;
}

/** The running tokenstorm's package folder (where dist/, schema/ and package.json are). */
const PACKAGE_ROOT = packageRoot(import.meta.url);

export const STARTER_YAML = 'tokenstorm-test.yaml';
export const STARTER_TS = 'tokenstorm-test.ts';

function checkTarget(target: string | undefined): void {
  if (target === undefined) return;
  let url: URL | undefined;
  try {
    url = new URL(target);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new ConfigError(
      `--target: expected an http(s) URL such as http://127.0.0.1:8000/v1, got ${JSON.stringify(target)}`,
      'TS_ARGS_INVALID',
    );
  }
}

/** The starter YAML test: against the mock, or `target` (a real server: its model from $MODEL). */
export function starterYaml(target: string | undefined, schema: string): string {
  const where =
    target === undefined
      ? `target: mock # the embedded mock server; or a base URL such as http://127.0.0.1:8000/v1
# The mock answers like an LLM server: a first token after ~ttft_ms, then one
# token every itl_ms (docs/mock-server.md).
mock:
  ttft_ms: 50
  itl_ms: 10
  output_tokens: 32`
      : `target: ${target} # an OpenAI-compatible base URL (POST {target}/chat/completions)
# headers:                            # sent with every request; secrets are redacted in reports
#   Authorization: Bearer \${OPENAI_API_KEY}`;
  const model = target === undefined ? 'mock-model' : '${MODEL:-my-model} # set MODEL=… (or -e MODEL=…)';
  return `# yaml-language-server: $schema=${schema}
# A starter load test. Run it:   tokenstorm run ${STARTER_YAML}
# Check it without sending:      tokenstorm validate ${STARTER_YAML}
# Each run writes runs/<time>-<name>/ with summary.json and report.html.
name: starter
${where}
scenarios:
  - name: chat
    steps:
      - chat: # a streamed chat completion; TTFT, TPOT and ITL are measured per request
          model: ${model}
          max_tokens: 32
          messages:
            - { role: user, content: "Explain load testing in one paragraph." }
load:
  # Open model: 5 new requests per second for 10 s, however slow the answers.
  # For a closed model (N users in a loop) write: executor: constant-vus, vus: 5
  executor: constant-arrival-rate
  rate: 5
  duration: 10s
# Per-request SLOs: a request that meets them all counts toward goodput.
slo:
  ttft_ms: 2000
# The run fails (exit 99) when a threshold fails: use it as a CI gate.
thresholds:
  ttft_ms: ["p95 < 2000"]
  error_rate: ["< 0.01"]
`;
}

/** The starter TypeScript test: the same test, typed by `defineTest`. */
export function starterTs(target: string | undefined): string {
  const where =
    target === undefined
      ? `  // The embedded mock server; or a base URL such as 'http://127.0.0.1:8000/v1'.
  target: 'mock',
  // The mock answers like an LLM server: a first token after ~ttft_ms, then one every itl_ms.
  mock: { ttft_ms: 50, itl_ms: 10, output_tokens: 32 },`
      : `  // An OpenAI-compatible base URL (POST {target}/chat/completions).
  target: '${target}',
  // headers: { Authorization: \`Bearer \${process.env.OPENAI_API_KEY}\` }, // redacted in reports`;
  const model = target === undefined ? "'mock-model'" : "process.env.MODEL ?? 'my-model'";
  return `// A starter load test in TypeScript. Run it:   tokenstorm run ${STARTER_TS}
// Check it without sending:                      tokenstorm validate ${STARTER_TS}
// 'tokenstorm' is provided by the tokenstorm that runs the file: no install needed here.
import { defineTest } from 'tokenstorm';

export default defineTest({
  name: 'starter',
${where}
  scenarios: [
    {
      name: 'chat',
      steps: [
        {
          // A streamed chat completion; TTFT, TPOT and ITL are measured per request.
          chat: {
            model: ${model},
            max_tokens: 32,
            messages: [{ role: 'user', content: 'Explain load testing in one paragraph.' }],
          },
        },
      ],
    },
  ],
  // Open model: 5 new requests per second for 10 s. Closed: { executor: 'constant-vus', vus: 5, duration: '10s' }.
  load: { executor: 'constant-arrival-rate', rate: 5, duration: '10s' },
  // A request that meets every SLO counts toward goodput.
  slo: { ttft_ms: 2000 },
  // The run fails (exit 99) when a threshold fails: use it as a CI gate.
  thresholds: { ttft_ms: ['p95 < 2000'], error_rate: ['< 0.01'] },
});
`;
}

/** A tsconfig.json whose `paths` point the editor at the running tokenstorm's types. */
export function starterTsconfig(types: string): string {
  const config = {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      // Types of the tokenstorm that `init` ran from; `tokenstorm init --ts` again after moving it.
      paths: { tokenstorm: [types] },
    },
    include: [STARTER_TS, '**/*.ts'],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** Adds `runs/` to the .gitignore in `dir` (creating it); true when the file changed. */
export function ignoreRuns(dir: string): boolean {
  const file = join(dir, '.gitignore');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  if (lines.some((l) => l === 'runs/' || l === 'runs' || l === '/runs' || l === '/runs/')) return false;
  const sep = text === '' || text.endsWith('\n') ? '' : '\n';
  writeFileSync(file, `${text}${sep}# tokenstorm run directories\nruns/\n`);
  return true;
}

/** How a path is named in messages: relative to the working directory when inside it. */
function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') ? path : rel;
}

function init(dirArg: string | undefined, flags: InitFlags): number {
  checkTarget(flags.target);
  const dir = resolve(dirArg ?? '.');
  const name = flags.ts ? STARTER_TS : STARTER_YAML;
  const file = join(dir, name);
  const shown = shownPath(file);
  if (existsSync(file)) {
    throw new ConfigError(
      `${shown}: already exists; tokenstorm init never overwrites a file (move it, or init another directory)`,
      'TS_ARGS_INVALID',
    );
  }
  mkdirSync(dir, { recursive: true });
  const done: string[] = [];
  if (flags.ts) {
    writeFileSync(file, starterTs(flags.target));
    done.push(`wrote ${shown}`);
    const tsconfig = join(dir, 'tsconfig.json');
    const types = join(PACKAGE_ROOT, 'dist', 'index.d.ts');
    if (existsSync(tsconfig)) {
      done.push(
        `kept the existing ${shownPath(tsconfig)}; for editor types add to compilerOptions: "paths": { "tokenstorm": [${JSON.stringify(types)}] }`,
      );
    } else {
      writeFileSync(tsconfig, starterTsconfig(types));
      done.push(`wrote ${shownPath(tsconfig)} (its paths give the editor tokenstorm's types)`);
    }
  } else {
    writeFileSync(file, starterYaml(flags.target, join(PACKAGE_ROOT, 'schema', 'test.schema.json')));
    done.push(`wrote ${shown}`);
  }
  const gitignore = shownPath(join(dir, '.gitignore'));
  done.push(ignoreRuns(dir) ? `added runs/ to ${gitignore}` : `${gitignore} already ignores runs/`);
  process.stdout.write(`${done.join('\n')}\n\nrun it:\n  npx tokenstorm run ${shown}\n`);
  return ExitCode.ok;
}

export function initCommand(): Command {
  return new Command('init')
    .description('write a commented starter test (YAML, or TypeScript with --ts) and add runs/ to .gitignore')
    .argument('[dir]', 'where to write it (default: the current directory)')
    .option('--ts', 'a TypeScript test with defineTest, and a tsconfig.json for editor types')
    .option(
      '--target <url>',
      "the server's base URL, e.g. http://127.0.0.1:8000/v1 (default: the embedded mock)",
    )
    .action((dir: string | undefined, flags: InitFlags) => {
      process.exitCode = init(dir, flags);
    });
}
