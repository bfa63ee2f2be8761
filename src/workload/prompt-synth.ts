/**
 * @module workload/prompt-synth
 * Synthetic prompts of an exact length in tokens. Every word of the
 * vocabulary is one gpt-tokenizer token with and without a leading space, and
 * o200k's pre-tokenizer splits text at spaces, so N space-separated words are
 * exactly N tokens. A seeded corpus of words is built and joined once; a
 * prompt is a substring of it at a random offset (wrapping round it), so a
 * 128K-token prompt costs no per-word work on the worker's event loop.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { createRng, createSampler, type Distribution, deriveSeed, type Rng } from '../random/index.js';
import { TemplateError } from './template.js';

const WORDS = `the a an of to and in is it that for on with as by at from this be are was will can may not or
but if then when so each every some many more most all our their its system server request response token load
test time first last next queue batch model user client stream data memory cache network rate limit error retry
budget cost price speed fast slow high low long short small large new good better simple clear ready steady stable
busy idle quiet early late soon now here there today always never often again also only just still very about
after before during under over into through between within without near far up down out back work run send
read write wait start stop open close keep hold take make give find show tell ask answer call measure report check
count grow drop rise change help build learn plan use need know think look come go see turn move serve handle value
number level point part case way day week year line page word text note idea question reason result method service
team people machine cluster node worker thread task job window second minute hour peak traffic burst
wave signal graph chart table file record metric target goal path route river city house garden light water
fire stone paper music story world state market power energy health school family friend child book letter chair
door road car train plane ship`;

/**
 * The vocabulary: words that are one gpt-tokenizer (o200k_base) token alone and
 * after a space (prompt-synth.test.ts checks every one with the tokenizer), a
 * fixed list so that synthesising loads no tokenizer (300 ms and ~66 MB in a
 * thread that needs none otherwise).
 */
const VOCABULARY: readonly string[] = [...new Set(WORDS.split(/\s+/))].filter((w) => w !== '');

/** The words synthetic prompts are made of (each one token, with or without a leading space). */
export function synthVocabulary(): readonly string[] {
  return VOCABULARY;
}

const CORPUS_WORDS = 1 << 16;

/** A token count: a distribution, or a column of a CSV file sampled row by row. */
export type TokenCount =
  | Distribution
  | { dist: 'empirical'; file: string; column: string }
  | { from: string };

/** The replayed trace row of an iteration (`trace.input_tokens`, …), when the load replays a trace. */
export type TraceRow = Readonly<Record<string, unknown>> | undefined;

/** The `synthetic` block of a chat or completion step. */
export interface SyntheticSpec {
  prompt_tokens: TokenCount;
  max_tokens?: TokenCount | undefined;
  shared_prefix?: { groups: number; tokens: number } | undefined;
}

/** One drawn prompt. */
export interface SyntheticPrompt {
  /** `prompt_tokens` words, starting with a word (no leading space). */
  text: string;
  tokens: number;
  /** The shared system prompt of the request's group, when configured. */
  prefix?: string;
  /** Drawn `max_tokens`, when configured. */
  maxTokens?: number;
}

const columns = new Map<string, number[]>();

/** The numbers in `column` of a CSV file with a header row; read once per file and column. */
export function readEmpiricalColumn(file: string, column: string): number[] {
  const key = `${file}\u0000${column}`;
  const cached = columns.get(key);
  if (cached !== undefined) return cached;
  const rows = parse(readFileSync(file), { columns: true, bom: true, skip_empty_lines: true }) as Record<
    string,
    string
  >[];
  if (rows.length === 0) throw new Error(`${file}: no rows`);
  if (!Object.hasOwn(rows[0] as object, column)) throw new Error(`${file}: no column "${column}"`);
  const values = rows.map((r) => Number(r[column])).filter((n) => Number.isFinite(n) && n > 0);
  if (values.length === 0) throw new Error(`${file}: column "${column}" holds no positive numbers`);
  columns.set(key, values);
  return values;
}

type CountSampler = (rng: Rng, row: number, trace: TraceRow) => number;

