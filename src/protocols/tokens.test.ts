import { countTokens as libraryCount } from 'gpt-tokenizer';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type FixtureServer, sseChunk, startFixtureServer } from '../../test/support/fixture-server.js';
import { parseTest } from '../config/index.js';
import { createClock } from '../core/index.js';
import { HttpClient } from './http1/index.js';
import { compileStep, runStep } from './steps.js';
import { countPromptTokens, countTokens, countTokensYielding } from './tokens.js';

const dispatcher = new HttpClient();
afterAll(() => dispatcher.close());

let server: FixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A seeded stream of numbers in [0, 1). */
function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
    return s / 0x80000000;
  };
}

/** CJK ideographs drawn from the first 3,000 of the block: no spaces, no punctuation. */
function cjkText(chars: number, seed = 7): string {
  const next = rng(seed);
  const units = new Array<number>(chars);
  for (let i = 0; i < chars; i++) units[i] = 0x4e00 + Math.floor(next() * 3000);
  let text = '';
  for (let i = 0; i < chars; i += 8192) text += String.fromCharCode(...units.slice(i, i + 8192));
  return text;
}

/**
 * Runs `work` while a 10 ms interval timer ticks; the worst gap between ticks (ms)
 * is how long the event loop was held.
 */
async function worstTimerGap<T>(work: () => Promise<T>): Promise<{ value: T; worstGapMs: number }> {
  let last = performance.now();
  let worstGapMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worstGapMs = Math.max(worstGapMs, now - last);
    last = now;
  }, 10);
  try {
    const value = await work();
    worstGapMs = Math.max(worstGapMs, performance.now() - last);
    return { value, worstGapMs };
  } finally {
    clearInterval(timer);
  }
}

function completionStep(target: string, prompt: string) {
  const test = parseTest(
    {
      target,
      scenarios: [{ name: 's', steps: [{ completion: { model: 'm', prompt, stream: false } }] }],
      load: { executor: 'constant-vus', vus: 1, iterations: 1 },
    },
    'inline',
  );
  return compileStep(test.scenarios[0]?.steps?.[0] as never, 0, { target, headers: {}, timeoutMs: 120_000 });
}

function chatStep(target: string, stream: boolean) {
  const test = parseTest(
    {
      target,
      scenarios: [
        { name: 's', steps: [{ chat: { model: 'm', messages: [{ role: 'user', content: 'hi' }], stream } }] },
      ],
      load: { executor: 'constant-vus', vus: 1, iterations: 1 },
    },
    'inline',
  );
  return compileStep(test.scenarios[0]?.steps?.[0] as never, 0, { target, headers: {}, timeoutMs: 120_000 });
}

/**
 * Generous: a slice of counting lasts ~10 ms, and before slicing these answers held the loop for
 * 54 s and many minutes. This bounds a stall, not our speed: on the shared 2-core test machine a
 * timer alone was seen 150 ms late, so a tighter bound would flake.
 */
const MAX_GAP_MS = 500;