function countSampler(count: TokenCount): { sample: CountSampler; file?: string; rows?: number } {
  if (typeof count === 'object' && 'from' in count) {
    const field = count.from.slice('trace.'.length);
    return {
      sample: (_rng, _row, trace) => {
        const value = Number(trace?.[field]);
        if (!(value > 0)) {
          throw new TemplateError(
            `${count.from}: the iteration has no replayed trace value (use executor: trace)`,
          );
        }
        return value;
      },
    };
  }
  if (typeof count === 'object' && count.dist === 'empirical') {
    const values = readEmpiricalColumn(count.file, count.column);
    return {
      sample: (_rng, row) => values[row % values.length] as number,
      file: count.file,
      rows: values.length,
    };
  }
  const sampler = createSampler(count);
  return { sample: (rng) => sampler(rng) };
}

/** Draws synthetic prompts for one step; deterministic under the seed and the caller's random source. */
export class PromptSynth {
  /** The corpus's words joined by single spaces. */
  private readonly joined: string;
  /** Where word i starts in {@link joined}; entry CORPUS_WORDS is one past its end. */
  private readonly starts: Uint32Array;
  private readonly prefixes: string[];
  /** Tokens of each group's shared prefix (0 without one). */
  readonly prefixTokens: number;
  private readonly prompt: ReturnType<typeof countSampler>;
  private readonly max: ReturnType<typeof countSampler> | undefined;

  constructor(spec: SyntheticSpec, seed: number) {
    const rng = createRng(deriveSeed(seed, 0x5e7));
    const v = synthVocabulary();
    const corpus = Array.from({ length: CORPUS_WORDS }, () => v[Math.floor(rng() * v.length)] as string);
    this.joined = corpus.join(' ');
    this.starts = new Uint32Array(CORPUS_WORDS + 1);
    for (let i = 0, at = 0; i < CORPUS_WORDS; i++) {
      this.starts[i] = at;
      at += (corpus[i] as string).length + 1;
    }
    this.starts[CORPUS_WORDS] = this.joined.length + 1;
    const prefix = spec.shared_prefix;
    this.prefixTokens = prefix === undefined ? 0 : prefix.tokens;
    this.prefixes =
      prefix === undefined
        ? []
        : Array.from({ length: prefix.groups }, (_, g) =>
            // Each group from its own seeded offset in the corpus.
            this.slice(Math.floor(createRng(deriveSeed(seed, 0x9f1 + g))() * CORPUS_WORDS), prefix.tokens),
          );
    this.prompt = countSampler(spec.prompt_tokens);
    this.max = spec.max_tokens === undefined ? undefined : countSampler(spec.max_tokens);
  }

  /** `tokens` words from `offset`, wrapping around the corpus. */
  private slice(offset: number, tokens: number): string {
    const { joined, starts } = this;
    /** Words [from, to) of the corpus, without the space after the last. */
    const words = (from: number, to: number) =>
      joined.slice(starts[from] as number, (starts[to] as number) - 1);
    if (offset + tokens <= CORPUS_WORDS) return words(offset, offset + tokens);
    const parts = [words(offset, CORPUS_WORDS)];
    let left = tokens - (CORPUS_WORDS - offset);
    for (; left >= CORPUS_WORDS; left -= CORPUS_WORDS) parts.push(joined);
    if (left > 0) parts.push(words(0, left));
    return parts.join(' ');
  }

  /** A prompt of exactly `tokens` tokens from the corpus at a position drawn from `rng`. */
  text(tokens: number, rng: Rng): string {
    return this.slice(Math.floor(rng() * CORPUS_WORDS), Math.max(1, Math.round(tokens)));
  }

  /** Draws a prompt (length, text, group prefix, max_tokens) from `rng` (and the iteration's trace row). */
  draw(rng: Rng, trace?: TraceRow): SyntheticPrompt {
    // One row for both counts when they come from the same trace file: lengths stay paired.
    const rows = this.prompt.rows ?? this.max?.rows ?? 1;
    const row = Math.floor(rng() * rows);
    const tokens = Math.max(1, Math.round(this.prompt.sample(rng, row, trace)));
    const out: SyntheticPrompt = { text: this.text(tokens, rng), tokens };
    if (this.prefixes.length > 0)
      out.prefix = this.prefixes[Math.floor(rng() * this.prefixes.length)] as string;
    if (this.max !== undefined) {
      const sameFile = this.max.file !== undefined && this.max.file === this.prompt.file;
      const maxRow = sameFile ? row : Math.floor(rng() * (this.max.rows ?? 1));
      out.maxTokens = Math.max(1, Math.round(this.max.sample(rng, maxRow, trace)));
    }
    return out;
  }
}