describe('countTokens', () => {
  it('gives gpt-tokenizer’s own count for ordinary text', () => {
    const texts = [
      "Hello, world! It's a test.\n\nA new paragraph   with  spaces\t\tand tabs.",
      '你好，世界。这是一个测试，看看分词是否一致。',
      'const x = [1, 2, 3]; // code\n  return foo(bar)->baz ?? 42;\n',
      '😀😃😄 emoji 👍🏽 and accents: Ĳssel, naïve, façade, Ærøskøbing',
      "don't won't I'll we've they're O'Neil's",
      '   \n\n\n   \r\n  \t',
      'https://example.com/a/b?c=d&e=f#g 0123456789 3.14159',
      'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(200),
    ];
    for (const text of texts) expect(countTokens(text), text.slice(0, 40)).toBe(libraryCount(text));
    expect(countTokens('')).toBe(0);
  });

  it('gives the same count across the pre-tokenizer’s windows of a long ordinary text', () => {
    const parts = [
      "It's   here.\n\n",
      '中文，句子。',
      "  they'll    go ",
      '\t\tcode(x) => x + 1;\n',
      'URL: https://example.com/path ',
      '1234567 ',
      '   \r\n',
      "O'Neil's ",
    ];
    const next = rng(11);
    let text = '';
    while (text.length < 40_000) text += parts[Math.floor(next() * parts.length)];
    // Every cut of the text into windows of the counter lands somewhere else in a piece.
    for (const cut of [0, 1, 5, 13]) {
      const shifted = text.slice(cut);
      expect(countTokens(shifted)).toBe(libraryCount(shifted));
    }
  });

  it('counts special-token text as plain text instead of throwing', () => {
    const text = 'an answer that quotes <|endoftext|> and <|im_start|>';
    expect(countTokens(text)).toBe(libraryCount(text, { disallowedSpecial: new Set() }));
  });

  it('stops at a limit', () => {
    expect(countTokens(' one two three four five six', 3)).toBe(3);
  });

  it('counts a long run without split points close to its exact count', () => {
    // 4,000 CJK characters: the exact count is still affordable here.
    const text = cjkText(4000);
    const exact = libraryCount(text);
    expect(Math.abs(countTokens(text) - exact)).toBeLessThanOrEqual(Math.ceil(text.length / 128));
  });

  it('gives the same count whether it yields or not', async () => {
    const text = cjkText(20_000, 3);
    expect(await countTokensYielding(text)).toBe(countTokens(text));
    expect(countTokensYielding('a short answer')).toBe(countTokens('a short answer'));
  });

  it('counts a long prompt once and gives the same count again', () => {
    const prompt = `Summarize: ${'the quick brown fox jumps over the lazy dog. '.repeat(200)}`;
    expect(countPromptTokens(prompt)).toBe(libraryCount(prompt));
    expect(countPromptTokens(`${prompt}`)).toBe(libraryCount(prompt));
  });
});

describe('client token counting never blocks the worker', () => {
  it('counts a 1 MiB answer of one letter while timers keep firing', async () => {
    const text = 'a'.repeat(1 << 20);
    server = await startFixtureServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ choices: [{ message: { content: text }, finish_reason: 'length' }] }));
    });
    const step = chatStep(server.url, false);
    const { value: m, worstGapMs } = await worstTimerGap(() =>
      runStep(step, { dispatcher, clock: createClock() }),
    );
    expect(m.outcome).toBe('ok');
    // Eight `a`s are one o200k token.
    expect(m.outputTokensClient).toBe(text.length / 8);
    expect(worstGapMs).toBeLessThan(MAX_GAP_MS);
  }, 120_000);

  it('counts a streamed 128K-token CJK answer without spaces while timers keep firing', async () => {
    const text = cjkText(72_000);
    server = await startFixtureServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // In batches, a turn of the loop apart: the server shares this thread and must not hold it either.
      let at = 0;
      const batch = () => {
        for (const end = Math.min(text.length, at + 2048); at < end; at += 16)
          sseChunk(res, text.slice(at, at + 16));
        if (at < text.length) setImmediate(batch);
        else res.end('data: [DONE]\n\n');
      };
      batch();
    });
    const step = chatStep(server.url, true);
    const { value: m, worstGapMs } = await worstTimerGap(() =>
      runStep(step, { dispatcher, clock: createClock() }),
    );
    expect(m.outcome).toBe('ok');
    expect(m.outputTokensClient).toBe(countTokens(text));
    expect(m.outputTokensClient).toBeGreaterThan(128_000);
    expect(worstGapMs).toBeLessThan(MAX_GAP_MS);
  }, 120_000);

  it('counts a 1 MiB prompt while timers keep firing, once for every request that sends it', async () => {
    // A data file's row: 1 MiB without a split point.
    const prompt = 'b'.repeat(1 << 20);
    server = await startFixtureServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ choices: [{ text: ' ok', finish_reason: 'stop' }] }));
    });
    const url = server.url;
    const { value, worstGapMs } = await worstTimerGap(async () => {
      // Compiled per request, as a templated step is.
      const first = runStep(completionStep(url, prompt), { dispatcher, clock: createClock() });
      const second = runStep(completionStep(url, prompt), { dispatcher, clock: createClock() });
      return Promise.all([first, second]);
    });
    const expected = countTokens(prompt);
    expect(value.map((m) => m.inputTokensClient)).toEqual([expected, expected]);
    expect(value.map((m) => m.outcome)).toEqual(['ok', 'ok']);
    expect(worstGapMs).toBeLessThan(MAX_GAP_MS);
  }, 120_000);
});
